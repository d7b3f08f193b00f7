import { and, eq, isNull, sql } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import { refreshSessions } from './refresh-sessions.table.js';

export interface RotatedUser {
  id: number;
  username: string;
  email: string;
  isActive: boolean;
}

export const sessionsRepository = {
  async create(
    db: Executor,
    values: { userId: number; familyId: string; tokenHash: string; expiresAt: Date },
  ): Promise<void> {
    await db.insert(refreshSessions).values(values);
  },

  /**
   * One round trip (P4): spends the presented token if it is live, inserts its successor in
   * the same family with the same absolute expiry, and returns the user. No row back means
   * the token is unknown, spent, revoked or expired, or the user is archived.
   */
  async rotate(
    db: Executor,
    presentedHash: string,
    successorHash: string,
  ): Promise<RotatedUser | undefined> {
    const result = await db.execute<{
      id: number;
      username: string;
      email: string;
      is_active: boolean;
    }>(sql`
      WITH spent AS (
        UPDATE refresh_sessions SET used_at = now()
        WHERE token_hash = ${presentedHash}
          AND used_at IS NULL AND revoked_at IS NULL AND expires_at > now()
        RETURNING user_id, family_id, expires_at
      ), owner AS (
        SELECT u.id, u.username, u.email, u.is_active, s.family_id, s.expires_at
        FROM spent s JOIN users u ON u.id = s.user_id
      ), successor AS (
        INSERT INTO refresh_sessions (user_id, family_id, token_hash, expires_at)
        SELECT id, family_id, ${successorHash}, expires_at FROM owner WHERE is_active
        RETURNING id
      )
      SELECT id, username, email, is_active FROM owner`);
    const row = result.rows[0];
    return row && { id: row.id, username: row.username, email: row.email, isActive: row.is_active };
  },

  /** Revokes the whole family that the token with this hash belongs to (reuse, logout). */
  async revokeFamilyOf(db: Executor, tokenHash: string): Promise<number> {
    const result = await db.execute(sql`
      UPDATE refresh_sessions SET revoked_at = now()
      WHERE family_id = (SELECT family_id FROM refresh_sessions WHERE token_hash = ${tokenHash})
        AND revoked_at IS NULL`);
    return result.rowCount ?? 0;
  },

  async isKnown(db: Executor, tokenHash: string): Promise<boolean> {
    const rows = await db
      .select({ id: refreshSessions.id })
      .from(refreshSessions)
      .where(eq(refreshSessions.tokenHash, tokenHash))
      .limit(1);
    return rows.length > 0;
  },

  async revokeAllForUser(db: Executor, userId: number): Promise<number> {
    const result = await db
      .update(refreshSessions)
      .set({ revokedAt: new Date() })
      .where(and(eq(refreshSessions.userId, userId), isNull(refreshSessions.revokedAt)));
    return result.rowCount ?? 0;
  },
};
