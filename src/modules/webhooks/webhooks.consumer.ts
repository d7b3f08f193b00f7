// The webhook consumers (ADR 0010), two handlers on the shared core (events/consumer.ts).
//
// Fan-out: a domain event → one webhook_deliveries row per active subscription selecting its
// type (unique per subscription and event) → one job per delivery on the delivery queue.
// Delivery: one job = one attempt. Sign (standardwebhooks; during a rotation's overlap with
// both secrets), POST through the SSRF-guarded agent, record the attempt, then: 2xx done; 410
// disables the subscription; 429/503 retry no sooner than Retry-After; anything else, a
// timeout or a connection error retries on the schedule; the last failure is dead. At most
// `perSubscription` attempts to one subscription run at once in a worker: a job beyond that is
// deferred (re-queued without counting an attempt), so a slow endpoint holds a few slots,
// never the queue.
//
// Side effects come through ports (ADR 0029): the broker, the delivery tables
// (WebhookDeliveryStore) and the clock; the POST itself goes through the SSRF-guarded agent
// to whatever the subscription names (a loopback receiver in the tests).
import type { Logger } from 'pino';
import { Webhook } from 'standardwebhooks';
import { request, type Dispatcher } from 'undici';
import { systemClock, type Clock } from '../../lib/clock.js';
import type { Broker } from '../events/broker.js';
import { guardedAgent } from './ssrf-agent.js';
import { webhookIdHeader } from './webhook-id.js';
import {
  errorText,
  EventConsumer,
  type EventMessage,
  type EventOutcome,
  type HandlerResult,
} from '../events/consumer.js';
import type { ConsumerTopology } from '../events/topology.js';
import { isDomainEventType } from './event-types.js';
import type { SsrfGuard } from './ssrf.js';
import type { AttemptRecord, DeliveryJob, WebhookDeliveryStore } from './webhooks.store.js';

export const DELIVER_TYPE = 'webhooks.deliver';
const RESPONSE_KEEP = 1024;
const MAX_RETRY_AFTER_MS = 24 * 3600 * 1000;

export { webhookIdHeader };

export interface WebhookSettings {
  timeoutMs: number;
  disableAfterSeconds: number;
  perSubscription: number;
}

function jobIds(body: unknown): number[] | null {
  const ids = (body as { delivery_ids?: unknown } | null)?.delivery_ids;
  return Array.isArray(ids) && ids.length > 0 && ids.every((n) => Number.isSafeInteger(n) && n > 0)
    ? (ids as number[])
    : null;
}

/** Publishes one delivery job per delivery, confirmed (message id = the delivery's uuid). */
async function publishJobs(
  broker: Broker,
  queue: string,
  jobs: Array<{ id: number; webhookId: string }>,
): Promise<void> {
  await Promise.all(
    jobs.map((j) =>
      broker.send(queue, {
        messageId: j.webhookId,
        type: DELIVER_TYPE,
        contentType: 'application/json',
        body: Buffer.from(JSON.stringify({ v: 1, delivery_ids: [j.id] })),
      }),
    ),
  );
}

/** Retry-After as milliseconds (seconds or an HTTP date), or undefined. */
export function retryAfterMs(
  value: string | string[] | undefined,
  now = Date.now(),
): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (v === undefined || v.trim() === '') {
    return undefined;
  }
  const ms = /^\d+$/.test(v.trim()) ? Number(v) * 1000 : Date.parse(v) - now;
  return Number.isFinite(ms) ? Math.min(Math.max(0, ms), MAX_RETRY_AFTER_MS) : undefined;
}

/** Signs with the current secret and, during a rotation's overlap, the previous one too. */
export function signatures(job: DeliveryJob, msgId: string, at: Date, payload: string): string {
  const secrets = [job.secret];
  if (
    job.previousSecret !== null &&
    job.previousSecretExpiresAt !== null &&
    job.previousSecretExpiresAt.getTime() > at.getTime()
  ) {
    secrets.push(job.previousSecret);
  }
  return secrets.map((s) => new Webhook(s).sign(msgId, at, payload)).join(' ');
}

async function readPrefix(body: Dispatcher.ResponseData['body']): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const b = chunk as Buffer;
    chunks.push(b);
    size += b.length;
    if (size >= RESPONSE_KEEP) {
      break;
    }
  }
  // What follows is not kept: drain a little for keep-alive, then drop the connection.
  await body.dump({ limit: 64 * 1024 }).catch(() => {});
  return Buffer.concat(chunks).subarray(0, RESPONSE_KEEP).toString('utf8');
}

