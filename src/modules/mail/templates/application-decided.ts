// mail.application_decided: tells the applicant whether their application was accepted.
import { Type } from 'typebox';
import { defineMail, mailPayload, escapeHtml, htmlLayout } from '../template.js';

export const subjectFor = (projectTitle: string, status: 'accepted' | 'rejected') =>
  status === 'accepted'
    ? `You are in: welcome to ${projectTitle}!`
    : `Your application for ${projectTitle}`;

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
    const subject = subjectFor(p.project_title, p.status);
    const link = `${ctx.publicUrl}/api/v1/projects/${p.project_id}`;
    const verdict =
      p.status === 'accepted'
        ? `Your application for a ${p.role} place on "${p.project_title}" was accepted: you are now a ${p.role} on the team.`
        : `Your application for a ${p.role} place on "${p.project_title}" was not accepted this time.`;
    const reason = p.reason !== null && p.reason.trim() !== '' ? p.reason : null;
    return {
      subject,
      text: [
        `Hi ${p.username}!`,
        '',
        verdict,
        ...(reason === null ? [] : ['', 'The mentor wrote:', reason]),
        '',
        `The project: ${link}`,
        '',
        p.status === 'accepted'
          ? 'Have a great internship!'
          : 'Good luck with your next application!',
        '',
        'The IFD team',
        '',
      ].join('\n'),
      html: htmlLayout(
        subject,
        [
          `<p>Hi <strong>${escapeHtml(p.username)}</strong>!</p>`,
          `<p>${escapeHtml(verdict)}</p>`,
          ...(reason === null
            ? []
            : [
                '<p>The mentor wrote:</p>',
                `<blockquote style="white-space: pre-wrap;">${escapeHtml(reason)}</blockquote>`,
              ]),
          `<p><a href="${escapeHtml(link)}">Open the project</a></p>`,
          `<p>${p.status === 'accepted' ? 'Have a great internship!' : 'Good luck with your next application!'}</p>`,
          '<p>The IFD team</p>',
        ].join('\n'),
      ),
    };
  },
});
