import { eq, sql } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import { refreshSessions } from './refresh-sessions.table.js';

// Lock order (issue 12, ADR 0017): every statement here that changes sessions takes the
// user's row first — rotations FOR SHARE (they run side by side), revocations with an
// UPDATE of the row (one at a time, and after every rotation in flight). So a revocation
// waits for the rotations in flight, then sees their successors in its next statement; a
// rotation that starts later waits for the revocation and sees it. No two paths take the
// two tables in opposite orders, so none deadlocks.

export interface RotatedUser {
  id: number;
  username: string;
  email: string;
  isActive: boolean;
  familyId: string;
  generation: number;
  revision: number;
}

/** Who asked: stored with the session row, shown in the sessions list. */
export interface ClientInfo {
  ip?: string;
  userAgent?: string;
}

export interface SessionListRow {
  id: string;
  startedAt: Date;
  lastUsedAt: Date;
  expiresAt: Date;
  ip: string | null;
  userAgent: string | null;
}

/** User-Agent strings are stored capped: a list entry, not an archive of headers. */
const UA_MAX = 512;
const ua = (client: ClientInfo) => client.userAgent?.slice(0, UA_MAX) ?? null;

export const sessionsRepository = {
  /**
   * A login's first row, at the user's current generation, read in the same statement (a
   * login racing a revocation of all sessions is either revoked with them or after them).
   * Returns the counters the access token carries; undefined if the user is gone.
   */
  async create(
    db: Executor,
    values: { userId: number; familyId: string; tokenHash: string; expiresAt: Date },
    client: ClientInfo = {},
  ): Promise<{ generation: number; revision: number } | undefined> {
    const result = await db.execute<{ generation: number; revision: number }>(sql`
      WITH owner AS (
        SELECT id, session_generation, session_revision FROM users WHERE id = ${values.userId}
      ), created AS (
        INSERT INTO refresh_sessions
          (user_id, family_id, token_hash, expires_at, generation, ip, user_agent)
        SELECT id, ${values.familyId}, ${values.tokenHash}, ${values.expiresAt.toISOString()},
          session_generation, ${client.ip ?? null}, ${ua(client)}
        FROM owner
        RETURNING id
      )
      SELECT o.session_generation AS generation, o.session_revision AS revision
      FROM owner o, created`);
    return result.rows[0];
  },

  /**
   * One round trip (P4): locks the user row (FOR SHARE, first), spends the presented token
   * if it is live and of the user's current generation, inserts its successor in the same
   * family, and returns the user. No row back means the token is unknown, spent, revoked,
   * expired or of a revoked generation. The successor of an archived user is not inserted.
   */
  async rotate(
    db: Executor,
    presentedHash: string,
    successorHash: string,
    client: ClientInfo = {},
  ): Promise<RotatedUser | undefined> {
    const result = await db.execute<{
      id: number;
      username: string;
      email: string;
      is_active: boolean;
      family_id: string;
      session_generation: number;
      session_revision: number;
    }>(sql`
      WITH owner AS MATERIALIZED (
        SELECT u.id, u.username, u.email, u.is_active, u.session_generation, u.session_revision
        FROM users u
        WHERE u.id = (SELECT user_id FROM refresh_sessions WHERE token_hash = ${presentedHash})
        FOR SHARE OF u
      ), spent AS (
        UPDATE refresh_sessions s SET used_at = now()
        FROM owner o
        WHERE s.token_hash = ${presentedHash} AND s.user_id = o.id
          AND s.used_at IS NULL AND s.revoked_at IS NULL AND s.expires_at > now()
          AND s.generation = o.session_generation
        RETURNING s.family_id, s.expires_at, s.generation, s.started_at
      ), successor AS (
        INSERT INTO refresh_sessions (user_id, family_id, token_hash, expires_at, generation,
          started_at, last_used_at, ip, user_agent)
        SELECT o.id, sp.family_id, ${successorHash}, sp.expires_at, sp.generation,
          sp.started_at, now(), ${client.ip ?? null}, ${ua(client)}
        FROM spent sp, owner o WHERE o.is_active
        RETURNING id
      )
      SELECT o.id, o.username, o.email, o.is_active, o.session_generation, o.session_revision,
        sp.family_id
      FROM owner o, spent sp`);
    const row = result.rows[0];
    return (
      row && {
        id: row.id,
        username: row.username,
        email: row.email,
        isActive: row.is_active,
        familyId: row.family_id,
        generation: row.session_generation,
        revision: row.session_revision,
      }
    );
  },

  /** The user and login of a token's row, read without a lock. */
  async ownerOf(
    db: Executor,
    tokenHash: string,
  ): Promise<{ userId: number; familyId: string; expiresAt: Date } | undefined> {
    const [row] = await db
      .select({
        userId: refreshSessions.userId,
        familyId: refreshSessions.familyId,
        expiresAt: refreshSessions.expiresAt,
      })
      .from(refreshSessions)
      .where(eq(refreshSessions.tokenHash, tokenHash))
      .limit(1);
    return row;
  },

  /**
   * Ends the logins (families) of one user: all of them except `keep` when `only` is not
   * given. Call inside a transaction: the user row is locked first, so every successor that
   * a rotation in flight inserts is committed and seen by the second statement. When any
   * session ended, the user's revision is bumped (access tokens of older revisions are then
   * checked against their session once per process). Returns the ended family ids.
   */
  async revokeFamilies(
    tx: Executor,
    userId: number,
    which: { only: string } | { keep: string },
  ): Promise<string[]> {
    await tx.execute(sql`SELECT 1 FROM users WHERE id = ${userId} FOR NO KEY UPDATE`);
    const filter =
      'only' in which ? sql`family_id = ${which.only}` : sql`family_id <> ${which.keep}`;
    const result = await tx.execute<{ family_id: string }>(sql`
      UPDATE refresh_sessions SET revoked_at = now()
      WHERE user_id = ${userId} AND ${filter} AND revoked_at IS NULL
      RETURNING family_id`);
    const ended = [...new Set(result.rows.map((r) => r.family_id))];
    if (ended.length > 0) {
      await tx.execute(
        sql`UPDATE users SET session_revision = session_revision + 1 WHERE id = ${userId}`,
      );
    }
    return ended;
  },

  /**
   * Ends every session of the user (password change and reset, archival, revoke-all). Call
   * inside the transaction that makes the change: the generation bump locks the user row
   * first (after the rotations in flight) and, by itself, kills every refresh chain and
   * access token of the older generation; the rows are marked for the record and the list.
   */
  async revokeAllForUser(tx: Executor, userId: number): Promise<number> {
    await tx.execute(
      sql`UPDATE users SET session_generation = session_generation + 1 WHERE id = ${userId}`,
    );
    // Counted in logins (families), as revokeFamilies does: a login that rotated has one row
    // per refresh, and `{"revoked": n}` says how many logins ended, not how many rows.
    const result = await tx.execute<{ family_id: string }>(sql`
      UPDATE refresh_sessions SET revoked_at = now()
      WHERE user_id = ${userId} AND revoked_at IS NULL
      RETURNING family_id`);
    return new Set(result.rows.map((r) => r.family_id)).size;
  },

  /** Whether a login still has a live row (its head): the access-token check's slow path. */
  async isFamilyLive(db: Executor, familyId: string): Promise<boolean> {
    const result = await db.execute<{ live: boolean }>(sql`
      SELECT EXISTS (
        SELECT 1 FROM refresh_sessions s JOIN users u ON u.id = s.user_id
        WHERE s.family_id = ${familyId} AND s.used_at IS NULL AND s.revoked_at IS NULL
          AND s.expires_at > now() AND s.generation = u.session_generation
      ) AS live`);
    return result.rows[0]?.live === true;
  },

  /** The user's live logins, newest first: one row per family (its current head). */
  async listLive(db: Executor, userId: number): Promise<SessionListRow[]> {
    const result = await db.execute<{
      family_id: string;
      started_at: Date | string;
      last_used_at: Date | string;
      expires_at: Date | string;
      ip: string | null;
      user_agent: string | null;
    }>(sql`
      SELECT s.family_id, s.started_at, COALESCE(s.last_used_at, s.started_at) AS last_used_at,
        s.expires_at, s.ip, s.user_agent
      FROM refresh_sessions s JOIN users u ON u.id = s.user_id
      WHERE s.user_id = ${userId} AND s.used_at IS NULL AND s.revoked_at IS NULL
        AND s.expires_at > now() AND s.generation = u.session_generation
      ORDER BY s.started_at DESC, s.family_id`);
    return result.rows.map((r) => ({
      id: r.family_id,
      startedAt: new Date(r.started_at),
      lastUsedAt: new Date(r.last_used_at),
      expiresAt: new Date(r.expires_at),
      ip: r.ip,
      userAgent: r.user_agent,
    }));
  },
};
