import { randomBytes } from 'node:crypto';
import { and, eq, gt, isNotNull, isNull, sql } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import type { Locale } from '../../lib/locale.js';
import { accountTokens, type AccountTokenPurpose } from './account-tokens.table.js';
import { hashToken } from '../auth/tokens.js';

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
   * Password recovery: one statement whether or not the address belongs to an active user
   * (similar work and time on both branches). Inserts the token only for an active user
   * with that address, and only when `allowed` (per-address mail limit); returns that user.
   */
  async insertForEmail(
    db: Executor,
    email: string,
    purpose: AccountTokenPurpose,
    tokenHash: string,
    expiresAt: Date,
    allowed: boolean,
  ): Promise<{ id: number; username: string; email: string; locale: Locale } | undefined> {
    const result = await db.execute<{
      id: number;
      username: string;
      email: string;
      locale: Locale;
    }>(sql`
      WITH u AS (
        SELECT id, username, email, locale FROM users
        WHERE lower(email) = lower(${email}) AND is_active AND ${allowed}::boolean
        LIMIT 1
      ), t AS (
        INSERT INTO account_tokens (user_id, purpose, token_hash, email, expires_at)
        SELECT id, ${purpose}, ${tokenHash}, email, ${expiresAt.toISOString()}::timestamptz FROM u
        RETURNING user_id
      )
      SELECT u.id, u.username, u.email, u.locale FROM u JOIN t ON t.user_id = u.id`);
    return result.rows[0];
  },

  /** Whether a token is live (unused, unexpired), without spending it. */
  async isLive(db: Executor, purpose: AccountTokenPurpose, tokenHash: string): Promise<boolean> {
    const rows = await db
      .select({ id: accountTokens.id })
      .from(accountTokens)
      .where(
        and(
          eq(accountTokens.tokenHash, tokenHash),
          eq(accountTokens.purpose, purpose),
          isNull(accountTokens.usedAt),
          gt(accountTokens.expiresAt, sql`now()`),
        ),
      )
      .limit(1);
    return rows.length > 0;
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
    const rows = await db
      .select({ id: accountTokens.id })
      .from(accountTokens)
      .where(
        and(
          eq(accountTokens.tokenHash, tokenHash),
          eq(accountTokens.purpose, purpose),
          isNotNull(accountTokens.consumedAt),
        ),
      )
      .limit(1);
    return rows.length > 0;
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
