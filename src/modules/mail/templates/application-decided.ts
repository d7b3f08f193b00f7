// mail.application_decided: tells the applicant whether their application was accepted.
// The link opens the project's page in the web application.
import { Type } from 'typebox';
import type { Locale } from '../../../lib/locale.js';
import { defineMail, mailPayload, escapeHtml, htmlLayout, localeOf } from '../template.js';

type Role = 'developer' | 'tester';
type Status = 'accepted' | 'rejected';

const RU_ROLE: Record<Role, string> = { developer: 'разработчика', tester: 'тестировщика' };
const RU_ROLE_NOMINATIVE: Record<Role, string> = {
  developer: 'разработчик',
  tester: 'тестировщик',
};

const TEXT: Record<
  Locale,
  {
    subject: (title: string, status: Status) => string;
    hi: (name: string) => string;
    verdict: (role: Role, title: string, status: Status) => string;
    mentorWrote: string;
    project: string;
    open: string;
    closing: (status: Status) => string;
    team: string;
  }
> = {
  en: {
    subject: (title, status) =>
      status === 'accepted' ? `You are in: welcome to ${title}!` : `Your application for ${title}`,
    hi: (name) => `Hi ${name}!`,
    verdict: (role, title, status) =>
      status === 'accepted'
        ? `Your application for a ${role} place on "${title}" was accepted: you are now a ${role} on the team.`
        : `Your application for a ${role} place on "${title}" was not accepted this time.`,
    mentorWrote: 'The mentor wrote:',
    project: 'The project',
    open: 'Open the project',
    closing: (status) =>
      status === 'accepted' ? 'Have a great internship!' : 'Good luck with your next application!',
    team: 'The IFD team',
  },
  ru: {
    subject: (title, status) =>
      status === 'accepted'
        ? `Вы в команде: добро пожаловать в ${title}!`
        : `Ваша заявка в проект ${title}`,
    hi: (name) => `Привет, ${name}!`,
    verdict: (role, title, status) =>
      status === 'accepted'
        ? `Ваша заявка на место ${RU_ROLE[role]} в проекте «${title}» принята: теперь вы ${RU_ROLE_NOMINATIVE[role]} в команде.`
        : `Ваша заявка на место ${RU_ROLE[role]} в проекте «${title}» на этот раз не принята.`,
    mentorWrote: 'Ментор написал(а):',
    project: 'Проект',
    open: 'Открыть проект',
    closing: (status) =>
      status === 'accepted' ? 'Отличной стажировки!' : 'Удачи со следующей заявкой!',
    team: 'Команда IFD',
  },
};

export const subjectFor = (projectTitle: string, status: Status, locale: Locale = 'en') =>
  TEXT[locale].subject(projectTitle, status);

export const applicationDecidedMail = defineMail('mail.application_decided', {
  schema: mailPayload({
    application_id: Type.Integer({ minimum: 1 }),
    project_id: Type.Integer({ minimum: 1 }),
    project_title: Type.String({ minLength: 1, maxLength: 200 }),
    role: Type.Union([Type.Literal('developer'), Type.Literal('tester')]),
    status: Type.Union([Type.Literal('accepted'), Type.Literal('rejected')]),
    reason: Type.Union([Type.String({ maxLength: 2000 }), Type.Null()]),
  }),
  to: (p) => p.email,
  render: (p, ctx) => {
    const locale = localeOf(p);
    const t = TEXT[locale];
    const subject = t.subject(p.project_title, p.status);
    const link = `${ctx.publicUrl}/projects/${p.project_id}`;
    const verdict = t.verdict(p.role, p.project_title, p.status);
    const reason = p.reason !== null && p.reason.trim() !== '' ? p.reason : null;
    return {
      subject,
      text: [
        t.hi(p.username),
        '',
        verdict,
        ...(reason === null ? [] : ['', t.mentorWrote, reason]),
        '',
        `${t.project}: ${link}`,
        '',
        t.closing(p.status),
        '',
        t.team,
        '',
      ].join('\n'),
      html: htmlLayout(
        subject,
        [
          `<p>${t.hi(`<strong>${escapeHtml(p.username)}</strong>`)}</p>`,
          `<p>${escapeHtml(verdict)}</p>`,
          ...(reason === null
            ? []
            : [
                `<p>${t.mentorWrote}</p>`,
                `<blockquote style="white-space: pre-wrap;">${escapeHtml(reason)}</blockquote>`,
              ]),
          `<p><a href="${escapeHtml(link)}">${t.open}</a></p>`,
          `<p>${t.closing(p.status)}</p>`,
          `<p>${t.team}</p>`,
        ].join('\n'),
        locale,
      ),
    };
  },
});
