// mail.verify_email: sent at registration and on every e-mail change; the link confirms the
// address (single use, expires). A mail of its own, not folded into the welcome mail.
import type { Locale } from '../../../lib/locale.js';
import {
  accountLinkPayload,
  defineMail,
  escapeHtml,
  formatExpiry,
  htmlLayout,
  localeOf,
} from '../template.js';

export const SUBJECT = 'Verify your e-mail address for Internship for developers';

const TEXT: Record<
  Locale,
  {
    subject: string;
    hi: (name: string) => string;
    confirm: (email: string) => string;
    confirmHtml: (email: string) => string;
    button: string;
    paste: string;
    once: (expires: string) => string;
    ignore: string;
    team: string;
  }
> = {
  en: {
    subject: SUBJECT,
    hi: (name) => `Hi ${name}!`,
    confirm: (email) => `Please confirm that ${email} is your e-mail address by opening this link:`,
    confirmHtml: (email) => `Please confirm that ${email} is your e-mail address:`,
    button: 'Verify my e-mail address',
    paste: 'Or paste this link into your browser:',
    once: (expires) => `The link works once and expires on ${expires}.`,
    ignore: 'If you did not ask for this, ignore this mail: nothing changes.',
    team: 'The IFD team',
  },
  ru: {
    subject: 'Подтвердите адрес электронной почты для «Стажировок для разработчиков»',
    hi: (name) => `Привет, ${name}!`,
    confirm: (email) =>
      `Подтвердите, что ${email} — ваш адрес электронной почты: откройте эту ссылку:`,
    confirmHtml: (email) => `Подтвердите, что ${email} — ваш адрес электронной почты:`,
    button: 'Подтвердить адрес',
    paste: 'Или вставьте эту ссылку в адресную строку браузера:',
    once: (expires) => `Ссылка работает один раз и действует до ${expires}.`,
    ignore: 'Если вы этого не запрашивали, просто проигнорируйте письмо: ничего не изменится.',
    team: 'Команда IFD',
  },
};

export const verifyEmailMail = defineMail('mail.verify_email', {
  schema: accountLinkPayload(),
  to: (p) => p.email,
  render: (p) => {
    const locale = localeOf(p);
    const t = TEXT[locale];
    const expires = formatExpiry(p.expires_at, locale);
    return {
      subject: t.subject,
      text: [
        t.hi(p.username),
        '',
        t.confirm(p.email),
        '',
        p.link,
        '',
        t.once(expires),
        t.ignore,
        '',
        t.team,
        '',
      ].join('\n'),
      html: htmlLayout(
        t.subject,
        [
          `<p>${t.hi(`<strong>${escapeHtml(p.username)}</strong>`)}</p>`,
          `<p>${t.confirmHtml(escapeHtml(p.email))}</p>`,
          `<p><a href="${escapeHtml(p.link)}">${t.button}</a></p>`,
          `<p>${t.paste}<br>${escapeHtml(p.link)}</p>`,
          `<p>${t.once(escapeHtml(expires))}<br>`,
          `${t.ignore}</p>`,
          `<p>${t.team}</p>`,
        ].join('\n'),
        locale,
      ),
    };
  },
});
