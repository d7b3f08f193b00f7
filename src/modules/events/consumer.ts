// The generic consumer of the events pipeline (ADR 0009): what every consumer (mail, webhooks,
// the next one) shares, so a consumer is a handler and a topology, not a copy of this file.
//
// For each message: parse (event id = message id, a uuid; JSON body), count the attempt, call
// the handler, and act on the outcome it returns: ack; re-publish to a TTL retry tier
// (attempts + 1) or, when attempts are exhausted, to <queue>.dead with the reason in headers;
// `defer` re-publishes to a tier without counting an attempt (the handler chose not to try
// now). Every re-publish is confirmed by the broker before the original is acked, so nothing
// is dropped; an exception escaping the handler (or a failed re-publish) nacks with requeue.
// The broker is a port (broker.ts): RabbitMQ, or the embedded development transport.
import type { Logger } from 'pino';
import { systemClock, type Clock } from '../../lib/clock.js';
import { recordConsumerOutcome } from '../../lib/metrics.js';
import type { Broker, BrokerMessage, OutgoingMessage, TopologyConsumer } from './broker.js';
import type { ConsumerTopology } from './topology.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** One parsed message, as a handler sees it. */
export interface EventMessage {
  eventId: string;
  type: string;
  body: unknown;
  /** 1 for the first try, 2 for the first retry, ... */
  attempt: number;
  headers: Record<string, unknown>;
  raw: BrokerMessage;
}

/** What a handler did (style rule 7): the core turns it into an ack, a retry or a dead letter. */
export type HandlerResult<R extends string = string> =
  | { status: 'done'; detail?: string }
  | { status: 'duplicate'; detail?: string }
  | { status: 'skipped'; detail: string }
  /** Failed this time; retry after the tier of this attempt, or at least `atLeastMs`. */
  | { status: 'retry'; error: string; atLeastMs?: number }
  /** Not tried; come back after at least `delayMs` without counting an attempt. */
  | { status: 'defer'; delayMs: number; detail: string }
  | { status: 'dead'; reason: R; error: string };

export type CoreDeadReason = 'invalid_message' | 'invalid_payload' | 'max_attempts';

export type EventOutcome<R extends string = string> =
  | { status: 'done' | 'duplicate' | 'skipped'; eventId: string; type: string; detail?: string }
  | {
      status: 'retry';
      eventId: string;
      type: string;
      attempt: number;
      delayMs: number;
      error: string;
    }
  | { status: 'deferred'; eventId: string; type: string; delayMs: number; detail: string }
  | {
      status: 'dead';
      eventId: string;
      type: string;
      reason: R | CoreDeadReason;
      error: string;
      attempt?: number;
    };

export interface EventConsumerOptions<R extends string> {
  broker: Broker;
  topology: ConsumerTopology;
  prefetch: number;
  /** Messages handled at once (at most `prefetch`). */
  concurrency: number;
  handler: (m: EventMessage) => Promise<HandlerResult<R>>;
  /**
   * Retries wait between (1 - jitter) and 1 times their tier's delay: a per-message TTL below
   * the queue's (the smaller wins). 0 = exactly the tier.
   */
  jitter?: number;
  log: Logger;
  onOutcome?: (o: EventOutcome<R>) => void;
  /** Time of dead letters' `x-dead-at` (default: the system clock). */
  clock?: Clock;
}

/**
 * Attempts made before this delivery: our own `x-attempts` header, set on every re-publish.
 * (x-death counts are not used: deferrals pass through the same TTL queues without being
 * attempts.)
 */
export function previousAttempts(headers: Record<string, unknown> | undefined): number {
  return Math.max(0, Number(headers?.['x-attempts'] ?? 0) || 0);
}

export function errorText(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).slice(0, 500);
}

function parseBody(
  msg: BrokerMessage,
): { ok: true; value: unknown } | { ok: false; error: string } {
  try {
    return { ok: true, value: JSON.parse(msg.body.toString()) as unknown };
  } catch {
    return { ok: false, error: 'body is not JSON' };
  }
}

export class EventConsumer<R extends string = string> {
  private consumer: TopologyConsumer | null = null;

  constructor(private readonly o: EventConsumerOptions<R>) {}

  start(): void {
    const t = this.o.topology;
    this.consumer = this.o.broker.consume(
      t,
      {
        prefetch: this.o.prefetch,
        concurrency: this.o.concurrency,
        onError: (err) => this.o.log.warn({ err }, `${t.name} consumer error`),
      },
      async (msg) => {
        const outcome = await this.process(msg);
        recordConsumerOutcome(t.name, outcome);
        this.o.onOutcome?.(outcome);
        this.logOutcome(outcome);
      },
    );
  }

