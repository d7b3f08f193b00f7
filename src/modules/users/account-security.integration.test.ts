// Issue 12: account tokens bound to their moment (S21), security notices read from the real
// mails in MailDev in English and Russian (S19), and equal work for known and unknown
// addresses proven by the statements that run (no stopwatch).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type pg from 'pg';
import { login, register, type Registered } from '../../../test/helpers/factories.js';
import { normalised, request } from '../../../test/helpers/http.js';
import { userBody } from '../../../test/helpers/normalise.js';
import { startMailStack, type MailStack } from '../../../test/helpers/mail-stack.js';
import type { StoredMail } from '../../../test/helpers/maildev.js';

const PUBLIC_URL = 'https://app.example.test';
let s: MailStack;

before(async () => {
  s = await startMailStack({ PUBLIC_URL });
});
after(async () => {
  await s?.close();
});

const url = () => s.t.url;
const BAD_TOKEN = { detail: 'Invalid or expired token' };
const tag = () => randomBytes(4).toString('hex');

async function query<T>(text: string, params: unknown[] = []): Promise<T[]> {
  return (await s.t.database.pool.query(text, params)).rows as T[];
}

function mailTo(address: string, subject: RegExp, except: string[] = []) {
  return (m: StoredMail) =>
    m.to.some((a) => a.address.toLowerCase() === address.toLowerCase()) &&
    subject.test(m.subject) &&
    !except.includes(m.id);
}

function tokenOf(mail: StoredMail, path: string): string {
  const m = new RegExp(`${PUBLIC_URL}${path}#token=([A-Za-z0-9_-]{43})`).exec(mail.text ?? '');
  assert.ok(m, `no ${path} link in: ${mail.text}`);
  return m[1]!;
}

const RESET = /^Reset your password/;
const VERIFY = /^Verify your e-mail address/;

async function recoveryToken(email: string, except: string[] = []): Promise<[string, string]> {
  const res = await request(url(), 'POST', '/api/v1/users/password-recovery', {
    json: { email },
  });
  assert.equal(res.status, 202);
  const mail = await s.md.waitForMail(mailTo(email, RESET, except));
  return [tokenOf(mail, '/reset-password'), mail.id];
}

const reset = (token: string, password = 'a brand new passphrase 1') =>
  request(url(), 'POST', '/api/v1/users/reset-password', {
    json: { token, new_password: password, new_password_confirm: password },
  });

type SignedIn = Registered & { token: string; locale: 'en' | 'ru' };

async function signedIn(locale: 'en' | 'ru' = 'en'): Promise<SignedIn> {
  const u = await register(url());
  await query('UPDATE users SET email_verified_at = now(), locale = $2 WHERE id = $1', [
    u.id,
    locale,
  ]);
  const { access_token } = await login(url(), u.username, u.password);
  return { ...u, token: access_token, locale };
}

let suToken: string;
async function superuser(): Promise<string> {
  if (suToken === undefined) {
    const su = await signedIn();
    await query('UPDATE users SET is_superuser = true WHERE id = $1', [su.id]);
    suToken = su.token;
  }
  return suToken;
}

/** Changes the address through PATCH /me and the link mailed to the new address. */
async function changeEmail(u: SignedIn, to: string): Promise<void> {
  const res = await request<{ email: string; pending_email: string }>(
    url(),
    'PATCH',
    '/api/v1/users/me',
    { token: u.token, json: { email: to, current_password: u.password } },
  );
  assert.equal(res.status, 200, res.text);
  // The address in use stays until the new one is verified.
  const mine = { email_verified: true, locale: u.locale };
  assert.deepEqual(normalised(res.body, []), userBody(u, { ...mine, pending_email: to }));
  // Any language: the mail that carries the verification link.
  const mail = await s.md.waitForMail(
    (m) => mailTo(to, /./)(m) && (m.text ?? '').includes(`${PUBLIC_URL}/verify-email#token=`),
  );
  const verified = await request<{ email: string; pending_email: string | null }>(
    url(),
    'POST',
    '/api/v1/users/verify-email',
    { json: { token: tokenOf(mail, '/verify-email') } },
  );
  assert.equal(verified.status, 200, verified.text);
  assert.deepEqual(normalised(verified.body, []), userBody({ ...u, email: to }, mine));
}

