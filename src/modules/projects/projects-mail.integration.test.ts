// Issue 5 mails, read from the REAL mails in MailDev (outbox → relay → RabbitMQ → worker →
// SMTP): every mentor hears of a new application, the applicant of the decision. User input
// (titles, usernames, motivation, reason) is escaped in the HTML part.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pino from 'pino';
import { startTestApp, type TestApp } from '../../../test/helpers/app.js';
import { normalised, request } from '../../../test/helpers/http.js';
import { userBody } from '../../../test/helpers/normalise.js';
import {
  mailView,
  startMailDev,
  type MailDev,
  type StoredMail,
} from '../../../test/helpers/maildev.js';
import { makeProject, makeUser, type Actor } from '../../../test/helpers/projects.js';
import { deleteTestTopology, mailTestEnv } from '../../../test/helpers/worker.js';
import { startWorker, type Worker } from '../../worker.js';

const PUBLIC_URL = 'https://app.example.test';
let md: MailDev;
let t: TestApp;
let worker: Worker;
let superuser: Actor;

before(async () => {
  md = await startMailDev();
  t = await startTestApp(mailTestEnv({ SMTP_URL: md.smtpUrl, PUBLIC_URL }));
  worker = await startWorker(t.config, { log: pino({ level: 'silent' }) });
  superuser = await makeUser(t, { superuser: true });
});
after(async () => {
  await worker?.close().catch(() => {});
  if (t) {
    await deleteTestTopology(t.config).catch(() => {});
  }
  await t?.close().catch(() => {});
  await md?.close().catch(() => {});
});

/** MAIL_FROM's development default: the tests set no other. */
const FROM = ['admin@site.com'];

const to = (address: string, subject: RegExp) => (m: StoredMail) =>
  m.to.some((a) => a.address.toLowerCase() === address.toLowerCase()) && subject.test(m.subject);

/** The English "new application" mail to one mentor, as mailView() shows it. */
function newApplicationMail(o: {
  mentor: { email: string; username: string };
  applicant: { username: string };
  role: 'developer' | 'tester';
  title: string;
  projectId: number;
  motivation: string;
}) {
  return {
    from: FROM,
    to: [o.mentor.email],
    subject: `New application for ${o.title}`,
    text: [
      `Hi ${o.mentor.username}!`,
      '',
      `${o.applicant.username} applied for a ${o.role} place on "${o.title}", a project you mentor.`,
      '',
      'Their motivation:',
      o.motivation,
      '',
      `Review the project's applications: ${PUBLIC_URL}/projects/${o.projectId}/applications`,
      '',
      'The IFD team',
      '',
    ].join('\n'),
  };
}

