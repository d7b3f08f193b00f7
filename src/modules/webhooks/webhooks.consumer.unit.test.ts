// The webhook consumers through their ports (ADR 0029), without a database or broker: an
// in-memory store of subscriptions, deliveries and attempts, the in-memory broker and a clock
// moved by hand. The POSTs are real: they go through the SSRF-guarded agent to a loopback
// receiver (test/helpers/webhook-receiver.ts) that answers as each test says. Asserted is
// what the consumers did — outcomes, rows, jobs and copies handed to the broker.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import pino from 'pino';
import { Webhook } from 'standardwebhooks';
import { ManualClock, MemoryBroker, json } from '../../../test/helpers/ports.js';
import { startReceiver, type Receiver } from '../../../test/helpers/webhook-receiver.js';
import type { Config } from '../../config.js';
import type { EventOutcome } from '../events/consumer.js';
import { selects } from './event-types.js';
import { SsrfGuard } from './ssrf.js';
import { deliveryTopology, fanoutTopology } from './topology.js';
import { webhookIdHeader } from './webhook-id.js';
import { DELIVER_TYPE, WebhookConsumers, type WebhookDeadReason } from './webhooks.consumer.js';
import type {
  AttemptRecord,
  AttemptResult,
  DeliveryJob,
  FannedOut,
  WebhookDeliveryStore,
} from './webhooks.store.js';
import type { DeliveryStatus } from './webhooks.table.js';
import { newSecret } from './webhooks.service.js';

interface Subscription {
  id: number;
  url: string;
  eventTypes: string[];
  isActive: boolean;
  secret: string;
  failingSince: Date | null;
  lastSuccessAt: Date | null;
  disabledReason: string | null;
}

interface Delivery {
  id: number;
  subscriptionId: number;
  eventId: string;
  eventType: string;
  body: unknown;
  webhookId: string;
  status: DeliveryStatus;
  attemptCount: number;
}

/** The three tables in memory, keeping the store's promises (unique per subscription and event). */
class MemoryWebhookStore implements WebhookDeliveryStore {
  readonly subscriptions: Subscription[] = [];
  readonly deliveries: Delivery[] = [];
  readonly attempts: Array<AttemptRecord & { deliveryId: number }> = [];
  /** The `mail.webhook_disabled` messages the outbox would hold. */
  readonly disabledMails: Array<{ subscriptionId: number; reason: string }> = [];

  subscribe(url: string, eventTypes: string[], isActive = true): Subscription {
    const s: Subscription = {
      id: this.subscriptions.length + 1,
      url,
      eventTypes,
      isActive,
      secret: newSecret(),
      failingSince: null,
      lastSuccessAt: null,
      disabledReason: null,
    };
    this.subscriptions.push(s);
    return s;
  }

  async fanOut(e: { eventId: string; type: string; body: unknown }): Promise<FannedOut[]> {
    for (const s of this.subscriptions) {
      const exists = this.deliveries.some(
        (d) => d.subscriptionId === s.id && d.eventId === e.eventId,
      );
      if (s.isActive && selects(s.eventTypes, e.type) && !exists) {
        this.deliveries.push({
          id: this.deliveries.length + 1,
          subscriptionId: s.id,
          eventId: e.eventId,
          eventType: e.type,
          body: e.body,
          webhookId: randomUUID(),
          status: 'pending',
          attemptCount: 0,
        });
      }
    }
    return this.deliveries
      .filter((d) => d.eventId === e.eventId && d.status === 'pending')
      .map((d) => ({ id: d.id, webhookId: d.webhookId }));
  }

  async webhookIds(ids: number[]): Promise<FannedOut[]> {
    return this.deliveries
      .filter((d) => ids.includes(d.id))
      .map((d) => ({ id: d.id, webhookId: d.webhookId }));
  }

  async load(deliveryId: number): Promise<DeliveryJob | undefined> {
    const d = this.deliveries.find((x) => x.id === deliveryId);
    const s = this.subscriptions.find((x) => x.id === d?.subscriptionId);
    if (d === undefined || s === undefined) {
      return undefined;
    }
    return {
      id: d.id,
      webhookId: d.webhookId,
      eventType: d.eventType,
      body: d.body,
      status: d.status,
      subscriptionId: s.id,
      url: s.url,
      isActive: s.isActive,
      secret: s.secret,
      previousSecret: null,
      previousSecretExpiresAt: null,
    };
  }

