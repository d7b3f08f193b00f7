// The languages of the web application and of every mail to a user (issue 8). A user's
// locale is kept with the account (`users.locale`) and travels in each mail payload.

export const LOCALES = ['en', 'ru'] as const;
export type Locale = (typeof LOCALES)[number];
export const DEFAULT_LOCALE: Locale = 'en';
