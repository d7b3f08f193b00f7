// R18: when Redis is unreachable sign-in fails closed (503) and readiness says so; it
// recovers without a restart.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { redisTestPrefix, TEST_REDIS_URL } from '../helpers/api-process.js';
import { register } from '../helpers/factories.js';
import { normalised, request } from '../helpers/http.js';
import { TOKEN_PAIR } from '../helpers/normalise.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';
import { eventually } from '../helpers/worker.js';

const loginForm = (base: string, username: string, password: string) =>
  request(base, 'POST', '/api/v1/jwt/login/', { form: { username, password } });

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
    const ok = await loginForm(t.url, u.username, u.password);
    assert.deepEqual([ok.status, normalised(ok.body)], [200, TOKEN_PAIR]);

    await proxy.cut();
    const refused = await loginForm(t.url, u.username, u.password);
    assert.equal(refused.status, 503, 'never unlimited attempts: no counter, no sign-in');
    assert.deepEqual(refused.body, { detail: 'Service temporarily unavailable. Try again later.' });
    assert.equal(refused.headers.get('retry-after'), '5');
    const wrong = await loginForm(t.url, u.username, 'not the password');
    assert.deepEqual(
      [wrong.status, wrong.body],
      [503, { detail: 'Service temporarily unavailable. Try again later.' }],
      'a guess is not even checked',
    );
    const ready = await request(t.url, 'GET', '/health/ready');
    assert.equal(ready.status, 503);
    assert.deepEqual(ready.body, { detail: 'Rate-limit store unavailable' });
    const live = await request(t.url, 'GET', '/health');
    assert.deepEqual([live.status, live.body], [200, { status: 'ok' }], 'liveness is unaffected');

    await proxy.restore();
    await eventually(
      async () => (await request(t.url, 'GET', '/health/ready')).status === 200,
      10_000,
      'ready again after Redis returns',
    );
    const back = await loginForm(t.url, u.username, u.password);
    assert.deepEqual([back.status, normalised(back.body)], [200, TOKEN_PAIR]);
  });
});
