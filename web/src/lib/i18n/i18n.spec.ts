import { beforeEach, describe, expect, it } from 'vitest';
import { en } from './en';
import { ru } from './ru';
import { currentLanguage, initI18n, setLanguage, STORAGE_KEY, t } from './index';

function keys(o: object, prefix = ''): string[] {
  return Object.entries(o).flatMap(([k, v]) =>
    typeof v === 'string' ? [`${prefix}${k}`] : keys(v as object, `${prefix}${k}.`),
  );
}

describe('i18n: English by default, Russian on demand, remembered', () => {
  beforeEach(() => window.localStorage.clear());

  it('starts in English with the labels the issue names', async () => {
    await initI18n();
    expect(currentLanguage()).toBe('en');
    expect(document.documentElement.lang).toBe('en');
    expect(
      ['field.username', 'field.email', 'field.password', 'field.confirmPassword'].map((k) =>
        t(k as never),
      ),
    ).toEqual(['Username', 'Email', 'Password', 'Confirm password']);
    expect(
      ['app.signUp', 'app.signIn', 'app.signOut', 'project.apply'].map((k) => t(k as never)),
    ).toEqual(['Sign up', 'Sign in', 'Sign out', 'Apply']);
  });

  it('switches to Russian, remembers it in localStorage ifd.lang, and interpolates', async () => {
    await setLanguage('ru');
    expect(window.localStorage.getItem(STORAGE_KEY)).toBe('ru');
    expect(document.documentElement.lang).toBe('ru');
    expect(t('app.signIn')).toBe('Войти');
    expect(t('app.signedInAs', { username: 'alice' })).toBe('Вы вошли как alice');
    await initI18n();
    expect(currentLanguage()).toBe('ru');
    await setLanguage('en');
    expect(t('app.signIn')).toBe('Sign in');
  });

  it('an unknown stored value falls back to English', async () => {
    window.localStorage.setItem(STORAGE_KEY, 'de');
    await initI18n();
    expect(currentLanguage()).toBe('en');
  });

  it('both dictionaries have the same keys, none empty', () => {
    expect(keys(ru).sort()).toEqual(keys(en).sort());
    expect(keys(ru).filter((k) => t(k as never) === '')).toEqual([]);
  });
});
