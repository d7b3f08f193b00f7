// `npm start`'s supervisor (src/cluster.ts): a dead worker is replaced, SIGHUP restarts
// the workers one at a time while every request is answered, SIGTERM exits cleanly (R13).
import assert from 'node:assert/strict';
import http from 'node:http';
import type { Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { startApiProcess } from '../helpers/api-process.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { request } from '../helpers/http.js';
import { eventually } from '../helpers/worker.js';

/** One GET; resolves to the status, or to what went wrong (an error code, "timeout"). */
function get(url: string, agent: http.Agent | false, sockets: Set<Socket>): Promise<string> {
  return new Promise((resolve) => {
    const req = http.get(url, { agent, timeout: 10_000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(String(res.statusCode)));
      res.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    });
    req.on('socket', (s) => sockets.add(s));
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'timeout' })));
    req.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });
}

describe('npm start with WEB_CONCURRENCY=2 (node:cluster supervisor)', () => {
  let db: TestDatabase;
  let primary: Awaited<ReturnType<typeof startApiProcess>> | undefined;
  before(async () => {
    db = await createTestDatabase();
  });
  after(async () => {
    await primary?.stop('SIGKILL');
    await db.drop();
  });

  test('replaces a dead worker, restarts one at a time on SIGHUP, exits 0 on SIGTERM', async () => {
    primary = await startApiProcess('src/cluster.ts', db.url, { WEB_CONCURRENCY: '2' });
    const p = primary;
    const listening = /"msg":"worker listening"/;
    await eventually(async () => p.count(listening) === 2, 60_000, 'two workers listening');
    const pids = [...p.output().matchAll(/"workerPid":(\d+),"msg":"worker listening"/g)].map((m) =>
      Number(m[1]),
    );
    assert.equal(pids.length, 2);
    assert.equal((await request(p.url, 'GET', '/health')).status, 200);

    process.kill(pids[0]!, 'SIGKILL');
    await p.waitForOutput(/worker died; replacing it/);
    await eventually(async () => p.count(listening) === 3, 60_000, 'a replacement worker');
    assert.equal((await request(p.url, 'GET', '/health')).status, 200);

    // Two rolling restarts (four workers replaced) under steady load: clients that open a
    // new connection per request, and keep-alive clients that send their next request as
    // soon as the last is answered. Every request is answered 200 at the first try: the
    // primary's hand-off of a new connection to a retiring worker must not lose it, and a
    // retiring worker answers what reaches it (Connection: close, never 503 or a reset).
    const failures: string[] = [];
    let rolling = true;
    const load = (agent: http.Agent | false) => {
      const sockets = new Set<Socket>();
      const done = (async () => {
        let answered = 0;
        while (rolling) {
          const outcome = await get(`${p.url}/health`, agent, sockets);
          if (outcome === '200') {
            answered += 1;
          } else {
            failures.push(`${agent === false ? 'new connection' : 'keep-alive'}: ${outcome}`);
          }
        }
        return { answered, connections: sockets.size };
      })();
      return done;
    };
    const agents = Array.from(
      { length: 3 },
      () => new http.Agent({ keepAlive: true, maxSockets: 1 }),
    );
    const fresh = Array.from({ length: 6 }, () => load(false));
    const kept = agents.map((a) => load(a));
    for (const round of [1, 2]) {
      p.child.kill('SIGHUP');
      await eventually(
        async () => p.count(/"msg":"rolling restart done"/) === round,
        120_000,
        `rolling restart ${round} done`,
      );
    }
    rolling = false;
    const freshResults = await Promise.all(fresh);
    const keptResults = await Promise.all(kept);
    agents.forEach((a) => a.destroy());
    assert.equal(p.count(listening), 7, 'four new workers');
    assert.deepEqual(failures, [], 'every request answered 200 at the first try');
    for (const r of freshResults) {
      assert.ok(r.answered > 0);
      assert.equal(r.connections, r.answered, 'one connection per request');
    }
    for (const r of keptResults) {
      assert.ok(
        r.answered > r.connections,
        `keep-alive connections were reused: ${r.answered} requests on ${r.connections}`,
      );
    }
    const total = [...freshResults, ...keptResults].reduce((n, r) => n + r.answered, 0);
    console.log(`rolling restarts: ${total} requests answered, none failed`);

    p.child.kill('SIGTERM');
    const exit = await p.exited;
    assert.deepEqual(exit, { code: 0, signal: null });
  });
});
