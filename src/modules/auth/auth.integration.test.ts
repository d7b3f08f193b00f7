// v1 sign-in, refresh and /me contract rows; S4, S6, S7, S8, S9; bcrypt accounts from v1.
import assert from 'node:assert/strict';
import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type JsonWebKey,
} from 'node:crypto';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import bcrypt from 'bcryptjs';
import { SignJWT, decodeJwt, decodeProtectedHeader, type JWTPayload } from 'jose';
import { startTestApp, testKeyPaths, type TestApp } from '../../../test/helpers/app.js';
import { login, register } from '../../../test/helpers/factories.js';
import { normalised, request } from '../../../test/helpers/http.js';
import { invalid, TOKEN_PAIR, userBody } from '../../../test/helpers/normalise.js';
import { passwordWork } from './passwords.js';

let t: TestApp;
before(async () => {
  t = await startTestApp();
});
after(async () => {
  await t.close();
});

const loginForm = (username: string, password: string) =>
  request(t.url, 'POST', '/api/v1/jwt/login/', { form: { username, password } });

/** RFC 6750 challenges (issue 12): bare without a token, invalid_token with a reason. */
const CHALLENGE = {
  none: 'Bearer',
  invalid: 'Bearer error="invalid_token", error_description="The token is not valid"',
  expired: 'Bearer error="invalid_token", error_description="The token expired"',
  revoked: 'Bearer error="invalid_token", error_description="The session was revoked"',
  wrongType: 'Bearer error="invalid_token", error_description="The token is of the wrong type"',
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A claim set with what differs per token replaced: times by their kind and the lifetime. */
function stableClaims(c: JWTPayload): Record<string, unknown> {
  return Object.fromEntries([
    ...Object.entries(c).map(([k, v]): [string, unknown] => [
      k,
      typeof v === 'number' && (k === 'iat' || k === 'exp')
        ? '<number>'
        : typeof v === 'string' && UUID.test(v)
          ? '<uuid>'
          : v,
    ]),
    ['lifetime', c.exp! - c.iat!],
  ]);
}

function assert401(
  res: { status: number; headers: Headers; body: unknown },
  detail: string,
  reason?: keyof typeof CHALLENGE,
) {
  assert.equal(res.status, 401);
  assert.deepEqual(res.body, { detail });
  const byDetail: Record<string, keyof typeof CHALLENGE> = {
    'Invalid token error.': 'invalid',
    'Invalid token type. Expected refresh token.': 'wrongType',
    'Invalid token type. Expected access': 'wrongType',
  };
  assert.equal(
    res.headers.get('www-authenticate'),
    CHALLENGE[reason ?? byDetail[detail] ?? 'none'],
  );
}

describe('POST /api/v1/jwt/login/', () => {
  test('200 token pair; access token claims per api-v1.md', async () => {
    const u = await register(t.url);
    const res = await loginForm(u.username, u.password);
    assert.equal(res.status, 200);
    assert.deepEqual(normalised(res.body), TOKEN_PAIR);
    // The whole claim sets, what differs per token replaced by its kind.
    const access = decodeJwt(res.body.access_token as string);
    assert.deepEqual(stableClaims(access), {
      type: 'access',
      sub: String(u.id),
      username: u.username,
      email: u.email,
      iss: t.config.jwt.issuer,
      aud: t.config.jwt.audience,
      lifetime: 900,
      iat: '<number>',
      exp: '<number>',
      jti: '<uuid>',
      sid: '<uuid>',
      gen: 0,
      rev: 0,
    });
    const header = decodeProtectedHeader(res.body.access_token as string);
    // kid in the header so keys can rotate.
    assert.deepEqual(
      { ...header, kid: typeof header.kid },
      { alg: 'RS256', typ: 'JWT', kid: 'string' },
    );
    const refresh = decodeJwt(res.body.refresh_token as string);
    assert.deepEqual(stableClaims(refresh), {
      type: 'refresh',
      sub: String(u.id),
      iss: t.config.jwt.issuer,
      aud: t.config.jwt.audience,
      lifetime: 30 * 86400,
      iat: '<number>',
      exp: '<number>',
      jti: '<uuid>',
    });
  });

  test('the e-mail address works as username, in any case; without trailing slash too', async () => {
    const u = await register(t.url);
    const res = await request(t.url, 'POST', '/api/v1/jwt/login', {
      form: { username: u.email.toUpperCase(), password: u.password },
    });
    assert.equal(res.status, 200);
  });

  test('Swagger "Authorize" form fields (grant_type, scope, client_id) are accepted', async () => {
    const u = await register(t.url);
    const res = await request(t.url, 'POST', '/api/v1/jwt/login/', {
      form: {
        grant_type: 'password',
        username: u.username,
        password: u.password,
        scope: '',
        client_id: '',
      },
    });
    assert.equal(res.status, 200);
  });

  test('S4: unknown user and wrong password: same status, body and header', async () => {
    const u = await register(t.url);
    const wrong = await loginForm(u.username, 'not the password at all');
    const unknown = await loginForm('nobody_here_' + u.username, 'not the password at all');
    assert401(wrong, 'Invalid username or password');
    assert401(unknown, 'Invalid username or password');
  });

  test('S4: an unknown user costs one password verification, as a wrong password does', async () => {
    // Proved by what runs (issue 14: no stopwatch): the app runs in this process, and every
    // argon2id/bcrypt verification — the dummy hash's included — is counted.
    const u = await register(t.url);
    const work = async (name: string) => {
      const before = passwordWork.verifications;
      const res = await loginForm(name, 'not the password at all');
      assert401(res, 'Invalid username or password');
      return passwordWork.verifications - before;
    };
    assert.equal(await work(u.username), 1, 'a wrong password: one verification');
    assert.equal(
      await work('nobody_' + u.username),
      1,
      'an unknown user: one (dummy) verification',
    );
  });

  test('403 "User inactive" for an archived user, only after a correct password', async () => {
    const u = await register(t.url);
    await t.database.pool.query('UPDATE users SET is_active = false WHERE id = $1', [u.id]);
    assert401(await loginForm(u.username, 'wrong password here'), 'Invalid username or password');
    const res = await loginForm(u.username, u.password);
    assert.equal(res.status, 403);
    assert.deepEqual(res.body, { detail: 'User inactive' });
  });

  test('422 validation body for a missing field', async () => {
    const res = await request<{ detail: string; errors: { loc: string[]; type: string }[] }>(
      t.url,
      'POST',
      '/api/v1/jwt/login/',
      { form: { username: 'someone' } },
    );
    assert.equal(res.status, 422);
    assert.deepEqual(
      res.body,
      invalid({ loc: ['body', 'password'], msg: 'Field required', type: 'missing' }),
    );
  });

  test('S1/legacy: a v1 bcrypt ($2b$) account signs in and its hash is replaced by argon2id', async () => {
    const password = 'legacy account passphrase';
    const legacyHash = bcrypt.hashSync(password, 4).replace(/^\$2a\$/, '$2b$');
    assert.match(legacyHash, /^\$2b\$/);
    const { rows } = await t.database.pool.query<{ id: number }>(
      `INSERT INTO users (username, email, password_hash) VALUES ('legacy_v1', 'legacy_v1@example.com', $1) RETURNING id`,
      [legacyHash],
    );
    const res = await loginForm('legacy_v1', password);
    assert.equal(res.status, 200);
    const after = await t.database.pool.query<{ password_hash: string }>(
      'SELECT password_hash FROM users WHERE id = $1',
      [rows[0]!.id],
    );
    assert.match(after.rows[0]!.password_hash, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    assert.equal(
      (await loginForm('legacy_v1', password)).status,
      200,
      'still signs in with the new hash',
    );
    assert401(
      await loginForm('legacy_v1', 'wrong legacy password'),
      'Invalid username or password',
    );
  });
});

describe('GET /api/v1/jwt/users/me/', () => {
  test('200 with id, username, email, is_active; with and without trailing slash', async () => {
    const u = await register(t.url);
    const { access_token } = await login(t.url, u.username, u.password);
    for (const path of ['/api/v1/jwt/users/me/', '/api/v1/jwt/users/me']) {
      const res = await request(t.url, 'GET', path, { token: access_token });
      assert.equal(res.status, 200);
      // The whole body: v1's id, username, email, is_active, then the added fields; no hash.
      assert.deepEqual(normalised(res.body, []), userBody(u));
    }
  });

  test('401 "Not authenticated" without a token, and for a non-Bearer scheme', async () => {
    assert401(await request(t.url, 'GET', '/api/v1/jwt/users/me/'), 'Not authenticated');
    assert401(
      await request(t.url, 'GET', '/api/v1/jwt/users/me/', {
        headers: { authorization: 'Basic dXNlcjpwYXNz' },
      }),
      'Not authenticated',
    );
  });

  test('S7: a refresh token is refused with "Invalid token type. Expected access"', async () => {
    const u = await register(t.url);
    const { refresh_token } = await login(t.url, u.username, u.password);
    assert401(
      await request(t.url, 'GET', '/api/v1/jwt/users/me/', { token: refresh_token }),
      'Invalid token type. Expected access',
    );
  });

  test('401 "Invalid token error." for garbage', async () => {
    assert401(
      await request(t.url, 'GET', '/api/v1/jwt/users/me/', { token: 'not.a.jwt' }),
      'Invalid token error.',
    );
  });

  test('S9: an archived user is refused at once with 403 "User inactive"', async () => {
    const u = await register(t.url);
    const { access_token } = await login(t.url, u.username, u.password);
    await t.database.pool.query('UPDATE users SET is_active = false WHERE id = $1', [u.id]);
    const res = await request(t.url, 'GET', '/api/v1/jwt/users/me/', { token: access_token });
    assert.equal(res.status, 403);
    assert.deepEqual(res.body, { detail: 'User inactive' });
  });
});

describe('S6: forged and invalid JWTs are refused', () => {
  const keys = () => testKeyPaths();
  const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  let user: { id: number; username: string; email: string };
  let kid: string;
  before(async () => {
    const u = await register(t.url);
    user = u;
    const { access_token } = await login(t.url, u.username, u.password);
    kid = decodeProtectedHeader(access_token).kid!;
  });
  const claims = (over: Record<string, unknown> = {}) => {
    const now = Math.floor(Date.now() / 1000);
    return {
      sub: String(user.id),
      type: 'access',
      jti: 'j-' + Math.random(),
      iat: now,
      exp: now + 600,
      iss: t.config.jwt.issuer,
      aud: t.config.jwt.audience,
      username: user.username,
      email: user.email,
      ...over,
    };
  };
  const sign = (
    payload: Record<string, unknown>,
    key = createPrivateKey(readFileSync(keys().privateKey)),
  ) => new SignJWT(payload).setProtectedHeader({ alg: 'RS256', kid }).sign(key);
  const me = (token: string) => request(t.url, 'GET', '/api/v1/jwt/users/me/', { token });

  test('control: a token we sign ourselves with the real key is accepted', async () => {
    assert.equal((await me(await sign(claims()))).status, 200);
  });
  test('alg: none', async () => {
    assert401(
      await me(`${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims())}.`),
      'Invalid token error.',
    );
  });
  test('HS256 signed with the public key as secret', async () => {
    const secret = readFileSync(keys().publicKey);
    const token = await new SignJWT(claims())
      .setProtectedHeader({ alg: 'HS256', kid })
      .sign(new Uint8Array(secret));
    assert401(await me(token), 'Invalid token error.');
  });
  test('signed by another RSA key', async () => {
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    assert401(await me(await sign(claims(), other)), 'Invalid token error.');
  });
  test('wrong issuer', async () => {
    assert401(await me(await sign(claims({ iss: 'someone-else' }))), 'Invalid token error.');
  });
  test('wrong audience', async () => {
    assert401(await me(await sign(claims({ aud: 'another-api' }))), 'Invalid token error.');
  });
  test('expired', async () => {
    const now = Math.floor(Date.now() / 1000);
    assert401(
      await me(await sign(claims({ iat: now - 3600, exp: now - 60 }))),
      'Invalid token error.',
      'expired',
    );
  });
  test('not yet valid (nbf in the future)', async () => {
    assert401(
      await me(await sign(claims({ nbf: Math.floor(Date.now() / 1000) + 3600 }))),
      'Invalid token error.',
    );
  });
  test('tampered payload (sub changed after signing)', async () => {
    const [h, , s] = (await sign(claims())).split('.');
    assert401(await me(`${h}.${b64(claims({ sub: '999999' }))}.${s}`), 'Invalid token error.');
  });
  test('a token for a user that does not exist', async () => {
    assert401(await me(await sign(claims({ sub: '2147483000' }))), 'Invalid token error.');
  });
  test('the public key in JWKS is the one that verifies, found by kid', async () => {
    const res = await request<{ keys: { kid: string; n: string; kty: string; alg: string }[] }>(
      t.url,
      'GET',
      '/.well-known/jwks.json',
    );
    assert.equal(res.status, 200);
    const jwk = res.body.keys.find((k) => k.kid === kid);
    assert.ok(jwk);
    assert.deepEqual(
      { ...jwk, n: '<modulus>' },
      { kty: 'RSA', alg: 'RS256', use: 'sig', kid, e: 'AQAB', n: '<modulus>' },
    );
    const pub = createPublicKey({
      key: jwk as unknown as JsonWebKey,
      format: 'jwk',
    });
    assert.ok(pub.equals(createPublicKey(readFileSync(keys().publicKey))));
  });
});

describe('POST /api/v1/jwt/refresh/ (rotation, S7, S8)', () => {
  const refresh = (token?: string) =>
    request(t.url, 'POST', '/api/v1/jwt/refresh/', token ? { token } : {});

  test('200: new access token and a successor refresh token with the same absolute expiry', async () => {
    const u = await register(t.url);
    const first = await login(t.url, u.username, u.password);
    const res = await refresh(first.refresh_token);
    assert.equal(res.status, 200);
    assert.deepEqual(normalised(res.body), TOKEN_PAIR);
    assert.notEqual(res.body.refresh_token, first.refresh_token);
    assert.equal(
      decodeJwt(res.body.refresh_token as string).exp,
      decodeJwt(first.refresh_token).exp,
    );
    const me = await request(t.url, 'GET', '/api/v1/jwt/users/me/', {
      token: res.body.access_token as string,
    });
    assert.deepEqual([me.status, normalised(me.body, [])], [200, userBody(u)]);
    const next = await request(t.url, 'POST', '/api/v1/jwt/refresh', {
      token: res.body.refresh_token as string,
    });
    assert.deepEqual([next.status, normalised(next.body)], [200, TOKEN_PAIR]);
  });

  test('401 "Invalid token type. Expected refresh token." for an access token', async () => {
    const u = await register(t.url);
    const { access_token } = await login(t.url, u.username, u.password);
    assert401(await refresh(access_token), 'Invalid token type. Expected refresh token.');
  });

  test('401 "Not authenticated" without a token; "Invalid token error." for garbage', async () => {
    assert401(await refresh(), 'Not authenticated');
    assert401(await refresh('garbage'), 'Invalid token error.');
  });

  test('S8: reuse of a spent token is refused and revokes the whole family', async () => {
    const u = await register(t.url);
    const first = await login(t.url, u.username, u.password);
    const second = await refresh(first.refresh_token);
    assert.equal(second.status, 200);
    assert401(await refresh(first.refresh_token), 'Invalid token error.', 'revoked');
    // The legitimate successor is now dead too: the family was revoked.
    assert401(
      await refresh(second.body.refresh_token as string),
      'Invalid token error.',
      'revoked',
    );
    // Another login of the same user (another family) is unaffected.
    const other = await login(t.url, u.username, u.password);
    const fine = await refresh(other.refresh_token);
    assert.deepEqual([fine.status, normalised(fine.body)], [200, TOKEN_PAIR]);
  });

  test('S8: two concurrent refreshes of one token: at most one succeeds', async () => {
    const u = await register(t.url);
    const first = await login(t.url, u.username, u.password);
    const results = await Promise.all([refresh(first.refresh_token), refresh(first.refresh_token)]);
    // Exactly one wins, the other is the replay of a spent token.
    assert.deepEqual(
      results
        .map((r) => [r.status, normalised(r.body)])
        .sort((a, b) => Number(a[0]) - Number(b[0])),
      [
        [200, TOKEN_PAIR],
        [401, { detail: 'Invalid token error.' }],
      ],
    );
  });

  test('S8: only a hash of the refresh token is stored', async () => {
    const u = await register(t.url);
    const { refresh_token } = await login(t.url, u.username, u.password);
    const { rows } = await t.database.pool.query<{ token_hash: string }>(
      'SELECT token_hash FROM refresh_sessions WHERE user_id = $1',
      [u.id],
    );
    assert.equal(rows.length, 1);
    assert.notEqual(rows[0]!.token_hash, refresh_token);
    assert.ok(!rows[0]!.token_hash.includes(refresh_token.split('.')[2]!));
    assert.equal(rows[0]!.token_hash.length, 43, 'base64url SHA-256');
  });

  test('S8: absolute expiry: a family past its expiry is refused even with a fresh token', async () => {
    const u = await register(t.url);
    const { refresh_token } = await login(t.url, u.username, u.password);
    await t.database.pool.query(
      "UPDATE refresh_sessions SET expires_at = now() - interval '1 second' WHERE user_id = $1",
      [u.id],
    );
    assert401(await refresh(refresh_token), 'Invalid token error.', 'expired');
  });

  test('archived user: refresh refused', async () => {
    const u = await register(t.url);
    const { refresh_token } = await login(t.url, u.username, u.password);
    await t.database.pool.query('UPDATE users SET is_active = false WHERE id = $1', [u.id]);
    const res = await refresh(refresh_token);
    assert.equal(res.status, 403);
    assert.deepEqual(res.body, { detail: 'User inactive' });
  });
});

describe('POST /api/v1/jwt/logout/ (S9)', () => {
  test('204; the refresh token and its successors stop working; access refused for logout', async () => {
    const u = await register(t.url);
    const first = await login(t.url, u.username, u.password);
    const rotated = await request(t.url, 'POST', '/api/v1/jwt/refresh/', {
      token: first.refresh_token,
    });
    const current = rotated.body.refresh_token as string;
    assert401(
      await request(t.url, 'POST', '/api/v1/jwt/logout/', { token: first.access_token }),
      'Invalid token type. Expected refresh token.',
    );
    const out = await request(t.url, 'POST', '/api/v1/jwt/logout', { token: current });
    assert.equal(out.status, 204);
    assert.equal(out.text, '');
    assert401(
      await request(t.url, 'POST', '/api/v1/jwt/refresh/', { token: current }),
      'Invalid token error.',
      'revoked',
    );
    const { rows } = await t.database.pool.query<{ n: string }>(
      'SELECT count(*) AS n FROM refresh_sessions WHERE user_id = $1 AND revoked_at IS NULL',
      [u.id],
    );
    assert.equal(rows[0]!.n, '0');
  });
});
