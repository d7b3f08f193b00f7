// Field rules the server enforces too (users.schemas.ts), checked before sending so the
// person sees them next to the field. Each returns an i18n key, or null when the value is fine.
type Rule = (value: string) => string | null;

export const username: Rule = (v) =>
  v.trim().length === 0
    ? 'valid.required'
    : v.length < 3 || v.length > 50
      ? 'valid.username'
      : null;

// The server checks the `email` format; this only catches typos before a round trip.
export const email: Rule = (v) =>
  v.trim().length === 0
    ? 'valid.required'
    : /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(v) && v.length <= 100
      ? null
      : 'valid.email';

/** S2: 8 to 128 characters, taken as typed. */
export const password: Rule = (v) =>
  v.length === 0 ? 'valid.required' : v.length < 8 || v.length > 128 ? 'valid.password' : null;

export const required: Rule = (v) => (v.trim().length === 0 ? 'valid.required' : null);

export const confirm =
  (field: string) =>
  (v: string, values: Record<string, unknown>): string | null =>
    v.length === 0 ? 'valid.required' : v !== values[field] ? 'valid.mismatch' : null;

export const httpUrl: Rule = (v) =>
  v.trim() === '' ? null : /^https?:\/\/\S+$/.test(v.trim()) ? null : 'valid.url';
