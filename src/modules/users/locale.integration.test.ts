// Issue 8: a user's language is kept with the account and every mail to them is written in
// it (subject included), read from the REAL mails in MailDev; mail links open the web
// application's pages with the token in the fragment, and no token reaches a log (S18).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { TestApp } from '../../../test/helpers/app.js';
import { login, newUser, register } from '../../../test/helpers/factories.js';
import { normalised, request } from '../../../test/helpers/http.js';
import { invalid, userBody } from '../../../test/helpers/normalise.js';
import type { MailDev, StoredMail } from '../../../test/helpers/maildev.js';
import { makeUser } from '../../../test/helpers/projects.js';
import { startMailStack, type MailStack } from '../../../test/helpers/mail-stack.js';

const PUBLIC_URL = 'https://app.example.test';
let stack: MailStack;
let md: MailDev;
let t: TestApp;

before(async () => {
  // Request lines are logged at info: the S18 test reads them.
  stack = await startMailStack({ PUBLIC_URL, LOG_LEVEL: 'info' });
  ({ md, t } = stack);
});
after(async () => {
  await stack?.close();
});

const to = (address: string, subject: RegExp) => (m: StoredMail) =>
  m.to.some((a) => a.address.toLowerCase() === address.toLowerCase()) && subject.test(m.subject);

function tokenOf(mail: StoredMail, page: string): string {
  const m = new RegExp(`${PUBLIC_URL}${page}#token=([A-Za-z0-9_-]{43})`).exec(mail.text ?? '');
  assert.ok(m, `no ${page}#token= link in: ${mail.text}`);
  return m[1]!;
}

/** An optional union of constants: each branch says why the value did not match. */
const LOCALE_ERRORS = [
  { loc: ['body', 'locale'], msg: 'must be equal to constant', type: 'const' },
  { loc: ['body', 'locale'], msg: 'must be equal to constant', type: 'const' },
  { loc: ['body', 'locale'], msg: 'must match a schema in anyOf', type: 'anyOf' },
];

describe('users.locale', () => {
  test('registration takes an optional locale; every representation carries it', async () => {
    const first = newUser();
    const plain = await request(t.url, 'POST', '/api/v1/users/', { json: first });
    assert.equal(plain.status, 201);
    // English by default.
    assert.deepEqual(normalised(plain.body), userBody({ ...first, id: '<id>' }));
    const body = newUser();
    const ru = await request(t.url, 'POST', '/api/v1/users/', { json: { ...body, locale: 'ru' } });
    assert.equal(ru.status, 201);
    const id = ru.body.id as number;
    const expected = userBody({ ...body, id }, { locale: 'ru' });
    assert.deepEqual(normalised(ru.body, []), expected);
    const pair = await login(t.url, body.username, body.password);
    for (const path of ['/api/v1/jwt/users/me/', '/api/v1/users/me']) {
      const me = await request(t.url, 'GET', path, { token: pair.access_token });
      assert.deepEqual([me.status, normalised(me.body, [])], [200, expected], path);
    }
    const admin = await makeUser(t, { superuser: true });
    const list = await request<{ items: { id: number; locale: string }[] }>(
      t.url,
      'GET',
      `/api/v1/users/?q=${body.username}`,
      { token: admin.token },
    );
    // The list's entries leave out pending_email (shown to the user themself and on /users/{id}).
    const listed = { ...expected };
    delete listed.pending_email;
    assert.deepEqual(normalised(list.body, []), { items: [listed], next_cursor: null });
    const one = await request(t.url, 'GET', `/api/v1/users/${id}`, {
      token: admin.token,
    });
    assert.deepEqual([one.status, normalised(one.body, [])], [200, expected]);
  });

  test('an unknown locale is a 422 naming the field, on registration and PATCH /users/me', async () => {
    const bad = await request<{ errors: { loc: string[] }[] }>(t.url, 'POST', '/api/v1/users/', {
      json: { ...newUser(), locale: 'de' },
    });
    assert.deepEqual([bad.status, bad.body], [422, invalid(...LOCALE_ERRORS)]);
    const u = await makeUser(t);
    const patch = await request(t.url, 'PATCH', '/api/v1/users/me', {
      token: u.token,
      json: { locale: 'EN' },
    });
    assert.deepEqual([patch.status, patch.body], [422, invalid(...LOCALE_ERRORS)]);
  });

  test('PATCH /users/me changes the locale alone (no password needed); the column refuses others', async () => {
    const u = await makeUser(t);
    const res = await request(t.url, 'PATCH', '/api/v1/users/me', {
      token: u.token,
      json: { locale: 'ru' },
    });
    assert.equal(res.status, 200);
    const verified = userBody(u, { email_verified: true });
    assert.deepEqual(normalised(res.body, []), { ...verified, locale: 'ru' });
    const back = await request(t.url, 'PATCH', '/api/v1/users/me', {
      token: u.token,
      json: { locale: 'en' },
    });
    assert.deepEqual([back.status, normalised(back.body, [])], [200, verified]);
    await assert.rejects(
      t.database.pool.query("UPDATE users SET locale = 'de' WHERE id = $1", [u.id]),
      /ck_users_locale/,
    );
  });
});

