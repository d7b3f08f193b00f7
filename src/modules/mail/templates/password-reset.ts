// mail.password_reset: the answer to a password recovery request; the link sets a new
// password (single use, valid one hour by default).
import type { Locale } from '../../../lib/locale.js';
import {
  accountLinkPayload,
  defineMail,
  escapeHtml,
  formatExpiry,
  htmlLayout,
  localeOf,
} from '../template.js';

export const SUBJECT = 'Reset your password for Internship for developers';

const TEXT: Record<
  Locale,
  {
    subject: string;
    hi: (name: string) => string;
    asked: string;
    open: string;
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
    asked: 'Someone (hopefully you) asked to reset the password of your account.',
    open: 'To choose a new password, open this link:',
    button: 'Choose a new password',
    paste: 'Or paste this link into your browser:',
    once: (expires) => `The link works once and expires on ${expires}.`,
    ignore: 'If you did not ask for this, ignore this mail: your password stays as it is.',
    team: 'The IFD team',
  },
  ru: {
    subject: 'Сброс пароля в «Стажировках для разработчиков»',
    hi: (name) => `Привет, ${name}!`,
    asked: 'Кто-то (надеемся, что вы) попросил сбросить пароль вашей учётной записи.',
    open: 'Чтобы выбрать новый пароль, откройте эту ссылку:',
    button: 'Выбрать новый пароль',
    paste: 'Или вставьте эту ссылку в адресную строку браузера:',
    once: (expires) => `Ссылка работает один раз и действует до ${expires}.`,
    ignore: 'Если вы этого не запрашивали, проигнорируйте письмо: пароль останется прежним.',
    team: 'Команда IFD',
  },
};

export const passwordResetMail = defineMail('mail.password_reset', {
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
        t.asked,
        t.open,
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
          `<p>${t.asked}</p>`,
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
