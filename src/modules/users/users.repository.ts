import { eq, or, sql } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import { users, type UserRow } from './users.table.js';

// SQL for users lives here only (style rule 4).

const lowerEq = (col: typeof users.username | typeof users.email, value: string) =>
  sql`lower(${col}) = lower(${value})`;

export const usersRepository = {
  async findById(db: Executor, id: number): Promise<UserRow | undefined> {
    const [row] = await db.select().from(users).where(eq(users.id, id)).limit(1);
    return row;
  },

  /** Login accepts the username or the e-mail address, case-insensitively. */
  async findByLogin(db: Executor, login: string): Promise<UserRow | undefined> {
    const [row] = await db
      .select()
      .from(users)
      .where(or(lowerEq(users.username, login), lowerEq(users.email, login)))
      .orderBy(sql`(lower(${users.username}) = lower(${login})) DESC`)
      .limit(1);
    return row;
  },

  async takenFlags(
    db: Executor,
    username: string,
    email: string,
  ): Promise<{ username: boolean; email: boolean }> {
    const rows = await db
      .select({
        u: sql<boolean>`bool_or(lower(${users.username}) = lower(${username}))`,
        e: sql<boolean>`bool_or(lower(${users.email}) = lower(${email}))`,
      })
      .from(users)
      .where(or(lowerEq(users.username, username), lowerEq(users.email, email)));
    return { username: rows[0]?.u === true, email: rows[0]?.e === true };
  },

  async insert(
    db: Executor,
    values: { username: string; email: string; passwordHash: string; isSuperuser?: boolean },
  ): Promise<UserRow> {
    const [row] = await db.insert(users).values(values).returning();
    if (row === undefined) {
      throw new Error('insert returned no row');
    }
    return row;
  },

  async updatePasswordHash(db: Executor, id: number, passwordHash: string): Promise<void> {
    await db.update(users).set({ passwordHash }).where(eq(users.id, id));
  },
};

/** Postgres unique violation on one of our named constraints, if that is what `err` is. */
export function uniqueViolation(err: unknown): string | undefined {
  let e: unknown = err;
  for (let depth = 0; depth < 3 && typeof e === 'object' && e !== null; depth++) {
    const { code, constraint, cause } = e as {
      code?: string;
      constraint?: string;
      cause?: unknown;
    };
    if (code === '23505') {
      return constraint;
    }
    e = cause;
  }
  return undefined;
}
