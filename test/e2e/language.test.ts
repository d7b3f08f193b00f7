// End-to-end tests of the web application (issue 8, point 8) in a real browser: Debian's
// Chromium through playwright-core, against the BUILT application served by the API on a real
// database, with the mail worker and MailDev (setup.ts). Every page visited is checked with
// axe-core (no serious or critical violation); the main pages are photographed at 1280 and
// 375 px (into docs/screenshots/ with UPDATE_SCREENSHOTS=1).
// The language switch (remembered, a Russian sign-up makes a Russian account with Russian
// mails) and the application's 404 beside the API's JSON 404.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { newUser } from '../helpers/factories.js';
import { request } from '../helpers/http.js';
import { expectAccessible } from './browser.js';
import { newPage, useE2E } from './setup.js';

const e = useE2E();

describe('the web application: language', () => {
  test('the language switch: English by default, Russian remembered across a reload', async () => {
    const { t, md, browser } = e;
    const { context, page } = await newPage(browser);
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
    // Signing up while the page is in Russian makes a Russian account (its mails follow).
    const ru = newUser();
    await page.goto(`${t.url}/signup`);
    await page.getByLabel('Имя пользователя').fill(ru.username);
    await page.getByLabel('Электронная почта').fill(ru.email);
    await page.getByLabel('Пароль', { exact: true }).fill(ru.password);
    await page.getByLabel('Повторите пароль').fill(ru.password);
    await expectAccessible(page, 'sign-up in Russian');
    await page.getByRole('button', { name: 'Зарегистрироваться' }).click();
    await page.getByText('Аккаунт создан').waitFor();
    const row = await t.database.pool.query<{ locale: string }>(
      'SELECT locale FROM users WHERE username = $1',
      [ru.username],
    );
    assert.equal(row.rows[0]?.locale, 'ru');
    const welcome = await md.waitForMail((m) => m.to.some((a) => a.address === ru.email), 20_000);
    assert.match(welcome.subject, /[а-яА-Я]/, `a Russian subject: ${welcome.subject}`);

    await page.goto(`${t.url}/signin`);
    await page.getByRole('button', { name: 'EN (English)' }).click();
    await page.getByLabel('Username', { exact: true }).waitFor();
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    assert.equal(await page.evaluate<string | null>("localStorage.getItem('ifd.lang')"), 'en');
    await context.close();
  });

  test('unknown client routes get the application; API paths keep their JSON 404', async () => {
    const { t, browser } = e;
    const { context, page } = await newPage(browser);
    await page.goto(`${t.url}/no/such/page`);
    await page.getByText('This page does not exist.').waitFor();
    await expectAccessible(page, 'not found');
    const api = await request(t.url, 'GET', '/api/v1/no-such-route');
    assert.equal(api.status, 404);
    assert.match(api.text, /"detail"/);
    await context.close();
  });
});
