// Issue 8: browser sessions (S17 cookie and CSRF, S8 rotation and reuse, S9 logout and
// archival), over real HTTP against the real app and database.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestApp, type TestApp } from '../../../test/helpers/app.js';
import { register, type Registered } from '../../../test/helpers/factories.js';
import { normalised, request, type Res } from '../../../test/helpers/http.js';
import { userBody } from '../../../test/helpers/normalise.js';
import { makeUser } from '../../../test/helpers/projects.js';

const PUBLIC_URL = 'https://app.example.test';
const CSRF = { 'x-csrf-protection': '1' };
let t: TestApp;

before(async () => {
  t = await startTestApp({ PUBLIC_URL, CORS_ORIGINS: 'https://partner.example.test' });
});
after(async () => {
  await t.close();
});

const browserLogin = (u: { username: string; password: string }, headers = CSRF) =>
  request(t.url, 'POST', '/api/v1/auth/browser/login', {
    json: { username: u.username, password: u.password },
    headers,
  });

/** The `ifd_refresh` Set-Cookie line of a response, split into its attributes. */
function refreshCookie(res: Res): { value: string; attrs: Map<string, string> } {
  const line = res.headers.getSetCookie().find((c) => c.startsWith('ifd_refresh='));
  assert.ok(line, `no ifd_refresh cookie in ${JSON.stringify(res.headers.getSetCookie())}`);
  const [first, ...rest] = line.split(';').map((s) => s.trim());
  const attrs = new Map(
    rest.map((a) => {
      const [k, ...v] = a.split('=');
      return [k!.toLowerCase(), v.join('=')] as const;
    }),
  );
  return { value: first!.slice('ifd_refresh='.length), attrs };
}

const withCookie = (value: string, extra: Record<string, string> = CSRF) => ({
  headers: { ...extra, cookie: `ifd_refresh=${value}` },
});
const refresh = (value: string, extra?: Record<string, string>) =>
  request(t.url, 'POST', '/api/v1/auth/browser/refresh', withCookie(value, extra));

function assertCleared(res: Res) {
  const c = refreshCookie(res);
  assert.equal(c.value, '');
  assert.ok(
    c.attrs.get('max-age') === '0' || c.attrs.has('expires'),
    'the cookie is expired at once',
  );
  assert.equal(c.attrs.get('path'), '/api/v1/auth/browser');
}

/** The browser sign-in and refresh body after `normalised`: the refresh token is the cookie. */
const BROWSER_PAIR = { access_token: '<jwt>', token_type: 'bearer', expires_in: 900 };

async function signedIn(): Promise<{ u: Registered; cookie: string; access: string }> {
  const u = await register(t.url);
  const res = await browserLogin(u);
  assert.equal(res.status, 200, res.text);
  return { u, cookie: refreshCookie(res).value, access: res.body.access_token as string };
}

describe('S17: POST /api/v1/auth/browser/login', () => {
  test('200: access token in the body, refresh token only in an HttpOnly, SameSite=Strict, path-limited cookie', async () => {
    const u = await register(t.url);
    const res = await browserLogin(u);
    assert.equal(res.status, 200);
    // The whole body: no refresh token in it.
    assert.deepEqual(normalised(res.body), BROWSER_PAIR);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    const c = refreshCookie(res);
    assert.match(c.value, /^[\w-]+\.[\w-]+\.[\w-]+$/, 'a JWT');
    assert.ok(c.attrs.has('httponly'));
    assert.equal(c.attrs.get('samesite'), 'Strict');
    assert.equal(c.attrs.get('path'), '/api/v1/auth/browser');
    const maxAge = Number(c.attrs.get('max-age'));
    assert.ok(maxAge > 30 * 86400 - 60 && maxAge <= 30 * 86400, `Max-Age ${maxAge}`);
    assert.equal(c.attrs.has('secure'), false, 'NODE_ENV=test: COOKIE_SECURE defaults to false');
    const me = await request(t.url, 'GET', '/api/v1/users/me', {
      token: res.body.access_token as string,
    });
    assert.deepEqual([me.status, normalised(me.body, [])], [200, userBody(u)]);
  });

  test('the e-mail works as the username, as in v1', async () => {
    const u = await register(t.url);
    const res = await browserLogin({ username: u.email, password: u.password });
    assert.equal(res.status, 200);
  });

  test('wrong password and unknown user: 400 LOGIN_BAD_CREDENTIALS, no cookie', async () => {
    const u = await register(t.url);
    for (const creds of [
      { username: u.username, password: 'not the password' },
      { username: 'nobody_here_at_all', password: 'whatever password' },
    ]) {
      const res = await browserLogin(creds);
      assert.deepEqual([res.status, res.body], [400, { detail: 'LOGIN_BAD_CREDENTIALS' }]);
      assert.deepEqual(res.headers.getSetCookie(), []);
    }
  });

  test('S17 CSRF: without X-CSRF-Protection, or from a foreign Origin: 403, no cookie', async () => {
    const u = await register(t.url);
    for (const headers of [
      {},
      { 'x-csrf-protection': '0' },
      { ...CSRF, origin: 'https://evil.example' },
    ]) {
      const res = await browserLogin(u, headers as typeof CSRF);
      assert.deepEqual([res.status, res.body], [403, { detail: 'CSRF check failed' }]);
      assert.deepEqual(res.headers.getSetCookie(), []);
    }
    for (const origin of [PUBLIC_URL, 'https://partner.example.test']) {
      assert.equal((await browserLogin(u, { ...CSRF, origin } as typeof CSRF)).status, 200);
    }
  });

  test('archived user with the right password: 403 User inactive', async () => {
    const u = await register(t.url);
    await t.database.pool.query('UPDATE users SET is_active = false WHERE id = $1', [u.id]);
    const res = await browserLogin(u);
    assert.deepEqual([res.status, res.body], [403, { detail: 'User inactive' }]);
  });

  test('COOKIE_SECURE=true adds Secure', async () => {
    const secure = await startTestApp({ COOKIE_SECURE: 'true' });
    try {
      const u = await register(secure.url);
      const res = await request(secure.url, 'POST', '/api/v1/auth/browser/login', {
        json: { username: u.username, password: u.password },
        headers: CSRF,
      });
      assert.equal(res.status, 200);
      assert.ok(refreshCookie(res).attrs.has('secure'));
    } finally {
      await secure.close();
    }
  });
});

