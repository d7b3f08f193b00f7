// Translations (ADR 0005): rosetta (a lookup of dot-path keys with {{name}} placeholders,
// well under 1 KB) behind a small React hook. English by default and in the first bundle;
// Russian is fetched when first needed (ADR 0006: budget). The choice is remembered in
// localStorage `ifd.lang` (WEB-CONTRACT); when signed in, the account's locale wins (Layout).
import rosetta from 'rosetta';
import { useSyncExternalStore } from 'react';
import { en, type Resources } from './en';

export const LANGUAGES = ['en', 'ru'] as const;
export type Language = (typeof LANGUAGES)[number];
export const STORAGE_KEY = 'ifd.lang';

type Paths<T, P extends string = ''> = {
  [K in keyof T & string]: T[K] extends string ? `${P}${K}` : Paths<T[K], `${P}${K}.`>;
}[keyof T & string];
/** Every key of the dictionaries, e.g. 'app.signIn': a typo is a type error. */
export type TranslationKey = Paths<Resources>;
export type TFunction = (key: TranslationKey, params?: Record<string, unknown>) => string;

export function isLanguage(value: unknown): value is Language {
  return typeof value === 'string' && (LANGUAGES as readonly string[]).includes(value);
}

export function storedLanguage(): Language {
  try {
    const v = window.localStorage.getItem(STORAGE_KEY);
    return isLanguage(v) ? v : 'en';
  } catch {
    return 'en';
  }
}

const dictionaries = rosetta<Resources>({ en });
let language: Language = 'en';
dictionaries.locale(language);
const listeners = new Set<() => void>();

async function ensureLoaded(lang: Language): Promise<void> {
  if (lang === 'ru' && !dictionaries.table('ru')) {
    const { ru } = await import('./ru');
    dictionaries.set('ru', ru);
  }
}

function apply(lang: Language): void {
  language = lang;
  dictionaries.locale(lang);
  document.documentElement.lang = lang;
  for (const l of listeners) {
    l();
  }
}

/** Before the first render: the remembered language, loaded. */
export async function initI18n(): Promise<void> {
  const lang = storedLanguage();
  await ensureLoaded(lang);
  apply(lang);
}

export function currentLanguage(): Language {
  return language;
}

/** Switches the page's language and remembers it. */
export async function setLanguage(lang: Language): Promise<void> {
  try {
    window.localStorage.setItem(STORAGE_KEY, lang);
  } catch {
    // storage refused (private mode): the choice lasts for this page
  }
  await ensureLoaded(lang);
  apply(lang);
}

export const t: TFunction = (key, params) => dictionaries.t(key, params ?? {});

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** The translate function; the component renders again when the language changes. */
export function useTranslation(): { t: TFunction; language: Language } {
  const lang = useSyncExternalStore(subscribe, currentLanguage);
  return { t, language: lang };
}

/** Dates as the page's language writes them (Intl; no date library needed). */
export function formatDate(value: string | null | undefined): string {
  if (!value) {
    return '—';
  }
  return new Intl.DateTimeFormat(language, { dateStyle: 'medium' }).format(new Date(value));
}

/** Date and time, for moments that matter to the minute (sessions). */
export function formatDateTime(value: string | null | undefined): string {
  if (!value) {
    return '—';
  }
  return new Intl.DateTimeFormat(language, { dateStyle: 'medium', timeStyle: 'short' }).format(
    new Date(value),
  );
}
