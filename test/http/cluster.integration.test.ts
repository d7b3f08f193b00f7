// `npm start`'s supervisor (src/cluster.ts): a dead worker is replaced, SIGHUP restarts
// the workers one at a time while requests keep being answered, SIGTERM exits cleanly (R13).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startApiProcess } from '../helpers/api-process.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { request } from '../helpers/http.js';
import { eventually } from '../helpers/worker.js';

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

    // Requests keep being answered while each worker is replaced in turn. A new connection
    // the primary hands to a worker in the instant that worker stops listening is refused
    // (node:cluster's round-robin hand-off races the old worker's close) or answered 503
    // while it closes: clients and load balancers retry those, so each request may be tried
    // twice — and must then be answered (never a 500). How often the first try failed is
    // reported. (Known: the hand-off race; see docs/operations.md §4.)
    let answered = 0;
    let failed = 0;
    let retried = 0;
    const firstTries: string[] = [];
    let rolling = true;
    const once = () =>
      fetch(`${p.url}/health`, {
        headers: { connection: 'close' },
        // A connection handed to the retiring worker can also go unanswered: give up on it.
        signal: AbortSignal.timeout(5000),
      }).then(
        async (res) => {
          await res.arrayBuffer();
          return String(res.status);
        },
        (err: unknown) =>
          (err as Error).name === 'TimeoutError'
            ? 'timeout'
            : ((err as { cause?: { code?: string } }).cause?.code ?? 'error'),
      );
    const load = (async () => {
      while (rolling) {
        let outcome = await once();
        if (outcome !== '200') {
          retried += 1;
          firstTries.push(outcome);
          outcome = await once();
        }
        if (outcome === '200') {
          answered += 1;
        } else {
          failed += 1;
        }
      }
    })();
    p.child.kill('SIGHUP');
    await p.waitForOutput(/rolling restart done/);
    rolling = false;
    await load;
    assert.equal(p.count(listening), 5, 'two new workers');
    assert.equal(
      failed,
      0,
      `no request failed twice during the rolling restart (${answered} answered, ${retried} retried)`,
    );
    assert.ok(
      firstTries.every((o) => o === '503' || o === 'timeout' || /^E[A-Z]+$/.test(o)),
      `a first try failed only at the connection, unanswered or with the closing 503: ${firstTries.join(',')}`,
    );
    assert.ok(answered > 0);

    p.child.kill('SIGTERM');
    const exit = await p.exited;
    assert.deepEqual(exit, { code: 0, signal: null });
  });
});