export type WebhookDeadReason = 'gone' | 'invalid_job';

export interface WebhookConsumersOptions {
  broker: Broker;
  /** The delivery tables (pgWebhookDeliveryStore in production). */
  store: WebhookDeliveryStore;
  fanout: ConsumerTopology;
  delivery: ConsumerTopology;
  guard: SsrfGuard;
  settings: WebhookSettings;
  prefetch: number;
  concurrency: number;
  log: Logger;
  onOutcome?: (o: EventOutcome<WebhookDeadReason> & { consumer: string }) => void;
  /**
   * Signatures' timestamps, attempt durations, Retry-After dates, the disable-after clock and
   * dead letters' `x-dead-at` (default: the system clock).
   */
  clock?: Clock;
}

export class WebhookConsumers {
  private readonly fanoutCore: EventConsumer<WebhookDeadReason>;
  private readonly deliveryCore: EventConsumer<WebhookDeadReason>;
  private readonly agent: ReturnType<typeof guardedAgent>;
  private readonly inFlight = new Map<number, number>();
  private readonly attempting = new Set<number>();
  private readonly clock: Clock;

  constructor(private readonly o: WebhookConsumersOptions) {
    this.clock = o.clock ?? systemClock;
    this.agent = guardedAgent(o.guard, {
      // Per origin: subscriptions on one host share it; the per-subscription cap bounds each.
      connections: Math.max(o.settings.perSubscription * 2, o.concurrency),
      timeoutMs: o.settings.timeoutMs,
    });
    const common = { broker: o.broker, log: o.log, jitter: 0.2, clock: this.clock };
    this.fanoutCore = new EventConsumer<WebhookDeadReason>({
      ...common,
      topology: o.fanout,
      prefetch: o.prefetch,
      concurrency: Math.min(o.concurrency, 32),
      handler: (m) => this.fanOut(m),
      onOutcome: (x) => o.onOutcome?.({ ...x, consumer: o.fanout.name }),
    });
    this.deliveryCore = new EventConsumer<WebhookDeadReason>({
      ...common,
      topology: o.delivery,
      prefetch: o.prefetch,
      concurrency: o.concurrency,
      handler: (m) => this.deliver(m),
      onOutcome: (x) => o.onOutcome?.({ ...x, consumer: o.delivery.name }),
    });
  }

  /** Both consumers registered with the broker and taking messages (worker readiness). */
  get running(): boolean {
    return this.fanoutCore.running && this.deliveryCore.running;
  }

  start(): void {
    this.fanoutCore.start();
    this.deliveryCore.start();
  }

  async stop(): Promise<void> {
    await this.fanoutCore.stop();
    await this.deliveryCore.stop();
    await this.agent.close();
  }

  private async fanOut(m: EventMessage): Promise<HandlerResult<WebhookDeadReason>> {
    if (!isDomainEventType(m.type)) {
      return { status: 'skipped', detail: `no webhook event type "${m.type}"` };
    }
    const data = m.body as { occurred_at?: unknown } | null;
    const timestamp =
      typeof data?.occurred_at === 'string'
        ? data.occurred_at
        : new Date((m.raw.timestamp ?? Math.floor(this.clock.now() / 1000)) * 1000).toISOString();
    let jobs;
    try {
      jobs = await this.o.store.fanOut({
        eventId: m.eventId,
        type: m.type,
        body: { type: m.type, timestamp, data: m.body },
      });
    } catch (err) {
      return { status: 'retry', error: `database: ${errorText(err)}` };
    }
    await publishJobs(this.o.broker, this.o.delivery.queue, jobs);
    return jobs.length === 0
      ? { status: 'skipped', detail: 'no subscription selects this type' }
      : { status: 'done', detail: `${jobs.length} deliveries` };
  }

