// R14: every class of bad input of issue 11 is a 4xx with the standard body, and what is
// stored is what was sent. One mechanism (src/plugins/hardening.ts) covers every route, so
// these tests try each class on the v1 routes and on the routes added since.
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { encodeCursor } from '../../src/lib/pagination.js';
import { httpForSqlState } from '../../src/lib/sqlstate.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { newUser, register } from '../helpers/factories.js';
import { request, type Res } from '../helpers/http.js';
import { makeProject, makeUser, type Actor } from '../helpers/projects.js';

let t: TestApp;
let admin: Actor;
let projectId: number;
before(async () => {
  t = await startTestApp();
  admin = await makeUser(t, { superuser: true });
  projectId = (await makeProject(t, admin, { status: 'recruiting' })).id;
});
after(async () => {
  await t.close();
});

type ErrorBody = { detail: string; errors?: { loc: (string | number)[]; type: string }[] };

function assertStandard(res: Res<ErrorBody>, status: number, loc?: (string | number)[]) {
  assert.equal(res.status, status, res.text);
  assert.equal(typeof res.body.detail, 'string', res.text);
  assert.deepEqual(
    Object.keys(res.body).filter((k) => k !== 'detail' && k !== 'errors'),
    [],
    res.text,
  );
  if (loc !== undefined) {
    assert.ok(
      res.body.errors?.some((e) => JSON.stringify(e.loc) === JSON.stringify(loc)),
      `expected an error at ${JSON.stringify(loc)}: ${res.text}`,
    );
  }
}

const json = (method: string, path: string, body: unknown, token = admin.token) =>
  request<ErrorBody>(t.url, method, path, { json: body, token });
const rawBody = (path: string, raw: string | Buffer, contentType: string, token?: string) =>
  request<ErrorBody>(t.url, 'POST', path, {
    raw,
    headers: { 'content-type': contentType },
    ...(token ? { token } : {}),
  });

/** One raw HTTP/1.1 exchange, for requests fetch refuses to send. */
function rawHttp(text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(new URL(t.url).port), '127.0.0.1', () => socket.write(text));
    let out = '';
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => {
      out += d;
      const head = out.indexOf('\r\n\r\n');
      const len = /content-length: (\d+)/i.exec(out);
      if (head !== -1 && len && out.length >= head + 4 + Number(len[1])) {
        socket.destroy();
        resolve(out);
      }
    });
    socket.on('close', () => resolve(out));
    socket.on('error', reject);
  });
}

function parseRaw(text: string): { status: number; body: ErrorBody; text: string } {
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1]);
  const body = JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4)) as ErrorBody;
  return { status, body, text };
}

