// R18: several API processes keep one set of limits (counters in Redis); when Redis is
// unreachable sign-in fails closed (503) and readiness says so; it recovers without a restart.
// Also `npm start`'s supervisor (src/cluster.ts): a dead worker is replaced, SIGHUP restarts
// the workers one at a time while requests keep being answered, SIGTERM exits cleanly.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { redisTestPrefix, startApiProcess, TEST_REDIS_URL } from '../helpers/api-process.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { register } from '../helpers/factories.js';
import { request } from '../helpers/http.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';
import { eventually } from '../helpers/worker.js';

const loginForm = (base: string, username: string, password: string) =>
  request(base, 'POST', '/api/v1/jwt/login/', { form: { username, password } });

describe('R18/S5: two API processes on one Redis share one per-account limit', () => {
  let db: TestDatabase;
  const procs: Awaited<ReturnType<typeof startApiProcess>>[] = [];
  before(async () => {
    db = await createTestDatabase();
  });
  after(async () => {
    await Promise.all(procs.map((p) => p.stop()));
    await db.drop();
  });

  test('failed logins counted by either process lock the account on both', async () => {
    const env = {
      RATE_LIMIT_ENABLED: 'true',
      RATE_LIMIT_STORE: 'redis',
      REDIS_URL: TEST_REDIS_URL,
      REDIS_KEY_PREFIX: redisTestPrefix(),
      LOGIN_RATE_PER_ACCOUNT: '3',
      LOGIN_RATE_PER_IP: '1000',
      LOG_LEVEL: 'info',
    };
    const [a, b] = await Promise.all([
      startApiProcess('src/server.ts', db.url, env),
      startApiProcess('src/server.ts', db.url, env),
    ]);
    procs.push(a, b);
    assert.notEqual(a.url, b.url, 'two processes, two ports');
    for (const p of [a, b]) {
      const ready = await request(p.url, 'GET', '/health/ready');
      assert.equal(ready.status, 200);
      assert.equal(ready.body.rate_limit_store, 'redis');
    }
    const u = await register(a.url);
    // Three failures spread over both processes: with per-process counters each would
    // have seen at most two, under the limit of three.
    assert.equal((await loginForm(a.url, u.username, 'wrong password 1')).status, 401);
    assert.equal((await loginForm(b.url, u.username, 'wrong password 2')).status, 401);
    assert.equal((await loginForm(a.url, u.username, 'wrong password 3')).status, 401);
    for (const p of [b, a]) {
      const locked = await loginForm(p.url, u.username, u.password);
      assert.equal(locked.status, 429, 'the right password is refused too while locked');
      assert.deepEqual(locked.body, { detail: 'Too many login attempts. Try again later.' });
      const retry = Number(locked.headers.get('retry-after'));
      assert.ok(retry > 800 && retry <= 900, `Retry-After within the 15 min window: ${retry}`);
    }
  });
});

describe('R18: Redis cut → sign-in 503 and not ready; back without a restart', () => {
  let t: TestApp;
  let proxy: TcpProxy;
  before(async () => {
    const target = new URL(TEST_REDIS_URL);
    proxy = await startTcpProxy(target.hostname, Number(target.port || 6379));
    t = await startTestApp({
      RATE_LIMIT_ENABLED: 'true',
      RATE_LIMIT_STORE: 'redis',
      REDIS_URL: proxy.url('redis'),
      REDIS_KEY_PREFIX: redisTestPrefix(),
    });
  });
  after(async () => {
    await t.close();
    await proxy.close();
  });

  test('sign-in fails closed while Redis is unreachable, readiness reports it, then recovers', async () => {
    await eventually(
      async () => (await request(t.url, 'GET', '/health/ready')).status === 200,
      10_000,
      'ready with Redis',
    );
    const u = await register(t.url);
    assert.equal((await loginForm(t.url, u.username, u.password)).status, 200);

    await proxy.cut();
    const refused = await loginForm(t.url, u.username, u.password);
    assert.equal(refused.status, 503, 'never unlimited attempts: no counter, no sign-in');
    assert.deepEqual(refused.body, { detail: 'Service temporarily unavailable. Try again later.' });
    assert.equal(refused.headers.get('retry-after'), '5');
    const wrong = await loginForm(t.url, u.username, 'not the password');
    assert.equal(wrong.status, 503, 'a guess is not even checked');
    const ready = await request(t.url, 'GET', '/health/ready');
    assert.equal(ready.status, 503);
    assert.deepEqual(ready.body, { detail: 'Rate-limit store unavailable' });
    assert.equal((await request(t.url, 'GET', '/health')).status, 200, 'liveness is unaffected');

    await proxy.restore();
    await eventually(
      async () => (await request(t.url, 'GET', '/health/ready')).status === 200,
      10_000,
      'ready again after Redis returns',
    );
    const back = await loginForm(t.url, u.username, u.password);
    assert.equal(back.status, 200);
    assert.equal(typeof back.body.access_token, 'string');
  });
});

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
    await eventually(async () => p.count(listening) === 2, 30_000, 'two workers listening');
    const pids = [...p.output().matchAll(/"workerPid":(\d+),"msg":"worker listening"/g)].map((m) =>
      Number(m[1]),
    );
    assert.equal(pids.length, 2);
    assert.equal((await request(p.url, 'GET', '/health')).status, 200);

    process.kill(pids[0]!, 'SIGKILL');
    await p.waitForOutput(/worker died; replacing it/);
    await eventually(async () => p.count(listening) === 3, 30_000, 'a replacement worker');
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
