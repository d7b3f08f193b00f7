// S5 throttling, S13 generic errors, S14 redaction, S15 headers and CORS, R14 bad input,
// R12 database down, health and OpenAPI surface.
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { buildApp } from '../../src/app.js';
import { createDatabase } from '../../src/db/client.js';
import { startTestApp, testConfig, type TestApp } from '../helpers/app.js';
import { newUser, register } from '../helpers/factories.js';
import { normalised, request } from '../helpers/http.js';
import { invalid, userBody } from '../helpers/normalise.js';

/** The 429 of sign-in throttling (per account or per address alike). */
const WRONG_PASSWORD = { detail: 'Invalid username or password' };
const THROTTLED = { detail: 'Too many login attempts. Try again later.' };
/** A body that is no JSON (or none with a JSON content type). */
const NOT_JSON = invalid({ loc: ['body'], msg: 'JSON decode error', type: 'json_invalid' });

let t: TestApp;
before(async () => {
  t = await startTestApp({ CORS_ORIGINS: 'https://app.example.com', BODY_LIMIT: '16384' });
});
after(async () => {
  await t.close();
});

describe('S5: login throttling (rate limits on)', () => {
  let limited: TestApp;
  before(async () => {
    limited = await startTestApp({
      RATE_LIMIT_ENABLED: 'true',
      LOGIN_RATE_PER_ACCOUNT: '3',
      LOGIN_RATE_PER_IP: '8',
      LOGIN_RATE_WINDOW: '60',
      REGISTER_RATE_PER_IP: '1000',
    });
  });
  after(async () => {
    await limited.close();
  });
  const attempt = (username: string, password: string) =>
    request(limited.url, 'POST', '/api/v1/jwt/login/', { form: { username, password } });

  test('per account: after 3 failures even the right password gets 429 with Retry-After', async () => {
    const u = await register(limited.url);
    for (let i = 0; i < 3; i++) {
      const res = await attempt(u.username, 'wrong password ' + i);
      assert.deepEqual([res.status, res.body], [401, WRONG_PASSWORD]);
    }
    const blocked = await attempt(u.username.toUpperCase(), u.password);
    assert.deepEqual([blocked.status, blocked.body], [429, THROTTLED]);
    const retryAfter = Number(blocked.headers.get('retry-after'));
    assert.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After ${retryAfter}`);
  });

  test('per client address: many accounts from one address are cut off', async () => {
    // The address budget is 8 attempts per window; the previous test used 4 (every attempt
    // counts, the refused one too). Each name is new, so no account's own limit is reached.
    const results = [];
    for (let i = 0; i < 6; i++) {
      const res = await attempt(`nobody_${i}_${Date.now()}`, 'whatever password');
      results.push([res.status, res.body]);
    }
    const wrong = [401, WRONG_PASSWORD];
    assert.deepEqual(results, [wrong, wrong, wrong, wrong, [429, THROTTLED], [429, THROTTLED]]);
  });
});

describe('S5/S12: registration is rate limited per address', () => {
  let limited: TestApp;
  before(async () => {
    limited = await startTestApp({ RATE_LIMIT_ENABLED: 'true', REGISTER_RATE_PER_IP: '2' });
  });
  after(async () => {
    await limited.close();
  });
  test('third registration from one address in the window: 429', async () => {
    const s = [];
    for (let i = 0; i < 3; i++) {
      s.push((await request(limited.url, 'POST', '/api/v1/users/', { json: newUser() })).status);
    }
    assert.deepEqual(s, [201, 201, 429]);
  });
});

describe('S15: security headers and CORS allow-list', () => {
  test('helmet headers on API responses', async () => {
    const res = await request(t.url, 'GET', '/health');
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(res.headers.get('x-frame-options'), 'SAMEORIGIN');
    assert.ok(res.headers.get('content-security-policy'));
    assert.ok(res.headers.get('strict-transport-security'));
    assert.equal(res.headers.get('x-powered-by'), null);
    assert.ok(res.headers.get('x-request-id'));
  });
  test('an allowed origin gets CORS headers; another does not', async () => {
    const ok = await request(t.url, 'GET', '/health', {
      headers: { origin: 'https://app.example.com' },
    });
    assert.equal(ok.headers.get('access-control-allow-origin'), 'https://app.example.com');
    const evil = await request(t.url, 'GET', '/health', {
      headers: { origin: 'https://evil.example' },
    });
    assert.equal(evil.headers.get('access-control-allow-origin'), null);
    const preflight = await request(t.url, 'OPTIONS', '/api/v1/users/', {
      headers: { origin: 'https://app.example.com', 'access-control-request-method': 'POST' },
    });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers.get('access-control-allow-origin'), 'https://app.example.com');
  });
});

describe('R14: bad input is a 4xx with the standard body, never a 5xx', () => {
  const post = (raw: string | Buffer, contentType: string, path = '/api/v1/users/') =>
    request(t.url, 'POST', path, { raw, headers: { 'content-type': contentType } });

  test('malformed JSON: 422 json_invalid', async () => {
    const res = await post('{"username": "abc",', 'application/json');
    assert.deepEqual([res.status, res.body], [422, NOT_JSON]);
  });
  test('empty JSON body: 422', async () => {
    const res = await post('', 'application/json');
    assert.deepEqual([res.status, res.body], [422, NOT_JSON]);
  });
  test('JSON that is not an object: 422', async () => {
    for (const raw of ['[]', '"text"', '42', 'null']) {
      const res = await post(raw, 'application/json');
      assert.deepEqual(
        [res.status, res.body],
        [422, invalid({ loc: ['body'], msg: 'must be object', type: 'type_error' })],
        raw,
      );
    }
  });
  test('wrong content type: 415 with detail', async () => {
    const res = await post('username=a', 'text/plain');
    assert.deepEqual([res.status, res.body], [415, { detail: 'Unsupported media type' }]);
  });
  test('oversize body: 413 with detail', async () => {
    const res = await post(
      JSON.stringify({ ...newUser(), username: 'x'.repeat(20_000) }),
      'application/json',
    );
    assert.deepEqual([res.status, res.body], [413, { detail: 'Request body is too large' }]);
  });
  test('deeply nested JSON: 422, the standard body', async () => {
    const deep = '{"username":' + '['.repeat(5000) + ']'.repeat(5000) + '}';
    const res = await post(deep, 'application/json');
    // Parsed whole (no stack overflow, no 500): the nested lists are no username.
    const missing = (field: string) => ({
      loc: ['body', field],
      msg: 'Field required',
      type: 'missing',
    });
    assert.deepEqual(
      [res.status, res.body],
      [
        422,
        invalid(missing('email'), missing('password'), missing('password_confirm'), {
          loc: ['body', 'username'],
          msg: 'must be string',
          type: 'type_error',
        }),
      ],
      res.text,
    );
  });
  test('invalid UTF-8 bytes: 422 on the field that holds them, never 5xx', async () => {
    const body = Buffer.concat([
      Buffer.from('{"username":"bad'),
      Buffer.from([0xff, 0xfe, 0xc3]),
      Buffer.from(
        `","email":"u${Date.now()}@example.com","password":"a fine passphrase","password_confirm":"a fine passphrase"}`,
      ),
    ]);
    const res = await post(body, 'application/json; charset=utf-8');
    assert.deepEqual(
      [res.status, res.body],
      [
        422,
        invalid({ loc: ['body', 'username'], msg: 'is not valid UTF-8', type: 'utf8_invalid' }),
      ],
      res.text,
    );
  });
  test('wrong types: 422 naming the field', async () => {
    const res = await request(t.url, 'POST', '/api/v1/users/', {
      json: { ...newUser(), email: { $ne: null } },
    });
    assert.deepEqual(
      [res.status, res.body],
      [422, invalid({ loc: ['body', 'email'], msg: 'must be string', type: 'type_error' })],
    );
  });
  test('SQL, HTML and emoji in every field are stored as data, not executed', async () => {
    const sqlish = `x'); DROP TABLE users;--`;
    // Issue 12 (S21): a username is limited to a safe set, so such a name is a 422 ...
    const named = await request(t.url, 'POST', '/api/v1/users/', {
      json: newUser({ username: `<b>🚀${sqlish}`.slice(0, 50) }),
    });
    assert.deepEqual(
      [named.status, named.body],
      [
        422,
        invalid({
          loc: ['body', 'username'],
          msg: 'A username may contain only letters, digits, ".", "_" and "-"',
          type: 'value_error.username',
        }),
      ],
    );
    // ... while a password takes any characters (S2): stored (hashed) and checked as data.
    const password = `<b>🚀${sqlish}`;
    const body = newUser({ password, password_confirm: password });
    const res = await request<{ id: number }>(t.url, 'POST', '/api/v1/users/', { json: body });
    assert.equal(res.status, 201, res.text);
    assert.deepEqual(normalised(res.body, []), userBody({ ...body, id: res.body.id }));
    const own = await request(t.url, 'POST', '/api/v1/jwt/login/', {
      form: { username: body.username, password },
    });
    assert.equal(own.status, 200);
    const login = await request(t.url, 'POST', '/api/v1/jwt/login/', {
      form: { username: `' OR '1'='1`, password: `' OR '1'='1` },
    });
    assert.deepEqual([login.status, login.body], [401, WRONG_PASSWORD]);
    const still = await t.database.pool.query<{ n: string }>('SELECT count(*) AS n FROM users');
    assert.ok(Number(still.rows[0]!.n) > 0, 'the users table is still there');
  });
  test('unknown route: 404 with detail', async () => {
    const res = await request(t.url, 'GET', '/api/v1/nothing-here');
    assert.deepEqual([res.status, res.body], [404, { detail: 'Not Found' }]);
  });
  test('wrong method: 405 naming the methods the path has', async () => {
    const res = await request(t.url, 'DELETE', '/api/v1/jwt/login/');
    assert.deepEqual([res.status, res.body], [405, { detail: 'Method Not Allowed' }]);
    assert.equal(res.headers.get('allow'), 'POST');
  });
});

