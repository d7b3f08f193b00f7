// SQL of webhooks: subscriptions and the delivery log for the API (Drizzle), fan-out and the
// delivery protocol for the worker (plain pg, one round trip where it counts): the consumers'
// port, pgWebhookDeliveryStore (webhooks.store.ts, ADR 0029).
import { and, desc, eq, inArray, lt, sql } from 'drizzle-orm';
import type pg from 'pg';
import type { Executor } from '../../db/client.js';
import {
  webhookDeliveries,
  webhookDeliveryAttempts,
  webhookSubscriptions,
  type DeliveryRow,
  type DeliveryStatus,
  type SubscriptionRow,
} from './webhooks.table.js';
import type { AttemptResult, WebhookDeliveryStore } from './webhooks.store.js';

export type SubscriptionInsert = typeof webhookSubscriptions.$inferInsert;
export type SubscriptionPatch = Partial<
  Pick<SubscriptionRow, 'url' | 'description' | 'eventTypes' | 'isActive' | 'disabledReason'>
> & { failingSince?: Date | null };

export type AttemptRow = typeof webhookDeliveryAttempts.$inferSelect;

export const subscriptionsRepository = {
  async insert(db: Executor, row: SubscriptionInsert): Promise<SubscriptionRow> {
    const [created] = await db.insert(webhookSubscriptions).values(row).returning();
    return created!;
  },

  async list(db: Executor, limit: number, afterId: number | undefined) {
    return db
      .select()
      .from(webhookSubscriptions)
      .where(afterId === undefined ? undefined : sql`${webhookSubscriptions.id} > ${afterId}`)
      .orderBy(webhookSubscriptions.id)
      .limit(limit + 1);
  },

  async findById(db: Executor, id: number): Promise<SubscriptionRow | undefined> {
    const [row] = await db
      .select()
      .from(webhookSubscriptions)
      .where(eq(webhookSubscriptions.id, id))
      .limit(1);
    return row;
  },

  async update(
    db: Executor,
    id: number,
    patch: SubscriptionPatch,
  ): Promise<SubscriptionRow | undefined> {
    const [row] = await db
      .update(webhookSubscriptions)
      .set({ ...patch, updatedAt: new Date() })
      .where(eq(webhookSubscriptions.id, id))
      .returning();
    return row;
  },

  async rotateSecret(
    db: Executor,
    id: number,
    secret: string,
    overlapUntil: Date,
  ): Promise<SubscriptionRow | undefined> {
    const [row] = await db
      .update(webhookSubscriptions)
      .set({
        previousSecret: sql`${webhookSubscriptions.secret}`,
        previousSecretExpiresAt: overlapUntil,
        secret,
        updatedAt: new Date(),
      })
      .where(eq(webhookSubscriptions.id, id))
      .returning();
    return row;
  },

  async delete(db: Executor, id: number): Promise<boolean> {
    const rows = await db
      .delete(webhookSubscriptions)
      .where(eq(webhookSubscriptions.id, id))
      .returning({ id: webhookSubscriptions.id });
    return rows.length === 1;
  },
};

