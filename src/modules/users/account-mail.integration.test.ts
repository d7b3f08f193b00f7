// Issue 4: e-mail verification and password recovery, read from the REAL mails in MailDev
// (outbox → relay → RabbitMQ → worker → SMTP): each link works exactly once and expires.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import pino from 'pino';
import { startTestApp, type TestApp } from '../../../test/helpers/app.js';
import { login, register } from '../../../test/helpers/factories.js';
import { normalised, request } from '../../../test/helpers/http.js';
import { invalid, userBody } from '../../../test/helpers/normalise.js';
import {
  mailView,
  startMailDev,
  type MailDev,
  type MailView,
  type StoredMail,
} from '../../../test/helpers/maildev.js';
import { deleteTestTopology, mailTestEnv } from '../../../test/helpers/worker.js';
import { startWorker, type Worker } from '../../worker.js';

const PUBLIC_URL = 'https://app.example.test';
let md: MailDev;
let t: TestApp;
let worker: Worker;

before(async () => {
  md = await startMailDev();
  t = await startTestApp(mailTestEnv({ SMTP_URL: md.smtpUrl, PUBLIC_URL }));
  worker = await startWorker(t.config, { log: pino({ level: 'silent' }) });
});
after(async () => {
  await worker?.close().catch(() => {});
  if (t) {
    await deleteTestTopology(t.config).catch(() => {});
  }
  await t?.close().catch(() => {});
  await md?.close().catch(() => {});
});