describe('S13/S14: errors leak nothing; secrets never logged', () => {
  test('a login and a failure leave no password, token or DB password in the logs', async () => {
    const secretPw = 'very secret passphrase 42';
    const u = await register(t.url, { password: secretPw, password_confirm: secretPw });
    const ok = await request(t.url, 'POST', '/api/v1/jwt/login/', {
      form: { username: u.username, password: secretPw },
    });
    const access = ok.body.access_token as string;
    await request(t.url, 'GET', '/api/v1/jwt/users/me/', { token: access });
    await request(t.url, 'POST', '/api/v1/jwt/refresh/', {
      token: ok.body.refresh_token as string,
    });
    const logs = t.logs();
    assert.ok(logs.length > 0, 'the app logged requests');
    assert.ok(!logs.includes(secretPw));
    assert.ok(!logs.includes(access.split('.')[2]!));
    assert.ok(!logs.includes((ok.body.refresh_token as string).split('.')[2]!));
  });
});

describe('R12 / health: database down', () => {
  test('/health is 200; /health/ready and DB-backed routes are 503 with a safe detail; back when it returns', async () => {
    // A TCP proxy in front of PostgreSQL that we can cut.
    let up = true;
    const sockets = new Set<net.Socket>();
    const proxy = net.createServer((client) => {
      if (!up) {
        client.destroy();
        return;
      }
      const server = net.connect(5432, '127.0.0.1');
      sockets.add(client).add(server);
      client.pipe(server).pipe(client);
      const end = () => {
        client.destroy();
        server.destroy();
      };
      client.on('error', end).on('close', end);
      server.on('error', end).on('close', end);
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    const port = (proxy.address() as net.AddressInfo).port;
    const url = new URL(t.testDb.url);
    url.port = String(port);
    const config = testConfig(url.toString());
    const database = createDatabase(url.toString(), 4);
    const app = await buildApp(config, { database, logStream: { write: () => true } });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const base = `http://127.0.0.1:${(app.server.address() as net.AddressInfo).port}`;
    try {
      assert.equal((await request(base, 'GET', '/health/ready')).status, 200);
      up = false;
      for (const s of sockets) {
        s.destroy();
      }
      const live = await request(base, 'GET', '/health');
      assert.deepEqual([live.status, live.body], [200, { status: 'ok' }]);
      const ready = await request(base, 'GET', '/health/ready');
      assert.equal(ready.status, 503);
      assert.deepEqual(ready.body, { detail: 'Database unavailable' });
      const reg = await request(base, 'POST', '/api/v1/users/', { json: newUser() });
      assert.equal(reg.status, 503);
      assert.deepEqual(reg.body, { detail: 'Service temporarily unavailable' });
      up = true;
      assert.equal(
        (await request(base, 'GET', '/health/ready')).status,
        200,
        'recovers without a restart',
      );
      assert.equal(
        (await request(base, 'POST', '/api/v1/users/', { json: newUser() })).status,
        201,
      );
    } finally {
      await app.close();
      await database.close();
      for (const s of sockets) {
        s.destroy();
      }
      proxy.close();
    }
  });
});

describe('OpenAPI and docs', () => {
  test('/openapi.json lists the v1 routes and the OAuth2 password flow; /docs serves Swagger UI', async () => {
    const res = await request<{
      paths: Record<string, unknown>;
      components: {
        securitySchemes: Record<
          string,
          { type: string; flows?: { password?: { tokenUrl: string } } }
        >;
      };
    }>(t.url, 'GET', '/openapi.json');
    assert.equal(res.status, 200);
    for (const p of [
      '/api/v1/users/',
      '/api/v1/jwt/login/',
      '/api/v1/jwt/refresh/',
      '/api/v1/jwt/users/me/',
      '/api/v1/jwt/logout/',
    ]) {
      assert.ok(res.body.paths[p], p);
    }
    assert.deepEqual(res.body.components.securitySchemes.OAuth2PasswordBearer, {
      type: 'oauth2',
      flows: { password: { tokenUrl: '/api/v1/jwt/login/', scopes: {} } },
    });
    const docs = await request(t.url, 'GET', '/docs');
    assert.equal(docs.status, 200);
    assert.match(docs.text, /swagger/i);
  });
});
