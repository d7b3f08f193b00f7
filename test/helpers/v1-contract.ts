// One walk through the v1 contract (/work/shared/docs/api-v1.md) and the account mails, run
// against any running stack: the real services (test/http/v1-contract.integration.test.ts)
// and the embedded development mode (test/ops/embedded.integration.test.ts), so both modes
// answer the same bodies. Whole bodies are compared after ids, times and tokens are replaced.
import assert from 'node:assert/strict';
import { request, type Res } from './http.js';

export interface Mailbox {
  /** Resolves with the text of the first mail to `to` whose subject is `subject`. */
  waitFor(to: string, subject: string): Promise<string>;
}

const JWT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** Replaces what differs from run to run: numeric ids, ISO times, JWTs. */
export function normalise(value: unknown, key = ''): unknown {
  if (Array.isArray(value)) {
    return value.map((v) => normalise(v));
  }
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, normalise(v, k)]),
    );
  }
  if (typeof value === 'number' && (key === 'id' || key.endsWith('_id'))) {
    return '<id>';
  }
  if (typeof value === 'string' && TIME.test(value)) {
    return '<time>';
  }
  if (typeof value === 'string' && JWT.test(value)) {
    return '<jwt>';
  }
  return value;
}

function expectBody(res: Res<unknown>, status: number, body: unknown, what: string): void {
  assert.deepEqual(
    { status: res.status, body: normalise(res.body) },
    { status, body },
    `${what}: ${res.text}`,
  );
}

const TOKENS = {
  access_token: '<jwt>',
  refresh_token: '<jwt>',
  token_type: 'Bearer',
  expires_in: 900,
};

/**
 * register → verification mail → verify → login → /me → refresh → projects list → the used
 * refresh token refused (rotation). `publicUrl`: where the mail links point.
 */
export async function walkV1Contract(
  api: string,
  mailbox: Mailbox,
  publicUrl: string,
): Promise<void> {
  const suffix = `${process.pid}${Date.now().toString(36)}`;
  const username = `walk_${suffix}`;
  const email = `${username}@example.com`;
  const password = 'correct horse contract staple';

  const created = await request(api, 'POST', '/api/v1/users/', {
    json: { username, email, password, password_confirm: password },
  });
  const userBody = (verified: boolean) => ({
    id: '<id>',
    username,
    email,
    is_active: true,
    is_superuser: false,
    email_verified: verified,
    created_at: '<time>',
    locale: 'en',
    pending_email: null,
  });
  expectBody(created, 201, userBody(false), 'register');
  const taken = await request(api, 'POST', '/api/v1/users/', {
    json: {
      username: username.toUpperCase(),
      email: `x${email}`,
      password,
      password_confirm: password,
    },
  });
  expectBody(taken, 400, { detail: 'Username already exists' }, 'username taken');

  const welcome = await mailbox.waitFor(email, 'Welcome to Internship for developers! ⛵');
  assert.match(welcome, new RegExp(username));
  const verifyMail = await mailbox.waitFor(
    email,
    'Verify your e-mail address for Internship for developers',
  );
  const link = new RegExp(
    `${publicUrl.replace(/\/+$/, '')}/verify-email#token=([A-Za-z0-9_-]{43})`,
  );
  const token = link.exec(verifyMail)?.[1];
  assert.ok(token, `no verification link to ${publicUrl} in:\n${verifyMail}`);
  const verified = await request(api, 'POST', '/api/v1/users/verify-email', { json: { token } });
  expectBody(verified, 200, userBody(true), 'verify');

  const wrong = await request(api, 'POST', '/api/v1/jwt/login/', {
    form: { username, password: 'not the password at all' },
  });
  expectBody(wrong, 401, { detail: 'Invalid username or password' }, 'wrong password');
  const login = await request<{ access_token: string; refresh_token: string }>(
    api,
    'POST',
    '/api/v1/jwt/login/',
    { form: { username: email, password } },
  );
  expectBody(login, 200, TOKENS, 'login by e-mail');

  const me = await request(api, 'GET', '/api/v1/jwt/users/me/', { token: login.body.access_token });
  expectBody(me, 200, userBody(true), 'me');
  const anonymous = await request(api, 'GET', '/api/v1/jwt/users/me/');
  expectBody(anonymous, 401, { detail: 'Not authenticated' }, '/me without a token');
  // RFC 6750 (issue 12): no token, so the bare challenge.
  assert.equal(anonymous.headers.get('www-authenticate'), 'Bearer');

  const refreshed = await request<{ access_token: string }>(api, 'POST', '/api/v1/jwt/refresh/', {
    token: login.body.refresh_token,
  });
  expectBody(refreshed, 200, TOKENS, 'refresh');
  const projects = await request(api, 'GET', '/api/v1/projects/', {
    token: refreshed.body.access_token,
  });
  expectBody(projects, 200, { items: [], next_cursor: null }, 'projects');
  const reused = await request(api, 'POST', '/api/v1/jwt/refresh/', {
    token: login.body.refresh_token,
  });
  expectBody(reused, 401, { detail: 'Invalid token error.' }, 'a used refresh token');
  assert.equal(
    reused.headers.get('www-authenticate'),
    'Bearer error="invalid_token", error_description="The session was revoked"',
  );
}