  private async deliver(m: EventMessage): Promise<HandlerResult<WebhookDeadReason>> {
    const ids = jobIds(m.body);
    if (ids === null) {
      return { status: 'dead', reason: 'invalid_job', error: 'body has no delivery_ids' };
    }
    if (ids.length > 1) {
      // A job of the API for several deliveries (recover): one job each, retried apart.
      const jobs = await this.o.store.webhookIds(ids);
      await publishJobs(this.o.broker, this.o.delivery.queue, jobs);
      return { status: 'done', detail: `split into ${jobs.length} jobs` };
    }
    let job: DeliveryJob | undefined;
    try {
      job = await this.o.store.load(ids[0]!);
    } catch (err) {
      return { status: 'retry', error: `database: ${errorText(err)}` };
    }
    if (job === undefined) {
      return { status: 'skipped', detail: 'delivery or subscription deleted' };
    }
    if (job.status === 'delivered') {
      return { status: 'duplicate' };
    }
    if (!job.isActive) {
      await this.o.store.markDead(job.id);
      return { status: 'skipped', detail: 'subscription disabled' };
    }
    if (this.attempting.has(job.id)) {
      // A second job for a delivery being attempted (a re-published event): after this one
      // it finds the delivery delivered, instead of sending a copy now.
      return { status: 'defer', delayMs: 200, detail: `delivery ${job.id} is being attempted` };
    }
    const busy = this.inFlight.get(job.subscriptionId) ?? 0;
    if (busy >= this.o.settings.perSubscription) {
      return {
        status: 'defer',
        delayMs: Math.min(this.o.settings.timeoutMs, 1000),
        detail: `${busy} attempts to subscription ${job.subscriptionId} in flight`,
      };
    }
    this.inFlight.set(job.subscriptionId, busy + 1);
    this.attempting.add(job.id);
    try {
      return await this.attempt(job, m.attempt);
    } finally {
      this.attempting.delete(job.id);
      const left = (this.inFlight.get(job.subscriptionId) ?? 1) - 1;
      if (left <= 0) {
        this.inFlight.delete(job.subscriptionId);
      } else {
        this.inFlight.set(job.subscriptionId, left);
      }
    }
  }

  private async attempt(
    job: DeliveryJob,
    attempt: number,
  ): Promise<HandlerResult<WebhookDeadReason>> {
    const payload = JSON.stringify(job.body);
    const msgId = webhookIdHeader(job.webhookId);
    const at = new Date(this.clock.now());
    // Wall-clock milliseconds (the clock port): a clock step during an attempt is clamped.
    const elapsed = () => Math.max(0, this.clock.now() - at.getTime());
    let record: AttemptRecord;
    let retryAfter: number | undefined;
    let statusCode: number | null = null;
    try {
      const url = this.o.guard.checkUrlShape(job.url); // literal IPs skip the agent's lookup
      const res = await request(url, {
        method: 'POST',
        dispatcher: this.agent,
        headers: {
          'content-type': 'application/json',
          'user-agent': 'ifd-webhooks/1',
          'webhook-id': msgId,
          'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
          'webhook-signature': signatures(job, msgId, at, payload),
        },
        body: payload,
        signal: AbortSignal.timeout(this.o.settings.timeoutMs),
      });
      statusCode = res.statusCode;
      const text = await readPrefix(res.body);
      retryAfter =
        statusCode === 429 || statusCode === 503
          ? retryAfterMs(res.headers['retry-after'], this.clock.now())
          : undefined;
      record = {
        statusCode,
        durationMs: elapsed(),
        error: statusCode >= 200 && statusCode < 300 ? null : `HTTP ${statusCode}`,
        responseBody: text,
      };
    } catch (err) {
      const timedOut =
        err instanceof Error && (err.name === 'TimeoutError' || /timeout/i.test(err.message));
      record = {
        statusCode,
        durationMs: elapsed(),
        error: timedOut ? `timeout after ${this.o.settings.timeoutMs} ms` : errorText(err),
        responseBody: null,
      };
    }
    const ok = record.statusCode !== null && record.statusCode >= 200 && record.statusCode < 300;
    const gone = record.statusCode === 410;
    const final = ok || gone || attempt >= this.o.delivery.maxAttempts;
    let disabled: string | null;
    try {
      disabled = await this.o.store.recordAttempt({
        deliveryId: job.id,
        subscriptionId: job.subscriptionId,
        attempt: record,
        status: ok ? 'delivered' : final ? 'dead' : 'pending',
        disable: gone ? 'the endpoint answered 410 Gone' : undefined,
        disableAfterSeconds: this.o.settings.disableAfterSeconds,
        now: new Date(this.clock.now()),
      });
    } catch (err) {
      // Sent (perhaps) but not recorded: retry; the receiver deduplicates by webhook-id.
      return { status: 'retry', error: `database: ${errorText(err)}` };
    }
    if (disabled !== null) {
      this.o.log.warn(
        { subscriptionId: job.subscriptionId, reason: disabled },
        'webhook subscription disabled',
      );
    }
    if (ok) {
      return { status: 'done' };
    }
    if (gone) {
      return { status: 'dead', reason: 'gone', error: 'HTTP 410' };
    }
    return { status: 'retry', error: record.error ?? 'failed', atLeastMs: retryAfter };
  }
}
