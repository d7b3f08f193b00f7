// End-to-end tests of the web application (issue 8, point 8) in a real browser: Debian's
// Chromium through playwright-core, against the BUILT application served by the API on a real
// database, with the mail worker and MailDev (setup.ts). Every page visited is checked with
// axe-core (no serious or critical violation); the main pages are photographed at 1280 and
// 375 px (into docs/screenshots/ with UPDATE_SCREENSHOTS=1).
// Journeys of an account: password recovery by mail, a session across reloads and sign-out,
// an archived user's open page signed out.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { request } from '../helpers/http.js';
import { expectAccessible, linkIn, screenshots } from './browser.js';
import { mailTo, newPage, person, signIn, useE2E } from './setup.js';

const e = useE2E();

describe('the web application: an account', () => {
  test('forgot password → link from the mail → the new password works, the old one does not', async () => {
    const { t, md, browser } = e;
    const user = await person(t);
    const { context, page } = await newPage(browser);
    await page.goto(`${t.url}/signin`);
    await page.getByRole('link', { name: 'Forgot your password?' }).click();
    await page.getByLabel('Email').fill(user.email);
    await expectAccessible(page, 'forgot-password');
    await page.getByRole('button', { name: 'Send the link' }).click();
    await page.getByText('If the address belongs to an account').waitFor();

    const mail = await md.waitForMail(mailTo(user.email, /password/i), 20_000);
    const link = linkIn(mail.text, '/reset-password');
    assert.ok(link.startsWith(`${t.config.publicUrl}/reset-password#token=`), link);
    await page.goto(link);
    assert.ok(!page.url().includes('token'), `the token left the address bar: ${page.url()}`);
    const newPassword = 'a brand new passphrase 42';
    await page.getByLabel('New password').fill(newPassword);
    await page.getByLabel('Confirm password').fill(newPassword);
    await expectAccessible(page, 'reset-password');
    await page.getByRole('button', { name: 'Set the password' }).click();
    await page.getByText('Your password was changed.').waitFor();
    await page.goto(`${t.url}/`);
    await page.goto(link);
    await page.getByLabel('New password').fill('yet another passphrase 43');
    await page.getByLabel('Confirm password').fill('yet another passphrase 43');
    await page.getByRole('button', { name: 'Set the password' }).click();
    await page.getByText('This link has already been used').waitFor();

    await page.goto(`${t.url}/signin`);
    await page.getByLabel('Username', { exact: true }).fill(user.username);
    await page.getByLabel('Password', { exact: true }).fill(user.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('Wrong username or password.').waitFor();
    await page.getByLabel('Password', { exact: true }).fill(newPassword);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    await context.close();
  });

  test('a reload keeps the session; sign-out ends it, and a reload then stays signed out', async () => {
    const { t, browser } = e;
    const user = await person(t);
    const { context, page } = await newPage(browser);
    await signIn(page, t.url, user.username, user.password);
    await page.goto(`${t.url}/me`);
    await page.getByText(`Email: ${user.email}`).waitFor();
    await page.reload();
    await page.getByText(`Email: ${user.email}`).waitFor();
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    // The token is in memory only: nothing of it in the page's storage or readable cookies.
    const stored = await page.evaluate<string>(
      'JSON.stringify(localStorage) + JSON.stringify(sessionStorage) + document.cookie',
    );
    assert.doesNotMatch(stored, /eyJ/);

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in', level: 1 }).waitFor();
    await page.goto(`${t.url}/me`);
    await page.waitForURL(/\/signin\?next=%2Fme$/);
    await context.close();
  });

  test("a superuser archives a user → that user's open page is signed out", async () => {
    const { t, browser } = e;
    const superuser = await person(t, { superuser: true });
    const victim = await person(t);
    const v = await newPage(browser);
    await signIn(v.page, t.url, victim.username, victim.password);
    await v.page.goto(`${t.url}/me`);
    await v.page.getByText(`Email: ${victim.email}`).waitFor();

    const a = await newPage(browser);
    await signIn(a.page, t.url, superuser.username, superuser.password);
    await a.page.goto(`${t.url}/admin/users`);
    await a.page.getByLabel('Search by username or email prefix').fill(victim.username);
    const row = a.page.getByRole('row').filter({ hasText: victim.username });
    await row.waitFor();
    await expectAccessible(a.page, 'admin users');
    await screenshots(a.page, 'admin-users');
    await row.getByRole('button', { name: `Archive: ${victim.username}` }).click();
    await row.getByText('Archived').waitFor();

    // The open page asks who is signed in every 10 s: it goes to the sign-in page by itself.
    await v.page.waitForURL(/\/signin/, { timeout: 25_000 });
    await v.page.getByRole('link', { name: 'Sign in' }).first().waitFor();
    const res = await request(t.url, 'GET', '/api/v1/users/me', { token: victim.token });
    assert.equal(res.status, 403);

    await a.page.goto(`${t.url}/admin/projects`);
    await a.page.getByRole('heading', { name: 'All projects', level: 1 }).waitFor();
    await expectAccessible(a.page, 'admin projects');
    await v.context.close();
    await a.context.close();
  });
});
