// mail.welcome: sent once to every new user after registration (api-v1.md, "The welcome e-mail").
import { defineMail, mailPayload, escapeHtml, htmlLayout } from '../template.js';

export const SUBJECT = 'Welcome to Internship for developers! ⛵';

export const welcomeMail = defineMail('mail.welcome', {
  schema: mailPayload({}),
  to: (p) => p.email,
  render: (p) => ({
    subject: SUBJECT,
    text: [
      `Hi ${p.username}!`,
      '',
      'Welcome to the Internship for Developers platform!',
      'Here you will be able to learn new technologies, work on real projects and grow your developer experience.',
      '',
      'Good luck!',
      '',
      'The IFD team',
      '',
    ].join('\n'),
    html: htmlLayout(
      SUBJECT,
      [
        `<p>Hi <strong>${escapeHtml(p.username)}</strong>!</p>`,
        '<p>Welcome to the Internship for Developers platform!<br>',
        'Here you will be able to learn new technologies, work on real projects and grow your developer experience.</p>',
        '<p>Good luck!</p>',
        '<p>The IFD team</p>',
      ].join('\n'),
    ),
  }),
});
