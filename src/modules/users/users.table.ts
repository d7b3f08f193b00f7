import { sql } from 'drizzle-orm';
import {
  boolean,
  index,
  pgTable,
  primaryKey,
  text,
  uniqueIndex,
  varchar,
} from 'drizzle-orm/pg-core';
import { intId, isActive, timestamps, tsColumn } from '../../db/columns.js';

// Table name = snake_case(model) + "s" (seed convention); constraints are named.
export const users = pgTable(
  'users',
  {
    id: intId(),
    username: varchar('username', { length: 50 }).notNull(),
    email: varchar('email', { length: 100 }).notNull(),
    passwordHash: text('password_hash').notNull(),
    isActive: isActive(),
    isSuperuser: boolean('is_superuser').notNull().default(false),
    emailVerifiedAt: tsColumn('email_verified_at'),
    ...timestamps(),
  },
  (t) => [
    primaryKey({ name: 'pk_users', columns: [t.id] }),
    // Case-insensitive uniqueness: "Bob" and "bob" are one username.
    uniqueIndex('uq_users_username').on(sql`lower(${t.username})`),
    uniqueIndex('uq_users_email').on(sql`lower(${t.email})`),
    index('ix_users_created_at').on(t.createdAt, t.id),
  ],
);

export type UserRow = typeof users.$inferSelect;
