// End-to-end journeys of the web application (issue 8, point 8) in a real browser: Debian's
// Chromium through playwright-core, against the BUILT application served by the API on a real
// database, with the mail worker and MailDev. Every page visited is checked with axe-core (no
// serious or critical violation); the main pages are photographed at 1280 and 375 px into
// docs/screenshots/. The public pages' JavaScript budget is checked on the same build.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import pino from 'pino';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { PUBLIC_JS_BUDGET, publicJs } from '../../scripts/web-budget.js';
import { startWorker, type Worker } from '../../src/worker.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { login, newUser, register } from '../helpers/factories.js';
import { request } from '../helpers/http.js';
import { freePort, startMailDev, type MailDev, type StoredMail } from '../helpers/maildev.js';
import { makeProject } from '../helpers/projects.js';
import { deleteTestTopology, mailTestEnv } from '../helpers/worker.js';
import { buildWeb, expectAccessible, launchBrowser, linkIn, screenshots } from './browser.js';

let dist: string;
let md: MailDev;
let t: TestApp;
let worker: Worker;
let browser: Browser;

interface Person {
  id: number;
  username: string;
  email: string;
  password: string;
  token: string;
}

/** A user made through the API (faster than the UI) with the flags set in the database. */
async function person(opts: { superuser?: boolean; verified?: boolean } = {}): Promise<Person> {
  const u = await register(t.url);
  await t.database.pool.query(
    `UPDATE users SET is_superuser = $2,
       email_verified_at = CASE WHEN $3::boolean THEN now() ELSE NULL END WHERE id = $1`,
    [u.id, opts.superuser === true, opts.verified !== false],
  );
  return { ...u, token: (await login(t.url, u.username, u.password)).access_token };
}

before(async () => {
  dist = await buildWeb();
  md = await startMailDev();
  const port = await freePort();
  t = await startTestApp(
    mailTestEnv({
      SMTP_URL: md.smtpUrl,
      // The page's origin: mail links open it and the CSRF check compares Origin with it.
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      WEB_DIST_DIR: dist,
    }),
    { port },
  );
  worker = await startWorker(t.config, { log: pino({ level: 'silent' }) });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close().catch(() => {});
  await worker?.close().catch(() => {});
  if (t) {
    await deleteTestTopology(t.config).catch(() => {});
  }
  await t?.close().catch(() => {});
  await md?.close().catch(() => {});
  if (dist) {
    rmSync(dist, { recursive: true, force: true });
  }
});

async function newPage(): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  // The page's own errors go to the test output: a failing journey then says why.
  page.on('pageerror', (e) => console.log(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') {
      console.log(`page console: ${m.text()}`);
    }
  });
  page.on('requestfailed', (r) => console.log(`request failed: ${r.url()} ${r.failure()?.errorText}`));
  return { context, page };
}

const mailTo = (address: string, subject: RegExp) => (m: StoredMail) =>
  m.to.some((a) => a.address.toLowerCase() === address.toLowerCase()) && subject.test(m.subject);

async function signIn(page: Page, username: string, password: string): Promise<void> {
  await page.goto(`${t.url}/signin`);
  await page.getByLabel('Username', { exact: true }).fill(username);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
}