describe('mails in the recipient’s language', () => {
  test('ru: the welcome and verification mails in Russian, subject included; the link opens the page', async () => {
    const body = newUser();
    assert.equal(
      (await request(t.url, 'POST', '/api/v1/users/', { json: { ...body, locale: 'ru' } })).status,
      201,
    );
    const welcome = await md.waitForMail(to(body.email, /Добро пожаловать/));
    assert.equal(welcome.subject, 'Добро пожаловать в «Стажировки для разработчиков»! ⛵');
    assert.match(welcome.text ?? '', new RegExp(`^Привет, ${body.username}!`));
    assert.match(welcome.html ?? '', /<html lang="ru">/);
    const verify = await md.waitForMail(to(body.email, /^Подтвердите адрес/));
    assert.equal(
      verify.subject,
      'Подтвердите адрес электронной почты для «Стажировок для разработчиков»',
    );
    assert.match(verify.text ?? '', /Ссылка работает один раз и действует до .+ \(UTC\)\./);
    const token = tokenOf(verify, '/verify-email');
    assert.ok(verify.html?.includes(`href="${PUBLIC_URL}/verify-email#token=${token}"`));
    const ok = await request(t.url, 'POST', '/api/v1/users/verify-email', { json: { token } });
    assert.equal(ok.status, 200);
    const again = await request(t.url, 'POST', '/api/v1/users/verify-email', { json: { token } });
    assert.deepEqual([again.status, again.body], [400, { detail: 'LINK_ALREADY_USED' }]);
  });

  test('en stays the v1 text; a user who switched to ru gets the reset mail in Russian', async () => {
    const u = await register(t.url);
    const welcome = await md.waitForMail(to(u.email, /^Welcome/));
    assert.equal(welcome.subject, 'Welcome to Internship for developers! ⛵');
    assert.match(welcome.text ?? '', new RegExp(`^Hi ${u.username}!`));
    const pair = await login(t.url, u.username, u.password);
    await request(t.url, 'PATCH', '/api/v1/users/me', {
      token: pair.access_token,
      json: { locale: 'ru' },
    });
    await request(t.url, 'POST', '/api/v1/users/password-recovery', { json: { email: u.email } });
    const reset = await md.waitForMail(to(u.email, /^Сброс пароля/));
    assert.equal(reset.subject, 'Сброс пароля в «Стажировках для разработчиков»');
    assert.ok(reset.text?.includes('Чтобы выбрать новый пароль, откройте эту ссылку:'));
    tokenOf(reset, '/reset-password');
  });
});

describe('S18: a single-use token never reaches a log line', () => {
  test('opening a link and using its token leaves no token in the request log', async () => {
    const u = await register(t.url);
    const token = tokenOf(await md.waitForMail(to(u.email, /^Verify/)), '/verify-email');
    // The browser sends no fragment; an old-style ?token= link or a client that puts a token
    // in a query string is redacted by the request serializer.
    await request(t.url, 'GET', `/verify-email#token=${token}`, {
      headers: { accept: 'text/html' },
    });
    await request(t.url, 'GET', `/verify-email?token=${token}&lang=ru`);
    await request(t.url, 'GET', `/api/v1/users/me?access_token=${token}`);
    const used = await request(t.url, 'POST', '/api/v1/users/verify-email', { json: { token } });
    assert.equal(used.status, 200);
    const logs = t.logs();
    assert.ok(
      logs.includes('"url":"/verify-email?token=[redacted]&lang=ru"'),
      'the request was logged',
    );
    assert.ok(logs.includes('"url":"/api/v1/users/me?access_token=[redacted]"'));
    assert.equal(logs.includes(token), false, 'the token itself is nowhere in the log');
  });
});
