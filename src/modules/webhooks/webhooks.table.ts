import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  check,
  foreignKey,
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
import { intId, timestamps, tsColumn } from '../../db/columns.js';
import { users } from '../users/users.table.js';

// Webhook subscriptions, their deliveries and every attempt of each (issue 9, ADR 0010).

export const DELIVERY_STATUSES = ['pending', 'delivered', 'dead'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

export const webhookSubscriptions = pgTable(
  'webhook_subscriptions',
  {
    id: intId(),
    url: varchar('url', { length: 2000 }).notNull(),
    description: varchar('description', { length: 500 }).notNull().default(''),
    /** Exact types, `prefix.*` or `*`. */
    eventTypes: text('event_types').array().notNull(),
    isActive: boolean('is_active').notNull().default(true),
    disabledReason: text('disabled_reason'),
    /** `whsec_` + base64 (Standard Webhooks). The service must sign, so it keeps the secret. */
    secret: text('secret').notNull(),
    /** The secret before the last rotation: still signs until previous_secret_expires_at. */
    previousSecret: text('previous_secret'),
    previousSecretExpiresAt: tsColumn('previous_secret_expires_at'),
    createdBy: integer('created_by').notNull(),
    lastSuccessAt: tsColumn('last_success_at'),
    /** First failure since the last success (null while healthy): the disabling clock. */
    failingSince: tsColumn('failing_since'),
    ...timestamps(),
  },
  (t) => [
    primaryKey({ name: 'pk_webhook_subscriptions', columns: [t.id] }),
    foreignKey({
      name: 'fk_webhook_subscriptions_created_by_users',
      columns: [t.createdBy],
      foreignColumns: [users.id],
    }),
    index('ix_webhook_subscriptions_active')
      .on(t.id)
      .where(sql`${t.isActive}`),
  ],
);

export const webhookDeliveries = pgTable(
  'webhook_deliveries',
  {
    id: bigint('id', { mode: 'number' }).notNull().generatedAlwaysAsIdentity(),
    subscriptionId: integer('subscription_id').notNull(),
    /** The outbox event (or the ping) this delivery carries. */
    eventId: uuid('event_id').notNull(),
    eventType: varchar('event_type', { length: 100 }).notNull(),
    /** `webhook-id` is `msg_` + this, the same on every attempt of this delivery. */
    webhookId: uuid('webhook_id')
      .notNull()
      .default(sql`gen_random_uuid()`),
    /** The body sent, `{ type, timestamp, data }`, fixed at fan-out so retries are identical. */
    body: jsonb('body').notNull(),
    status: varchar('status', { length: 16 }).notNull().default('pending'),
    attemptCount: integer('attempt_count').notNull().default(0),
    deliveredAt: tsColumn('delivered_at'),
    ...timestamps(),
  },
  (t) => [
    primaryKey({ name: 'pk_webhook_deliveries', columns: [t.id] }),
    foreignKey({
      name: 'fk_webhook_deliveries_subscription_id_webhook_subscriptions',
      columns: [t.subscriptionId],
      foreignColumns: [webhookSubscriptions.id],
    }).onDelete('cascade'),
    uniqueIndex('uq_webhook_deliveries_subscription_event').on(t.subscriptionId, t.eventId),
    uniqueIndex('uq_webhook_deliveries_webhook_id').on(t.webhookId),
    index('ix_webhook_deliveries_subscription_id').on(t.subscriptionId, t.id),
    index('ix_webhook_deliveries_failed')
      .on(t.subscriptionId, t.createdAt)
      .where(sql`${t.status} <> 'delivered'`),
    check(
      'ck_webhook_deliveries_status',
      sql.raw(`status IN (${DELIVERY_STATUSES.map((s) => `'${s}'`).join(', ')})`),
    ),
  ],
);

export const webhookDeliveryAttempts = pgTable(
  'webhook_delivery_attempts',
  {
    id: bigint('id', { mode: 'number' }).notNull().generatedAlwaysAsIdentity(),
    deliveryId: bigint('delivery_id', { mode: 'number' }).notNull(),
    at: tsColumn('at').notNull().defaultNow(),
    statusCode: integer('status_code'),
    durationMs: integer('duration_ms').notNull(),
    error: text('error'),
    /** The first KB of the response body. */
    responseBody: text('response_body'),
  },
  (t) => [
    primaryKey({ name: 'pk_webhook_delivery_attempts', columns: [t.id] }),
    foreignKey({
      name: 'fk_webhook_delivery_attempts_delivery_id_webhook_deliveries',
      columns: [t.deliveryId],
      foreignColumns: [webhookDeliveries.id],
    }).onDelete('cascade'),
    index('ix_webhook_delivery_attempts_delivery_id').on(t.deliveryId, t.id),
  ],
);

export type SubscriptionRow = typeof webhookSubscriptions.$inferSelect;
export type DeliveryRow = typeof webhookDeliveries.$inferSelect;
