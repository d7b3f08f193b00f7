// SQL of the sign-in name report and its resolution (issue 12, S21; ADR 0019).
import { and, asc, eq, isNull, sql } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import { signInNameConflicts, users } from './users.table.js';

export type ConflictKind = 'username_is_email' | 'username_confusable';

export interface ConflictRow {
  id: number;
  userId: number;
  otherUserId: number | null;
  kind: ConflictKind;
  username: string;
  foundAt: Date;
}

export const signInNamesRepository = {
  /** The migration's own check, again: usernames equal to another account's address. */
  async recordUsernameIsEmail(db: Executor): Promise<void> {
    await db.execute(sql`
      INSERT INTO sign_in_name_conflicts (user_id, other_user_id, kind, username)
      SELECT u.id, o.id, 'username_is_email', u.username
      FROM users u JOIN users o ON lower(o.email) = lower(u.username) AND o.id <> u.id
      ON CONFLICT DO NOTHING`);
  },

  async record(
    db: Executor,
    v: { userId: number; otherUserId: number; kind: ConflictKind; username: string },
  ): Promise<void> {
    await db.insert(signInNameConflicts).values(v).onConflictDoNothing();
  },

  /** Users whose fold is not filled yet (rows from before the column), in id order. */
  async withoutFold(db: Executor): Promise<{ id: number; username: string }[]> {
    return db
      .select({ id: users.id, username: users.username })
      .from(users)
      .where(isNull(users.usernameFold))
      .orderBy(asc(users.id));
  },

  async holderOfFold(db: Executor, fold: string): Promise<number | undefined> {
    const [row] = await db
      .select({ id: users.id })
      .from(users)
      .where(eq(users.usernameFold, fold))
      .limit(1);
    return row?.id;
  },

  async setFold(db: Executor, id: number, fold: string): Promise<void> {
    await db.update(users).set({ usernameFold: fold }).where(eq(users.id, id));
  },

  async unresolved(db: Executor): Promise<ConflictRow[]> {
    return db
      .select({
        id: signInNameConflicts.id,
        userId: signInNameConflicts.userId,
        otherUserId: signInNameConflicts.otherUserId,
        kind: signInNameConflicts.kind,
        username: signInNameConflicts.username,
        foundAt: signInNameConflicts.foundAt,
      })
      .from(signInNameConflicts)
      .where(isNull(signInNameConflicts.resolvedAt))
      .orderBy(asc(signInNameConflicts.id));
  },

  async nameTaken(db: Executor, username: string, fold: string): Promise<boolean> {
    const rows = await db
      .select({ id: users.id })
      .from(users)
      .where(sql`lower(${users.username}) = lower(${username}) OR ${users.usernameFold} = ${fold}`)
      .limit(1);
    return rows.length > 0;
  },

  /** Renames the user and closes every open conflict of that user. */
  async rename(db: Executor, userId: number, username: string, fold: string): Promise<void> {
    await db.update(users).set({ username, usernameFold: fold }).where(eq(users.id, userId));
    await db
      .update(signInNameConflicts)
      .set({ resolvedAt: sql`now()`, renamedTo: username })
      .where(and(eq(signInNameConflicts.userId, userId), isNull(signInNameConflicts.resolvedAt)));
  },
};
