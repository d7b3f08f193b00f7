// mail.password_reset: the answer to a password recovery request; the link sets a new
// password (single use, valid one hour by default).
import type { Locale } from '../../../lib/locale.js';
import { singleUseLinkMail, type LinkMailText } from '../template.js';

export const SUBJECT = 'Reset your password for Internship for developers';

const TEXT: Record<Locale, LinkMailText> = {
  en: {
    subject: SUBJECT,
    hi: (name) => `Hi ${name}!`,
    intro: () => [
      'Someone (hopefully you) asked to reset the password of your account.',
      'To choose a new password, open this link:',
    ],
    introHtml: () => 'Someone (hopefully you) asked to reset the password of your account.',
    button: 'Choose a new password',
    paste: 'Or paste this link into your browser:',
    once: (expires) => `The link works once and expires on ${expires}.`,
    ignore: 'If you did not ask for this, ignore this mail: your password stays as it is.',
    team: 'The IFD team',
  },
  ru: {
    subject: 'Сброс пароля в «Стажировках для разработчиков»',
    hi: (name) => `Привет, ${name}!`,
    intro: () => [
      'Кто-то (надеемся, что вы) попросил сбросить пароль вашей учётной записи.',
      'Чтобы выбрать новый пароль, откройте эту ссылку:',
    ],
    introHtml: () => 'Кто-то (надеемся, что вы) попросил сбросить пароль вашей учётной записи.',
    button: 'Выбрать новый пароль',
    paste: 'Или вставьте эту ссылку в адресную строку браузера:',
    once: (expires) => `Ссылка работает один раз и действует до ${expires}.`,
    ignore: 'Если вы этого не запрашивали, проигнорируйте письмо: пароль останется прежним.',
    team: 'Команда IFD',
  },
};

export const passwordResetMail = singleUseLinkMail('mail.password_reset', TEXT);