  async recordAttempt(a: AttemptResult): Promise<string | null> {
    const d = this.deliveries.find((x) => x.id === a.deliveryId)!;
    const s = this.subscriptions.find((x) => x.id === a.subscriptionId)!;
    this.attempts.push({ ...a.attempt, deliveryId: a.deliveryId });
    if (d.status !== 'delivered') {
      d.status = a.status;
      d.attemptCount += 1;
    }
    if (a.status === 'delivered') {
      s.lastSuccessAt = a.now;
      s.failingSince = null;
      return null;
    }
    s.failingSince ??= a.now;
    const tooLong = a.now.getTime() - s.failingSince.getTime() >= a.disableAfterSeconds * 1000;
    const reason =
      a.disable ??
      (tooLong ? `no successful delivery since ${s.failingSince.toISOString()}` : undefined);
    if (reason === undefined || !s.isActive) {
      return null;
    }
    s.isActive = false;
    s.disabledReason = reason;
    this.disabledMails.push({ subscriptionId: s.id, reason });
    return reason;
  }

  async markDead(deliveryId: number): Promise<void> {
    const d = this.deliveries.find((x) => x.id === deliveryId)!;
    if (d.status === 'pending') {
      d.status = 'dead';
    }
  }
}

const DISABLE_AFTER_S = 3600;
const config = {
  events: { exchange: 'ifd.events' },
  webhooks: { queue: 'webhooks', retryScale: 1, maxAttempts: 3 },
} as unknown as Config;
const delivery = deliveryTopology(config);

type Outcome = EventOutcome<WebhookDeadReason> & { consumer: string };

let receiver: Receiver;
before(async () => {
  receiver = await startReceiver();
});
after(async () => {
  await receiver?.close();
});

async function withConsumers(
  run: (s: {
    store: MemoryWebhookStore;
    broker: MemoryBroker;
    clock: ManualClock;
    outcomes: Outcome[];
    /** Fans out one domain event (again, for a redelivery). */
    event: (eventId: string, type: string) => Promise<void>;
    /** Delivers the job the fan-out published for delivery `id` (again, for a redelivery). */
    job: (id: number, headers?: Record<string, unknown>) => Promise<void>;
  }) => Promise<void>,
): Promise<void> {
  const store = new MemoryWebhookStore();
  const broker = new MemoryBroker();
  // Real time at the start: the receiver side verifies signatures against its own clock.
  const clock = new ManualClock(Date.now());
  const outcomes: Outcome[] = [];
  const consumers = new WebhookConsumers({
    broker: broker.port,
    store,
    fanout: fanoutTopology(config),
    delivery,
    guard: new SsrfGuard({ allowHttp: true, allowNetworks: ['127.0.0.1/32'] }),
    settings: { timeoutMs: 5000, disableAfterSeconds: DISABLE_AFTER_S, perSubscription: 4 },
    prefetch: 8,
    concurrency: 8,
    log: pino({ level: 'silent' }),
    onOutcome: (o) => outcomes.push(o),
    clock,
  });
  consumers.start();
  try {
    await run({
      store,
      broker,
      clock,
      outcomes,
      event: (eventId, type) =>
        broker.deliver('webhooks-fanout', {
          messageId: eventId,
          type,
          routingKey: type,
          body: json({ v: 1, user_id: 7, occurred_at: '2026-01-02T03:04:05.000Z' }),
        }),
      job: (id, headers = {}) => {
        const d = store.deliveries.find((x) => x.id === id)!;
        return broker.deliver('webhooks', {
          messageId: d.webhookId,
          type: DELIVER_TYPE,
          routingKey: 'webhooks',
          headers,
          body: json({ v: 1, delivery_ids: [id] }),
        });
      },
    });
  } finally {
    await consumers.stop();
  }
}