export const deliveriesRepository = {
  async page(
    db: Executor,
    subscriptionId: number,
    filter: { status?: DeliveryStatus; eventType?: string },
    limit: number,
    beforeId: number | undefined,
  ): Promise<Array<DeliveryRow & { attempts: AttemptRow[] }>> {
    const d = webhookDeliveries;
    const rows = await db
      .select()
      .from(d)
      .where(
        and(
          eq(d.subscriptionId, subscriptionId),
          filter.status === undefined ? undefined : eq(d.status, filter.status),
          filter.eventType === undefined ? undefined : eq(d.eventType, filter.eventType),
          beforeId === undefined ? undefined : lt(d.id, beforeId),
        ),
      )
      .orderBy(desc(d.id))
      .limit(limit + 1);
    const ids = rows.map((r) => r.id);
    const attempts =
      ids.length === 0
        ? []
        : await db
            .select()
            .from(webhookDeliveryAttempts)
            .where(inArray(webhookDeliveryAttempts.deliveryId, ids))
            .orderBy(webhookDeliveryAttempts.id);
    const byDelivery = new Map<number, AttemptRow[]>();
    for (const a of attempts) {
      const list = byDelivery.get(a.deliveryId) ?? [];
      list.push(a);
      byDelivery.set(a.deliveryId, list);
    }
    return rows.map((r) => ({ ...r, attempts: byDelivery.get(r.id) ?? [] }));
  },

  async insertOne(
    db: Executor,
    row: { subscriptionId: number; eventId: string; eventType: string; body: unknown },
  ): Promise<DeliveryRow> {
    const [created] = await db.insert(webhookDeliveries).values(row).returning();
    return created!;
  },

  /** Back to pending (redeliver): false when the delivery is not the subscription's. */
  async reset(db: Executor, subscriptionId: number, deliveryId: number): Promise<boolean> {
    const rows = await db
      .update(webhookDeliveries)
      .set({ status: 'pending', updatedAt: new Date() })
      .where(
        and(
          eq(webhookDeliveries.id, deliveryId),
          eq(webhookDeliveries.subscriptionId, subscriptionId),
        ),
      )
      .returning({ id: webhookDeliveries.id });
    return rows.length === 1;
  },

  /** Every dead delivery created since `since` back to pending; their ids. */
  async resetDeadSince(db: Executor, subscriptionId: number, since: Date): Promise<number[]> {
    const rows = await db
      .update(webhookDeliveries)
      .set({ status: 'pending', updatedAt: new Date() })
      .where(
        and(
          eq(webhookDeliveries.subscriptionId, subscriptionId),
          eq(webhookDeliveries.status, 'dead'),
          sql`${webhookDeliveries.createdAt} >= ${since}`,
        ),
      )
      .returning({ id: webhookDeliveries.id });
    return rows.map((r) => r.id);
  },
};

// --- worker side (plain pg): the consumers' port

