import { sql } from 'drizzle-orm';
import {
  boolean,
  check,
  foreignKey,
  index,
  integer,
  pgTable,
  primaryKey,
  text,
  uniqueIndex,
  varchar,
} from 'drizzle-orm/pg-core';
import { intId, isActive, timestamps, tsColumn } from '../../db/columns.js';
import { LOCALES, type Locale } from '../../lib/locale.js';

// Table name = snake_case(model) + "s" (seed convention); constraints are named.
export const users = pgTable(
  'users',
  {
    id: intId(),
    username: varchar('username', { length: 50 }).notNull(),
    /**
     * Issue 12 (S21): the confusable-folded username (usernames.ts: usernameFold), unique, so
     * look-alikes cannot coexist. Null only for rows from before the column, until
     * `npm run accounts:names` fills it.
     */
    usernameFold: varchar('username_fold', { length: 200 }),
    /**
     * Issue 12: an e-mail change waits here until the new address is verified (the address
     * in use stays `email` until then), so a taken address answers like a free one.
     */
    pendingEmail: varchar('pending_email', { length: 100 }),
    email: varchar('email', { length: 100 }).notNull(),
    passwordHash: text('password_hash').notNull(),
    isActive: isActive(),
    isSuperuser: boolean('is_superuser').notNull().default(false),
    emailVerifiedAt: tsColumn('email_verified_at'),
    /** The language of the user's pages and mails (issue 8). */
    locale: varchar('locale', { length: 8 }).$type<Locale>().notNull().default('en'),
    /**
     * Session revocation (issue 12, ADR 0017): every revocation of all the user's sessions
     * bumps the generation, every revocation of one session bumps the revision. Access
     * tokens carry both; the per-request read of this row compares them (no extra read).
     */
    sessionGeneration: integer('session_generation').notNull().default(0),
    sessionRevision: integer('session_revision').notNull().default(0),
    ...timestamps(),
  },
  (t) => [
    primaryKey({ name: 'pk_users', columns: [t.id] }),
    // Case-insensitive uniqueness: "Bob" and "bob" are one username.
    uniqueIndex('uq_users_username').on(sql`lower(${t.username})`),
    uniqueIndex('uq_users_email').on(sql`lower(${t.email})`),
    uniqueIndex('uq_users_username_fold').on(t.usernameFold),
    index('ix_users_created_at').on(t.createdAt, t.id),
    // Admin list (P6): `q` is a case-insensitive prefix of username or e-mail; the pattern
    // opclass lets LIKE 'abc%' use the index whatever the database collation.
    index('ix_users_username_pattern').on(sql`lower(${t.username}) text_pattern_ops`),
    index('ix_users_email_pattern').on(sql`lower(${t.email}) text_pattern_ops`),
    // The rare values of the boolean filters get small partial indexes, one per sort order;
    // the common values are served by the primary key and ix_users_created_at.
    index('ix_users_id_superuser')
      .on(t.id)
      .where(sql`${t.isSuperuser}`),
    index('ix_users_created_at_superuser')
      .on(t.createdAt, t.id)
      .where(sql`${t.isSuperuser}`),
    index('ix_users_id_inactive')
      .on(t.id)
      .where(sql`NOT ${t.isActive}`),
    index('ix_users_created_at_inactive')
      .on(t.createdAt, t.id)
      .where(sql`NOT ${t.isActive}`),
    check(
      'ck_users_locale',
      sql`${t.locale} IN (${sql.raw(LOCALES.map((l) => `'${l}'`).join(', '))})`,
    ),
  ],
);

export type UserRow = typeof users.$inferSelect;

/**
 * Issue 12 (S21): sign-in names that collide, as found by the migration that introduced the
 * namespace rules and by `npm run accounts:names`. Nothing is changed silently: each row is a
 * report until an operator resolves it with `npm run accounts:names -- resolve`.
 */
export const signInNameConflicts = pgTable(
  'sign_in_name_conflicts',
  {
    id: intId(),
    /** The account whose username is the problem (it gets renamed on resolve). */
    userId: integer('user_id').notNull(),
    /** The account it collides with (null for a name that is only unsafe). */
    otherUserId: integer('other_user_id'),
    kind: varchar('kind', { length: 32 })
      .$type<'username_is_email' | 'username_confusable'>()
      .notNull(),
    username: varchar('username', { length: 50 }).notNull(),
    foundAt: tsColumn('found_at').notNull().defaultNow(),
    resolvedAt: tsColumn('resolved_at'),
    /** What the username became on resolve. */
    renamedTo: varchar('renamed_to', { length: 50 }),
  },
  (t) => [
    primaryKey({ name: 'pk_sign_in_name_conflicts', columns: [t.id] }),
    foreignKey({
      name: 'fk_sign_in_name_conflicts_user_id_users',
      columns: [t.userId],
      foreignColumns: [users.id],
    }).onDelete('cascade'),
    uniqueIndex('uq_sign_in_name_conflicts_user_kind').on(t.userId, t.kind),
  ],
);