async function query<T>(sql: string, params: unknown[] = []): Promise<T[]> {
  return (await t.database.pool.query(sql, params)).rows as T[];
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('base64url');

function mailTo(address: string, subject: RegExp, except: string[] = []) {
  return (m: StoredMail) =>
    m.to.some((a) => a.address.toLowerCase() === address.toLowerCase()) &&
    subject.test(m.subject) &&
    !except.includes(m.id);
}

/** The link and token of a mail, as a user would click it. */
function linkOf(mail: StoredMail, path: string): { link: string; token: string } {
  // Issue 8: the page of the web application, the token in the fragment (never sent to a server).
  const m = new RegExp(`${PUBLIC_URL}${path}#token=([A-Za-z0-9_-]{43})`).exec(mail.text ?? '');
  assert.ok(m, `no ${path} link in: ${mail.text}`);
  assert.ok(mail.html?.includes(`href="${m[0]}"`), 'the HTML part links the same URL');
  return { link: m[0], token: m[1]! };
}

/**
 * The verification or reset mail to `u` as its reader sees it, its token "<token>" and its
 * expiry the stored token's (English mails give it as `Date#toUTCString` does).
 */
function linkMail(
  kind: 'verify' | 'reset',
  u: { username: string; email: string },
  expiresAt: Date,
): MailView {
  const once = `The link works once and expires on ${expiresAt.toUTCString()}.`;
  const [subject, intro, path, ignore] =
    kind === 'verify'
      ? [
          'Verify your e-mail address for Internship for developers',
          [`Please confirm that ${u.email} is your e-mail address by opening this link:`],
          '/verify-email',
          'If you did not ask for this, ignore this mail: nothing changes.',
        ]
      : [
          'Reset your password for Internship for developers',
          [
            'Someone (hopefully you) asked to reset the password of your account.',
            'To choose a new password, open this link:',
          ],
          '/reset-password',
          'If you did not ask for this, ignore this mail: your password stays as it is.',
        ];
  return {
    from: ['admin@site.com'], // MAIL_FROM's development default
    to: [u.email],
    subject,
    text: [
      `Hi ${u.username}!`,
      '',
      ...intro,
      '',
      `${PUBLIC_URL}${path}#token=<token>`,
      '',
      once,
      ignore,
      '',
      'The IFD team',
      '',
    ].join('\n'),
  };
}

const VERIFY = /^Verify your e-mail address/;
const RESET = /^Reset your password/;
const RECOVERY_QUEUED = { detail: 'If the address belongs to an account, a mail is on its way.' };
const BAD_TOKEN = { detail: 'Invalid or expired token' };
const USED = { detail: 'LINK_ALREADY_USED' };

describe('e-mail verification', () => {
  test('registration sends a verification mail of its own; its link works exactly once', async () => {
    const u = await register(t.url);
    const mail = await md.waitForMail(mailTo(u.email, VERIFY));
    const welcome = await md.waitForMail(mailTo(u.email, /^Welcome to Internship/));
    assert.notEqual(mail.id, welcome.id, 'not folded into the welcome mail');
    const { token } = linkOf(mail, '/verify-email');

    // Only a hash is stored (never the token itself).
    const rows = await query<{ token_hash: string; ttl: number; expires_at: Date }>(
      `SELECT token_hash, extract(epoch FROM t.expires_at - t.created_at)::int AS ttl,
              t.expires_at
       FROM account_tokens t JOIN users u ON u.id = t.user_id WHERE u.username = $1`,
      [u.username],
    );
    assert.equal(rows.length, 1);
    assert.equal(rows[0]?.token_hash, sha256(token));
    assert.ok(Math.abs((rows[0]?.ttl ?? 0) - 24 * 3600) <= 2, 'EMAIL_VERIFICATION_TTL: 24 h');
    assert.deepEqual(mailView(mail), linkMail('verify', u, rows[0].expires_at));

    const pair = await login(t.url, u.username, u.password);
    const before = await request(t.url, 'GET', '/api/v1/jwt/users/me/', {
      token: pair.access_token,
    });
    // Sign-in allowed while unverified.
    assert.deepEqual([before.status, normalised(before.body, [])], [200, userBody(u)]);

    const ok = await request(t.url, 'POST', '/api/v1/users/verify-email', { json: { token } });
    assert.equal(ok.status, 200);
    assert.deepEqual(normalised(ok.body, []), userBody(u, { email_verified: true }));
    const me = await request(t.url, 'GET', '/api/v1/jwt/users/me/', { token: pair.access_token });
    // /me shows the state.
    assert.deepEqual(
      [me.status, normalised(me.body, [])],
      [200, userBody(u, { email_verified: true })],
    );

    const again = await request(t.url, 'POST', '/api/v1/users/verify-email', { json: { token } });
    assert.deepEqual([again.status, again.body], [400, USED], 'single use, and says so');
  });

  test('an expired verification link is refused', async () => {
    const u = await register(t.url);
    const { token } = linkOf(await md.waitForMail(mailTo(u.email, VERIFY)), '/verify-email');
    await query(
      "UPDATE account_tokens SET expires_at = now() - interval '1 second' WHERE token_hash = $1",
      [sha256(token)],
    );
    const res = await request(t.url, 'POST', '/api/v1/users/verify-email', { json: { token } });
    assert.deepEqual([res.status, res.body], [400, BAD_TOKEN]);
    const [row] = await query<{ verified: boolean }>(
      'SELECT email_verified_at IS NOT NULL AS verified FROM users WHERE id = $1',
      [u.id],
    );
    assert.equal(row?.verified, false);
  });

  test('resend: a new mail whose link works; the older link stops working; verified is 409', async () => {
    const u = await register(t.url);
    const first = await md.waitForMail(mailTo(u.email, VERIFY));
    const pair = await login(t.url, u.username, u.password);
    const resend = await request(t.url, 'POST', '/api/v1/users/verify-email/resend', {
      token: pair.access_token,
    });
    assert.equal(resend.status, 202);
    const second = await md.waitForMail(mailTo(u.email, VERIFY, [first.id]));
    const old = await request(t.url, 'POST', '/api/v1/users/verify-email', {
      json: { token: linkOf(first, '/verify-email').token },
    });
    assert.deepEqual([old.status, old.body], [400, BAD_TOKEN]);
    const ok = await request(t.url, 'POST', '/api/v1/users/verify-email', {
      json: { token: linkOf(second, '/verify-email').token },
    });
    assert.equal(ok.status, 200);
    const done = await request(t.url, 'POST', '/api/v1/users/verify-email/resend', {
      token: pair.access_token,
    });
    assert.deepEqual(
      [done.status, done.body],
      [409, { detail: 'E-mail address is already verified' }],
    );
    const anon = await request(t.url, 'POST', '/api/v1/users/verify-email/resend');
    assert.deepEqual([anon.status, anon.body], [401, { detail: 'Not authenticated' }]);
  });

  test('e-mail change: the new address gets a link; the old address link no longer verifies', async () => {
    const u = await register(t.url);
    const oldMail = await md.waitForMail(mailTo(u.email, VERIFY));
    const pair = await login(t.url, u.username, u.password);
    const newEmail = `changed_${u.email}`;
    const patch = await request(t.url, 'PATCH', '/api/v1/users/me', {
      json: { email: newEmail, current_password: u.password },
      token: pair.access_token,
    });
    assert.equal(patch.status, 200);
    const newMail = await md.waitForMail(mailTo(newEmail, VERIFY));
    const [pending] = await query<{ expires_at: Date }>(
      `SELECT expires_at FROM account_tokens WHERE user_id = $1 AND token_hash = $2`,
      [u.id, sha256(linkOf(newMail, '/verify-email').token)],
    );
    assert.ok(pending, 'the new link is a stored token of this user');
    assert.deepEqual(
      mailView(newMail),
      linkMail('verify', { ...u, email: newEmail }, pending.expires_at),
    );
    const stale = await request(t.url, 'POST', '/api/v1/users/verify-email', {
      json: { token: linkOf(oldMail, '/verify-email').token },
    });
    assert.deepEqual([stale.status, stale.body], [400, BAD_TOKEN]);
    const ok = await request(t.url, 'POST', '/api/v1/users/verify-email', {
      json: { token: linkOf(newMail, '/verify-email').token },
    });
    assert.equal(ok.status, 200);
    assert.deepEqual(
      normalised(ok.body, []),
      userBody({ ...u, email: newEmail }, { email_verified: true }),
    );
  });

  test('malformed or unknown tokens: 400 Invalid or expired token; a missing one 422', async () => {
    for (const token of ['x', 'A'.repeat(43), "'; DROP TABLE users; --", '😀'.repeat(20)]) {
      const res = await request(t.url, 'POST', '/api/v1/users/verify-email', { json: { token } });
      assert.deepEqual([res.status, res.body], [400, BAD_TOKEN], token);
    }
    const none = await request(t.url, 'POST', '/api/v1/users/verify-email', { json: {} });
    assert.deepEqual(
      [none.status, none.body],
      [422, invalid({ loc: ['body', 'token'], msg: 'Field required', type: 'missing' })],
    );
  });
});

describe('password recovery', () => {
  test('202 with the same body whether or not the address exists; only a real account gets a mail', async () => {
    const u = await register(t.url);
    const unknown = `nobody_${Date.now()}@example.com`;
    const a = await request(t.url, 'POST', '/api/v1/users/password-recovery', {
      json: { email: u.email.toUpperCase() },
    });
    const b = await request(t.url, 'POST', '/api/v1/users/password-recovery', {
      json: { email: unknown },
    });
    assert.deepEqual([a.status, a.body], [202, RECOVERY_QUEUED]);
    assert.deepEqual([b.status, b.body], [202, RECOVERY_QUEUED], 'the same answer');
    await md.waitForMail(mailTo(u.email, RESET));
    const none = await query(
      "SELECT 1 FROM outbox_events WHERE type = 'mail.password_reset' AND payload->>'email' = $1",
      [unknown],
    );
    assert.equal(none.length, 0);
  });

  test('the reset link sets the password once, revokes every session, and expires', async () => {
    const u = await register(t.url);
    const session = await login(t.url, u.username, u.password);
    await request(t.url, 'POST', '/api/v1/users/password-recovery', { json: { email: u.email } });
    const mail = await md.waitForMail(mailTo(u.email, RESET));
    const { token } = linkOf(mail, '/reset-password');
    const [row] = await query<{ ttl: number; token_hash: string; expires_at: Date }>(
      `SELECT token_hash, extract(epoch FROM expires_at - created_at)::int AS ttl, expires_at
       FROM account_tokens WHERE purpose = 'password_reset' AND user_id = $1`,
      [u.id],
    );
    assert.equal(row?.token_hash, sha256(token), 'stored hashed');
    assert.ok(Math.abs((row?.ttl ?? 0) - 3600) <= 2, 'valid one hour');
    assert.deepEqual(mailView(mail), linkMail('reset', u, row.expires_at));

    const body = {
      token,
      new_password: 'recovered passphrase 1',
      new_password_confirm: 'recovered passphrase 1',
    };
    const mismatch = await request(t.url, 'POST', '/api/v1/users/reset-password', {
      json: { ...body, new_password_confirm: 'something else' },
    });
    assert.deepEqual([mismatch.status, mismatch.body], [400, { detail: 'Passwords do not match' }]);
    const common = await request(t.url, 'POST', '/api/v1/users/reset-password', {
      json: { token, new_password: 'password123', new_password_confirm: 'password123' },
    });
    assert.deepEqual(
      [common.status, common.body],
      [
        422,
        invalid({
          loc: ['body', 'new_password'],
          msg: 'This password is too common: it appears in lists of leaked passwords. Choose another one.',
          type: 'value_error.password_common',
        }),
      ],
    );

    const ok = await request(t.url, 'POST', '/api/v1/users/reset-password', { json: body });
    assert.deepEqual([ok.status, ok.text], [204, '']);
    const again = await request(t.url, 'POST', '/api/v1/users/reset-password', {
      json: {
        ...body,
        new_password: 'another passphrase 2',
        new_password_confirm: 'another passphrase 2',
      },
    });
    assert.deepEqual([again.status, again.body], [400, USED], 'single use, and says so');
    const refused = await request(t.url, 'POST', '/api/v1/jwt/refresh/', {
      token: session.refresh_token,
    });
    // All sessions revoked.
    assert.deepEqual([refused.status, refused.body], [401, { detail: 'Invalid token error.' }]);
    await assert.rejects(login(t.url, u.username, u.password));
    await login(t.url, u.username, body.new_password);
    const me = await request(t.url, 'GET', '/api/v1/users/me', {
      token: (await login(t.url, u.username, body.new_password)).access_token,
    });
    // The link proved the address.
    assert.deepEqual(
      [me.status, normalised(me.body, [])],
      [200, userBody(u, { email_verified: true })],
    );

    // A second link, expired: refused, the password stays.
    await request(t.url, 'POST', '/api/v1/users/password-recovery', { json: { email: u.email } });
    const second = await md.waitForMail(mailTo(u.email, RESET, [mail.id]));
    const t2 = linkOf(second, '/reset-password').token;
    await query(
      "UPDATE account_tokens SET expires_at = now() - interval '1 second' WHERE token_hash = $1",
      [sha256(t2)],
    );
    const expired = await request(t.url, 'POST', '/api/v1/users/reset-password', {
      json: {
        token: t2,
        new_password: 'too late passphrase',
        new_password_confirm: 'too late passphrase',
      },
    });
    assert.deepEqual([expired.status, expired.body], [400, BAD_TOKEN]);
    await login(t.url, u.username, body.new_password);
  });

  test('two concurrent uses of one reset link: exactly one succeeds, the other is a second use', async () => {
    const u = await register(t.url);
    await request(t.url, 'POST', '/api/v1/users/password-recovery', { json: { email: u.email } });
    const { token } = linkOf(await md.waitForMail(mailTo(u.email, RESET)), '/reset-password');
    const results = await Promise.all(
      ['first passphrase x1', 'second passphrase x2'].map((p) =>
        request(t.url, 'POST', '/api/v1/users/reset-password', {
          json: { token, new_password: p, new_password_confirm: p },
        }),
      ),
    );
    assert.deepEqual(
      results.map((r) => [r.status, r.body]).sort((a, b) => Number(a[0]) - Number(b[0])),
      [
        [204, undefined],
        [400, USED],
      ],
    );
  });

  test('a verification token is not a reset token (purpose is checked)', async () => {
    const u = await register(t.url);
    const { token } = linkOf(await md.waitForMail(mailTo(u.email, VERIFY)), '/verify-email');
    const res = await request(t.url, 'POST', '/api/v1/users/reset-password', {
      json: {
        token,
        new_password: 'cross purpose pass',
        new_password_confirm: 'cross purpose pass',
      },
    });
    assert.deepEqual([res.status, res.body], [400, BAD_TOKEN]);
  });
});