/** The webhook consumers' store on a pool (one statement, or one transaction, per call). */
export function pgWebhookDeliveryStore(pool: pg.Pool): WebhookDeliveryStore {
  return {
    async fanOut(e) {
      const { rows } = await pool.query<{ id: string; webhook_id: string }>(
        `WITH ins AS (
         INSERT INTO webhook_deliveries (subscription_id, event_id, event_type, body)
         SELECT s.id, $1::uuid, $2::varchar, $3::jsonb
           FROM webhook_subscriptions s
          WHERE s.is_active
            AND EXISTS (SELECT 1 FROM unnest(s.event_types) p
                         WHERE p = '*' OR p = $2::text
                            OR (right(p, 2) = '.*' AND starts_with($2::text, left(p, -1))))
         ON CONFLICT (subscription_id, event_id) DO NOTHING
         RETURNING id, webhook_id)
       SELECT id, webhook_id FROM ins
       UNION
       SELECT id, webhook_id FROM webhook_deliveries WHERE event_id = $1::uuid AND status = 'pending'`,
        [e.eventId, e.type, JSON.stringify(e.body)],
      );
      return rows.map((r) => ({ id: Number(r.id), webhookId: r.webhook_id }));
    },

    async webhookIds(ids) {
      const { rows } = await pool.query<{ id: string; webhook_id: string }>(
        'SELECT id, webhook_id FROM webhook_deliveries WHERE id = ANY($1::bigint[])',
        [ids],
      );
      return rows.map((r) => ({ id: Number(r.id), webhookId: r.webhook_id }));
    },

    async load(deliveryId) {
      const { rows } = await pool.query<{
        id: string;
        webhook_id: string;
        event_type: string;
        body: unknown;
        status: DeliveryStatus;
        subscription_id: number;
        url: string;
        is_active: boolean;
        secret: string;
        previous_secret: string | null;
        previous_secret_expires_at: Date | null;
      }>(
        `SELECT d.id, d.webhook_id, d.event_type, d.body, d.status, d.subscription_id,
              s.url, s.is_active, s.secret, s.previous_secret, s.previous_secret_expires_at
         FROM webhook_deliveries d JOIN webhook_subscriptions s ON s.id = d.subscription_id
        WHERE d.id = $1`,
        [deliveryId],
      );
      const r = rows[0];
      return r === undefined
        ? undefined
        : {
            id: Number(r.id),
            webhookId: r.webhook_id,
            eventType: r.event_type,
            body: r.body,
            status: r.status,
            subscriptionId: r.subscription_id,
            url: r.url,
            isActive: r.is_active,
            secret: r.secret,
            previousSecret: r.previous_secret,
            previousSecretExpiresAt: r.previous_secret_expires_at,
          };
    },

    /** One autocommitted statement for a success; one transaction otherwise. */
    async recordAttempt(a: AttemptResult) {
      if (a.status === 'delivered') {
        // The common case in one autocommitted statement. The subscription row is only
        // touched when its health changes (or once a minute), so concurrent successes to one
        // subscription do not queue on its row lock.
        await pool.query(
          `WITH attempt AS (
           INSERT INTO webhook_delivery_attempts (delivery_id, status_code, duration_ms, error, response_body)
           VALUES ($1, $2, $3, NULL, $4)),
         delivery AS (
           UPDATE webhook_deliveries
              SET status = 'delivered', attempt_count = attempt_count + 1, updated_at = now(),
                  delivered_at = now()
            WHERE id = $1 AND status <> 'delivered')
         UPDATE webhook_subscriptions SET last_success_at = now(), failing_since = NULL
          WHERE id = $5
            AND (failing_since IS NOT NULL OR last_success_at IS NULL
                 OR last_success_at < now() - interval '1 minute')`,
          [
            a.deliveryId,
            a.attempt.statusCode,
            Math.round(a.attempt.durationMs),
            a.attempt.responseBody,
            a.subscriptionId,
          ],
        );
        return null;
      }
      const client = await pool.connect();
      let broken = false;
      try {
        await client.query('BEGIN');
        await client.query(
          `INSERT INTO webhook_delivery_attempts (delivery_id, status_code, duration_ms, error, response_body)
         VALUES ($1, $2, $3, $4, $5)`,
          [
            a.deliveryId,
            a.attempt.statusCode,
            Math.round(a.attempt.durationMs),
            a.attempt.error,
            a.attempt.responseBody,
          ],
        );
        await client.query(
          `UPDATE webhook_deliveries
            SET status = $2::varchar, attempt_count = attempt_count + 1, updated_at = now()
          WHERE id = $1 AND status <> 'delivered'`,
          [a.deliveryId, a.status],
        );
        let disabled: string | null = null;
        {
          const { rows } = await client.query<{ failing_since: Date; is_active: boolean }>(
            `UPDATE webhook_subscriptions SET failing_since = coalesce(failing_since, now())
            WHERE id = $1 RETURNING failing_since, is_active`,
            [a.subscriptionId],
          );
          const row = rows[0];
          const tooLong =
            row !== undefined &&
            a.now.getTime() - row.failing_since.getTime() >= a.disableAfterSeconds * 1000;
          const reason =
            a.disable ??
            (tooLong
              ? `no successful delivery since ${row.failing_since.toISOString()}`
              : undefined);
          if (reason !== undefined && row?.is_active === true) {
            await client.query(
              `UPDATE webhook_subscriptions SET is_active = false, disabled_reason = $2, updated_at = now()
              WHERE id = $1`,
              [a.subscriptionId, reason],
            );
            await client.query(
              `INSERT INTO outbox_events (type, payload)
             SELECT 'mail.webhook_disabled',
                    jsonb_build_object('v', 1, 'user_id', u.id, 'username', u.username,
                      'email', u.email, 'subscription_id', s.id, 'url', s.url, 'reason', $2::text)
               FROM webhook_subscriptions s JOIN users u ON u.id = s.created_by
              WHERE s.id = $1`,
              [a.subscriptionId, reason],
            );
            disabled = reason;
          }
        }
        await client.query('COMMIT');
        return disabled;
      } catch (err) {
        broken = true;
        await client.query('ROLLBACK').catch(() => {});
        throw err;
      } finally {
        client.release(broken);
      }
    },

    /** Dead, visible in the delivery log. */
    async markDead(deliveryId) {
      await pool.query(
        `UPDATE webhook_deliveries SET status = 'dead', updated_at = now() WHERE id = $1 AND status = 'pending'`,
        [deliveryId],
      );
    },
  };
}
