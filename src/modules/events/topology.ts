// RabbitMQ names and declarations of one consumer of the events pipeline (ADR 0009). The
// events exchange belongs to the pipeline, not to any consumer; each consumer has its own
// queue, bound to the routing keys it handles, its own retry tiers and its own dead-letter
// queue. Everything is durable.
//
//   outbox relay --> <exchange> (topic) --bindings--> <queue> --> handler
//   retry:   handler --> <queue>.retry.<ms>ms (TTL) --dead-letter--> <queue>
//   dead:    handler --> <queue>.dead  (npm run dlq -- --consumer NAME)
import type { Connection } from 'rabbitmq-client';

export interface ConsumerTopology {
  /** Consumer name (`mail`, `webhooks`, ...): what `npm run dlq -- --consumer` takes. */
  name: string;
  exchange: string;
  queue: string;
  dead: string;
  /** Routing-key patterns bound from the exchange to `queue` (none: fed by direct publishes). */
  bindings: string[];
  /** Attempts before a message that keeps failing is dead-lettered. */
  maxAttempts: number;
  /** Delay after the n-th failed attempt (1-based), from the tier list. */
  retryFor(failedAttempt: number): { queue: string; delayMs: number };
  /** The smallest tier waiting at least `ms` (the largest when none does). */
  retryAtLeast(ms: number): { queue: string; delayMs: number };
  retryQueues: Array<{ queue: string; delayMs: number }>;
  /** Where deferred messages wait, when the spec has `deferMs`. */
  defer: { queue: string; delayMs: number } | null;
  isRetryQueue(name: string): boolean;
}

export interface TopologySpec {
  name: string;
  exchange: string;
  queue: string;
  bindings: string[];
  maxAttempts: number;
  /**
   * Delay of each retry, in order: the n-th failed attempt waits delays[n-1] (the last one
   * repeats). A delay of 0 re-publishes straight to the queue.
   */
  retryDelaysMs: number[];
  /** TTL of the queue deferred messages wait in (`defer` outcomes); none: the retry tiers. */
  deferMs?: number;
}

export function consumerTopology(spec: TopologySpec): ConsumerTopology {
  const { queue } = spec;
  const tier = (delayMs: number) => ({
    queue: delayMs <= 0 ? queue : `${queue}.retry.${delayMs}ms`,
    delayMs: Math.max(0, delayMs),
  });
  const delays = spec.retryDelaysMs.length > 0 ? spec.retryDelaysMs : [1000];
  const retryFor = (failedAttempt: number) =>
    tier(delays[Math.min(Math.max(failedAttempt, 1), delays.length) - 1] ?? 0);
  const retryQueues = new Map<string, { queue: string; delayMs: number }>();
  for (let n = 1; n < Math.max(spec.maxAttempts, 2); n += 1) {
    const r = retryFor(n);
    if (r.delayMs > 0) {
      retryQueues.set(r.queue, r);
    }
  }
  const sorted = [...retryQueues.values()].sort((a, b) => a.delayMs - b.delayMs);
  return {
    name: spec.name,
    exchange: spec.exchange,
    queue,
    dead: `${queue}.dead`,
    bindings: spec.bindings,
    maxAttempts: spec.maxAttempts,
    retryFor,
    retryAtLeast: (ms) =>
      sorted.find((r) => r.delayMs >= ms) ?? sorted[sorted.length - 1] ?? tier(0),
    retryQueues: sorted,
    defer:
      spec.deferMs !== undefined && spec.deferMs > 0
        ? { queue: `${queue}.defer.${spec.deferMs}ms`, delayMs: spec.deferMs }
        : null,
    isRetryQueue: (name) => name.startsWith(`${queue}.retry.`),
  };
}

export type QueueDeclare = Parameters<Connection['queueDeclare']>[0] & object;

export function queueDeclarations(t: ConsumerTopology): QueueDeclare[] {
  return [
    {
      queue: t.queue,
      durable: true,
      // Safety net: anything rejected without requeue lands in the dead-letter queue.
      arguments: { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': t.dead },
    },
    { queue: t.dead, durable: true },
    ...[...t.retryQueues, ...(t.defer ? [t.defer] : [])].map((r) => ({
      queue: r.queue,
      durable: true,
      arguments: {
        'x-message-ttl': r.delayMs,
        'x-dead-letter-exchange': '',
        'x-dead-letter-routing-key': t.queue,
      },
    })),
  ];
}

/** Declares exchange, queues and bindings (idempotent). */
export async function declareTopology(rabbit: Connection, t: ConsumerTopology): Promise<void> {
  await rabbit.exchangeDeclare({ exchange: t.exchange, type: 'topic', durable: true });
  for (const q of queueDeclarations(t)) {
    await rabbit.queueDeclare(q);
  }
  for (const routingKey of t.bindings) {
    await rabbit.queueBind({ exchange: t.exchange, queue: t.queue, routingKey });
  }
}

/** Deletes every queue of the topology (tests, benchmarks); `exchange` too when asked. */
export async function deleteTopology(
  rabbit: Connection,
  t: ConsumerTopology,
  opts: { exchange?: boolean } = {},
): Promise<void> {
  for (const q of queueDeclarations(t)) {
    await rabbit.queueDelete({ queue: q.queue }).catch(() => {});
  }
  if (opts.exchange === true) {
    await rabbit.exchangeDelete({ exchange: t.exchange }).catch(() => {});
  }
}
