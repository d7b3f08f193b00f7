import { randomBytes } from 'node:crypto';
import { and, eq, gt, isNotNull, isNull, sql, type SQL } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import { accountTokens, type AccountTokenPurpose } from './account-tokens.table.js';
import { hashToken } from '../auth/tokens.js';
import { noteOutboxWrite } from '../outbox/outbox.writer.js';

/** A fresh account token: 32 random bytes, base64url; only its SHA-256 is ever stored. */
export function newAccountToken(): { token: string; tokenHash: string } {
  const token = randomBytes(32).toString('base64url');
  return { token, tokenHash: hashToken(token) };
}

/** Cheap shape check before any database work: 32 bytes in base64url are 43 characters. */
export function looksLikeAccountToken(token: string): boolean {
  return /^[A-Za-z0-9_-]{43}$/.test(token);
}

export interface ConsumedToken {
  userId: number;
  email: string;
}

/** Whether a token of this purpose and hash exists in the given state (looked up by hash, S18). */
async function tokenExists(
  db: Executor,
  purpose: AccountTokenPurpose,
  tokenHash: string,
  state: SQL | undefined,
): Promise<boolean> {
  const rows = await db
    .select({ id: accountTokens.id })
    .from(accountTokens)
    .where(and(eq(accountTokens.tokenHash, tokenHash), eq(accountTokens.purpose, purpose), state))
    .limit(1);
  return rows.length > 0;
}