describe('application mails', () => {
  test('each mentor is told of a new application; the applicant of the decision', async () => {
    const [m1, m2, applicant] = await Promise.all([makeUser(t), makeUser(t), makeUser(t)]);
    const title = 'Board <script>alert(1)</script> & co';
    const p = await makeProject(t, superuser, { status: 'recruiting', mentors: [m1, m2], title });
    const motivation = 'I like <b>SQL</b> & "tests"';
    const applied = await request<{ id: number }>(
      t.url,
      'POST',
      `/api/v1/projects/${p.id}/applications`,
      { token: applicant.token, json: { role: 'developer', motivation } },
    );
    assert.equal(applied.status, 201, applied.text);

    for (const mentor of [m1, m2]) {
      const mail = await md.waitForMail(to(mentor.email, /^New application for /), 20_000);
      // The motivation as typed in the text part; the link opens the web application's
      // applications inbox (issue 8).
      assert.deepEqual(
        mailView(mail),
        newApplicationMail({
          mentor,
          applicant,
          role: 'developer',
          title,
          projectId: p.id,
          motivation,
        }),
      );
      const html = mail.html ?? '';
      assert.ok(html.includes(`href="${PUBLIC_URL}/projects/${p.id}/applications"`));
      assert.ok(!html.includes('<script>'), 'no raw script tag from the title');
      assert.ok(html.includes('Board &lt;script&gt;alert(1)&lt;/script&gt; &amp; co'));
      assert.ok(html.includes('I like &lt;b&gt;SQL&lt;/b&gt; &amp; &quot;tests&quot;'));
    }
    assert.equal(
      (await md.to(applicant.email)).filter((m) => /application/i.test(m.subject)).length,
      0,
    );

    const reason = 'Great <motivation>!';
    const decided = await request(
      t.url,
      'POST',
      `/api/v1/applications/${applied.body.id}/decision`,
      {
        token: m1.token,
        json: { status: 'accepted', reason },
      },
    );
    assert.equal(decided.status, 200, decided.text);
    const mail = await md.waitForMail(to(applicant.email, /^You are in/), 20_000);
    // The link opens the project's page in the web application (issue 8).
    assert.deepEqual(mailView(mail), {
      from: FROM,
      to: [applicant.email],
      subject: `You are in: welcome to ${title}!`,
      text: [
        `Hi ${applicant.username}!`,
        '',
        `Your application for a developer place on "${title}" was accepted: you are now a developer on the team.`,
        '',
        'The mentor wrote:',
        reason,
        '',
        `The project: ${PUBLIC_URL}/projects/${p.id}`,
        '',
        'Have a great internship!',
        '',
        'The IFD team',
        '',
      ].join('\n'),
    });
    assert.ok((mail.html ?? '').includes('Great &lt;motivation&gt;!'));
    assert.ok(!(mail.html ?? '').includes('<script>'));
  });

  test('a rejection tells the applicant, with the reason', async () => {
    const [mentor, applicant] = await Promise.all([makeUser(t), makeUser(t)]);
    const p = await makeProject(t, superuser, {
      status: 'recruiting',
      mentors: [mentor],
      title: 'Rejections',
    });
    const applied = await request<{ id: number }>(
      t.url,
      'POST',
      `/api/v1/projects/${p.id}/applications`,
      { token: applicant.token, json: { role: 'tester', motivation: '' } },
    );
    assert.equal(applied.status, 201);
    const res = await request(t.url, 'POST', `/api/v1/applications/${applied.body.id}/decision`, {
      token: mentor.token,
      json: { status: 'rejected', reason: 'All places are taken.' },
    });
    assert.equal(res.status, 200);
    const mail = await md.waitForMail(
      to(applicant.email, /^Your application for Rejections$/),
      20_000,
    );
    assert.deepEqual(mailView(mail), {
      from: FROM,
      to: [applicant.email],
      subject: 'Your application for Rejections',
      text: [
        `Hi ${applicant.username}!`,
        '',
        'Your application for a tester place on "Rejections" was not accepted this time.',
        '',
        'The mentor wrote:',
        'All places are taken.',
        '',
        `The project: ${PUBLIC_URL}/projects/${p.id}`,
        '',
        'Good luck with your next application!',
        '',
        'The IFD team',
        '',
      ].join('\n'),
    });
    const mentorMail = await md.waitForMail(to(mentor.email, /^New application for Rejections$/));
    assert.deepEqual(
      mailView(mentorMail),
      newApplicationMail({
        mentor,
        applicant,
        role: 'tester',
        title: 'Rejections',
        projectId: p.id,
        motivation: '(no motivation given)',
      }),
    );
  });

  test('issue 8: every recipient is written to in their own locale, subject included', async () => {
    const [ruMentor, enMentor, ruApplicant] = await Promise.all([
      makeUser(t),
      makeUser(t),
      makeUser(t),
    ]);
    for (const u of [ruMentor, ruApplicant]) {
      const res = await request(t.url, 'PATCH', '/api/v1/users/me', {
        token: u.token,
        json: { locale: 'ru' },
      });
      assert.deepEqual(
        [res.status, normalised(res.body, [])],
        [200, userBody(u, { email_verified: true, locale: 'ru' })],
      );
    }
    const title = 'Locales';
    const p = await makeProject(t, superuser, {
      status: 'recruiting',
      mentors: [ruMentor, enMentor],
      title,
    });
    const applied = await request<{ id: number }>(
      t.url,
      'POST',
      `/api/v1/projects/${p.id}/applications`,
      { token: ruApplicant.token, json: { role: 'tester', motivation: '' } },
    );
    assert.equal(applied.status, 201);
    const ru = await md.waitForMail(to(ruMentor.email, /Locales/), 20_000);
    assert.deepEqual(mailView(ru), {
      from: FROM,
      to: [ruMentor.email],
      subject: 'Новая заявка в проект Locales',
      text: [
        `Привет, ${ruMentor.username}!`,
        '',
        `${ruApplicant.username} подал(а) заявку на место тестировщика в проекте «Locales», который вы ведёте как ментор.`,
        '',
        'Мотивация:',
        '(мотивация не указана)',
        '',
        `Рассмотреть заявки проекта: ${PUBLIC_URL}/projects/${p.id}/applications`,
        '',
        'Команда IFD',
        '',
      ].join('\n'),
    });
    assert.match(ru.html ?? '', /<html lang="ru">/);
    const en = await md.waitForMail(to(enMentor.email, /Locales/), 20_000);
    assert.deepEqual(
      mailView(en),
      newApplicationMail({
        mentor: enMentor,
        applicant: ruApplicant,
        role: 'tester',
        title: 'Locales',
        projectId: p.id,
        motivation: '(no motivation given)',
      }),
    );

    const res = await request(t.url, 'POST', `/api/v1/applications/${applied.body.id}/decision`, {
      token: enMentor.token,
      json: { status: 'accepted' },
    });
    assert.equal(res.status, 200);
    const decided = await md.waitForMail(to(ruApplicant.email, /Locales/), 20_000);
    assert.deepEqual(mailView(decided), {
      from: FROM,
      to: [ruApplicant.email],
      subject: 'Вы в команде: добро пожаловать в Locales!',
      text: [
        `Привет, ${ruApplicant.username}!`,
        '',
        'Ваша заявка на место тестировщика в проекте «Locales» принята: теперь вы тестировщик в команде.',
        '',
        `Проект: ${PUBLIC_URL}/projects/${p.id}`,
        '',
        'Отличной стажировки!',
        '',
        'Команда IFD',
        '',
      ].join('\n'),
    });
  });
});
