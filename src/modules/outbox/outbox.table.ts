import { sql } from 'drizzle-orm';
import {
  bigint,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  uniqueIndex,
  uuid,
  varchar,
} from 'drizzle-orm/pg-core';
import { tsColumn } from '../../db/columns.js';

// Transactional outbox: written in the same transaction as the state change it announces,
// published to RabbitMQ by the relay, marked published only after the broker's confirm.
export const outboxEvents = pgTable(
  'outbox_events',
  {
    id: bigint('id', { mode: 'number' }).notNull().generatedAlwaysAsIdentity(),
    eventId: uuid('event_id')
      .notNull()
      .default(sql`gen_random_uuid()`),
    type: varchar('type', { length: 100 }).notNull(),
    payload: jsonb('payload').notNull(),
    createdAt: tsColumn('created_at').notNull().defaultNow(),
    publishedAt: tsColumn('published_at'),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: tsColumn('next_attempt_at').notNull().defaultNow(),
    lastError: text('last_error'),
  },
  (t) => [
    primaryKey({ name: 'pk_outbox_events', columns: [t.id] }),
    uniqueIndex('uq_outbox_events_event_id').on(t.eventId),
    index('ix_outbox_events_pending')
      .on(t.nextAttemptAt, t.id)
      .where(sql`${t.publishedAt} IS NULL`),
  ],
);
