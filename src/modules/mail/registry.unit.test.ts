import assert from 'node:assert/strict';
import { test } from 'node:test';
import { composeMail } from './registry.js';

const ctx = { publicUrl: 'http://127.0.0.1:8000' };

void test('welcome mail: subject, greeting by username, text and HTML parts, recipient', () => {
  const r = composeMail(
    'mail.welcome',
    { v: 1, user_id: 7, username: 'ada', email: 'ada@example.com' },
    ctx,
  );
  assert.ok(r.ok);
  assert.equal(r.mail.to, 'ada@example.com');
  assert.equal(r.mail.subject, 'Welcome to Internship for developers! ⛵');
  assert.match(r.mail.text, /^Hi ada!/);
  assert.match(r.mail.text, /learn new technologies, work on real projects/);
  assert.match(r.mail.text, /Good luck!/);
  assert.match(r.mail.text, /IFD team/);
  assert.match(r.mail.html, /<strong>ada<\/strong>/);
});

void test('welcome mail escapes user-provided values in HTML', () => {
  const r = composeMail(
    'mail.welcome',
    { v: 1, user_id: 7, username: '<script>alert("x")</script>&', email: 'x@example.com' },
    ctx,
  );
  assert.ok(r.ok);
  assert.doesNotMatch(r.mail.html, /<script>/);
  assert.match(r.mail.html, /&lt;script&gt;alert\(&quot;x&quot;\)&lt;\/script&gt;&amp;/);
  assert.match(r.mail.text, /<script>/); // plain text is not HTML: kept as typed
});

void test('unknown type and invalid payload are refused with a reason', () => {
  const unknown = composeMail('mail.nope', {}, ctx);
  assert.deepEqual(unknown.ok ? null : unknown.reason, 'unknown_type');
  const proto = composeMail('toString', {}, ctx);
  assert.equal(proto.ok, false);
  const bad = composeMail('mail.welcome', { v: 1, user_id: 'x', username: 'a' }, ctx);
  assert.equal(bad.ok ? null : bad.reason, 'invalid_payload');
  assert.match(bad.ok ? '' : bad.detail, /email/);
});
