import {
  bigint,
  foreignKey,
  index,
  integer,
  pgTable,
  primaryKey,
  text,
  uuid,
  uniqueIndex,
} from 'drizzle-orm/pg-core';
import { tsColumn } from '../../db/columns.js';
import { users } from '../users/users.table.js';

// One row per issued refresh token. Only a SHA-256 of the token is stored (S8). All tokens
// of one login share a family_id and the family's absolute expiry.
export const refreshSessions = pgTable(
  'refresh_sessions',
  {
    id: bigint('id', { mode: 'number' }).notNull().generatedAlwaysAsIdentity(),
    userId: integer('user_id').notNull(),
    familyId: uuid('family_id').notNull(),
    tokenHash: text('token_hash').notNull(),
    expiresAt: tsColumn('expires_at').notNull(),
    usedAt: tsColumn('used_at'),
    revokedAt: tsColumn('revoked_at'),
    createdAt: tsColumn('created_at').notNull().defaultNow(),
    /** The user's session generation when the login started; stale = revoked (ADR 0017). */
    generation: integer('generation').notNull().default(0),
    /** When the login (family) started: copied to each successor, shown in the list. */
    startedAt: tsColumn('started_at').notNull().defaultNow(),
    /** When this row's predecessor was refreshed (null for a login's first row). */
    lastUsedAt: tsColumn('last_used_at'),
    /** Client address and User-Agent of the request that issued this row. */
    ip: text('ip'),
    userAgent: text('user_agent'),
  },
  (t) => [
    primaryKey({ name: 'pk_refresh_sessions', columns: [t.id] }),
    foreignKey({
      name: 'fk_refresh_sessions_user_id_users',
      columns: [t.userId],
      foreignColumns: [users.id],
    }).onDelete('cascade'),
    uniqueIndex('uq_refresh_sessions_token_hash').on(t.tokenHash),
    index('ix_refresh_sessions_family_id').on(t.familyId),
    index('ix_refresh_sessions_user_id').on(t.userId),
  ],
);