describe('S21 reset and verification tokens are bound to their moment', () => {
  test('a reset link works only while its address is the account’s address', async () => {
    const u = await signedIn();
    const [token] = await recoveryToken(u.email);
    const to = `moved_${tag()}@example.com`;
    await changeEmail(u, to);
    const res = await reset(token);
    assert.deepEqual([res.status, res.body], [400, BAD_TOKEN]);
    // The new address signs in; the old one no longer does.
    await login(url(), to, u.password);
    const old = await request(url(), 'POST', '/api/v1/jwt/login/', {
      form: { username: u.email, password: u.password },
    });
    assert.deepEqual([old.status, old.body], [401, { detail: 'Invalid username or password' }]);
  });

  test('an administrator’s change of the address voids the links sent to the old one', async () => {
    const u = await signedIn();
    const [token] = await recoveryToken(u.email);
    const res = await request(url(), 'PATCH', `/api/v1/users/${u.id}`, {
      token: await superuser(),
      json: { email: `admin_moved_${tag()}@example.com` },
    });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual((await reset(token)).body, BAD_TOKEN);
  });

  test('a newer request supersedes the older link', async () => {
    const u = await signedIn();
    const [older, olderId] = await recoveryToken(u.email);
    const [newer] = await recoveryToken(u.email, [olderId]);
    assert.notEqual(older, newer);
    assert.deepEqual((await reset(older)).body, BAD_TOKEN);
    assert.equal((await reset(newer)).status, 204);
  });

  test('a link issued before archival does not work after restore', async () => {
    const u = await signedIn();
    const [token] = await recoveryToken(u.email);
    const su = await superuser();
    assert.equal(
      (await request(url(), 'DELETE', `/api/v1/users/${u.id}`, { token: su })).status,
      204,
    );
    const restored = await request(url(), 'POST', `/api/v1/users/${u.id}/restore`, { token: su });
    assert.equal(restored.status, 200);
    assert.deepEqual((await reset(token)).body, BAD_TOKEN);
  });

  test('a password change voids every outstanding link (reset and verification)', async () => {
    const u = await signedIn();
    await query('UPDATE users SET email_verified_at = NULL WHERE id = $1', [u.id]);
    const [token] = await recoveryToken(u.email);
    const resend = await request(url(), 'POST', '/api/v1/users/verify-email/resend', {
      token: u.token,
    });
    assert.equal(resend.status, 202);
    const verifyMail = await s.md.waitForMail(
      (m) => mailTo(u.email, VERIFY)(m) && (m.text ?? '').includes('#token='),
    );
    const changed = await request(url(), 'POST', '/api/v1/users/me/password', {
      token: u.token,
      json: {
        current_password: u.password,
        new_password: 'a changed passphrase 2',
        new_password_confirm: 'a changed passphrase 2',
      },
    });
    assert.equal(changed.status, 200);
    assert.deepEqual((await reset(token)).body, BAD_TOKEN);
    const verify = await request(url(), 'POST', '/api/v1/users/verify-email', {
      json: { token: tokenOf(verifyMail, '/verify-email') },
    });
    assert.deepEqual([verify.status, verify.body], [400, { detail: 'Invalid or expired token' }]);
    const live = await query<{ n: number }>(
      'SELECT count(*)::int AS n FROM account_tokens WHERE user_id = $1 AND used_at IS NULL',
      [u.id],
    );
    assert.equal(live[0]?.n, 0);
  });

  test('a pending address taken meanwhile: its link is refused, never a 500', async () => {
    const u = await signedIn();
    const to = `race_${tag()}@example.com`;
    const res = await request(url(), 'PATCH', '/api/v1/users/me', {
      token: u.token,
      json: { email: to, current_password: u.password },
    });
    assert.equal(res.status, 200);
    const mail = await s.md.waitForMail(mailTo(to, VERIFY));
    await register(url(), { email: to });
    const verify = await request(url(), 'POST', '/api/v1/users/verify-email', {
      json: { token: tokenOf(mail, '/verify-email') },
    });
    assert.deepEqual([verify.status, verify.body], [400, BAD_TOKEN]);
  });
});

