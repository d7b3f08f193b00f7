// mail.security_notice (issue 12, S19): tells the owner of an account that its password or
// address changed, that every session was signed out, or that a superuser archived or
// restored it, with a way to react (the password recovery page, PUBLIC_URL/forgot-password).
import { Type } from 'typebox';
import type { Locale } from '../../../lib/locale.js';
import type { SecurityNoticeKind } from '../../outbox/catalogue.js';
import {
  defineMail,
  escapeHtml,
  formatExpiry,
  htmlLayout,
  localeOf,
  mailPayload,
} from '../template.js';

interface Words {
  subject: Record<SecurityNoticeKind, string>;
  what: Record<SecurityNoticeKind, (newEmail: string | undefined) => string>;
  hi: (name: string) => string;
  when: (at: string) => string;
  notYou: string;
  button: string;
  paste: string;
  team: string;
}

const TEXT: Record<Locale, Words> = {
  en: {
    subject: {
      password_changed: 'Your password was changed',
      email_changed: 'Your e-mail address was changed',
      sessions_revoked: 'You were signed out everywhere',
      account_archived: 'Your account was archived',
      account_restored: 'Your account was restored',
    },
    what: {
      password_changed: () => 'The password of your account was changed.',
      email_changed: (to) =>
        to === undefined
          ? 'The e-mail address of your account was changed.'
          : `The e-mail address of your account was changed to ${to}.`,
      sessions_revoked: () => 'Every session of your account was signed out.',
      account_archived: () => 'An administrator archived your account: you can no longer sign in.',
      account_restored: () => 'An administrator restored your account: you can sign in again.',
    },
    hi: (name) => `Hi ${name}!`,
    when: (at) => `When: ${at}.`,
    notYou:
      'If this was not you, reset your password now: the recovery page sends a link to the address of your account.',
    button: 'Reset my password',
    paste: 'Or paste this link into your browser:',
    team: 'The IFD team',
  },
  ru: {
    subject: {
      password_changed: 'Ваш пароль изменён',
      email_changed: 'Адрес вашей почты изменён',
      sessions_revoked: 'Выполнен выход на всех устройствах',
      account_archived: 'Ваша учётная запись архивирована',
      account_restored: 'Ваша учётная запись восстановлена',
    },
    what: {
      password_changed: () => 'Пароль вашей учётной записи изменён.',
      email_changed: (to) =>
        to === undefined
          ? 'Адрес почты вашей учётной записи изменён.'
          : `Адрес почты вашей учётной записи изменён на ${to}.`,
      sessions_revoked: () => 'Все сеансы вашей учётной записи завершены.',
      account_archived: () =>
        'Администратор архивировал вашу учётную запись: войти в неё больше нельзя.',
      account_restored: () =>
        'Администратор восстановил вашу учётную запись: вы снова можете войти.',
    },
    hi: (name) => `Привет, ${name}!`,
    when: (at) => `Когда: ${at}.`,
    notYou:
      'Если это были не вы, сбросьте пароль сейчас: страница восстановления пришлёт ссылку на адрес вашей учётной записи.',
    button: 'Сбросить пароль',
    paste: 'Или вставьте эту ссылку в адресную строку браузера:',
    team: 'Команда IFD',
  },
};

export const securityNoticeMail = defineMail('mail.security_notice', {
  schema: mailPayload({
    kind: Type.Union([
      Type.Literal('password_changed'),
      Type.Literal('email_changed'),
      Type.Literal('sessions_revoked'),
      Type.Literal('account_archived'),
      Type.Literal('account_restored'),
    ]),
    occurred_at: Type.String({ format: 'date-time' }),
    new_email: Type.Optional(Type.String({ minLength: 3, maxLength: 320, format: 'email' })),
  }),
  to: (p) => p.email,
  render: (p, ctx) => {
    const locale = localeOf(p);
    const t = TEXT[locale];
    const subject = t.subject[p.kind];
    const what = t.what[p.kind](p.new_email);
    const when = t.when(formatExpiry(p.occurred_at, locale));
    const recovery = `${ctx.publicUrl.replace(/\/+$/, '')}/forgot-password`;
    // Restoring an account is good news; every other notice asks "was this you?".
    const react = p.kind !== 'account_restored' && p.kind !== 'account_archived';
    return {
      subject,
      text: [
        t.hi(p.username),
        '',
        what,
        when,
        ...(react ? ['', t.notYou, recovery] : []),
        '',
        t.team,
        '',
      ].join('\n'),
      html: htmlLayout(
        subject,
        [
          `<p>${t.hi(`<strong>${escapeHtml(p.username)}</strong>`)}</p>`,
          `<p>${escapeHtml(what)}<br>${escapeHtml(when)}</p>`,
          ...(react
            ? [
                `<p>${t.notYou}</p>`,
                `<p><a href="${escapeHtml(recovery)}">${t.button}</a></p>`,
                `<p>${t.paste}<br>${escapeHtml(recovery)}</p>`,
              ]
            : []),
          `<p>${t.team}</p>`,
        ].join('\n'),
        locale,
      ),
    };
  },
});