describe('R14: control characters, surrogates and invalid UTF-8 are 422 naming the field', () => {
  test('R14: NUL in the v1 sign-in form (username=ali%00ce) is 422 on body.username', async () => {
    const res = await rawBody(
      '/api/v1/jwt/login/',
      'username=ali%00ce&password=whatever',
      'application/x-www-form-urlencoded',
    );
    assertStandard(res, 422, ['body', 'username']);
    assert.equal(res.body.errors![0]!.type, 'string_control_character');
  });

  test('R14: NUL, ESC and DEL in v1 registration and in a project title are 422', async () => {
    for (const bad of ['ali\u0000ce', 'ali\u001bce', 'ali\u007fce', 'ali\tce', 'ali\nce']) {
      assertStandard(await json('POST', '/api/v1/users/', newUser({ username: bad })), 422, [
        'body',
        'username',
      ]);
      assertStandard(await json('POST', '/api/v1/projects/', { title: bad }), 422, [
        'body',
        'title',
      ]);
    }
  });

  test('R14: tab and line breaks are kept in a multi-line field; NUL is not', async () => {
    const description = 'Line one\n\tindented\r\nline three 🚀 <b>&amp;</b>';
    const created = await json('POST', '/api/v1/projects/', { title: 'Multi-line', description });
    assert.equal(created.status, 201, created.text);
    const id = (created.body as unknown as { id: number }).id;
    const read = await request<{ description: string }>(t.url, 'GET', `/api/v1/projects/${id}`, {
      token: admin.token,
    });
    assert.equal(read.body.description, description, 'stored exactly as sent');
    assertStandard(
      await json('PATCH', `/api/v1/projects/${id}`, { description: 'a\u0000b' }),
      422,
      ['body', 'description'],
    );
  });

  test('R14: a lone surrogate is 422; a pair (an emoji) is stored as sent', async () => {
    const lone = await rawBody(
      '/api/v1/users/',
      JSON.stringify(newUser()).replace('"username":"user_', '"username":"\\ud800user_'),
      'application/json',
    );
    assertStandard(lone, 422, ['body', 'username']);
    assert.equal(lone.body.errors![0]!.type, 'string_unpaired_surrogate');
    const low = await json('POST', '/api/v1/projects/', { title: 'x\udc00y' });
    assertStandard(low, 422, ['body', 'title']);
    const pair = await json('POST', '/api/v1/projects/', { title: 'Sail \ud83d\udea2' });
    assert.equal(pair.status, 201);
    assert.equal((pair.body as unknown as { title: string }).title, 'Sail 🚢');
  });

  test('R14: invalid UTF-8 inside JSON is 422 on the field, not turned into U+FFFD', async () => {
    const body = Buffer.concat([
      Buffer.from('{"username":"bad'),
      Buffer.from([0xff, 0xfe]),
      Buffer.from(`","email":"u${Date.now()}@example.com","password":"a fine passphrase",`),
      Buffer.from('"password_confirm":"a fine passphrase"}'),
    ]);
    const res = await rawBody('/api/v1/users/', body, 'application/json; charset=utf-8');
    assertStandard(res, 422, ['body', 'username']);
    assert.equal(res.body.errors![0]!.type, 'utf8_invalid');
    const users = await t.database.pool.query("SELECT 1 FROM users WHERE username LIKE 'bad%'");
    assert.equal(users.rowCount, 0);
  });

  test('R14: invalid UTF-8 in the form, in a query string and CESU surrogates are 422', async () => {
    assertStandard(
      await rawBody(
        '/api/v1/jwt/login/',
        'username=ali%FFce&password=x',
        'application/x-www-form-urlencoded',
      ),
      422,
      ['body', 'username'],
    );
    assertStandard(await request<ErrorBody>(t.url, 'GET', '/api/v1/projects/?q=abc%FF'), 422, [
      'query',
      'q',
    ]);
    assertStandard(
      await request<ErrorBody>(t.url, 'GET', '/api/v1/projects/?q=abc%ED%A0%80'),
      422,
      ['query', 'q'],
    );
    assertStandard(await request<ErrorBody>(t.url, 'GET', '/api/v1/projects/?q=abc%00'), 422, [
      'query',
      'q',
    ]);
  });
});

describe('R14: JSON bodies are taken as sent, without coercion', () => {
  test('R14: a number or a boolean is not a title; a scalar is not a list of tags', async () => {
    for (const [field, value] of [
      ['title', 9007199254740992],
      ['title', true],
      ['tags', -1],
      ['tags', 'typescript'],
      ['developer_slots', ' \t\n'],
      ['developer_slots', '0x1'],
      ['developer_slots', '1'],
      ['developer_slots', 1.5],
      ['repository_url', ''],
      ['starts_on', ''],
      ['starts_on', '2026-13-45'],
    ] as const) {
      const res = await json('POST', '/api/v1/projects/', { title: 'Coercion', [field]: value });
      assertStandard(res, 422, ['body', field]);
    }
  });

  test('R14: 1e309 (Infinity after JSON.parse) and 2^53+1 are not integers', async () => {
    for (const raw of ['1e309', '-1e309', '9007199254740993']) {
      const res = await rawBody(
        '/api/v1/projects/',
        `{"title":"Big","developer_slots":${raw}}`,
        'application/json',
        admin.token,
      );
      assertStandard(res, 422, ['body', 'developer_slots']);
      const appoint = await rawBody(
        `/api/v1/projects/${projectId}/members`,
        `{"user_id":${raw},"role":"mentor"}`,
        'application/json',
        admin.token,
      );
      assertStandard(appoint, 422, ['body', 'user_id']);
    }
  });

  test('R14: "true", 1 and 1.0 are not booleans (admin update of a user)', async () => {
    const u = await register(t.url);
    for (const raw of ['"true"', '1', '1.0', '"1"', 'null']) {
      const res = await request<ErrorBody>(t.url, 'PATCH', `/api/v1/users/${u.id}`, {
        raw: `{"is_superuser":${raw}}`,
        headers: { 'content-type': 'application/json' },
        token: admin.token,
      });
      assertStandard(res, 422, ['body', 'is_superuser']);
    }
    const row = await t.database.pool.query<{ is_superuser: boolean }>(
      'SELECT is_superuser FROM users WHERE id = $1',
      [u.id],
    );
    assert.equal(row.rows[0]!.is_superuser, false);
  });
});

