import assert from 'node:assert/strict';
import { test } from 'node:test';
import { composeMail } from '../registry.js';

const ctx = { publicUrl: 'http://127.0.0.1:8000' };
const payload = {
  v: 1,
  user_id: 3,
  username: 'ada<b>',
  email: 'ada@example.com',
  link: 'http://127.0.0.1:8000/verify-email?token=abc_DEF-123',
  expires_at: '2030-01-02T03:04:05.000Z',
};

void test('verification mail: own subject about verifying the address, link, expiry, escaped', () => {
  const r = composeMail('mail.verify_email', payload, ctx);
  assert.ok(r.ok);
  assert.equal(r.mail.to, 'ada@example.com');
  assert.match(r.mail.subject, /^Verify your e-mail address/);
  assert.ok(r.mail.text.includes(payload.link));
  assert.match(r.mail.text, /expires on Wed, 02 Jan 2030 03:04:05 GMT/);
  assert.ok(r.mail.html.includes(`href="${payload.link}"`));
  assert.doesNotMatch(r.mail.html, /ada<b>/);
});

void test('password reset mail: subject, link, expiry', () => {
  const link = 'http://127.0.0.1:8000/reset-password?token=xyz';
  const r = composeMail('mail.password_reset', { ...payload, link }, ctx);
  assert.ok(r.ok);
  assert.match(r.mail.subject, /^Reset your password/);
  assert.ok(r.mail.text.includes(link));
  assert.match(r.mail.text, /works once/);
});

void test('account mails refuse a payload without a link', () => {
  const r = composeMail('mail.password_reset', { ...payload, link: undefined }, ctx);
  assert.equal(r.ok, false);
});

// Issue 8: every template has an en and a ru text; the payload's locale picks it.
const ruPayload = {
  ...payload,
  locale: 'ru',
  link: 'http://127.0.0.1:8000/verify-email#token=abc',
};

void test('ru verification mail: Russian subject and text, the date in Russian (UTC), lang="ru"', () => {
  const r = composeMail('mail.verify_email', ruPayload, ctx);
  assert.ok(r.ok);
  assert.equal(
    r.mail.subject,
    'Подтвердите адрес электронной почты для «Стажировок для разработчиков»',
  );
  assert.match(r.mail.text, /^Привет, ada<b>!/);
  assert.match(r.mail.text, /действует до 2 января 2030 г\. в 03:04 \(UTC\)\./);
  assert.ok(r.mail.text.includes(ruPayload.link));
  assert.match(r.mail.html, /<html lang="ru">/);
  assert.doesNotMatch(r.mail.html, /ada<b>/);
});

void test('ru password reset mail and welcome mail', () => {
  const reset = composeMail('mail.password_reset', ruPayload, ctx);
  assert.ok(reset.ok);
  assert.equal(reset.mail.subject, 'Сброс пароля в «Стажировках для разработчиков»');
  const welcome = composeMail(
    'mail.welcome',
    { v: 1, user_id: 7, username: 'ada', email: 'ada@example.com', locale: 'ru' },
    ctx,
  );
  assert.ok(welcome.ok);
  assert.equal(welcome.mail.subject, 'Добро пожаловать в «Стажировки для разработчиков»! ⛵');
});

void test('a payload without a locale (written before issue 8) is English; an unknown one is refused', () => {
  const old = composeMail('mail.verify_email', payload, ctx);
  assert.ok(old.ok);
  assert.match(old.mail.html, /<html lang="en">/);
  const bad = composeMail('mail.verify_email', { ...payload, locale: 'de' }, ctx);
  assert.equal(bad.ok ? null : bad.reason, 'invalid_payload');
});

void test('application mails link to the web pages, in each locale', () => {
  const base = {
    v: 1,
    user_id: 3,
    username: 'mentor',
    email: 'm@example.com',
    application_id: 9,
    project_id: 42,
    project_title: 'Board',
    role: 'developer',
  };
  for (const locale of ['en', 'ru']) {
    const submitted = composeMail(
      'mail.application_submitted',
      { ...base, locale, applicant_username: 'ada', motivation: 'hi' },
      ctx,
    );
    assert.ok(submitted.ok);
    assert.ok(submitted.mail.text.includes('http://127.0.0.1:8000/projects/42/applications'));
    const decided = composeMail(
      'mail.application_decided',
      { ...base, locale, status: 'rejected', reason: null },
      ctx,
    );
    assert.ok(decided.ok);
    assert.ok(decided.mail.text.includes('http://127.0.0.1:8000/projects/42\n'));
    assert.doesNotMatch(decided.mail.text, /\/api\/v1\//);
  }
});

// Issue 12 (S19): security notices, each kind in both languages, the recovery link, escaped.
void test('security notices: a subject per kind and language, the recovery link, the name escaped', () => {
  const kinds = [
    'password_changed',
    'email_changed',
    'sessions_revoked',
    'account_archived',
    'account_restored',
  ] as const;
  const subjects = new Set<string>();
  for (const locale of ['en', 'ru'] as const) {
    for (const kind of kinds) {
      const r = composeMail(
        'mail.security_notice',
        { ...payload, locale, kind, occurred_at: '2030-01-02T03:04:05.000Z' },
        ctx,
      );
      assert.ok(r.ok, `${locale} ${kind}`);
      subjects.add(r.mail.subject);
      assert.doesNotMatch(r.mail.html, /ada<b>/);
      const reacts = kind !== 'account_archived' && kind !== 'account_restored';
      assert.equal(r.mail.text.includes(`${ctx.publicUrl}/forgot-password`), reacts, kind);
    }
  }
  assert.equal(subjects.size, 10, 'ten distinct subjects');
  const bad = composeMail('mail.security_notice', { ...payload, kind: 'nonsense' }, ctx);
  assert.equal(bad.ok, false);
});
