// mail.application_submitted: tells each mentor of a project that someone applied for a place.
// The link opens the project's applications inbox in the web application.
import { Type } from 'typebox';
import type { Locale } from '../../../lib/locale.js';
import { defineMail, mailPayload, escapeHtml, htmlLayout, localeOf } from '../template.js';

type Role = 'developer' | 'tester';

const TEXT: Record<
  Locale,
  {
    subject: (title: string) => string;
    hi: (name: string) => string;
    applied: (applicant: string, role: Role, title: string) => string;
    motivation: string;
    none: string;
    review: string;
    team: string;
  }
> = {
  en: {
    subject: (title) => `New application for ${title}`,
    hi: (name) => `Hi ${name}!`,
    applied: (applicant, role, title) =>
      `${applicant} applied for a ${role} place on "${title}", a project you mentor.`,
    motivation: 'Their motivation:',
    none: '(no motivation given)',
    review: "Review the project's applications",
    team: 'The IFD team',
  },
  ru: {
    subject: (title) => `Новая заявка в проект ${title}`,
    hi: (name) => `Привет, ${name}!`,
    applied: (applicant, role, title) =>
      `${applicant} подал(а) заявку на место ${role === 'developer' ? 'разработчика' : 'тестировщика'} в проекте «${title}», который вы ведёте как ментор.`,
    motivation: 'Мотивация:',
    none: '(мотивация не указана)',
    review: 'Рассмотреть заявки проекта',
    team: 'Команда IFD',
  },
};

export const subjectFor = (projectTitle: string, locale: Locale = 'en') =>
  TEXT[locale].subject(projectTitle);

export const applicationSubmittedMail = defineMail('mail.application_submitted', {
  schema: mailPayload({
    application_id: Type.Integer({ minimum: 1 }),
    project_id: Type.Integer({ minimum: 1 }),
    project_title: Type.String({ minLength: 1, maxLength: 200 }),
    applicant_username: Type.String({ minLength: 1, maxLength: 150 }),
    role: Type.Union([Type.Literal('developer'), Type.Literal('tester')]),
    motivation: Type.String({ maxLength: 5000 }),
  }),
  to: (p) => p.email,
  render: (p, ctx) => {
    const locale = localeOf(p);
    const t = TEXT[locale];
    const subject = t.subject(p.project_title);
    const link = `${ctx.publicUrl}/projects/${p.project_id}/applications`;
    const motivation = p.motivation.trim() === '' ? t.none : p.motivation;
    return {
      subject,
      text: [
        t.hi(p.username),
        '',
        t.applied(p.applicant_username, p.role, p.project_title),
        '',
        t.motivation,
        motivation,
        '',
        `${t.review}: ${link}`,
        '',
        t.team,
        '',
      ].join('\n'),
      html: htmlLayout(
        subject,
        [
          `<p>${t.hi(`<strong>${escapeHtml(p.username)}</strong>`)}</p>`,
          `<p>${t.applied(
            `<strong>${escapeHtml(p.applicant_username)}</strong>`,
            p.role,
            escapeHtml(p.project_title),
          )}</p>`,
          `<p>${t.motivation}</p>`,
          `<blockquote style="white-space: pre-wrap;">${escapeHtml(motivation)}</blockquote>`,
          `<p><a href="${escapeHtml(link)}">${t.review}</a></p>`,
          `<p>${t.team}</p>`,
        ].join('\n'),
        locale,
      ),
    };
  },
});
