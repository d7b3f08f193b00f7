// TEMPORARY (delete once schema.d.ts is regenerated from the merged web-server branch):
// the fields the WEB-CONTRACT adds before they reach the generated types. Only `locale` is
// needed here; the browser-session routes are called by lib/session, not through the client.
export type Locale = 'en' | 'ru';
export type WithLocale<T> = T & { locale?: Locale };
