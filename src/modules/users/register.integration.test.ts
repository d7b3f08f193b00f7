// The v1 registration contract (api-v1.md, POST /api/v1/users/), S2, S3, S11, outbox row.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestApp, type TestApp } from '../../../test/helpers/app.js';
import { newUser, register } from '../../../test/helpers/factories.js';
import { normalised, request } from '../../../test/helpers/http.js';
import { invalid as validationBody, userBody } from '../../../test/helpers/normalise.js';

let t: TestApp;
before(async () => {
  t = await startTestApp();
});
after(async () => {
  await t.close();
});

async function query<T>(sql: string, params: unknown[] = []): Promise<T[]> {
  return (await t.database.pool.query(sql, params)).rows as T[];
}

describe('POST /api/v1/users/ (v1 contract)', () => {
  test('201 with id, username, email; no password hash in the response', async () => {
    const body = newUser();
    const res = await request(t.url, 'POST', '/api/v1/users/', { json: body });
    assert.equal(res.status, 201);
    assert.equal(typeof res.body.id, 'number');
    // The whole body: an active, unverified, ordinary user in the default locale.
    assert.deepEqual(
      normalised(res.body),
      userBody({ id: '<id>', username: body.username, email: body.email }),
    );
    assert.ok(!/password|hash/i.test(res.text), 'no password or hash field in the body (S11)');
    const [row] = await query<{ password_hash: string }>(
      'SELECT password_hash FROM users WHERE id = $1',
      [res.body.id],
    );
    assert.match(
      row!.password_hash,
      /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/,
      'argon2id with OWASP parameters (S1)',
    );
  });

  test('served with and without the trailing slash, no redirect', async () => {
    const res = await request(t.url, 'POST', '/api/v1/users', { json: newUser() });
    assert.equal(res.status, 201);
  });

  test('400 "Username already exists", case-insensitively, checked before the e-mail', async () => {
    const existing = await register(t.url);
    const res = await request(t.url, 'POST', '/api/v1/users/', {
      json: newUser({ username: existing.username.toUpperCase(), email: existing.email }),
    });
    assert.equal(res.status, 400);
    assert.deepEqual(res.body, { detail: 'Username already exists' });
  });

  test('400 "Email already exists", case-insensitively', async () => {
    const existing = await register(t.url);
    const res = await request(t.url, 'POST', '/api/v1/users/', {
      json: newUser({ email: existing.email.toUpperCase() }),
    });
    assert.equal(res.status, 400);
    assert.deepEqual(res.body, { detail: 'Email already exists' });
  });

  test('400 "Passwords do not match"', async () => {
    const res = await request(t.url, 'POST', '/api/v1/users/', {
      json: newUser({ password: 'first passphrase 1', password_confirm: 'second passphrase 2' }),
    });
    assert.equal(res.status, 400);
    assert.deepEqual(res.body, { detail: 'Passwords do not match' });
  });

  const e = (field: string, msg: string, type: string) => ({ loc: ['body', field], msg, type });
  const COMMON = e(
    'password',
    'This password is too common: it appears in lists of leaked passwords. Choose another one.',
    'value_error.password_common',
  );
  const invalid: [string, Record<string, unknown>, ReturnType<typeof e>[]][] = [
    ['missing username', { username: undefined }, [e('username', 'Field required', 'missing')]],
    [
      'username too short',
      { username: 'ab' },
      [e('username', 'must NOT have fewer than 3 characters', 'string_too_short')],
    ],
    [
      'username too long',
      { username: 'x'.repeat(51) },
      [e('username', 'must NOT have more than 50 characters', 'string_too_long')],
    ],
    [
      'bad e-mail',
      { email: 'not-an-email' },
      [e('email', 'must match format "email"', 'value_error')],
    ],
    [
      'e-mail over 100 chars',
      { email: `${'a'.repeat(95)}@example.com` },
      [e('email', 'must NOT have more than 100 characters', 'string_too_long')],
    ],
    [
      'password too short (S2)',
      { password: 'short1', password_confirm: 'short1' },
      [
        e('password', 'must NOT have fewer than 8 characters', 'string_too_short'),
        e('password_confirm', 'must NOT have fewer than 8 characters', 'string_too_short'),
      ],
    ],
    [
      'password over 128 (S2)',
      { password: 'p'.repeat(129), password_confirm: 'p'.repeat(129) },
      [
        e('password', 'must NOT have more than 128 characters', 'string_too_long'),
        e('password_confirm', 'must NOT have more than 128 characters', 'string_too_long'),
      ],
    ],
    [
      'unknown extra field (S11)',
      { is_superuser: true },
      [e('is_superuser', 'Extra inputs are not permitted', 'extra_forbidden')],
    ],
    [
      'id cannot be set (S11)',
      { id: 1 },
      [e('id', 'Extra inputs are not permitted', 'extra_forbidden')],
    ],
    [
      'common password (S3)',
      { password: 'password123', password_confirm: 'password123' },
      [COMMON],
    ],
  ];
  for (const [name, patch, errors] of invalid) {
    test(`422 validation body: ${name}`, async () => {
      const body: Record<string, unknown> = { ...newUser(), ...patch };
      for (const k of Object.keys(body)) {
        if (body[k] === undefined) {
          delete body[k];
        }
      }
      const res = await request(t.url, 'POST', '/api/v1/users/', { json: body });
      assert.deepEqual([res.status, res.body], [422, validationBody(...errors)]);
    });
  }

  test('S3: the common-password refusal says so in a sentence', async () => {
    const res = await request<{ errors: { msg: string }[] }>(t.url, 'POST', '/api/v1/users/', {
      json: newUser({ password: 'iloveyou', password_confirm: 'iloveyou' }),
    });
    assert.deepEqual([res.status, res.body], [422, validationBody(COMMON)]);
  });

  test('S2: 128-character and Unicode passwords are taken as typed (no trimming) and sign in', async () => {
    const password = '  пароль с пробелами ⛵ ' + 'x'.repeat(100);
    const u = await register(t.url, { password, password_confirm: password });
    const ok = await request(t.url, 'POST', '/api/v1/jwt/login/', {
      form: { username: u.username, password },
    });
    assert.equal(ok.status, 200);
    const trimmed = await request(t.url, 'POST', '/api/v1/jwt/login/', {
      form: { username: u.username, password: password.trim() },
    });
    assert.deepEqual(
      [trimmed.status, trimmed.body],
      [401, { detail: 'Invalid username or password' }],
    );
  });

  test('eight concurrent registrations of one username: exactly one 201, the rest 400, no 500', async () => {
    const base = newUser();
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        request(t.url, 'POST', '/api/v1/users/', {
          json: {
            ...base,
            username: i % 2 === 0 ? base.username : base.username.toUpperCase(),
            email: `c${i}.${base.email}`,
          },
        }),
      ),
    );
    const statuses = results.map((r) => r.status).sort();
    assert.deepEqual(statuses, [201, 400, 400, 400, 400, 400, 400, 400]);
    for (const r of results.filter((x) => x.status === 400)) {
      assert.deepEqual(r.body, { detail: 'Username already exists' });
    }
    const rows = await query<{ n: string }>(
      'SELECT count(*) AS n FROM users WHERE lower(username) = lower($1)',
      [base.username],
    );
    assert.equal(rows[0]!.n, '1');
  });

  test('concurrent registrations of one e-mail: one 201, the rest "Email already exists"', async () => {
    const base = newUser();
    const results = await Promise.all(
      Array.from({ length: 4 }, (_, i) =>
        request(t.url, 'POST', '/api/v1/users/', {
          json: { ...base, username: `${base.username}_${i}` },
        }),
      ),
    );
    assert.deepEqual(results.map((r) => r.status).sort(), [201, 400, 400, 400]);
    for (const r of results.filter((x) => x.status === 400)) {
      assert.deepEqual(r.body, { detail: 'Email already exists' });
    }
  });
});

