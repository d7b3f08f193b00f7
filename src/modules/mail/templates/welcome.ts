// mail.welcome: sent once to every new user after registration (api-v1.md, "The welcome e-mail").
// The English text is the v1 contract, word for word.
import type { Locale } from '../../../lib/locale.js';
import { defineMail, mailPayload, escapeHtml, htmlLayout, localeOf } from '../template.js';

export const SUBJECT = 'Welcome to Internship for developers! ⛵';

const TEXT: Record<
  Locale,
  { subject: string; hi: string; welcome: string; learn: string; luck: string; team: string }
> = {
  en: {
    subject: SUBJECT,
    hi: 'Hi',
    welcome: 'Welcome to the Internship for Developers platform!',
    learn:
      'Here you will be able to learn new technologies, work on real projects and grow your developer experience.',
    luck: 'Good luck!',
    team: 'The IFD team',
  },
  ru: {
    subject: 'Добро пожаловать в «Стажировки для разработчиков»! ⛵',
    hi: 'Привет,',
    welcome: 'Добро пожаловать на платформу «Стажировки для разработчиков»!',
    learn:
      'Здесь вы сможете изучать новые технологии, работать над настоящими проектами и набираться опыта разработки.',
    luck: 'Удачи!',
    team: 'Команда IFD',
  },
};

export const welcomeMail = defineMail('mail.welcome', {
  schema: mailPayload({}),
  to: (p) => p.email,
  render: (p) => {
    const locale = localeOf(p);
    const t = TEXT[locale];
    return {
      subject: t.subject,
      text: [`${t.hi} ${p.username}!`, '', t.welcome, t.learn, '', t.luck, '', t.team, ''].join(
        '\n',
      ),
      html: htmlLayout(
        t.subject,
        [
          `<p>${t.hi} <strong>${escapeHtml(p.username)}</strong>!</p>`,
          `<p>${t.welcome}<br>`,
          `${t.learn}</p>`,
          `<p>${t.luck}</p>`,
          `<p>${t.team}</p>`,
        ].join('\n'),
        locale,
      ),
    };
  },
});
