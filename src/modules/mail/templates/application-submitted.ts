// mail.application_submitted: tells each mentor of a project that someone applied for a place.
import { Type } from 'typebox';
import { defineMail, mailPayload, escapeHtml, htmlLayout } from '../template.js';

export const subjectFor = (projectTitle: string) => `New application for ${projectTitle}`;

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
    const subject = subjectFor(p.project_title);
    const link = `${ctx.publicUrl}/api/v1/projects/${p.project_id}/applications`;
    const motivation = p.motivation.trim() === '' ? '(no motivation given)' : p.motivation;
    return {
      subject,
      text: [
        `Hi ${p.username}!`,
        '',
        `${p.applicant_username} applied for a ${p.role} place on "${p.project_title}", a project you mentor.`,
        '',
        'Their motivation:',
        motivation,
        '',
        `Review the project's applications: ${link}`,
        '',
        'The IFD team',
        '',
      ].join('\n'),
      html: htmlLayout(
        subject,
        [
          `<p>Hi <strong>${escapeHtml(p.username)}</strong>!</p>`,
          `<p><strong>${escapeHtml(p.applicant_username)}</strong> applied for a ${escapeHtml(p.role)} place on ` +
            `<strong>${escapeHtml(p.project_title)}</strong>, a project you mentor.</p>`,
          '<p>Their motivation:</p>',
          `<blockquote style="white-space: pre-wrap;">${escapeHtml(motivation)}</blockquote>`,
          `<p><a href="${escapeHtml(link)}">Review the project's applications</a></p>`,
          '<p>The IFD team</p>',
        ].join('\n'),
      ),
    };
  },
});