describe('welcome e-mail event (outbox)', () => {
  test('registration writes one mail.welcome outbox row with a complete payload, in the same transaction', async () => {
    const u = await register(t.url);
    const rows = await query<{ type: string; payload: Record<string, unknown>; event_id: string }>(
      "SELECT type, payload, event_id FROM outbox_events WHERE payload->>'user_id' = $1 AND type = 'mail.welcome'",
      [String(u.id)],
    );
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!.type, 'mail.welcome');
    assert.deepEqual(rows[0]!.payload, {
      v: 1,
      user_id: u.id,
      username: u.username,
      email: u.email,
      locale: 'en',
    });
    assert.match(rows[0]!.event_id, /^[0-9a-f-]{36}$/);
    // Issue 4: the verification mail is a separate event of its own.
    const verify = await query<{ type: string }>(
      "SELECT type FROM outbox_events WHERE payload->>'user_id' = $1 AND type = 'mail.verify_email'",
      [String(u.id)],
    );
    assert.equal(verify.length, 1);
  });

  test('R3: a registration that fails inside the transaction leaves no user and no outbox row', async () => {
    // Force the outbox insert to fail after the user insert: a CHECK that rejects this one
    // username's welcome row. The transaction must roll back as a whole.
    const body = newUser();
    await t.database.pool.query(
      `ALTER TABLE outbox_events ADD CONSTRAINT ck_test_reject CHECK (payload->>'username' IS DISTINCT FROM '${body.username}') NOT VALID`,
    );
    try {
      const res = await request(t.url, 'POST', '/api/v1/users/', { json: body });
      assert.equal(res.status, 500);
      assert.deepEqual(res.body, { detail: 'Internal server error' }, 'S13: no SQL in the body');
      // S13: the detail is in the log, under the request id the client was given.
      const requestId = res.headers.get('x-request-id');
      assert.ok(requestId);
      const entry = t
        .logs()
        .split('\n')
        .filter((l) => l.includes(requestId) && l.includes('ck_test_reject'));
      assert.equal(entry.length, 1, 'one error log line with the request id and the cause');
    } finally {
      await t.database.pool.query('ALTER TABLE outbox_events DROP CONSTRAINT ck_test_reject');
    }
    const users = await query('SELECT 1 FROM users WHERE username = $1', [body.username]);
    const events = await query("SELECT 1 FROM outbox_events WHERE payload->>'username' = $1", [
      body.username,
    ]);
    assert.equal(users.length, 0);
    assert.equal(events.length, 0);
  });
});