describe('S17/S8: POST /api/v1/auth/browser/refresh', () => {
  test('200: a new access token; the cookie rotates and keeps the absolute expiry', async () => {
    const { u, cookie } = await signedIn();
    const res = await refresh(cookie);
    assert.equal(res.status, 200);
    assert.deepEqual(normalised(res.body), BROWSER_PAIR);
    const next = refreshCookie(res);
    assert.notEqual(next.value, cookie);
    assert.ok(Number(next.attrs.get('max-age')) <= 30 * 86400);
    const me = await request(t.url, 'GET', '/api/v1/users/me', {
      token: res.body.access_token as string,
    });
    assert.deepEqual([me.status, normalised(me.body, [])], [200, userBody(u)]);
  });

  test('S8: reusing a spent cookie is 401 Session expired, clears the cookie and ends the whole login', async () => {
    const { cookie } = await signedIn();
    const second = refreshCookie(await refresh(cookie)).value;
    const replay = await refresh(cookie);
    assert.deepEqual([replay.status, replay.body], [401, { detail: 'Session expired' }]);
    assertCleared(replay);
    const successor = await refresh(second);
    assert.deepEqual([successor.status, successor.body], [401, { detail: 'Session expired' }]);
  });

  test('no cookie, garbage, or an access token in the cookie: 401 Session expired, cleared', async () => {
    const { access } = await signedIn();
    const none = await request(t.url, 'POST', '/api/v1/auth/browser/refresh', { headers: CSRF });
    assert.deepEqual([none.status, none.body], [401, { detail: 'Session expired' }]);
    assertCleared(none);
    for (const value of ['garbage', access]) {
      const res = await refresh(value);
      assert.deepEqual([res.status, res.body], [401, { detail: 'Session expired' }]);
      assertCleared(res);
    }
  });

  test('S17 CSRF: a valid cookie without the header or from a foreign Origin is 403 and not spent', async () => {
    const { cookie } = await signedIn();
    const noHeader = await refresh(cookie, {});
    assert.deepEqual([noHeader.status, noHeader.body], [403, { detail: 'CSRF check failed' }]);
    const foreign = await refresh(cookie, { ...CSRF, origin: 'https://evil.example' });
    assert.deepEqual([foreign.status, foreign.body], [403, { detail: 'CSRF check failed' }]);
    assert.equal((await refresh(cookie, { ...CSRF, origin: PUBLIC_URL })).status, 200);
  });

  test('S9: an archived user is signed out at once: 403 User inactive and the cookie cleared', async () => {
    const admin = await makeUser(t, { superuser: true });
    const { u, cookie } = await signedIn();
    const archived = await request(t.url, 'DELETE', `/api/v1/users/${u.id}`, {
      token: admin.token,
    });
    assert.equal(archived.status, 204);
    const res = await refresh(cookie);
    assert.deepEqual([res.status, res.body], [403, { detail: 'User inactive' }]);
    assertCleared(res);
  });

  test('the v1 refresh route does not read the cookie', async () => {
    const { cookie } = await signedIn();
    const v1 = await request(t.url, 'POST', '/api/v1/jwt/refresh/', withCookie(cookie));
    assert.deepEqual([v1.status, v1.body], [401, { detail: 'Not authenticated' }]);
  });
});

describe('S9: POST /api/v1/auth/browser/logout', () => {
  test('204, the cookie cleared and the login revoked', async () => {
    const { cookie } = await signedIn();
    const res = await request(t.url, 'POST', '/api/v1/auth/browser/logout', withCookie(cookie));
    assert.equal(res.status, 204);
    assert.equal(res.text, '');
    assertCleared(res);
    const after = await refresh(cookie);
    assert.deepEqual([after.status, after.body], [401, { detail: 'Session expired' }]);
  });

  test('204 without a cookie or with a bad one', async () => {
    const none = await request(t.url, 'POST', '/api/v1/auth/browser/logout', { headers: CSRF });
    assert.equal(none.status, 204);
    assertCleared(none);
    const bad = await request(t.url, 'POST', '/api/v1/auth/browser/logout', withCookie('x.y.z'));
    assert.equal(bad.status, 204);
  });

  test('S17 CSRF: a cross-site logout is refused and the session survives', async () => {
    const { cookie } = await signedIn();
    const res = await request(
      t.url,
      'POST',
      '/api/v1/auth/browser/logout',
      withCookie(cookie, { origin: 'https://evil.example' }),
    );
    assert.deepEqual([res.status, res.body], [403, { detail: 'CSRF check failed' }]);
    assert.equal((await refresh(cookie)).status, 200);
  });
});

describe('S14: the refresh cookie never reaches the log', () => {
  test('neither the Cookie header nor Set-Cookie is logged', async () => {
    const { cookie } = await signedIn();
    const next = refreshCookie(await refresh(cookie)).value;
    const logs = t.logs();
    assert.ok(!logs.includes(cookie.split('.')[2]!));
    assert.ok(!logs.includes(next.split('.')[2]!));
  });
});
