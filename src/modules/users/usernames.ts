// One namespace for sign-in names (issue 12, S21; ADR 0019). A sign-in name is a username or
// an e-mail address; the two must never be mistaken for each other, nor one username for
// another that merely looks the same.
import unhomoglyph from 'unhomoglyph';
import { validationError } from '../../lib/errors.js';

/**
 * The safe set for new usernames, after NFKC: letters and digits of any script, `.`, `_`,
 * `-`. Marks (\p{M}) are allowed only after a letter, so scripts that need combining marks
 * work while a mark cannot stand alone. No `@` (a username can never be an e-mail address),
 * no space, no control, format (zero-width, bidi override), or private-use character.
 */
const SAFE = /^(?:[\p{L}\p{N}._-]\p{M}*)+$/u;

/** The form stored for a new username: NFKC, as typed otherwise (letter case is kept). */
export function normaliseUsername(typed: string): string {
  return typed.normalize('NFKC');
}

/**
 * Refuses a new username outside the safe set (422 on `body.username`). Names chosen under
 * v1 rules (any 3–50 characters) are never passed here at sign-in: they keep working.
 */
export function assertSafeUsername(normalised: string, field = 'username'): void {
  const bad = (msg: string) =>
    validationError([{ loc: ['body', field], msg, type: 'value_error.username' }]);
  if (normalised.includes('@')) {
    throw bad('A username cannot contain "@": sign in with your e-mail address instead');
  }
  const length = [...normalised].length;
  if (length < 3 || length > 50) {
    throw bad('A username has 3 to 50 characters');
  }
  if (!SAFE.test(normalised)) {
    throw bad('A username may contain only letters, digits, ".", "_" and "-"');
  }
}

/**
 * The confusable-folded form behind the unique index `uq_users_username_fold`: two names with
 * the same fold look alike. UTS #39 skeleton (unhomoglyph: the Unicode confusables table),
 * then lower case, then the skeleton again, so `Ian`/`lan` and `b0b`/`bob`/`BOB` each share a
 * fold. Always computed here (never in SQL): the table is not available to PostgreSQL.
 */
export function usernameFold(username: string): string {
  return unhomoglyph(unhomoglyph(username.normalize('NFKC')).toLowerCase()).normalize('NFKC');
}