describe('R14: path and query integers are canonical decimals within the column', () => {
  const notCanonical = ['0x1', '1e0', '%201', '1%20', '0001', '+1', '1.0', 'Infinity', '1e309'];

  test('R14: /projects/{id} takes 1, refuses 0x1, 1e0, " 1", 0001, Infinity, 2^31, 2^63', async () => {
    assert.equal((await request(t.url, 'GET', `/api/v1/projects/${projectId}`)).status, 200);
    for (const id of [...notCanonical, '2147483648', '9223372036854775808', '-1', '0']) {
      assertStandard(await request<ErrorBody>(t.url, 'GET', `/api/v1/projects/${id}`), 422, [
        'params',
        'id',
      ]);
    }
  });

  test('R14: two path parameters (members/{user_id}) and limit are checked alike', async () => {
    for (const v of notCanonical) {
      const res = await request<ErrorBody>(
        t.url,
        'DELETE',
        `/api/v1/projects/${projectId}/members/${v}`,
        { token: admin.token },
      );
      assertStandard(res, 422, ['params', 'user_id']);
      assertStandard(await request<ErrorBody>(t.url, 'GET', `/api/v1/projects/?limit=${v}`), 422, [
        'query',
        'limit',
      ]);
    }
    assertStandard(await request<ErrorBody>(t.url, 'GET', '/api/v1/projects/?limit='), 422, [
      'query',
      'limit',
    ]);
    assertStandard(
      await request<ErrorBody>(t.url, 'GET', '/api/v1/projects/?limit=1&limit=2'),
      422,
      ['query', 'limit'],
    );
    assert.equal((await request(t.url, 'GET', '/api/v1/projects/?limit=5')).status, 200);
  });

  test('R14: query booleans are "true" or "false" only', async () => {
    for (const v of ['1', 'yes', 'TRUE', '']) {
      const res = await request<ErrorBody>(t.url, 'GET', `/api/v1/users/?is_active=${v}`, {
        token: admin.token,
      });
      assertStandard(res, 422, ['query', 'is_active']);
    }
    assert.equal(
      (await request(t.url, 'GET', '/api/v1/users/?is_active=true', { token: admin.token })).status,
      200,
    );
  });
});

describe('R14: cursors are validated like any other input', () => {
  test('R14: a cursor id of 2^31 or more on the public project list is 422, not 500', async () => {
    for (const id of [2 ** 31, 2 ** 53, -5]) {
      const cursor = encodeCursor({ o: 'id:desc', k: id, id });
      const res = await request<ErrorBody>(t.url, 'GET', `/api/v1/projects/?cursor=${cursor}`);
      assertStandard(res, 422, ['query', 'cursor']);
    }
  });

  test('R14: a cursor timestamp 2026-13-45 on the user list (order created_at) is 422', async () => {
    const first = await request<{ next_cursor: string }>(
      t.url,
      'GET',
      '/api/v1/users/?order_by=created_at&limit=1',
      { token: admin.token },
    );
    const decoded = JSON.parse(Buffer.from(first.body.next_cursor, 'base64url').toString()) as {
      o: string;
    };
    for (const k of ['2026-13-45T10:00:00.000000Z', '2026-02-30T10:00:00Z', 'yesterday', 42]) {
      const cursor = encodeCursor({ o: decoded.o, k, id: 1 });
      const res = await request<ErrorBody>(
        t.url,
        'GET',
        `/api/v1/users/?order_by=created_at&cursor=${cursor}`,
        { token: admin.token },
      );
      assertStandard(res, 422, ['query', 'cursor']);
    }
    const next = await request(
      t.url,
      'GET',
      `/api/v1/users/?order_by=created_at&limit=1&cursor=${first.body.next_cursor}`,
      { token: admin.token },
    );
    assert.equal(next.status, 200, 'a real cursor still works');
  });
});

