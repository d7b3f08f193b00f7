// The mail worker's consumer (issue 3): manual acks, prefetch, a bounded number of mails in
// flight. For each message: validate and render, claim the event id in mail_deliveries, send by
// SMTP, commit the claim, then ack (claims of mails in flight together share a transaction:
// delivery-batcher.ts). Temporary failures go to a TTL retry queue that
// dead-letters back into the mail queue; permanent ones (SMTP 5xx, bad payload, unknown type)
// and exhausted retries go to <queue>.dead with the reason in headers. Nothing is dropped.
import type pg from 'pg';
import type { Logger } from 'pino';
import {
  ConsumerStatus,
  type AsyncMessage,
  type Connection,
  type Consumer,
  type Publisher,
} from 'rabbitmq-client';
import { recordConsumerOutcome } from '../../lib/metrics.js';
import { batchesInFlight, DeliveryBatcher } from './delivery-batcher.js';
import { composeMail } from './registry.js';
import { classifySendError, type MailSender } from './smtp.js';
import type { MailContext } from './template.js';
import { MAIL_BINDING, queueDeclarations, type MailTopology } from './topology.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export type DeadReason =
  'invalid_message' | 'unknown_type' | 'invalid_payload' | 'smtp_rejected' | 'max_attempts';

/** What the handler did with one message (style rule 7: handlers say what they did). */
export type MailOutcome =
  | { status: 'sent'; eventId: string }
  | { status: 'duplicate'; eventId: string }
  | { status: 'retry'; eventId: string; attempt: number; delayMs: number; error: string }
  | { status: 'dead'; eventId: string; reason: DeadReason; error: string };

export interface MailConsumerOptions {
  rabbit: Connection;
  pool: pg.Pool;
  sender: MailSender;
  topology: MailTopology;
  from: string;
  context: MailContext;
  prefetch: number;
  /** Mails in flight at once (at most `prefetch`). */
  concurrency: number;
  /** Most mails sharing one mail_deliveries transaction. */
  batchSize: number;
  ratePerSecond: number;
  log: Logger;
  /** Observes every outcome (tests, metrics). */
  onOutcome?: (o: MailOutcome) => void;
}

/** Spaces sends evenly so one worker never exceeds `perSecond` (R11). */
class RateLimiter {
  private next = 0;
  constructor(private readonly perSecond: number) {}
  async take(): Promise<void> {
    const now = performance.now();
    const slot = Math.max(now, this.next);
    this.next = slot + 1000 / this.perSecond;
    if (slot > now) {
      await new Promise((r) => setTimeout(r, slot - now));
    }
  }
}

/** Attempts made before this delivery: the x-death count of our retry queues (or our header). */
export function previousAttempts(msg: AsyncMessage, topology: MailTopology): number {
  const headers = msg.headers ?? {};
  let fromDeaths = 0;
  const deaths: unknown = headers['x-death'];
  if (Array.isArray(deaths)) {
    for (const d of deaths as Array<Record<string, unknown>>) {
      if (typeof d.queue === 'string' && topology.isRetryQueue(d.queue)) {
        fromDeaths += Number(d.count ?? 0) || 0;
      }
    }
  }
  const own = Number(headers['x-attempts'] ?? 0) || 0;
  return Math.max(fromDeaths, own);
}

function errorText(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).slice(0, 500);
}

function bodyOf(msg: AsyncMessage): { ok: true; value: unknown } | { ok: false; error: string } {
  const b: unknown = msg.body;
  if (Buffer.isBuffer(b) || typeof b === 'string') {
    try {
      return { ok: true, value: JSON.parse(b.toString()) as unknown };
    } catch {
      return { ok: false, error: 'body is not JSON' };
    }
  }
  return { ok: true, value: b };
}

function rawBody(msg: AsyncMessage): Buffer {
  const b: unknown = msg.body;
  if (Buffer.isBuffer(b)) {
    return b;
  }
  return Buffer.from(typeof b === 'string' ? b : JSON.stringify(b ?? null));
}

export class MailConsumer {
  private consumer: Consumer | null = null;
  private readonly publisher: Publisher;
  private readonly limiter: RateLimiter;
  private readonly batcher: DeliveryBatcher;

  constructor(private readonly o: MailConsumerOptions) {
    this.limiter = new RateLimiter(o.ratePerSecond);
    this.batcher = new DeliveryBatcher(
      o.pool,
      o.batchSize,
      batchesInFlight(Math.min(o.concurrency, o.prefetch), o.batchSize),
    );
    this.publisher = o.rabbit.createPublisher({
      confirm: true,
      maxAttempts: 2,
      queues: queueDeclarations(o.topology),
    });
  }

  start(): void {
    const t = this.o.topology;
    const [mainQueue] = queueDeclarations(t);
    this.consumer = this.o.rabbit.createConsumer(
      {
        queue: t.queue,
        queueOptions: mainQueue,
        qos: { prefetchCount: this.o.prefetch },
        concurrency: Math.min(this.o.concurrency, this.o.prefetch),
        requeue: true,
        exchanges: [{ exchange: t.exchange, type: 'topic', durable: true }],
        queueBindings: [{ exchange: t.exchange, queue: t.queue, routingKey: MAIL_BINDING }],
      },
      (msg) => this.handle(msg),
    );
    this.consumer.on('error', (err) => this.o.log.warn({ err }, 'mail consumer error'));
  }

