// Webhook subscriptions (superusers), the event catalogue, ping, the delivery log,
// redeliver and recover (issue 9, ADR 0010). Delivery jobs are outbox rows
// (`webhooks.deliver`) written in the transaction that creates or resets the deliveries, so a
// job exists if and only if the change commits.
import { randomBytes, randomUUID } from 'node:crypto';
import type { Db } from '../../db/client.js';
import { DomainError, validationError } from '../../lib/errors.js';
import { decodeCursor, encodeCursor } from '../../lib/pagination.js';
import { appendToOutbox } from '../outbox/outbox.writer.js';
import type { UserRow } from '../users/users.table.js';
import { isValidFilter, WEBHOOK_EVENT_TYPES, WEBHOOK_EVENT_TYPE_NAMES } from './event-types.js';
import { UrlRefused, type SsrfGuard } from './ssrf.js';
import { webhookIdHeader } from './webhook-id.js';
import {
  deliveriesRepository,
  subscriptionsRepository,
  type AttemptRow,
} from './webhooks.repository.js';
import type { CreateBody, DeliveryQuery, PatchBody } from './webhooks.schemas.js';
import type { DeliveryRow, SubscriptionRow } from './webhooks.table.js';

/** `whsec_` + base64 of 32 random bytes (Standard Webhooks). */
export function newSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

const iso = (d: Date) => d.toISOString();

export function subscriptionView(s: SubscriptionRow) {
  return {
    id: s.id,
    url: s.url,
    description: s.description,
    event_types: s.eventTypes,
    is_active: s.isActive,
    disabled_reason: s.disabledReason,
    created_at: iso(s.createdAt),
    updated_at: iso(s.updatedAt),
  };
}

function deliveryView(d: DeliveryRow & { attempts: AttemptRow[] }) {
  return {
    id: d.id,
    event_type: d.eventType,
    webhook_id: webhookIdHeader(d.webhookId),
    status: d.status as 'pending' | 'delivered' | 'dead',
    created_at: iso(d.createdAt),
    attempts: d.attempts.map((a) => ({
      at: iso(a.at),
      status_code: a.statusCode,
      duration_ms: a.durationMs,
      error: a.error,
      response_body: a.responseBody,
    })),
  };
}

export interface WebhooksSettings {
  secretOverlapSeconds: number;
}

export class WebhooksService {
  constructor(
    private readonly db: Db,
    private readonly guard: SsrfGuard,
    private readonly settings: WebhooksSettings,
  ) {}

  private async checkUrl(url: string): Promise<void> {
    try {
      await this.guard.checkUrl(url);
    } catch (err) {
      if (err instanceof UrlRefused) {
        throw validationError([
          { loc: ['body', 'url'], msg: err.message, type: 'value_error.url' },
        ]);
      }
      throw err;
    }
  }

  private checkEventTypes(types: string[]): string[] {
    const bad = types.findIndex((t) => !isValidFilter(t));
    if (bad >= 0) {
      throw validationError([
        {
          loc: ['body', 'event_types', bad],
          msg: `Unknown event type "${types[bad]}" (see GET /api/v1/webhooks/event-types)`,
          type: 'value_error.event_type',
        },
      ]);
    }
    return [...new Set(types)];
  }

  private async require(id: number): Promise<SubscriptionRow> {
    const s = await subscriptionsRepository.findById(this.db, id);
    if (s === undefined) {
      throw new DomainError('not_found', 'Webhook subscription not found');
    }
    return s;
  }

  eventTypes() {
    return {
      items: WEBHOOK_EVENT_TYPE_NAMES.map((type) => ({
        type,
        version: WEBHOOK_EVENT_TYPES[type].version,
        description: WEBHOOK_EVENT_TYPES[type].description,
        schema: WEBHOOK_EVENT_TYPES[type].schema,
      })),
    };
  }

  async create(creator: UserRow, body: CreateBody) {
    const eventTypes = this.checkEventTypes(body.event_types);
    await this.checkUrl(body.url);
    const secret = newSecret();
    const s = await subscriptionsRepository.insert(this.db, {
      url: body.url,
      description: body.description ?? '',
      eventTypes,
      isActive: body.is_active ?? true,
      secret,
      createdBy: creator.id,
    });
    return { ...subscriptionView(s), secret };
  }