describe('webhook consumers (ports: delivery store, broker, clock; a loopback receiver)', () => {
  test('fan-out: one delivery per matching active subscription, a job each; a redelivery adds none', async () => {
    await withConsumers(async (s) => {
      const users = s.store.subscribe(receiver.url('/fan/users'), ['user.*']);
      s.store.subscribe(receiver.url('/fan/projects'), ['project.created']);
      s.store.subscribe(receiver.url('/fan/off'), ['*'], false);
      const eventId = randomUUID();
      await s.event(eventId, 'user.created');
      await s.event(eventId, 'user.created'); // redelivered

      assert.deepEqual(
        s.store.deliveries.map((d) => [d.subscriptionId, d.eventId, d.status]),
        [[users.id, eventId, 'pending']],
      );
      assert.deepEqual(s.store.deliveries[0]?.body, {
        type: 'user.created',
        timestamp: '2026-01-02T03:04:05.000Z',
        data: { v: 1, user_id: 7, occurred_at: '2026-01-02T03:04:05.000Z' },
      });
      const webhookId = s.store.deliveries[0]?.webhookId;
      // The pending delivery's job again (receivers deduplicate by webhook-id): nothing lost.
      assert.deepEqual(
        s.broker.sent.map((x) => [x.queue, x.msg.messageId, x.msg.type, x.msg.body.toString()]),
        [1, 2].map(() => ['webhooks', webhookId, DELIVER_TYPE, '{"v":1,"delivery_ids":[1]}']),
      );
      assert.deepEqual(
        s.outcomes.map((o) => [o.consumer, o.status, 'detail' in o ? o.detail : undefined]),
        [
          ['webhooks-fanout', 'done', '1 deliveries'],
          ['webhooks-fanout', 'done', '1 deliveries'],
        ],
      );
      assert.equal(receiver.to('/fan/users').length, 0, 'fan-out sends nothing itself');
    });
  });

  test('delivery: a signed POST, recorded; the redelivered job is a duplicate and not sent again', async () => {
    await withConsumers(async (s) => {
      const sub = s.store.subscribe(receiver.url('/ok'), ['user.created']);
      await s.event(randomUUID(), 'user.created');
      await s.job(1);
      await s.job(1); // redelivered

      const got = receiver.to('/ok');
      assert.equal(got.length, 1);
      const d = s.store.deliveries[0]!;
      assert.deepEqual(
        [got[0]!.headers['webhook-id'], got[0]!.headers['webhook-timestamp']],
        [webhookIdHeader(d.webhookId), String(Math.floor(s.clock.now() / 1000))],
      );
      assert.deepEqual(
        new Webhook(sub.secret).verify(got[0]!.body, {
          'webhook-id': got[0]!.headers['webhook-id']!,
          'webhook-timestamp': got[0]!.headers['webhook-timestamp']!,
          'webhook-signature': got[0]!.headers['webhook-signature']!,
        }),
        d.body,
      );
      assert.deepEqual([d.status, d.attemptCount], ['delivered', 1]);
      assert.deepEqual(
        s.store.attempts.map((a) => [a.statusCode, a.error, a.durationMs]),
        [[204, null, 0]], // the clock did not move during the attempt
      );
      assert.equal(sub.lastSuccessAt?.getTime(), s.clock.now());
      assert.deepEqual(
        s.outcomes.filter((o) => o.consumer === 'webhooks').map((o) => o.status),
        ['done', 'duplicate'],
      );
    });
  });

  test('HTTP 500 is retried on the schedule (5 s after the first attempt), then delivered', async () => {
    await withConsumers(async (s) => {
      receiver.on('/flaky', (n) => (n === 0 ? { status: 500 } : { status: 200, body: 'ok' }));
      const sub = s.store.subscribe(receiver.url('/flaky'), ['user.created']);
      await s.event(randomUUID(), 'user.created');
      await s.job(1);
      const failedAt = s.clock.now();

      assert.deepEqual(
        s.outcomes.filter((o) => o.consumer === 'webhooks'),
        [
          {
            consumer: 'webhooks',
            status: 'retry',
            eventId: s.store.deliveries[0]!.webhookId,
            type: DELIVER_TYPE,
            attempt: 1,
            delayMs: 5000,
            error: 'HTTP 500',
          },
        ],
      );
      assert.deepEqual(
        s.broker.retried.map((r) => [r.tier.queue, r.msg.headers?.['x-attempts']]),
        [['webhooks.retry.5000ms', 1]],
      );
      assert.deepEqual(
        [s.store.deliveries[0]!.status, sub.failingSince?.getTime()],
        ['pending', failedAt],
      );

      s.clock.advance(5000);
      const retry = s.broker.retried[0]!.msg;
      await s.broker.deliver('webhooks', { ...retry, routingKey: 'webhooks' });
      assert.deepEqual(
        s.store.attempts.map((a) => [a.statusCode, a.error, a.responseBody]),
        [
          [500, 'HTTP 500', ''],
          [200, null, 'ok'],
        ],
      );
      assert.deepEqual(
        [s.store.deliveries[0]!.status, sub.failingSince, sub.lastSuccessAt?.getTime()],
        ['delivered', null, failedAt + 5000],
      );
    });
  });

  test('503 with Retry-After waits at least that long: the first tier of 60 s or more', async () => {
    await withConsumers(async (s) => {
      receiver.on('/busy', () => ({ status: 503, headers: { 'retry-after': '60' } }));
      s.store.subscribe(receiver.url('/busy'), ['user.created']);
      await s.event(randomUUID(), 'user.created');
      await s.job(1);

      assert.deepEqual(
        s.broker.retried.map((r) => r.tier),
        [{ queue: 'webhooks.retry.300000ms', delayMs: 5 * 60 * 1000 }], // not the scheduled 5 s
      );
    });
  });

  test('410 Gone: dead at once (gone), the subscription disabled with a mail to its creator', async () => {
    await withConsumers(async (s) => {
      receiver.on('/gone', () => ({ status: 410 }));
      const sub = s.store.subscribe(receiver.url('/gone'), ['user.created']);
      await s.event(randomUUID(), 'user.created');
      await s.job(1);

      const d = s.store.deliveries[0]!;
      assert.deepEqual(
        s.broker.dead.map((x) => [x.consumer, x.msg.messageId, x.msg.headers?.['x-dead-reason']]),
        [['webhooks', d.webhookId, 'gone']],
      );
      assert.equal(
        s.broker.dead[0]?.msg.headers?.['x-dead-at'],
        new Date(s.clock.now()).toISOString(),
      );
      assert.deepEqual(
        [d.status, sub.isActive, sub.disabledReason],
        ['dead', false, 'the endpoint answered 410 Gone'],
      );
      assert.deepEqual(s.store.disabledMails, [
        { subscriptionId: sub.id, reason: 'the endpoint answered 410 Gone' },
      ]);
      assert.deepEqual(s.broker.retried, []);
    });
  });

  test('the last attempt failing is dead (max_attempts) and the delivery marked dead', async () => {
    await withConsumers(async (s) => {
      receiver.on('/down', () => ({ status: 500 }));
      s.store.subscribe(receiver.url('/down'), ['user.created']);
      await s.event(randomUUID(), 'user.created');
      await s.job(1, { 'x-attempts': delivery.maxAttempts - 1 });

      assert.deepEqual(
        s.outcomes
          .filter((o) => o.consumer === 'webhooks')
          .map((o) => (o.status === 'dead' ? [o.status, o.reason, o.attempt] : [o.status])),
        [['dead', 'max_attempts', 3]],
      );
      assert.equal(s.store.deliveries[0]?.status, 'dead');
    });
  });

  test('failing for WEBHOOK_DISABLE_AFTER on the clock disables the subscription', async () => {
    await withConsumers(async (s) => {
      receiver.on('/broken', () => ({ status: 500 }));
      const sub = s.store.subscribe(receiver.url('/broken'), ['user.*']);
      await s.event(randomUUID(), 'user.created');
      await s.job(1);
      const since = new Date(s.clock.now());
      s.clock.advance(DISABLE_AFTER_S * 1000 - 1);
      await s.event(randomUUID(), 'user.updated');
      await s.job(2);
      assert.equal(sub.isActive, true, 'one millisecond short');

      s.clock.advance(1);
      await s.event(randomUUID(), 'user.archived');
      await s.job(3);
      const reason = `no successful delivery since ${since.toISOString()}`;
      assert.deepEqual([sub.isActive, sub.disabledReason], [false, reason]);
      assert.deepEqual(s.store.disabledMails, [{ subscriptionId: sub.id, reason }]);

      // A job still queued for the disabled subscription is not attempted: dead in the log.
      s.store.deliveries.push({ ...s.store.deliveries[0]!, id: 4, status: 'pending' });
      await s.job(4);
      assert.deepEqual([s.store.deliveries[3]?.status, receiver.to('/broken').length], ['dead', 3]);
      assert.deepEqual(s.outcomes.at(-1), {
        consumer: 'webhooks',
        status: 'skipped',
        eventId: s.store.deliveries[3]!.webhookId,
        type: DELIVER_TYPE,
        detail: 'subscription disabled',
      });
    });
  });
});
