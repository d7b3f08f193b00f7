// R18: several API processes keep one set of limits: the counters are in Redis.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { redisTestPrefix, startApiProcess, TEST_REDIS_URL } from '../helpers/api-process.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { register } from '../helpers/factories.js';
import { request } from '../helpers/http.js';
import { readyBody } from '../helpers/normalise.js';

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
      assert.deepEqual([ready.status, ready.body], [200, readyBody({ rate_limit_store: 'redis' })]);
    }
    const u = await register(a.url);
    // Three failures spread over both processes: with per-process counters each would
    // have seen at most two, under the limit of three.
    for (const [p, n] of [
      [a, 1],
      [b, 2],
      [a, 3],
    ] as const) {
      const wrong = await loginForm(p.url, u.username, `wrong password ${n}`);
      assert.deepEqual(
        [wrong.status, wrong.body],
        [401, { detail: 'Invalid username or password' }],
      );
    }
    for (const p of [b, a]) {
      const locked = await loginForm(p.url, u.username, u.password);
      assert.deepEqual(
        [locked.status, locked.body],
        [429, { detail: 'Too many login attempts. Try again later.' }],
        'the right password is refused too while locked',
      );
      const retry = Number(locked.headers.get('retry-after'));
      assert.ok(retry > 800 && retry <= 900, `Retry-After within the 15 min window: ${retry}`);
    }
  });
});
