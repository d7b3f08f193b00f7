// End-to-end tests of the web application (issue 8, point 8) in a real browser: Debian's
// Chromium through playwright-core, against the BUILT application served by the API on a real
// database, with the mail worker and MailDev (setup.ts). Every page visited is checked with
// axe-core (no serious or critical violation); the main pages are photographed at 1280 and
// 375 px (into docs/screenshots/ with UPDATE_SCREENSHOTS=1).
// Journeys of an intern and a mentor: sign-up, the verification link, applying, accepting; and
// the public pages' JavaScript budget on the same build.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { PUBLIC_JS_BUDGET, publicJs } from '../../scripts/web-budget.js';
import { newUser } from '../helpers/factories.js';
import { makeProject } from '../helpers/projects.js';
import { expectAccessible, linkIn, screenshots } from './browser.js';
import { mailTo, newPage, person, signIn, useE2E } from './setup.js';

const e = useE2E();

describe('the web application: intern and mentor', () => {
  test("the public pages' JavaScript is at most 150 KB gzipped (budget, ADR 0006)", () => {
    const { dist } = e;
    const pages = publicJs(dist);
    assert.equal(pages.length, 7, 'the catalogue and six public pages are weighed');
    for (const p of pages) {
      assert.ok(p.total > 50 * 1024, `${p.page}: ${p.total} bytes is implausibly small`);
      assert.ok(p.total <= PUBLIC_JS_BUDGET, `${p.page}: ${p.total} bytes gzipped`);
    }
  });

  test('sign up → verification link from the mail → sign in → apply → the mentor accepts → "my projects"', async () => {
    const { t, md, browser } = e;
    const superuser = await person(t, { superuser: true });
    const mentor = await person(t);
    const project = await makeProject(t, superuser, {
      status: 'recruiting',
      mentors: [mentor],
      title: `Team board ${Date.now()}`,
      description: 'A kanban board for internship teams.',
      tags: ['typescript', 'postgresql'],
    });
    const intern = newUser();
    const { context, page } = await newPage(browser);

    await page.goto(`${t.url}/`);
    await page.getByRole('heading', { name: 'Internship projects' }).waitFor();
    await page.getByRole('link', { name: project.title }).waitFor();
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
    // The token rides in the fragment: the browser never sends it to a server.
    assert.ok(link.startsWith(`${t.config.publicUrl}/verify-email#token=`), link);
    await page.goto(link);
    await page.getByText('Your email address is verified.').waitFor();
    assert.ok(!page.url().includes('token'), `the token left the address bar: ${page.url()}`);
    await expectAccessible(page, 'verify-email');
    // Opened again (a full page load, as from the mail):
    await page.goto(`${t.url}/`);
    await page.goto(link);
    await page.getByText('This link has already been used').waitFor();
    assert.ok(!page.url().includes('token'));
    await page.goto(`${t.url}/`);

    await page.getByRole('link', { name: 'Sign in' }).first().click();
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
    const m = await newPage(browser);
    await signIn(m.page, t.url, mentor.username, mentor.password);
    await m.page.goto(`${t.url}/projects/${project.id}/applications`);
    const card = m.page.getByRole('listitem').filter({ hasText: intern.username });
    await card.waitFor();
    await expectAccessible(m.page, 'the applications inbox');
    await screenshots(m.page, 'mentor-inbox');
    await card.getByRole('button', { name: 'Accept' }).click();
    await m.page.getByText('Decision saved.').waitFor();
    await m.page.goto(`${t.url}/projects/${project.id}/manage`);
    await m.page.getByRole('cell', { name: intern.username, exact: true }).waitFor();
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
});
