// mail.password_reset: the answer to a password recovery request; the link sets a new
// password (single use, valid one hour by default).
import { accountLinkPayload, defineMail, escapeHtml, htmlLayout } from '../template.js';

export const SUBJECT = 'Reset your password for Internship for developers';

export const passwordResetMail = defineMail('mail.password_reset', {
  schema: accountLinkPayload(),
  to: (p) => p.email,
  render: (p) => {
    const expires = new Date(p.expires_at).toUTCString();
    return {
      subject: SUBJECT,
      text: [
        `Hi ${p.username}!`,
        '',
        'Someone (hopefully you) asked to reset the password of your account.',
        'To choose a new password, open this link:',
        '',
        p.link,
        '',
        `The link works once and expires on ${expires}.`,
        'If you did not ask for this, ignore this mail: your password stays as it is.',
        '',
        'The IFD team',
        '',
      ].join('\n'),
      html: htmlLayout(
        SUBJECT,
        [
          `<p>Hi <strong>${escapeHtml(p.username)}</strong>!</p>`,
          '<p>Someone (hopefully you) asked to reset the password of your account.</p>',
          `<p><a href="${escapeHtml(p.link)}">Choose a new password</a></p>`,
          `<p>Or paste this link into your browser:<br>${escapeHtml(p.link)}</p>`,
          `<p>The link works once and expires on ${escapeHtml(expires)}.<br>`,
          'If you did not ask for this, ignore this mail: your password stays as it is.</p>',
          '<p>The IFD team</p>',
        ].join('\n'),
      ),
    };
  },
});
