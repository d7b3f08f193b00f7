import type { TFunction, TranslationKey } from './index';

/** A validation rule (lib/validation) with its message in the page's language, for useForm. */
export function translateRule<V>(
  t: TFunction,
  rule: (value: string, values: V) => string | null,
): (value: string, values: V) => string | null {
  return (value, values) => {
    const key = rule(value, values);
    return key === null ? null : t(key as TranslationKey);
  };
}