  /** Registered with the broker and taking messages (worker readiness). */
  get running(): boolean {
    return this.o.rabbit.ready && (this.consumer?.consumerTag ?? '') !== '';
  }

  /** Stops taking messages and waits for handlers in flight; unacked messages return to the queue. */
  async stop(): Promise<void> {
    await this.consumer?.close();
    await this.publisher.close();
  }

  private async handle(msg: AsyncMessage): Promise<ConsumerStatus> {
    const outcome = await this.process(msg);
    recordConsumerOutcome('mail', outcome);
    this.o.onOutcome?.(outcome);
    const log = this.o.log;
    switch (outcome.status) {
      case 'sent':
        log.debug({ eventId: outcome.eventId }, 'mail sent');
        break;
      case 'duplicate':
        log.info({ eventId: outcome.eventId }, 'mail already sent; duplicate acknowledged');
        break;
      case 'retry':
        log.warn(outcome, 'mail failed temporarily; scheduled a retry');
        break;
      case 'dead':
        log.error(outcome, 'mail moved to the dead-letter queue');
        break;
    }
    return ConsumerStatus.ACK;
  }

  /** Any exception escaping here (broker gone while re-publishing) nacks with requeue. */
  private async process(msg: AsyncMessage): Promise<MailOutcome> {
    const eventId = msg.messageId ?? '';
    const type = msg.type ?? msg.routingKey;
    if (!UUID.test(eventId)) {
      return this.dead(msg, eventId, 'invalid_message', 'message id is not an event id (uuid)');
    }
    const body = bodyOf(msg);
    if (!body.ok) {
      return this.dead(msg, eventId, 'invalid_payload', body.error);
    }
    const composed = composeMail(type, body.value, this.o.context);
    if (!composed.ok) {
      return this.dead(msg, eventId, composed.reason, composed.detail);
    }
    const mail = composed.mail;
    const attempt = previousAttempts(msg, this.o.topology) + 1;

    // Claim, send, commit: grouped with the mails in flight beside it (delivery-batcher.ts).
    const result = await this.batcher.submit({
      eventId,
      type,
      recipient: mail.to,
      send: async () => {
        await this.limiter.take();
        return this.o.sender.send({
          from: this.o.from,
          to: mail.to,
          subject: mail.subject,
          text: mail.text,
          html: mail.html,
          messageId: `<${eventId}@ifd.mail>`,
          headers: { 'X-IFD-Event-Id': eventId, 'X-IFD-Event-Type': type },
        });
      },
    });
    switch (result.status) {
      case 'sent':
        return { status: 'sent', eventId };
      case 'duplicate':
        return { status: 'duplicate', eventId };
      case 'send_failed':
        if (classifySendError(result.error) === 'permanent') {
          return this.dead(msg, eventId, 'smtp_rejected', errorText(result.error), attempt);
        }
        return this.retryOrDead(msg, eventId, attempt, `smtp: ${errorText(result.error)}`);
      case 'db_failed':
        return this.retryOrDead(msg, eventId, attempt, `database: ${errorText(result.error)}`);
    }
  }

  private async retryOrDead(
    msg: AsyncMessage,
    eventId: string,
    attempt: number,
    error: string,
  ): Promise<MailOutcome> {
    if (attempt >= this.o.topology.maxAttempts) {
      return this.dead(msg, eventId, 'max_attempts', error, attempt);
    }
    const retry = this.o.topology.retryFor(attempt);
    await this.republish(msg, retry.queue, { 'x-attempts': attempt, 'x-last-error': error });
    return { status: 'retry', eventId, attempt, delayMs: retry.delayMs, error };
  }

  private async dead(
    msg: AsyncMessage,
    eventId: string,
    reason: DeadReason,
    error: string,
    attempt?: number,
  ): Promise<MailOutcome> {
    await this.republish(msg, this.o.topology.dead, {
      'x-dead-reason': reason,
      'x-last-error': error,
      'x-dead-at': new Date().toISOString(),
      'x-original-routing-key': msg.routingKey,
      ...(attempt !== undefined ? { 'x-attempts': attempt } : {}),
    });
    return { status: 'dead', eventId, reason, error };
  }

  /** Publishes a copy (same id, type, body) to a queue with confirm; the caller then acks. */
  private async republish(
    msg: AsyncMessage,
    queue: string,
    headers: Record<string, string | number>,
  ): Promise<void> {
    await this.publisher.send(
      {
        exchange: '',
        routingKey: queue,
        durable: true,
        mandatory: true,
        messageId: msg.messageId,
        type: msg.type ?? msg.routingKey,
        contentType: msg.contentType,
        timestamp: msg.timestamp,
        headers: { ...msg.headers, ...headers },
      },
      rawBody(msg),
    );
  }
}