describe('S19 security notices, in the user’s language', () => {
  const RECOVERY = `${PUBLIC_URL}/forgot-password`;

  test('password change (en): "Your password was changed" and "signed out everywhere", with the recovery link', async () => {
    const u = await signedIn('en');
    const res = await request(url(), 'POST', '/api/v1/users/me/password', {
      token: u.token,
      json: {
        current_password: u.password,
        new_password: 'a changed passphrase 3',
        new_password_confirm: 'a changed passphrase 3',
      },
    });
    assert.equal(res.status, 200);
    const changed = await s.md.waitForMail(mailTo(u.email, /^Your password was changed$/));
    assert.match(changed.text ?? '', new RegExp(`Hi ${u.username}!`));
    assert.match(changed.text ?? '', /The password of your account was changed\./);
    assert.ok(changed.text?.includes(RECOVERY));
    assert.ok(changed.html?.includes(`href="${RECOVERY}"`));
    const revoked = await s.md.waitForMail(mailTo(u.email, /^You were signed out everywhere$/));
    assert.match(revoked.text ?? '', /Every session of your account was signed out\./);
  });

  test('password reset (ru): «Ваш пароль изменён»', async () => {
    const u = await signedIn('ru');
    const res = await request(url(), 'POST', '/api/v1/users/password-recovery', {
      json: { email: u.email },
    });
    assert.equal(res.status, 202);
    const mail = await s.md.waitForMail(mailTo(u.email, /^Сброс пароля/));
    assert.equal((await reset(tokenOf(mail, '/reset-password'))).status, 204);
    const notice = await s.md.waitForMail(mailTo(u.email, /^Ваш пароль изменён$/));
    assert.match(notice.text ?? '', new RegExp(`Привет, ${u.username}!`));
    assert.match(notice.text ?? '', /Если это были не вы, сбросьте пароль сейчас/);
    assert.ok(notice.text?.includes(RECOVERY));
    assert.match(notice.html ?? '', /<html lang="ru">/);
  });

  test('e-mail change (en): the old address and the new one are told, the old one with the recovery link', async () => {
    const u = await signedIn('en');
    const to = `changed_${tag()}@example.com`;
    await changeEmail(u, to);
    const toOld = await s.md.waitForMail(mailTo(u.email, /^Your e-mail address was changed$/));
    assert.match(toOld.text ?? '', new RegExp(`changed to ${to.replace('.', '\\.')}`));
    assert.ok(toOld.text?.includes(RECOVERY));
    const toNew = await s.md.waitForMail(mailTo(to, /^Your e-mail address was changed$/));
    assert.ok(toNew.text?.includes(RECOVERY));
  });

  test('e-mail change (ru): «Адрес вашей почты изменён» to the old address', async () => {
    const u = await signedIn('ru');
    const to = `changed_ru_${tag()}@example.com`;
    await changeEmail(u, to);
    const toOld = await s.md.waitForMail(mailTo(u.email, /^Адрес вашей почты изменён$/));
    assert.match(toOld.text ?? '', /Адрес почты вашей учётной записи изменён на/);
    assert.ok(toOld.text?.includes(RECOVERY));
  });

  test('signing the other sessions out (ru) and a superuser signing a user out (en) are told', async () => {
    const ru = await signedIn('ru');
    await login(url(), ru.username, ru.password); // a second login, to be ended
    const others = await request<{ revoked: number }>(
      url(),
      'POST',
      '/api/v1/users/me/sessions/revoke-others',
      { token: ru.token },
    );
    assert.equal(others.status, 200);
    assert.deepEqual(others.body, { revoked: 1 });
    const ruMail = await s.md.waitForMail(mailTo(ru.email, /^Выполнен выход на всех устройствах$/));
    assert.match(ruMail.text ?? '', /Все сеансы вашей учётной записи завершены\./);
    assert.ok(ruMail.text?.includes(RECOVERY));

    const en = await signedIn('en');
    const all = await request<{ revoked: number }>(
      url(),
      'DELETE',
      `/api/v1/users/${en.id}/sessions`,
      { token: await superuser() },
    );
    assert.equal(all.status, 200);
    assert.deepEqual(all.body, { revoked: 1 });
    const enMail = await s.md.waitForMail(mailTo(en.email, /^You were signed out everywhere$/));
    assert.match(enMail.text ?? '', /Every session of your account was signed out\./);

    // Nothing to end: no mail (the only login is the caller's own).
    const alone = await signedIn('en');
    const none = await request<{ revoked: number }>(
      url(),
      'POST',
      '/api/v1/users/me/sessions/revoke-others',
      { token: alone.token },
    );
    assert.deepEqual(none.body, { revoked: 0 });
    const notices = await query<{ n: string }>(
      `SELECT count(*)::text AS n FROM outbox_events
       WHERE type = 'mail.security_notice' AND payload->>'user_id' = $1`,
      [String(alone.id)],
    );
    assert.deepEqual(notices, [{ n: '0' }]);
  });

  test('archival and restore by a superuser (ru and en)', async () => {
    const su = await superuser();
    const ru = await signedIn('ru');
    const en = await signedIn('en');
    for (const u of [ru, en]) {
      assert.equal(
        (await request(url(), 'DELETE', `/api/v1/users/${u.id}`, { token: su })).status,
        204,
      );
      assert.equal(
        (await request(url(), 'POST', `/api/v1/users/${u.id}/restore`, { token: su })).status,
        200,
      );
    }
    const ruArchived = await s.md.waitForMail(
      mailTo(ru.email, /^Ваша учётная запись архивирована$/),
    );
    assert.match(ruArchived.text ?? '', /Администратор архивировал/);
    await s.md.waitForMail(mailTo(ru.email, /^Ваша учётная запись восстановлена$/));
    const enArchived = await s.md.waitForMail(mailTo(en.email, /^Your account was archived$/));
    assert.match(enArchived.text ?? '', /An administrator archived your account/);
    await s.md.waitForMail(mailTo(en.email, /^Your account was restored$/));
    // The admin PATCH path tells the same.
    assert.equal(
      (
        await request(url(), 'PATCH', `/api/v1/users/${en.id}`, {
          token: su,
          json: { is_active: false },
        })
      ).status,
      200,
    );
    const notices = await query<{ kind: string }>(
      `SELECT payload->>'kind' AS kind FROM outbox_events
       WHERE type = 'mail.security_notice' AND payload->>'user_id' = $1 ORDER BY id`,
      [String(en.id)],
    );
    assert.deepEqual(
      notices.map((n) => n.kind),
      ['account_archived', 'account_restored', 'account_archived'],
    );
  });
});