export const accountTokensRepository = {
  async insert(
    db: Executor,
    values: {
      userId: number;
      purpose: AccountTokenPurpose;
      tokenHash: string;
      email: string;
      expiresAt: Date;
    },
  ): Promise<void> {
    await db.insert(accountTokens).values(values);
  },

  /**
   * Password recovery (issue 12: equal work). One statement whatever the address: it finds
   * an active user with that address, voids the user's older reset links (a new request
   * supersedes them), stores the new token bound to the address, and writes the mail to the
   * outbox. For an unknown address (or over the per-address limit) the same statement runs
   * and changes nothing; the caller runs nothing else on either branch.
   */
  async issueResetForEmail(
    db: Executor,
    v: { email: string; tokenHash: string; expiresAt: Date; link: string; allowed: boolean },
  ): Promise<void> {
    const expires = v.expiresAt.toISOString();
    await db.execute(sql`
      WITH u AS (
        SELECT id, username, email, locale FROM users
        WHERE lower(email) = lower(${v.email}) AND is_active AND ${v.allowed}::boolean
        LIMIT 1
      ), superseded AS (
        UPDATE account_tokens SET used_at = now()
        WHERE user_id IN (SELECT id FROM u) AND purpose = 'password_reset' AND used_at IS NULL
        RETURNING id
      ), t AS (
        INSERT INTO account_tokens (user_id, purpose, token_hash, email, expires_at)
        SELECT id, 'password_reset', ${v.tokenHash}, email, ${expires}::timestamptz FROM u
        RETURNING user_id
      )
      INSERT INTO outbox_events (type, payload)
      SELECT 'mail.password_reset', jsonb_build_object(
        'v', 1, 'user_id', u.id, 'username', u.username, 'email', u.email,
        'locale', u.locale, 'link', ${v.link}::text, 'expires_at', ${expires}::text)
      FROM u JOIN t ON t.user_id = u.id`);
    // Wakes the relay after the commit — for a known and an unknown address alike (S4).
    noteOutboxWrite(db);
  },

  /**
   * A verification link for `address` (the account's address, or the pending new one), in one
   * statement whether or not the address is free (issue 12: a taken address answers and works
   * like a free one). Only when no other account uses it as address or username, and the user
   * is active, are older verification links voided, the token stored and the mail written.
   */
  async issueVerification(
    db: Executor,
    v: {
      userId: number;
      address: string;
      tokenHash: string;
      expiresAt: Date;
      link: string;
      allowed: boolean;
    },
  ): Promise<void> {
    const expires = v.expiresAt.toISOString();
    await db.execute(sql`
      WITH u AS (
        SELECT id, username, locale FROM users me
        WHERE me.id = ${v.userId} AND me.is_active AND ${v.allowed}::boolean
          AND NOT EXISTS (
            SELECT 1 FROM users o WHERE o.id <> me.id
              AND (lower(o.email) = lower(${v.address}) OR lower(o.username) = lower(${v.address})))
      ), superseded AS (
        UPDATE account_tokens SET used_at = now()
        WHERE user_id IN (SELECT id FROM u) AND purpose = 'verify_email' AND used_at IS NULL
        RETURNING id
      ), t AS (
        INSERT INTO account_tokens (user_id, purpose, token_hash, email, expires_at)
        SELECT id, 'verify_email', ${v.tokenHash}, ${v.address}, ${expires}::timestamptz FROM u
        RETURNING user_id
      )
      INSERT INTO outbox_events (type, payload)
      SELECT 'mail.verify_email', jsonb_build_object(
        'v', 1, 'user_id', u.id, 'username', u.username, 'email', ${v.address}::text,
        'locale', u.locale, 'link', ${v.link}::text, 'expires_at', ${expires}::text)
      FROM u JOIN t ON t.user_id = u.id`);
    // Wakes the relay after the commit — for a known and an unknown address alike (S4).
    noteOutboxWrite(db);
  },

  /** Whether a token is live (unused, unexpired), without spending it. */
  async isLive(db: Executor, purpose: AccountTokenPurpose, tokenHash: string): Promise<boolean> {
    return tokenExists(
      db,
      purpose,
      tokenHash,
      and(isNull(accountTokens.usedAt), gt(accountTokens.expiresAt, sql`now()`)),
    );
  },

  /**
   * Spends a token atomically: of two concurrent requests with the same token exactly one
   * gets the row back. Unknown, used, expired or other-purpose tokens return undefined.
   */
  async consume(
    db: Executor,
    purpose: AccountTokenPurpose,
    tokenHash: string,
  ): Promise<ConsumedToken | undefined> {
    const [row] = await db
      .update(accountTokens)
      .set({ usedAt: sql`now()`, consumedAt: sql`now()` })
      .where(
        and(
          eq(accountTokens.tokenHash, tokenHash),
          eq(accountTokens.purpose, purpose),
          isNull(accountTokens.usedAt),
          gt(accountTokens.expiresAt, sql`now()`),
        ),
      )
      .returning({ userId: accountTokens.userId, email: accountTokens.email });
    return row;
  },

  /**
   * Whether this token was spent by its own use (LINK_ALREADY_USED), as opposed to unknown,
   * expired unused, or voided by a newer link or a password change (S18: looked up by hash).
   */
  async wasConsumed(
    db: Executor,
    purpose: AccountTokenPurpose,
    tokenHash: string,
  ): Promise<boolean> {
    return tokenExists(db, purpose, tokenHash, isNotNull(accountTokens.consumedAt));
  },

  /**
   * Issue 12 (S21): voids every outstanding token of a user, of both purposes. Archival,
   * restore, an e-mail change and a password change call it: a link is bound to the moment
   * it was issued for.
   */
  async invalidateEverything(db: Executor, userId: number): Promise<void> {
    await db
      .update(accountTokens)
      .set({ usedAt: sql`now()` })
      .where(and(eq(accountTokens.userId, userId), isNull(accountTokens.usedAt)));
  },

  /** Spends every live token of a user for a purpose (a newer one supersedes them). */
  async invalidateAll(db: Executor, userId: number, purpose: AccountTokenPurpose): Promise<void> {
    await db
      .update(accountTokens)
      .set({ usedAt: sql`now()` })
      .where(
        and(
          eq(accountTokens.userId, userId),
          eq(accountTokens.purpose, purpose),
          isNull(accountTokens.usedAt),
        ),
      );
  },
};
