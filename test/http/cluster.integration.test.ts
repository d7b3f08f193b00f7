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

    // Requests keep being answered while each worker is replaced in turn.
    let answered = 0;
    let failed = 0;
    let rolling = true;
    const load = (async () => {
      while (rolling) {
        const res = await request(p.url, 'GET', '/health', {
          headers: { connection: 'close' },
        }).catch(() => undefined);
        if (res?.status === 200) {
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
    assert.equal(failed, 0, `no request failed during the rolling restart (${answered} answered)`);
    assert.ok(answered > 0);

    p.child.kill('SIGTERM');
    const exit = await p.exited;
    assert.deepEqual(exit, { code: 0, signal: null });
  });
});
