// S14, S18: the log keeps no secrets. A real reset mail goes through MailDev; its link is
// opened against the service and the captured log (startTestApp().logs()) is searched for
// the token. A failed query is logged without its parameters; probes log at debug only.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { redactQuery } from '../../src/lib/log-safety.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { newUser, register } from '../helpers/factories.js';
import { request } from '../helpers/http.js';
import type { MailDev } from '../helpers/maildev.js';
import { startMailStack, type MailStack } from '../helpers/mail-stack.js';

const PUBLIC_URL = 'https://app.example.test';
let stack: MailStack;
let md: MailDev;
let t: TestApp;
// A web application of the test's own (WEB_DIST_DIR), so the page the link opens is served
// whether or not the real one was built.
const web = mkdtempSync(join(tmpdir(), 'ifd-log-secrets-web-'));
const INDEX = '<!doctype html><title>Internships</title><div id="app"></div>';

before(async () => {
  writeFileSync(join(web, 'index.html'), INDEX);
  stack = await startMailStack({ PUBLIC_URL, LOG_LEVEL: 'info', WEB_DIST_DIR: web });
  ({ md, t } = stack);
});
after(async () => {
  await stack?.close();
  rmSync(web, { recursive: true, force: true });
});

describe('S14/S18: secrets never reach the log', () => {
  test('S18: opening the reset link from the mail leaves its token nowhere in the log', async () => {
    const u = await register(t.url);
    const asked = await request(t.url, 'POST', '/api/v1/users/password-recovery', {
      json: { email: u.email },
    });
    assert.equal(asked.status, 202);
    const mail = await md.waitForMail(
      (m) => m.to.some((a) => a.address === u.email) && /^Reset your password/.test(m.subject),
    );
    const m = /https:\/\/app\.example\.test\/reset-password#token=([A-Za-z0-9_-]{43})/.exec(
      mail.text ?? '',
    );
    assert.ok(m, `no reset link in ${mail.text}`);
    const [, token] = m as unknown as [string, string];
    // The browser opens the link: the fragment never leaves it, so the server sees the bare
    // page. A link of the older form (token in the query) must not leak either.
    const page = { headers: { accept: 'text/html' } };
    const opened = await request(t.url, 'GET', '/reset-password', page);
    assert.deepEqual([opened.status, opened.text], [200, INDEX]);
    const old = await request(t.url, 'GET', `/reset-password?token=${token}`, page);
    assert.deepEqual([old.status, old.text], [200, INDEX]);
    // …then the page posts the token; a careless client might put it in a query string too.
    await request(t.url, 'GET', `/api/v1/projects/?token=${token}&limit=1`);
    await request(t.url, 'GET', `/api/v1/projects/?access_token=${token}&reset%5Fcode=${token}`);
    const reset = await request(t.url, 'POST', '/api/v1/users/reset-password', {
      json: {
        token,
        new_password: 'a brand new passphrase',
        new_password_confirm: 'a brand new passphrase',
      },
    });
    assert.deepEqual([reset.status, reset.text], [204, '']);
    const logs = t.logs();
    assert.ok(logs.includes('/reset-password?token=[redacted]'), 'the request was logged');
    assert.ok(!logs.includes(token), 'S18: the token is in no log line');
    assert.ok(!logs.includes('a brand new passphrase'));
  });

  test('S14: a failed query is logged with its statement and cause, without its parameters', async () => {
    const body = newUser();
    await t.database.pool.query(
      `ALTER TABLE outbox_events ADD CONSTRAINT ck_test_log_params CHECK (payload->>'username' IS DISTINCT FROM '${body.username}') NOT VALID`,
    );
    try {
      const res = await request(t.url, 'POST', '/api/v1/users/', { json: body });
      assert.deepEqual([res.status, res.body], [500, { detail: 'Internal server error' }]);
      const requestId = res.headers.get('x-request-id')!;
      const lines = t
        .logs()
        .split('\n')
        .filter((l) => l.includes(requestId) && l.includes('"level":50'));
      assert.equal(lines.length, 1, 'one error line for the request');
      const line = lines[0]!;
      assert.ok(line.includes('ck_test_log_params'), 'the cause is named');
      assert.ok(line.includes('insert into \\"outbox_events\\"'), 'the statement is kept');
      assert.ok(!line.includes(body.email), 'no parameter value (the e-mail) in the log');
      assert.ok(!line.includes('Failing row contains'), 'no row detail from the driver');
    } finally {
      await t.database.pool.query('ALTER TABLE outbox_events DROP CONSTRAINT ck_test_log_params');
    }
  });

  test('S14: health probes are not logged at info; at debug they are one line each', async () => {
    const before = t.logs().length;
    assert.equal((await request(t.url, 'GET', '/health')).status, 200);
    assert.equal((await request(t.url, 'GET', '/health/ready')).status, 200);
    assert.ok(!t.logs().slice(before).includes('/health'), 'nothing at info');

    const debug = await startTestApp({ LOG_LEVEL: 'debug' });
    try {
      await request(debug.url, 'GET', '/health');
      const lines = debug
        .logs()
        .split('\n')
        .filter((l) => l.includes('"url":"/health"'));
      assert.equal(lines.length, 1, lines.join('\n'));
      assert.match(lines[0]!, /"level":20/);
      assert.match(lines[0]!, /"msg":"probe completed"/);
    } finally {
      await debug.close();
    }
  });

  test('S14: redactQuery keeps ordinary parameters and hides token-like ones', () => {
    assert.equal(
      redactQuery('/a?limit=5&token=abc&q=x&api_key=k&refresh_token=r&code=c'),
      '/a?limit=5&token=[redacted]&q=x&api_key=[redacted]&refresh_token=[redacted]&code=[redacted]',
    );
    assert.equal(redactQuery('/a'), '/a');
    assert.equal(redactQuery('/a?%E0=1&t%6Fken=s'), '/a?%E0=[redacted]&t%6Fken=[redacted]');
  });
});