describe('R14: each route takes exactly the content types its document lists', () => {
  test('R14: v1 registration is JSON only: a form body is 415', async () => {
    const res = await request<ErrorBody>(t.url, 'POST', '/api/v1/users/', { form: newUser() });
    assertStandard(res, 415);
  });
  test('R14: v1 sign-in is the OAuth2 form only: a JSON body is 415', async () => {
    const u = await register(t.url);
    const res = await request<ErrorBody>(t.url, 'POST', '/api/v1/jwt/login/', {
      json: { username: u.username, password: u.password },
    });
    assertStandard(res, 415);
    const ok = await request(t.url, 'POST', '/api/v1/jwt/login/', {
      form: { username: u.username, password: u.password },
      headers: { 'content-type': 'application/x-www-form-urlencoded; charset=UTF-8' },
    });
    assert.equal(ok.status, 200);
  });
  test('R14: another charset, text/plain, a body without a type: 415', async () => {
    const body = JSON.stringify({ title: 'Charset' });
    for (const type of ['application/json; charset=iso-8859-1', 'text/plain', 'application/xml']) {
      assertStandard(await rawBody('/api/v1/projects/', body, type, admin.token), 415);
    }
    const none = await request<ErrorBody>(t.url, 'POST', '/api/v1/projects/', {
      raw: body,
      token: admin.token,
      headers: { 'content-type': '' },
    });
    assert.deepEqual([none.status, none.body], [415, { detail: 'Unsupported media type' }]);
  });
  test('R14: a route without a body still accepts {} or an empty JSON body (v1 refresh)', async () => {
    const u = await register(t.url);
    const tokens = await request<{ refresh_token: string }>(t.url, 'POST', '/api/v1/jwt/login/', {
      form: { username: u.username, password: u.password },
    });
    const res = await request<{ refresh_token: string }>(t.url, 'POST', '/api/v1/jwt/refresh/', {
      json: {},
      token: tokens.body.refresh_token,
    });
    assert.equal(res.status, 200);
    const empty = await request(t.url, 'POST', '/api/v1/jwt/refresh/', {
      raw: '',
      headers: { 'content-type': 'application/json' },
      token: res.body.refresh_token,
    });
    assert.equal(empty.status, 200, 'an empty body with a JSON content type is no body');
  });
});

describe('R14: 405 with Allow; literal segments never fall into a parameter route', () => {
  test('R14: a known path with another method is 405 naming the methods', async () => {
    const login = await request<ErrorBody>(t.url, 'DELETE', '/api/v1/jwt/login/');
    assertStandard(login, 405);
    assert.equal(login.headers.get('allow'), 'POST');
    const project = await request<ErrorBody>(t.url, 'PUT', `/api/v1/projects/${projectId}`);
    assertStandard(project, 405);
    assert.equal(project.headers.get('allow'), 'DELETE, GET, HEAD, PATCH');
    const me = await request<ErrorBody>(t.url, 'PUT', '/api/v1/jwt/users/me');
    assert.equal(me.headers.get('allow'), 'GET, HEAD');
  });
  test('R14: /users/verify-email is never taken as /users/{id}; /users/me/restore is 404', async () => {
    const get = await request<ErrorBody>(t.url, 'GET', '/api/v1/users/verify-email', {
      token: admin.token,
    });
    assertStandard(get, 405);
    assert.equal(get.headers.get('allow'), 'POST');
    const restore = await request<ErrorBody>(t.url, 'POST', '/api/v1/users/me/restore', {
      token: admin.token,
    });
    assertStandard(restore, 404);
    const unknown = await request<ErrorBody>(t.url, 'GET', '/api/v1/nothing/1');
    assertStandard(unknown, 404);
  });
});

