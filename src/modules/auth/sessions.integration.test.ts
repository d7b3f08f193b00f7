// Issue 12: the sessions a user can see and end (S23), access tokens refused at once after
// every revocation, in this process and in another one (S20), RFC 6750 challenges (S24).
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { decodeJwt, decodeProtectedHeader, SignJWT } from 'jose';
import { buildApp } from '../../app.js';
import { createDatabase, type Database } from '../../db/client.js';
import { startApiProcess } from '../../../test/helpers/api-process.js';
import { startTestApp, testKeyPaths, type TestApp } from '../../../test/helpers/app.js';
import { login, register, type Registered } from '../../../test/helpers/factories.js';
import { normalised, request } from '../../../test/helpers/http.js';
import { invalid, userBody } from '../../../test/helpers/normalise.js';

let t: TestApp;
/** A second instance of the app on the same database: its own process-local caches. */
let other: { app: FastifyInstance; url: string; database: Database };
let admin: { id: number; token: string };

before(async () => {
  t = await startTestApp();
  const database = createDatabase(t.testDb.url, 4);
  const app = await buildApp(t.config, {
    database,
    logStream: new Writable({ write: (_c, _e, cb) => cb() }),
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  other = { app, url: `http://127.0.0.1:${port}`, database };
  const a = await register(t.url);
  await t.database.pool.query('UPDATE users SET is_superuser = true WHERE id = $1', [a.id]);
  admin = { id: a.id, token: (await login(t.url, a.username, a.password)).access_token };
});
after(async () => {
  await other.app.close();
  await other.database.close();
  await t.close();
});

interface Pair {
  access_token: string;
  refresh_token: string;
}

const CHALLENGE = {
  invalid: 'Bearer error="invalid_token", error_description="The token is not valid"',
  expired: 'Bearer error="invalid_token", error_description="The token expired"',
  revoked: 'Bearer error="invalid_token", error_description="The session was revoked"',
};

async function signIn(u: Registered, userAgent: string): Promise<Pair> {
  const res = await request<Pair>(t.url, 'POST', '/api/v1/jwt/login/', {
    form: { username: u.username, password: u.password },
    headers: { 'user-agent': userAgent },
  });
  assert.equal(res.status, 200);
  return res.body;
}

const sid = (p: Pair) => decodeJwt(p.access_token).sid as string;
const me = (base: string, token: string) =>
  request(base, 'GET', '/api/v1/jwt/users/me/', { token });

/** The token still works there: GET /jwt/users/me/ answers the user, whole. */
async function assertWorks(base: string, token: string, u: Registered) {
  const res = await me(base, token);
  assert.deepEqual([res.status, normalised(res.body, [])], [200, userBody(u)]);
}

/** 401 "Invalid token error." with the revoked-session challenge. */
async function assertRevoked(base: string, token: string) {
  const res = await me(base, token);
  assert.equal(res.status, 401);
  assert.deepEqual(res.body, { detail: 'Invalid token error.' });
  assert.equal(res.headers.get('www-authenticate'), CHALLENGE.revoked);
}

async function startedAt(familyId: string): Promise<string> {
  const { rows } = await t.database.pool.query<{ started_at: Date }>(
    'SELECT min(started_at) AS started_at FROM refresh_sessions WHERE family_id = $1',
    [familyId],
  );
  return rows[0]!.started_at.toISOString();
}

describe('S23: GET /api/v1/users/me/sessions', () => {
  test('one entry per login, newest first, the caller marked current, exact fields', async () => {
    const u = await register(t.url);
    const laptop = await signIn(u, 'Laptop/1.0');
    const phone = await signIn(u, 'Phone/2.0');
    const res = await request(t.url, 'GET', '/api/v1/users/me/sessions', {
      token: laptop.access_token,
    });
    assert.equal(res.status, 200);
    const exp = (p: Pair) => new Date(decodeJwt(p.refresh_token).exp! * 1000).toISOString();
    const entry = async (p: Pair, ua: string, current: boolean) => ({
      id: sid(p),
      created_at: await startedAt(sid(p)),
      last_used_at: await startedAt(sid(p)),
      expires_at: exp(p),
      ip: '127.0.0.1',
      user_agent: ua,
      current,
    });
    assert.deepEqual(res.body, {
      items: [await entry(phone, 'Phone/2.0', false), await entry(laptop, 'Laptop/1.0', true)],
    });
  });

  test('a refresh moves last_used_at and the client fields, keeps id and created_at', async () => {
    const u = await register(t.url);
    const first = await signIn(u, 'Old/1');
    const rotated = await request<Pair>(t.url, 'POST', '/api/v1/jwt/refresh/', {
      token: first.refresh_token,
      headers: { 'user-agent': 'New/2' },
    });
    assert.equal(rotated.status, 200);
    assert.equal(sid(rotated.body), sid(first));
    const res = await request<{ items: Record<string, unknown>[] }>(
      t.url,
      'GET',
      '/api/v1/users/me/sessions',
      { token: rotated.body.access_token },
    );
    const { rows } = await t.database.pool.query<{ last_used_at: Date }>(
      'SELECT last_used_at FROM refresh_sessions WHERE family_id = $1 AND used_at IS NULL',
      [sid(first)],
    );
    assert.deepEqual(res.body, {
      items: [
        {
          id: sid(first),
          created_at: await startedAt(sid(first)),
          last_used_at: rows[0]!.last_used_at.toISOString(),
          expires_at: new Date(decodeJwt(first.refresh_token).exp! * 1000).toISOString(),
          ip: '127.0.0.1',
          user_agent: 'New/2',
          current: true,
        },
      ],
    });
    const [item] = res.body.items;
    assert.notEqual(item?.last_used_at, item?.created_at);
  });

  test('ended logins are not listed; 401 without a token', async () => {
    const u = await register(t.url);
    const a = await signIn(u, 'A');
    const b = await signIn(u, 'B');
    await request(t.url, 'POST', '/api/v1/jwt/logout/', { token: b.refresh_token });
    const res = await request<{ items: { id: string }[] }>(
      t.url,
      'GET',
      '/api/v1/users/me/sessions',
      { token: a.access_token },
    );
    assert.deepEqual(normalised(res.body, []), {
      items: [
        {
          id: sid(a),
          created_at: '<time>',
          last_used_at: '<time>',
          expires_at: '<time>',
          ip: '127.0.0.1',
          user_agent: 'A',
          current: true,
        },
      ],
    });
    const anon = await request(t.url, 'GET', '/api/v1/users/me/sessions');
    assert.equal(anon.status, 401);
    assert.deepEqual(anon.body, { detail: 'Not authenticated' });
    assert.equal(anon.headers.get('www-authenticate'), 'Bearer');
  });
});

describe('S23: ending sessions', () => {
  test('DELETE /me/sessions/{id}: 204; that login ends here and in the other instance', async () => {
    const u = await register(t.url);
    const keep = await signIn(u, 'keep');
    const end = await signIn(u, 'end');
    // The other instance has seen the token working (and would cache it if it cached).
    await assertWorks(other.url, end.access_token, u);
    const res = await request(t.url, 'DELETE', `/api/v1/users/me/sessions/${sid(end)}`, {
      token: keep.access_token,
    });
    assert.equal(res.status, 204);
    assert.equal(res.text, '');
    await assertRevoked(t.url, end.access_token);
    await assertRevoked(other.url, end.access_token);
    const refreshed = await request(other.url, 'POST', '/api/v1/jwt/refresh/', {
      token: end.refresh_token,
    });
    assert.deepEqual([refreshed.status, refreshed.body], [401, { detail: 'Invalid token error.' }]);
    // The other login is untouched, in both instances.
    await assertWorks(t.url, keep.access_token, u);
    await assertWorks(other.url, keep.access_token, u);
  });

  test('DELETE of another user’s session, an ended one, or an unknown id is 404', async () => {
    const u = await register(t.url);
    const v = await register(t.url);
    const mine = await signIn(u, 'mine');
    const theirs = await signIn(v, 'theirs');
    const ended = await signIn(u, 'ended');
    await request(t.url, 'POST', '/api/v1/jwt/logout/', { token: ended.refresh_token });
    for (const id of [sid(theirs), sid(ended), '00000000-0000-4000-8000-000000000000']) {
      const res = await request(t.url, 'DELETE', `/api/v1/users/me/sessions/${id}`, {
        token: mine.access_token,
      });
      assert.equal(res.status, 404);
      assert.deepEqual(res.body, { detail: 'Session not found' });
    }
    await assertWorks(t.url, theirs.access_token, v);
    const bad = await request(t.url, 'DELETE', '/api/v1/users/me/sessions/not-a-uuid', {
      token: mine.access_token,
    });
    assert.deepEqual(
      [bad.status, bad.body],
      [
        422,
        invalid({
          loc: ['params', 'sessionId'],
          msg: 'must match format "uuid"',
          type: 'value_error',
        }),
      ],
    );
  });

  test('POST /me/sessions/revoke-others: {"revoked": n}; only the caller’s login lives', async () => {
    const u = await register(t.url);
    const caller = await signIn(u, 'caller');
    const others = [await signIn(u, 'x'), await signIn(u, 'y')];
    const res = await request(t.url, 'POST', '/api/v1/users/me/sessions/revoke-others', {
      token: caller.access_token,
    });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { revoked: 2 });
    for (const o of others) {
      await assertRevoked(t.url, o.access_token);
      await assertRevoked(other.url, o.access_token);
    }
    await assertWorks(other.url, caller.access_token, u);
    const list = await request<{ items: { id: string; current: boolean }[] }>(
      t.url,
      'GET',
      '/api/v1/users/me/sessions',
      { token: caller.access_token },
    );
    assert.deepEqual(normalised(list.body, []), {
      items: [
        {
          id: sid(caller),
          created_at: '<time>',
          last_used_at: '<time>',
          expires_at: '<time>',
          ip: '127.0.0.1',
          user_agent: 'caller',
          current: true,
        },
      ],
    });
  });

  test('superuser: list, end one, end all; others get 403, unknown users 404', async () => {
    const u = await register(t.url);
    const a = await signIn(u, 'a');
    const b = await signIn(u, 'b');
    const list = await request<{ items: { id: string; current: boolean }[] }>(
      t.url,
      'GET',
      `/api/v1/users/${u.id}/sessions`,
      { token: admin.token },
    );
    assert.equal(list.status, 200);
    // The whole items, newest first; none is "current": the superuser's token is another login.
    const item = (p: Pair, userAgent: string) => ({
      id: sid(p),
      created_at: '<time>',
      last_used_at: '<time>',
      expires_at: '<time>',
      ip: '127.0.0.1',
      user_agent: userAgent,
      current: false,
    });
    assert.deepEqual(normalised(list.body.items, []), [item(b, 'b'), item(a, 'a')]);
    const one = await request(t.url, 'DELETE', `/api/v1/users/${u.id}/sessions/${sid(a)}`, {
      token: admin.token,
    });
    assert.equal(one.status, 204);
    await assertRevoked(other.url, a.access_token);
    await assertWorks(other.url, b.access_token, u);
    const all = await request(t.url, 'DELETE', `/api/v1/users/${u.id}/sessions`, {
      token: admin.token,
    });
    assert.deepEqual([all.status, all.body], [200, { revoked: 1 }]);
    await assertRevoked(other.url, b.access_token);

    const forbidden = await request(t.url, 'GET', `/api/v1/users/${admin.id}/sessions`, {
      token: (await signIn(await register(t.url), 'z')).access_token,
    });
    assert.deepEqual(
      [forbidden.status, forbidden.body],
      [403, { detail: 'Superuser privileges required' }],
    );
    const missing = await request(t.url, 'GET', '/api/v1/users/2147483647/sessions', {
      token: admin.token,
    });
    assert.deepEqual([missing.status, missing.body], [404, { detail: 'User not found' }]);
  });
});

describe('S20: access tokens are refused at once after each revocation, in both instances', () => {
  test('logout', async () => {
    const u = await register(t.url);
    const p = await signIn(u, 'x');
    await assertWorks(other.url, p.access_token, u);
    const out = await request(t.url, 'POST', '/api/v1/jwt/logout/', { token: p.refresh_token });
    assert.equal(out.status, 204);
    await assertRevoked(t.url, p.access_token);
    await assertRevoked(other.url, p.access_token);
  });

  test('password change: other sessions end, the new pair works', async () => {
    const u = await register(t.url);
    const p = await signIn(u, 'x');
    const q = await signIn(u, 'y');
    const res = await request<Pair>(t.url, 'POST', '/api/v1/users/me/password', {
      token: p.access_token,
      json: {
        current_password: u.password,
        new_password: 'a brand new passphrase',
        new_password_confirm: 'a brand new passphrase',
      },
    });
    assert.equal(res.status, 200);
    for (const token of [p.access_token, q.access_token]) {
      await assertRevoked(t.url, token);
      await assertRevoked(other.url, token);
    }
    await assertWorks(other.url, res.body.access_token, u);
  });

  test('archive (403 while archived), then restore (401: the old tokens stay revoked)', async () => {
    const u = await register(t.url);
    const p = await signIn(u, 'x');
    await assertWorks(other.url, p.access_token, u);
    await request(t.url, 'DELETE', `/api/v1/users/${u.id}`, { token: admin.token });
    const archived = await me(other.url, p.access_token);
    assert.deepEqual([archived.status, archived.body], [403, { detail: 'User inactive' }]);
    await request(t.url, 'POST', `/api/v1/users/${u.id}/restore`, { token: admin.token });
    await assertRevoked(t.url, p.access_token);
    await assertRevoked(other.url, p.access_token);
  });
});

describe('S20: another operating-system process refuses at once too', () => {
  test('logout, ending one session and a password change on this one; refused there', async () => {
    const child = await startApiProcess('src/server.ts', t.testDb.url);
    try {
      const u = await register(t.url);
      const [a, b, c] = [await signIn(u, 'a'), await signIn(u, 'b'), await signIn(u, 'c')];
      for (const p of [a, b, c]) {
        await assertWorks(child.url, p.access_token, u);
      }
      await request(t.url, 'POST', '/api/v1/jwt/logout/', { token: a.refresh_token });
      await assertRevoked(child.url, a.access_token);
      await request(t.url, 'DELETE', `/api/v1/users/me/sessions/${sid(b)}`, {
        token: c.access_token,
      });
      await assertRevoked(child.url, b.access_token);
      await assertWorks(child.url, c.access_token, u);
      const changed = await request<Pair>(t.url, 'POST', '/api/v1/users/me/password', {
        token: c.access_token,
        json: {
          current_password: u.password,
          new_password: 'one more new passphrase',
          new_password_confirm: 'one more new passphrase',
        },
      });
      assert.equal(changed.status, 200);
      await assertRevoked(child.url, c.access_token);
      await assertWorks(child.url, changed.body.access_token, u);
    } finally {
      await child.stop();
    }
  });
});

describe('S24: RFC 6750 WWW-Authenticate on 401s', () => {
  test('no token: bare "Bearer"; bad: invalid; expired: expired; revoked: revoked', async () => {
    const none = await request(t.url, 'GET', '/api/v1/users/me');
    assert.deepEqual([none.status, none.body], [401, { detail: 'Not authenticated' }]);
    assert.equal(none.headers.get('www-authenticate'), 'Bearer');

    const bad = await me(t.url, 'not.a.jwt');
    assert.deepEqual([bad.status, bad.body], [401, { detail: 'Invalid token error.' }]);
    assert.equal(bad.headers.get('www-authenticate'), CHALLENGE.invalid);

    // Expired: this service's own token (its key, its claims), with exp in the past.
    const u = await register(t.url);
    const p = await signIn(u, 'x');
    const claims = decodeJwt(p.access_token);
    const now = Math.floor(Date.now() / 1000);
    const stale = await new SignJWT({ ...claims, iat: now - 3600, exp: now - 60 })
      .setProtectedHeader({ alg: 'RS256', kid: decodeProtectedHeader(p.access_token).kid! })
      .sign(createPrivateKey(readFileSync(testKeyPaths().privateKey)));
    const expired = await me(t.url, stale);
    assert.deepEqual([expired.status, expired.body], [401, { detail: 'Invalid token error.' }]);
    assert.equal(expired.headers.get('www-authenticate'), CHALLENGE.expired);

    await request(t.url, 'POST', '/api/v1/jwt/logout/', { token: p.refresh_token });
    await assertRevoked(t.url, p.access_token);
    const refreshed = await request(t.url, 'POST', '/api/v1/jwt/refresh/', {
      token: p.refresh_token,
    });
    assert.deepEqual([refreshed.status, refreshed.body], [401, { detail: 'Invalid token error.' }]);
    assert.equal(refreshed.headers.get('www-authenticate'), CHALLENGE.revoked);
  });
});
