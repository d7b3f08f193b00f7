// mail.verify_email: sent at registration and on every e-mail change; the link confirms the
// address (single use, expires). A mail of its own, not folded into the welcome mail.
import { accountLinkPayload, defineMail, escapeHtml, htmlLayout } from '../template.js';

export const SUBJECT = 'Verify your e-mail address for Internship for developers';

export const verifyEmailMail = defineMail('mail.verify_email', {
  schema: accountLinkPayload(),
  to: (p) => p.email,
  render: (p) => {
    const expires = new Date(p.expires_at).toUTCString();
    return {
      subject: SUBJECT,
      text: [
        `Hi ${p.username}!`,
        '',
        `Please confirm that ${p.email} is your e-mail address by opening this link:`,
        '',
        p.link,
        '',
        `The link works once and expires on ${expires}.`,
        'If you did not ask for this, ignore this mail: nothing changes.',
        '',
        'The IFD team',
        '',
      ].join('\n'),
      html: htmlLayout(
        SUBJECT,
        [
          `<p>Hi <strong>${escapeHtml(p.username)}</strong>!</p>`,
          `<p>Please confirm that ${escapeHtml(p.email)} is your e-mail address:</p>`,
          `<p><a href="${escapeHtml(p.link)}">Verify my e-mail address</a></p>`,
          `<p>Or paste this link into your browser:<br>${escapeHtml(p.link)}</p>`,
          `<p>The link works once and expires on ${escapeHtml(expires)}.<br>`,
          'If you did not ask for this, ignore this mail: nothing changes.</p>',
          '<p>The IFD team</p>',
        ].join('\n'),
      ),
    };
  },
});