describe('R14: errors the framework or Node answers itself carry the standard body', () => {
  const MARK = 'ECHO_ME_NOT';
  test('R14: bad percent-encoding in a path: 400, the URL is not echoed', async () => {
    const res = await request<ErrorBody>(t.url, 'GET', `/api/v1/projects/%ZZ${MARK}`);
    assertStandard(res, 400);
    assert.ok(!res.text.includes(MARK));
  });
  test('R14: a path parameter over 200 characters: 414 without echo', async () => {
    const res = await request<ErrorBody>(t.url, 'GET', `/api/v1/projects/${MARK.repeat(40)}`);
    assertStandard(res, 414);
    assert.ok(!res.text.includes(MARK));
  });
  test('R14: a header or a URL over the limit: 431 with the standard body', async () => {
    const header = await request<ErrorBody>(t.url, 'GET', '/health', {
      headers: { 'x-filler': MARK.repeat(3000) },
    });
    assertStandard(header, 431);
    const url = await request<ErrorBody>(t.url, 'GET', `/health?x=${MARK.repeat(3000)}`);
    assertStandard(url, 431);
    assert.ok(!url.text.includes(MARK));
  });
  test('R14: an unknown method and a missing Host: 400 with the standard body', async () => {
    const unknown = parseRaw(await rawHttp(`FOO${MARK} / HTTP/1.1\r\nHost: x\r\n\r\n`));
    assert.equal(unknown.status, 400);
    assert.deepEqual(unknown.body, { detail: 'Unknown method' });
    const noHost = parseRaw(await rawHttp('GET /health HTTP/1.1\r\nConnection: close\r\n\r\n'));
    assert.equal(noHost.status, 400);
    assert.deepEqual(noHost.body, { detail: 'Missing Host header' });
    const propfind = parseRaw(
      await rawHttp('PROPFIND /api/v1/users/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'),
    );
    assert.equal(propfind.status, 405);
    assert.match(propfind.text, /\r\nallow: GET, HEAD, POST\r\n/i);
  });
  test('R14: an oversize JSON body and deep nesting stay 413 / 422', async () => {
    const deep = '{"title":' + '['.repeat(10_000) + ']'.repeat(10_000) + '}';
    const res = await rawBody('/api/v1/projects/', deep, 'application/json', admin.token);
    // Under the body limit, so the depth rule answers (a 413 would mean the limit shrank).
    assertStandard(res, 422);
  });
});

describe('R14: database errors that input can still provoke map to 4xx by SQLSTATE', () => {
  test('R14: 22021 (NUL), 22P02, 22003, 22008 and 23505 from real PostgreSQL errors', async () => {
    const pool = t.database.pool;
    const errorOf = async (sql: string, params: unknown[]) => {
      try {
        await pool.query(sql, params);
      } catch (err) {
        return err;
      }
      assert.fail(`no error from ${sql}`);
    };
    const nul = await errorOf('SELECT $1::text', ['a\u0000b']);
    assert.equal((nul as { code: string }).code, '22021');
    assert.equal(httpForSqlState(nul)?.status, 422);
    assert.equal(httpForSqlState(await errorOf('SELECT $1::int', ['0x1']))?.status, 422);
    assert.equal(httpForSqlState(await errorOf('SELECT $1::int', ['2147483648']))?.status, 422);
    assert.equal(
      httpForSqlState(await errorOf('SELECT $1::timestamptz', ['2026-13-45']))?.status,
      422,
    );
    const u = await register(t.url);
    const dup = await errorOf(
      `INSERT INTO users (username, email, password_hash) VALUES ($1, $2, 'x')`,
      [u.username, `${u.email}.other`],
    );
    assert.deepEqual(httpForSqlState(dup), {
      status: 409,
      detail: 'A record with this value already exists',
    });
    assert.equal(httpForSqlState(new Error('not a database error')), undefined);
  });
});
