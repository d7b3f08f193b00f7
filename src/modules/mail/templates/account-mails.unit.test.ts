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
