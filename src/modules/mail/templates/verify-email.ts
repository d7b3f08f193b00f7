// mail.verify_email: sent at registration and on every e-mail change; the link confirms the
// address (single use, expires). A mail of its own, not folded into the welcome mail.
import type { Locale } from '../../../lib/locale.js';
import { singleUseLinkMail, type LinkMailText } from '../template.js';

export const SUBJECT = 'Verify your e-mail address for Internship for developers';

const TEXT: Record<Locale, LinkMailText> = {
  en: {
    subject: SUBJECT,
    hi: (name) => `Hi ${name}!`,
    intro: (email) => [`Please confirm that ${email} is your e-mail address by opening this link:`],
    introHtml: (email) => `Please confirm that ${email} is your e-mail address:`,
    button: 'Verify my e-mail address',
    paste: 'Or paste this link into your browser:',
    once: (expires) => `The link works once and expires on ${expires}.`,
    ignore: 'If you did not ask for this, ignore this mail: nothing changes.',
    team: 'The IFD team',
  },
  ru: {
    subject: 'Подтвердите адрес электронной почты для «Стажировок для разработчиков»',
    hi: (name) => `Привет, ${name}!`,
    intro: (email) => [
      `Подтвердите, что ${email} — ваш адрес электронной почты: откройте эту ссылку:`,
    ],
    introHtml: (email) => `Подтвердите, что ${email} — ваш адрес электронной почты:`,
    button: 'Подтвердить адрес',
    paste: 'Или вставьте эту ссылку в адресную строку браузера:',
    once: (expires) => `Ссылка работает один раз и действует до ${expires}.`,
    ignore: 'Если вы этого не запрашивали, просто проигнорируйте письмо: ничего не изменится.',
    team: 'Команда IFD',
  },
};

export const verifyEmailMail = singleUseLinkMail('mail.verify_email', TEXT);