let recording: string[] | undefined;
const wrapped = new WeakSet<object>();

/** Every client the app's pool hands out reports its statements to `recording`. */
function wrapClient(client: pg.PoolClient): void {
  if (wrapped.has(client)) {
    return;
  }
  wrapped.add(client);
  const original = client.query.bind(client) as (...a: unknown[]) => unknown;
  (client as { query: unknown }).query = (q: unknown, ...rest: unknown[]) => {
    const text = typeof q === 'string' ? q : String((q as { text?: string }).text ?? '');
    const statement = text.replace(/\s+/g, ' ').trim();
    // Not the request's work: the relays' post-commit wake-up (ADR 0014), raised for a known
    // and an unknown address alike, goes out on a later turn and may land in either window.
    if (statement !== 'NOTIFY outbox_events') {
      recording?.push(statement);
    }
    return original(q, ...rest);
  };
}

/**
 * The SQL texts the app sends while `fn` runs. pg's pool.query goes through pool.connect
 * too, so wrapping what connect hands out sees every statement once.
 */
async function statementsOf(fn: () => Promise<unknown>): Promise<string[]> {
  const pool = s.t.database.pool as pg.Pool & { __wrapped?: boolean };
  if (pool.__wrapped !== true) {
    pool.__wrapped = true;
    const originalConnect = pool.connect.bind(pool) as (...a: unknown[]) => unknown;
    (pool as { connect: unknown }).connect = (cb?: unknown) => {
      if (typeof cb === 'function') {
        return originalConnect((err: unknown, client: pg.PoolClient | undefined, done: unknown) => {
          if (client) {
            wrapClient(client);
          }
          (cb as (...a: unknown[]) => void)(err, client, done);
        });
      }
      return (originalConnect() as Promise<pg.PoolClient>).then((client) => {
        wrapClient(client);
        return client;
      });
    };
  }
  const seen: string[] = [];
  recording = seen;
  try {
    await fn();
  } finally {
    recording = undefined;
  }
  return seen;
}

describe('S22 equal work for known and unknown addresses (issue 12)', () => {
  test('password recovery runs the same statements for a known and an unknown address', async () => {
    const u = await signedIn();
    const known = await statementsOf(() =>
      request(url(), 'POST', '/api/v1/users/password-recovery', { json: { email: u.email } }),
    );
    const unknown = await statementsOf(() =>
      request(url(), 'POST', '/api/v1/users/password-recovery', {
        json: { email: `nobody_${tag()}@example.com` },
      }),
    );
    // One statement on either branch: find the user, void older links, store the token,
    // write the mail (ADR 0020); before issue 12 a known address ran a transaction more.
    assert.equal(known.length, 1, known.join('\n'));
    assert.deepEqual(unknown, known);
    // ...and only the known address got a mail.
    await s.md.waitForMail(mailTo(u.email, RESET));
  });

  test('resend verification runs the same statements for a free and a taken pending address', async () => {
    const taker = await signedIn();
    const a = await signedIn();
    const b = await signedIn();
    const free = `free_${tag()}@example.com`;
    for (const [user, to] of [
      [a, free],
      [b, taker.email],
    ] as const) {
      const res = await request(url(), 'PATCH', '/api/v1/users/me', {
        token: user.token,
        json: { email: to, current_password: user.password },
      });
      assert.equal(res.status, 200);
    }
    const resend = (token: string) =>
      statementsOf(() =>
        request(url(), 'POST', '/api/v1/users/verify-email/resend', { token }).then((r) => {
          assert.equal(r.status, 202);
        }),
      );
    const forFree = await resend(a.token);
    const forTaken = await resend(b.token);
    // The signed-in user's row (the guard), then the one statement of ADR 0020.
    assert.equal(forFree.length, 2, forFree.join('\n'));
    assert.deepEqual(forTaken, forFree);
    const mails = await query<{ email: string }>(
      `SELECT payload->>'email' AS email FROM outbox_events
       WHERE type = 'mail.verify_email' AND payload->>'user_id' = ANY($1) ORDER BY id`,
      [[String(a.id), String(b.id)]],
    );
    assert.ok(
      mails.every((m) => m.email !== taker.email),
      'the taken address gets no mail',
    );
  });
});