  /** Registered with the broker and taking messages (the worker's readiness). */
  get running(): boolean {
    return this.consumer?.running ?? false;
  }

  /** Stops taking messages and waits for handlers in flight; unacked messages return. */
  async stop(): Promise<void> {
    await this.consumer?.close();
  }

  private logOutcome(o: EventOutcome<R>): void {
    const name = this.o.topology.name;
    switch (o.status) {
      case 'done':
      case 'skipped':
      case 'deferred':
        this.o.log.debug(o, `${name}: ${o.status}`);
        break;
      case 'duplicate':
        this.o.log.info(o, `${name}: already handled; duplicate acknowledged`);
        break;
      case 'retry':
        this.o.log.warn(o, `${name}: failed temporarily; scheduled a retry`);
        break;
      case 'dead':
        this.o.log.error(o, `${name}: moved to the dead-letter queue`);
        break;
    }
  }

  private async process(msg: BrokerMessage): Promise<EventOutcome<R>> {
    const eventId = msg.messageId ?? '';
    const type = msg.type ?? msg.routingKey;
    if (!UUID.test(eventId)) {
      return this.dead(
        msg,
        eventId,
        type,
        'invalid_message',
        'message id is not an event id (uuid)',
      );
    }
    const body = parseBody(msg);
    if (!body.ok) {
      return this.dead(msg, eventId, type, 'invalid_payload', body.error);
    }
    const headers = msg.headers ?? {};
    const attempt = previousAttempts(headers) + 1;
    const result = await this.o.handler({
      eventId,
      type,
      body: body.value,
      attempt,
      headers,
      raw: msg,
    });
    switch (result.status) {
      case 'done':
      case 'duplicate':
      case 'skipped':
        return { status: result.status, eventId, type, detail: result.detail };
      case 'dead':
        return this.dead(msg, eventId, type, result.reason, result.error, attempt);
      case 'defer': {
        const tier = this.o.topology.defer ?? this.o.topology.retryAtLeast(result.delayMs);
        await this.queue.retry(tier, this.copy(msg, { 'x-attempts': attempt - 1 }));
        return { status: 'deferred', eventId, type, delayMs: tier.delayMs, detail: result.detail };
      }
      case 'retry': {
        if (attempt >= this.o.topology.maxAttempts) {
          return this.dead(msg, eventId, type, 'max_attempts', result.error, attempt);
        }
        const scheduled = this.o.topology.retryFor(attempt);
        const tier =
          result.atLeastMs !== undefined && result.atLeastMs > scheduled.delayMs
            ? this.o.topology.retryAtLeast(result.atLeastMs)
            : scheduled;
        await this.queue.retry(
          tier,
          this.copy(msg, { 'x-attempts': attempt, 'x-last-error': result.error }),
          this.jittered(tier.delayMs),
        );
        return {
          status: 'retry',
          eventId,
          type,
          attempt,
          delayMs: tier.delayMs,
          error: result.error,
        };
      }
    }
  }

  private async dead(
    msg: BrokerMessage,
    eventId: string,
    type: string,
    reason: R | CoreDeadReason,
    error: string,
    attempt?: number,
  ): Promise<EventOutcome<R>> {
    await this.queue.deadLetter(
      this.copy(msg, {
        'x-dead-reason': reason,
        'x-last-error': error,
        'x-dead-at': new Date((this.o.clock ?? systemClock).now()).toISOString(),
        'x-original-routing-key': msg.routingKey,
        ...(attempt !== undefined ? { 'x-attempts': attempt } : {}),
      }),
    );
    return { status: 'dead', eventId, type, reason, error, attempt };
  }

  private jittered(delayMs: number): number | undefined {
    const j = this.o.jitter ?? 0;
    return j > 0 && delayMs > 0 ? Math.round(delayMs * (1 - Math.random() * j)) : undefined;
  }

  private get queue(): TopologyConsumer {
    if (this.consumer === null) {
      throw new Error(`${this.o.topology.name} consumer is not started`);
    }
    return this.consumer;
  }

  /** A copy (same id, type, body) with more headers; stored before the caller acks. */
  private copy(msg: BrokerMessage, headers: Record<string, string | number>): OutgoingMessage {
    return {
      messageId: msg.messageId,
      type: msg.type ?? msg.routingKey,
      contentType: msg.contentType,
      timestamp: msg.timestamp,
      headers: { ...msg.headers, ...headers },
      body: msg.body,
    };
  }
}