describe('the web application in a browser', () => {
  test("the public pages' JavaScript is at most 150 KB gzipped (budget, ADR 0006)", () => {
    const pages = publicJs(dist);
    assert.equal(pages.length, 7, 'the catalogue and six public pages are weighed');
    for (const p of pages) {
      assert.ok(p.total > 50 * 1024, `${p.page}: ${p.total} bytes is implausibly small`);
      assert.ok(p.total <= PUBLIC_JS_BUDGET, `${p.page}: ${p.total} bytes gzipped`);
    }
  });

  test('sign up → verification link from the mail → sign in → apply → the mentor accepts → "my projects"', async () => {
    const superuser = await person({ superuser: true });
    const mentor = await person();
    const project = await makeProject(t, superuser, {
      status: 'recruiting',
      mentors: [mentor],
      title: `Team board ${Date.now()}`,
      description: 'A kanban board for internship teams.',
      tags: ['typescript', 'postgresql'],
    });
    const intern = newUser();
    const { context, page } = await newPage();

    await page.goto(`${t.url}/`);
    await page.getByRole('heading', { name: 'Internship projects' }).waitFor();
    await page.getByRole('link', { name: project.title }).waitFor().catch(async (e: unknown) => {
      console.log('DEBUG', await page.locator('body').innerText());
      throw e;
    });
    await expectAccessible(page, 'the catalogue');
    await screenshots(page, 'catalogue');

    await page.getByRole('link', { name: project.title }).click();
    await page.getByRole('heading', { name: project.title, level: 1 }).waitFor();
    await page.getByText(mentor.username).waitFor();
    await expectAccessible(page, 'a project page');
    await screenshots(page, 'project');

    await page.getByRole('link', { name: 'Sign up' }).first().click();
    await page.getByRole('heading', { name: 'Create an account' }).waitFor();
    await page.getByLabel('Username').fill(intern.username);
    await page.getByLabel('Email').fill(intern.email);
    await page.getByLabel('Password', { exact: true }).fill(intern.password);
    await page.getByLabel('Confirm password').fill('not the same password');
    await page.getByRole('button', { name: 'Sign up' }).click();
    await page.getByText('The passwords do not match').waitFor();
    await page.getByLabel('Confirm password').fill(intern.password);
    await expectAccessible(page, 'sign-up');
    await screenshots(page, 'signup');
    await page.getByRole('button', { name: 'Sign up' }).click();
    await page.getByText(`We sent a link to ${intern.email}`).waitFor();

    const mail = await md.waitForMail(mailTo(intern.email, /verify/i), 20_000);
    const link = linkIn(mail.text, '/verify-email');
    assert.ok(link.startsWith(`${t.config.publicUrl}/verify-email`), link);
    await page.goto(link);
    await page.getByText('Your email address is verified.').waitFor();
    assert.ok(!page.url().includes('token'), `the token left the address bar: ${page.url()}`);
    await expectAccessible(page, 'verify-email');

    await page.getByRole('link', { name: 'Sign in' }).last().click();
    await page.getByLabel('Username', { exact: true }).fill(intern.username);
    await page.getByLabel('Password', { exact: true }).fill('wrong password!');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('Wrong username or password.').waitFor();
    await expectAccessible(page, 'sign-in');
    await screenshots(page, 'signin');
    await page.getByLabel('Password', { exact: true }).fill(intern.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Sign out' }).waitFor();

    await page.goto(`${t.url}/projects/${project.id}`);
    await page.getByRole('link', { name: 'Apply' }).click();
    await page.getByRole('heading', { name: `Apply to ${project.title}` }).waitFor();
    await page.getByLabel('Motivation').fill('I want to learn PostgreSQL on a real team.');
    await expectAccessible(page, 'apply');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.getByText('Your application was sent.').waitFor();
    await page.goto(`${t.url}/me/applications`);
    await page.getByRole('link', { name: project.title }).waitFor();
    await page.getByText('Pending').waitFor();
    await expectAccessible(page, 'my applications');
    await screenshots(page, 'my-applications');

    // The mentor, in a browser of their own, follows the new-application mail's page.
    const m = await newPage();
    await signIn(m.page, mentor.username, mentor.password);
    await m.page.goto(`${t.url}/projects/${project.id}/applications`);
    const card = m.page.getByRole('listitem').filter({ hasText: intern.username });
    await card.waitFor();
    await expectAccessible(m.page, 'the applications inbox');
    await screenshots(m.page, 'mentor-inbox');
    await card.getByRole('button', { name: 'Accept' }).click();
    await m.page.getByText('Decision saved.').waitFor();
    await m.page.goto(`${t.url}/projects/${project.id}/manage`);
    await m.page.getByRole('cell', { name: intern.username }).waitFor();
    await expectAccessible(m.page, 'manage a project');
    await m.context.close();

    await page.goto(`${t.url}/me/projects`);
    const mine = page.getByRole('listitem').filter({ hasText: project.title });
    await mine.getByText('Your role: Developer').waitFor();
    await expectAccessible(page, 'my projects');
    await screenshots(page, 'my-projects');
    await page.goto(`${t.url}/me`);
    await page.getByRole('heading', { name: 'Profile', level: 1 }).waitFor();
    await expectAccessible(page, 'the profile');
    await screenshots(page, 'profile');
    await context.close();
  });

  test('forgot password → link from the mail → the new password works, the old one does not', async () => {
    const user = await person();
    const { context, page } = await newPage();
    await page.goto(`${t.url}/signin`);
    await page.getByRole('link', { name: 'Forgot your password?' }).click();
    await page.getByLabel('Email').fill(user.email);
    await expectAccessible(page, 'forgot-password');
    await page.getByRole('button', { name: 'Send the link' }).click();
    await page.getByText('If the address belongs to an account').waitFor();

    const mail = await md.waitForMail(mailTo(user.email, /password/i), 20_000);
    await page.goto(linkIn(mail.text, '/reset-password'));
    assert.ok(!page.url().includes('token'), `the token left the address bar: ${page.url()}`);
    const newPassword = 'a brand new passphrase 42';
    await page.getByLabel('New password').fill(newPassword);
    await page.getByLabel('Confirm password').fill(newPassword);
    await expectAccessible(page, 'reset-password');
    await page.getByRole('button', { name: 'Set the password' }).click();
    await page.getByText('Your password was changed.').waitFor();

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
    const user = await person();
    const { context, page } = await newPage();
    await signIn(page, user.username, user.password);
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
    const superuser = await person({ superuser: true });
    const victim = await person();
    const v = await newPage();
    await signIn(v.page, victim.username, victim.password);
    await v.page.goto(`${t.url}/me`);
    await v.page.getByText(`Email: ${victim.email}`).waitFor();

    const a = await newPage();
    await signIn(a.page, superuser.username, superuser.password);
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

  test('the language switch: English by default, Russian remembered across a reload', async () => {
    const { context, page } = await newPage();
    await page.goto(`${t.url}/`);
    await page.getByRole('heading', { name: 'Internship projects' }).waitFor();
    assert.equal(await page.locator('html').getAttribute('lang'), 'en');
    await page.getByRole('button', { name: 'RU (Русский)' }).click();
    await page.getByRole('heading', { name: 'Проекты для стажировки' }).waitFor();
    assert.equal(await page.locator('html').getAttribute('lang'), 'ru');
    await expectAccessible(page, 'the catalogue in Russian');
    await page.reload();
    await page.getByRole('heading', { name: 'Проекты для стажировки' }).waitFor();
    await page.goto(`${t.url}/signin`);
    await page.getByLabel('Имя пользователя', { exact: true }).waitFor();
    await page.getByRole('button', { name: 'EN (English)' }).click();
    await page.getByLabel('Username', { exact: true }).waitFor();
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    assert.equal(await page.evaluate<string | null>("localStorage.getItem('ifd.lang')"), 'en');
    await context.close();
  });

  test('unknown client routes get the application; API paths keep their JSON 404', async () => {
    const { context, page } = await newPage();
    await page.goto(`${t.url}/no/such/page`);
    await page.getByText('This page does not exist.').waitFor();
    await expectAccessible(page, 'not found');
    const api = await request(t.url, 'GET', '/api/v1/no-such-route');
    assert.equal(api.status, 404);
    assert.match(api.text, /"detail"/);
    await context.close();
  });
});
