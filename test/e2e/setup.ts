// Shared set-up of the end-to-end files: one production build of web/ (one per npm test run),
// MailDev, the real app on a fresh database (listening on the port PUBLIC_URL names), the mail
// worker in-process and Chromium. Each file calls useE2E() at top level; the files run in parallel (two at a time).
import { rmSync } from 'node:fs';
import { after, before } from 'node:test';
import pino from 'pino';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startWorker, type Worker } from '../../src/worker.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { login, register } from '../helpers/factories.js';
import {
  freePort,
  mailDevPorts,
  startMailDev,
  type MailDev,
  type StoredMail,
} from '../helpers/maildev.js';
import { deleteTestTopology, mailTestEnv } from '../helpers/worker.js';
import { launchBrowser, webDist } from './browser.js';
import { startTogether } from '../helpers/together.js';

export interface Person {
  id: number;
  username: string;
  email: string;
  password: string;
  token: string;
}

export interface E2E {
  dist: string;
  md: MailDev;
  t: TestApp;
  browser: Browser;
}

export function useE2E(): E2E {
  const e = {} as E2E;
  let worker: Worker | undefined;
  let ownDist = false;
  before(async () => {
    const built = await webDist();
    e.dist = built.dist;
    ownDist = built.owned;
    const ports = await mailDevPorts();
    const port = await freePort();
    // MailDev, the app (its database made and migrated) and Chromium start side by side.
    const app = startTestApp(
      mailTestEnv({
        SMTP_URL: ports.smtpUrl,
        // The page's origin: mail links open it and the CSRF check compares Origin with it.
        PUBLIC_URL: `http://127.0.0.1:${port}`,
        WEB_DIST_DIR: e.dist,
        // The webhooks page delivers to a receiver of the test's own on loopback (S16 allows
        // it only through these settings).
        WEBHOOK_ALLOW_HTTP: 'true',
        WEBHOOK_ALLOW_NETWORKS: '127.0.0.1/32',
        WEBHOOK_RETRY_SCALE: '0.001',
      }),
      { port },
    );
    [e.md, e.t, e.browser] = await startTogether(startMailDev(ports), app, launchBrowser());
    worker = await startWorker(e.t.config, { log: pino({ level: 'silent' }) });
  });
  after(async () => {
    await e.browser?.close().catch(() => {});
    await worker?.close().catch(() => {});
    if (e.t) {
      await deleteTestTopology(e.t.config).catch(() => {});
    }
    await e.t?.close().catch(() => {});
    await e.md?.close().catch(() => {});
    if (e.dist && ownDist) {
      rmSync(e.dist, { recursive: true, force: true });
    }
  });
  return e;
}

/** A user made through the API (faster than the UI) with the flags set in the database. */
export async function person(
  t: TestApp,
  opts: { superuser?: boolean; verified?: boolean } = {},
): Promise<Person> {
  const u = await register(t.url);
  await t.database.pool.query(
    `UPDATE users SET is_superuser = $2,
       email_verified_at = CASE WHEN $3::boolean THEN now() ELSE NULL END WHERE id = $1`,
    [u.id, opts.superuser === true, opts.verified !== false],
  );
  return { ...u, token: (await login(t.url, u.username, u.password)).access_token };
}

export async function newPage(browser: Browser): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  // The page's own errors go to the test output: a failing journey then says why.
  page.on('pageerror', (err) => console.log(`page error: ${err.message}`));
  return { context, page };
}

export const mailTo = (address: string, subject: RegExp) => (m: StoredMail) =>
  m.to.some((a) => a.address.toLowerCase() === address.toLowerCase()) && subject.test(m.subject);

export async function signIn(page: Page, base: string, username: string, password: string) {
  await page.goto(`${base}/signin`);
  await page.getByLabel('Username', { exact: true }).fill(username);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
}
