// RabbitMQ names and declarations of the mail path. Everything is durable; queue names derive
// from MAIL_QUEUE so that a test run or a second deployment can use its own set.
//
//   <exchange> (topic)  --mail.#-->  <queue>  --worker-->  SMTP
//   temporary failure:  worker --> <queue>.retry.<ms>ms (TTL) --dead-letter--> <queue>
//   permanent failure or attempts exhausted:  worker --> <queue>.dead  (npm run dlq)
import type { Connection } from 'rabbitmq-client';
import type { Config } from '../../config.js';

/** Delays double up to this many steps, then stay flat (bounded number of retry queues). */
const MAX_TIER = 9;

export interface MailTopology {
  exchange: string;
  queue: string;
  dead: string;
  maxAttempts: number;
  /** Retry queue for the n-th failed attempt (1-based): name and delay. */
  retryFor(failedAttempt: number): { queue: string; delayMs: number };
  retryQueues: Array<{ queue: string; delayMs: number }>;
  /** True for a queue name that is one of this topology's retry queues. */
  isRetryQueue(name: string): boolean;
}

export function mailTopology(config: Config): MailTopology {
  const { exchange, queue, maxAttempts, retryBaseMs } = config.mail;
  const retryFor = (failedAttempt: number) => {
    const delayMs = retryBaseMs * 2 ** Math.min(Math.max(failedAttempt, 1) - 1, MAX_TIER);
    return { queue: `${queue}.retry.${delayMs}ms`, delayMs };
  };
  const retryQueues = new Map<string, { queue: string; delayMs: number }>();
  for (let n = 1; n < maxAttempts; n += 1) {
    const r = retryFor(n);
    retryQueues.set(r.queue, r);
  }
  return {
    exchange,
    queue,
    dead: `${queue}.dead`,
    maxAttempts,
    retryFor,
    retryQueues: [...retryQueues.values()],
    isRetryQueue: (name) => name.startsWith(`${queue}.retry.`),
  };
}

type QueueDeclare = Parameters<Connection['queueDeclare']>[0] & object;

export function queueDeclarations(t: MailTopology): QueueDeclare[] {
  return [
    {
      queue: t.queue,
      durable: true,
      // Safety net: anything rejected without requeue lands in the dead-letter queue.
      arguments: { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': t.dead },
    },
    { queue: t.dead, durable: true },
    ...t.retryQueues.map((r) => ({
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

export const MAIL_BINDING = 'mail.#';

/** Declares exchange, queues and binding (idempotent). */
export async function declareMailTopology(rabbit: Connection, t: MailTopology): Promise<void> {
  await rabbit.exchangeDeclare({ exchange: t.exchange, type: 'topic', durable: true });
  for (const q of queueDeclarations(t)) {
    await rabbit.queueDeclare(q);
  }
  await rabbit.queueBind({ exchange: t.exchange, queue: t.queue, routingKey: MAIL_BINDING });
}

/** Deletes every queue of the topology, and the exchange (tests, benchmarks). */
export async function deleteMailTopology(rabbit: Connection, t: MailTopology): Promise<void> {
  for (const q of queueDeclarations(t)) {
    await rabbit.queueDelete({ queue: q.queue }).catch(() => {});
  }
  await rabbit.exchangeDelete({ exchange: t.exchange }).catch(() => {});
}
