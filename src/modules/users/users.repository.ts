import { and, eq, or, sql, type SQL } from 'drizzle-orm';
import type { Db, Executor } from '../../db/client.js';
import type { Locale } from '../../lib/locale.js';
import {
  keysetAfter,
  keysetOrderBy,
  likePrefix,
  type CursorData,
  type KeysetSort,
  type SortDirection,
} from '../../lib/pagination.js';
import { users, type UserRow } from './users.table.js';

// SQL for users lives here only (style rule 4).

const lowerEq = (col: typeof users.username | typeof users.email, value: string) =>
  sql`lower(${col}) = lower(${value})`;

const preparedById = new WeakMap<Db, ReturnType<typeof prepareById>>();
function prepareById(db: Db) {
  return db
    .select()
    .from(users)
    .where(eq(users.id, sql.placeholder('id')))
    .limit(1)
    .prepare('users_find_by_id');
}

export const usersRepository = {
  async findById(db: Executor, id: number): Promise<UserRow | undefined> {
    const [row] = await db.select().from(users).where(eq(users.id, id)).limit(1);
    return row;
  },

  /**
   * The per-request lookup behind every authenticated route (P1): a named prepared
   * statement, so neither drizzle nor PostgreSQL plans the query again on each request.
   */
  async findByIdPrepared(db: Db, id: number): Promise<UserRow | undefined> {
    let stmt = preparedById.get(db);
    if (stmt === undefined) {
      stmt = prepareById(db);
      preparedById.set(db, stmt);
    }
    const [row] = await stmt.execute({ id });
    return row;
  },

  /**
   * Login accepts the username or the e-mail address, case-insensitively, folded by
   * PostgreSQL's lower() on both sides (never JavaScript's: `İ` folds differently). A login
   * with `@` is an address first (issue 12): a legacy username equal to another account's
   * address can no longer capture that address's sign-in. The NFKC form of the login also
   * finds a new-style (normalised) username typed in a compatibility form.
   */
  async findByLogin(db: Executor, login: string): Promise<UserRow | undefined> {
    const nfkc = login.normalize('NFKC');
    const byEmail = sql`lower(${users.email}) = lower(${login})`;
    const byName = sql`lower(${users.username}) IN (lower(${login}), lower(${nfkc}))`;
    const [row] = await db
      .select()
      .from(users)
      .where(or(byName, byEmail))
      .orderBy(login.includes('@') ? sql`(${byEmail}) DESC` : sql`(${byName}) DESC`)
      .limit(1);
    return row;
  },

  /** The login as PostgreSQL folds it: the throttle key of an unknown name (issue 12). */
  async foldLogin(db: Executor, login: string): Promise<string> {
    const result = await db.execute<{ folded: string }>(sql`SELECT lower(${login}) AS folded`);
    return result.rows[0]?.folded ?? login;
  },

  /**
   * Registration's advisory checks (the unique indexes decide under concurrency). A username
   * is taken by the same name in another letter case or a look-alike (the fold); an address
   * is taken by another account's address, or by a legacy username equal to it (one
   * namespace, S21).
   */
  async takenFlags(
    db: Executor,
    username: string,
    email: string,
    fold: string = username,
    exceptId = 0,
  ): Promise<{ username: boolean; email: boolean }> {
    const nameHit = or(lowerEq(users.username, username), eq(users.usernameFold, fold));
    const emailHit = or(lowerEq(users.email, email), lowerEq(users.username, email));
    const rows = await db
      .select({
        u: sql<boolean>`bool_or(${nameHit})`,
        e: sql<boolean>`bool_or(${emailHit})`,
      })
      .from(users)
      .where(and(sql`${users.id} <> ${exceptId}`, or(nameHit, emailHit)));
    return { username: rows[0]?.u === true, email: rows[0]?.e === true };
  },

  async insert(
    db: Executor,
    values: {
      username: string;
      usernameFold: string;
      email: string;
      passwordHash: string;
      isSuperuser?: boolean;
      emailVerifiedAt?: Date;
      locale?: Locale;
    },
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

  /** Locks one user row for the rest of the transaction. */
  async lockById(tx: Executor, id: number): Promise<UserRow | undefined> {
    const [row] = await tx.select().from(users).where(eq(users.id, id)).limit(1).for('update');
    return row;
  },

  /**
   * Locks every active superuser, in id order (a fixed order, so two transactions doing
   * this cannot deadlock), and returns their ids. The second of two concurrent demotions
   * waits here and then sees the first one's result.
   */
  async lockActiveSuperusers(tx: Executor): Promise<number[]> {
    const rows = await tx
      .select({ id: users.id })
      .from(users)
      .where(and(eq(users.isSuperuser, true), eq(users.isActive, true)))
      .orderBy(users.id)
      .for('update');
    return rows.map((r) => r.id);
  },

  async update(db: Executor, id: number, patch: UserPatch): Promise<UserRow | undefined> {
    const [row] = await db.update(users).set(patch).where(eq(users.id, id)).returning();
    return row;
  },

  /** Marks the address verified if it is still the user's address (and the user active). */
  async markEmailVerified(db: Executor, id: number, email: string): Promise<UserRow | undefined> {
    const [row] = await db
      .update(users)
      .set({ emailVerifiedAt: sql`coalesce(${users.emailVerifiedAt}, now())` })
      .where(and(eq(users.id, id), eq(users.isActive, true), lowerEq(users.email, email)))
      .returning();
    return row;
  },

  /**
   * Issue 12: the pending address becomes the account's address, verified, if `address` is
   * still the pending one and the user active; the unique index refuses a taken one.
   */
  async applyPendingEmail(db: Executor, id: number, address: string): Promise<UserRow | undefined> {
    const [row] = await db
      .update(users)
      .set({ email: sql`${users.pendingEmail}`, pendingEmail: null, emailVerifiedAt: sql`now()` })
      .where(
        and(
          eq(users.id, id),
          eq(users.isActive, true),
          sql`lower(${users.pendingEmail}) = lower(${address})`,
        ),
      )
      .returning();
    return row;
  },

  /**
   * The admin list (P6): keyset pagination over (sort key, id); every filter is served by
   * an index (see users.table.ts and docs/benchmarks.md, appendix A).
   */
  async list(db: Executor, query: UserListQuery): Promise<UserListRow[]> {
    return usersRepository.listStatement(db, query);
  },

  /** The list's statement, unexecuted (benchmarks print its EXPLAIN via `.toSQL()`). */
  listStatement(db: Executor, query: UserListQuery) {
    const sort = userSort(query.orderBy, query.direction);
    const conds: SQL[] = [];
    if (query.isActive !== undefined) {
      conds.push(query.isActive ? sql`${users.isActive}` : sql`NOT ${users.isActive}`);
    }
    if (query.isSuperuser !== undefined) {
      conds.push(query.isSuperuser ? sql`${users.isSuperuser}` : sql`NOT ${users.isSuperuser}`);
    }
    if (query.q !== undefined) {
      const pattern = likePrefix(query.q.toLowerCase());
      conds.push(
        sql`(lower(${users.username}) LIKE ${pattern} OR lower(${users.email}) LIKE ${pattern})`,
      );
    }
    const after = keysetAfter(sort, query.cursor);
    if (after) {
      conds.push(after);
    }
    return db
      .select({
        id: users.id,
        username: users.username,
        email: users.email,
        isActive: users.isActive,
        isSuperuser: users.isSuperuser,
        emailVerifiedAt: users.emailVerifiedAt,
        createdAt: users.createdAt,
        locale: users.locale,
        // The sort key with its microseconds, for the cursor (a JS Date keeps milliseconds).
        createdAtKey: sql<string>`to_char(${users.createdAt} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`,
      })
      .from(users)
      .where(conds.length > 0 ? and(...conds) : undefined)
      .orderBy(...keysetOrderBy(sort))
      .limit(query.limit + 1);
  },
};

export type UserPatch = Partial<
  Pick<
    typeof users.$inferInsert,
    | 'username'
    | 'usernameFold'
    | 'email'
    | 'pendingEmail'
    | 'isActive'
    | 'isSuperuser'
    | 'passwordHash'
    | 'emailVerifiedAt'
    | 'locale'
  >
>;

export type UserOrderBy = 'id' | 'created_at';

export interface UserListQuery {
  limit: number;
  cursor?: CursorData;
  orderBy: UserOrderBy;
  direction: SortDirection;
  isActive?: boolean;
  isSuperuser?: boolean;
  q?: string;
}

export type UserListRow = Pick<
  UserRow,
  | 'id'
  | 'username'
  | 'email'
  | 'isActive'
  | 'isSuperuser'
  | 'emailVerifiedAt'
  | 'createdAt'
  | 'locale'
> & { createdAtKey: string };

function userSort(orderBy: UserOrderBy, direction: SortDirection): KeysetSort {
  return orderBy === 'id'
    ? { key: users.id, id: users.id, direction }
    : { key: users.createdAt, id: users.id, direction, keyType: 'timestamptz' };
}

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
