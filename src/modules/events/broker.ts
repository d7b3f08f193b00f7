// The broker port of the events pipeline (ADR 0021, issue 14 point 5): what the outbox relay,
// the consumer core and `npm run dlq` need from a message broker, and nothing else. Two
// implementations: RabbitMQ (rabbit-broker.ts, every real deployment) and the in-process
// transport of the embedded development mode (embedded-broker.ts). The code above the port
// never asks which one it has.
//
// The guarantees the port promises, whichever implementation:
// - `publish` and `send` resolve only once the broker holds the message durably (a publisher
//   confirm; an fsync'ed file), and `publish` rejects when no queue takes the routing key, so
//   the relay marks an outbox row published only after acceptance (never lost);
// - a consumer's handler that resolves acknowledges its message (removed); one that throws
//   leaves it to be delivered again; a message whose handler ran but was not acknowledged (a
//   crash in between) is delivered again, and the consumers deduplicate by event id (never
//   twice where the guarantee applies: mails, webhook deliveries);
// - `retry` and `deadLetter` store the copy before the caller acknowledges the original.
import type { ConsumerTopology } from './topology.js';

/** A message as a consumer receives it. */
export interface BrokerMessage {
  messageId?: string;
  type?: string;
  routingKey: string;
  contentType?: string;
  /** Seconds since the epoch (AMQP's timestamp). */
  timestamp?: number;
  headers: Record<string, unknown>;
  body: Buffer;
}

/** A message to publish or send. */
export interface OutgoingMessage {
  messageId?: string;
  type?: string;
  contentType?: string;
  timestamp?: number;
  headers?: Record<string, unknown>;
  body: Buffer;
}

export interface ConsumeOptions {
  prefetch: number;
  /** Messages handled at once (at most `prefetch`). */
  concurrency: number;
  /** Errors of the subscription itself (the broker reconnects on its own). */
  onError?: (err: unknown) => void;
}

/** Resolves: acknowledge. Throws: not acknowledged, delivered again (requeue). */
export type DeliveryHandler = (msg: BrokerMessage) => Promise<void>;

/** One consumer of one topology's queue. */
export interface TopologyConsumer {
  /** Registered and taking messages (the worker's readiness). */
  readonly running: boolean;
  /**
   * A copy back on the topology's queue after the tier's delay (a retry or a deferral), or
   * after `expirationMs` when it is shorter. RabbitMQ: the TTL queue `tier.queue`.
   */
  retry(
    tier: { queue: string; delayMs: number },
    msg: OutgoingMessage,
    expirationMs?: number,
  ): Promise<void>;
  /** A copy into the topology's dead-letter queue (`npm run dlq`). */
  deadLetter(msg: OutgoingMessage): Promise<void>;
  /** Stops taking messages and waits for handlers in flight; unacknowledged ones return. */
  close(): Promise<void>;
}

/** One dead letter as `npm run dlq -- list` prints it. */
export interface DeadLetter {
  eventId: string;
  type: string;
  reason: string;
  error: string;
  attempts: number;
  deadAt: string;
  payload: unknown;
}

/** The operator's side of the dead-letter queues (`npm run dlq`). */
export interface DeadLetters {
  count(t: ConsumerTopology): Promise<number>;
  list(t: ConsumerTopology, limit?: number): Promise<DeadLetter[]>;
  /**
   * Puts dead letters (all, or the one with `eventId`) back on the consumer's queue with a
   * fresh attempt count. Consumers deduplicate, so a replay never sends twice.
   */
  requeue(t: ConsumerTopology, opts?: { eventId?: string; limit?: number }): Promise<DeadLetter[]>;
  /** Removes dead letters for good (all, or the one with `eventId`). */
  purge(t: ConsumerTopology, opts?: { eventId?: string }): Promise<number>;
}

export interface Broker {
  /** `rabbitmq` or `embedded` (logs, the banner, readiness). */
  readonly kind: 'rabbitmq' | 'embedded';
  /** Connected: publishes can be accepted now. */
  readonly ready: boolean;
  /** Called on every (re)connect (the relay wakes up); returns the unsubscribe. */
  onConnect(listener: () => void): () => void;
  /** Declares the topology's queues and bindings (idempotent). */
  declare(t: ConsumerTopology): Promise<void>;
  /** Publishes to a topic exchange; rejects when no queue is bound to `routingKey`. */
  publish(exchange: string, routingKey: string, msg: OutgoingMessage): Promise<void>;
  /** Sends straight to a queue (webhook delivery jobs). */
  send(queue: string, msg: OutgoingMessage): Promise<void>;
  consume(t: ConsumerTopology, o: ConsumeOptions, handler: DeliveryHandler): TopologyConsumer;
  readonly deadLetters: DeadLetters;
  close(): Promise<void>;
}

/** Headers of a dead letter, read into what an operator sees. */
export function describeDeadLetter(msg: {
  messageId?: string;
  type?: string;
  headers?: Record<string, unknown>;
  body: unknown;
}): DeadLetter {
  const h = msg.headers ?? {};
  const text = (v: unknown) => (typeof v === 'string' || typeof v === 'number' ? String(v) : '');
  const body = msg.body;
  let payload: unknown = body;
  if (Buffer.isBuffer(body)) {
    try {
      payload = JSON.parse(body.toString()) as unknown;
    } catch {
      payload = body.toString();
    }
  }
  return {
    eventId: msg.messageId ?? '',
    type: msg.type ?? text(h['x-original-routing-key']),
    reason: text(h['x-dead-reason']) || 'rejected',
    error: text(h['x-last-error']),
    attempts: Number(h['x-attempts'] ?? 0) || 0,
    deadAt: text(h['x-dead-at']),
    payload,
  };
}

/** The headers a replayed dead letter keeps: its attempts and death start over. */
export function requeuedHeaders(
  headers: Record<string, unknown> | undefined,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...headers };
  for (const k of [
    'x-death',
    'x-attempts',
    'x-dead-reason',
    'x-dead-at',
    'x-first-death-exchange',
    'x-first-death-queue',
    'x-first-death-reason',
  ]) {
    delete out[k];
  }
  out['x-requeued-at'] = new Date().toISOString();
  return out;
}
