import {
  bigint,
  foreignKey,
  index,
  integer,
  pgTable,
  primaryKey,
  text,
  uniqueIndex,
  varchar,
} from 'drizzle-orm/pg-core';
import { tsColumn } from '../../db/columns.js';
import { users } from './users.table.js';

/** What an account token is for; each purpose has its own lifetime. */
export type AccountTokenPurpose = 'verify_email' | 'password_reset';

// Single-use tokens mailed to users (e-mail verification, password recovery). Only a SHA-256
// of the token is stored, so a database leak yields no usable link. A token is consumed by
// one atomic UPDATE ... WHERE used_at IS NULL AND expires_at > now() RETURNING.
export const accountTokens = pgTable(
  'account_tokens',
  {
    id: bigint('id', { mode: 'number' }).notNull().generatedAlwaysAsIdentity(),
    userId: integer('user_id').notNull(),
    purpose: varchar('purpose', { length: 32 }).$type<AccountTokenPurpose>().notNull(),
    tokenHash: text('token_hash').notNull(),
    /** The address the token was mailed to: a verification proves this address only. */
    email: varchar('email', { length: 100 }).notNull(),
    expiresAt: tsColumn('expires_at').notNull(),
    usedAt: tsColumn('used_at'),
    /**
     * Set only when the token itself was spent (not when a newer link or a password change
     * voided it): such a link answers LINK_ALREADY_USED (issue 8).
     */
    consumedAt: tsColumn('consumed_at'),
    createdAt: tsColumn('created_at').notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ name: 'pk_account_tokens', columns: [t.id] }),
    foreignKey({
      name: 'fk_account_tokens_user_id_users',
      columns: [t.userId],
      foreignColumns: [users.id],
    }).onDelete('cascade'),
    uniqueIndex('uq_account_tokens_token_hash').on(t.tokenHash),
    index('ix_account_tokens_user_id_purpose').on(t.userId, t.purpose),
  ],
);