  async list(query: { limit: number; cursor?: string }) {
    const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor, 'id').id;
    const rows = await subscriptionsRepository.list(this.db, query.limit, after);
    const items = rows.slice(0, query.limit);
    const last = items[items.length - 1];
    return {
      items: items.map(subscriptionView),
      next_cursor:
        rows.length > query.limit && last
          ? encodeCursor({ o: 'id', k: last.id, id: last.id })
          : null,
    };
  }

  async get(id: number) {
    return subscriptionView(await this.require(id));
  }

  async update(id: number, body: PatchBody) {
    const current = await this.require(id);
    const eventTypes =
      body.event_types === undefined ? undefined : this.checkEventTypes(body.event_types);
    if (body.url !== undefined && body.url !== current.url) {
      await this.checkUrl(body.url);
    }
    const enabling = body.is_active === true && !current.isActive;
    const s = await subscriptionsRepository.update(this.db, id, {
      url: body.url,
      description: body.description,
      eventTypes,
      isActive: body.is_active,
      // Re-enabled: a fresh start for the failure clock, the reason is history.
      ...(enabling ? { disabledReason: null, failingSince: null } : {}),
      ...(body.is_active === false && current.isActive
        ? { disabledReason: 'disabled by a superuser' }
        : {}),
    });
    if (s === undefined) {
      throw new DomainError('not_found', 'Webhook subscription not found');
    }
    return subscriptionView(s);
  }

  async remove(id: number): Promise<void> {
    if (!(await subscriptionsRepository.delete(this.db, id))) {
      throw new DomainError('not_found', 'Webhook subscription not found');
    }
  }

  async rotateSecret(id: number) {
    await this.require(id);
    const secret = newSecret();
    const s = await subscriptionsRepository.rotateSecret(
      this.db,
      id,
      secret,
      new Date(Date.now() + this.settings.secretOverlapSeconds * 1000),
    );
    if (s === undefined) {
      throw new DomainError('not_found', 'Webhook subscription not found');
    }
    return { ...subscriptionView(s), secret };
  }

  async ping(id: number): Promise<{ queued: number }> {
    const s = await this.require(id);
    if (!s.isActive) {
      throw new DomainError('conflict', 'Webhook subscription is disabled');
    }
    const occurredAt = new Date().toISOString();
    await this.db.transaction(async (tx) => {
      const d = await deliveriesRepository.insertOne(tx, {
        subscriptionId: id,
        eventId: randomUUID(),
        eventType: 'webhook.ping',
        body: {
          type: 'webhook.ping',
          timestamp: occurredAt,
          data: { v: 1, subscription_id: id, occurred_at: occurredAt },
        },
      });
      await appendToOutbox(tx, {
        type: 'webhooks.deliver',
        payload: { v: 1, delivery_ids: [d.id] },
      });
    });
    return { queued: 1 };
  }

  async deliveries(id: number, q: DeliveryQuery) {
    await this.require(id);
    const before = q.cursor === undefined ? undefined : decodeCursor(q.cursor, 'id_desc').id;
    const rows = await deliveriesRepository.page(
      this.db,
      id,
      { status: q.status, eventType: q.event_type },
      q.limit,
      before,
    );
    const items = rows.slice(0, q.limit);
    const last = items[items.length - 1];
    return {
      items: items.map(deliveryView),
      next_cursor:
        rows.length > q.limit && last
          ? encodeCursor({ o: 'id_desc', k: last.id, id: last.id })
          : null,
    };
  }

  async redeliver(id: number, deliveryId: number): Promise<{ queued: number }> {
    const s = await this.require(id);
    if (!s.isActive) {
      throw new DomainError('conflict', 'Webhook subscription is disabled');
    }
    await this.db.transaction(async (tx) => {
      if (!(await deliveriesRepository.reset(tx, id, deliveryId))) {
        throw new DomainError('not_found', 'Delivery not found');
      }
      await appendToOutbox(tx, {
        type: 'webhooks.deliver',
        payload: { v: 1, delivery_ids: [deliveryId] },
      });
    });
    return { queued: 1 };
  }

  async recover(id: number, since: string): Promise<{ queued: number }> {
    const s = await this.require(id);
    if (!s.isActive) {
      throw new DomainError('conflict', 'Webhook subscription is disabled');
    }
    return this.db.transaction(async (tx) => {
      const ids = await deliveriesRepository.resetDeadSince(tx, id, new Date(since));
      // Jobs of at most 500 deliveries: the worker splits them into one job each.
      for (let i = 0; i < ids.length; i += 500) {
        await appendToOutbox(tx, {
          type: 'webhooks.deliver',
          payload: { v: 1, delivery_ids: ids.slice(i, i + 500) },
        });
      }
      return { queued: ids.length };
    });
  }
}
