// The mail consumer's place in the events pipeline (ADR 0009): its queue binds `mail.#` on the
// events exchange; retry delays double from MAIL_RETRY_BASE_MS up to MAX_TIER steps. Queue
// names derive from MAIL_QUEUE so a test run or a second deployment can use its own set.
//
//   <events exchange> (topic)  --mail.#-->  <queue>  --worker-->  SMTP
//   temporary failure:  worker --> <queue>.retry.<ms>ms (TTL) --dead-letter--> <queue>
//   permanent failure or attempts exhausted:  worker --> <queue>.dead  (npm run dlq)
import type { Connection } from 'rabbitmq-client';
import type { Config } from '../../config.js';
import { CONSUMER_BINDINGS } from '../events/routes.js';
import {
  consumerTopology,
  declareTopology,
  deleteTopology,
  queueDeclarations as topologyQueues,
  type ConsumerTopology,
  type QueueDeclare,
} from '../events/topology.js';

/** Delays double up to this many steps, then stay flat (bounded number of retry queues). */
const MAX_TIER = 9;

export type MailTopology = ConsumerTopology;

export function mailTopology(config: Config): MailTopology {
  const { queue, maxAttempts, retryBaseMs } = config.mail;
  return consumerTopology({
    name: 'mail',
    exchange: config.events.exchange,
    queue,
    bindings: [...CONSUMER_BINDINGS.mail],
    maxAttempts,
    retryDelaysMs: Array.from({ length: MAX_TIER + 1 }, (_, i) => retryBaseMs * 2 ** i),
  });
}

export function queueDeclarations(t: MailTopology): QueueDeclare[] {
  return topologyQueues(t);
}

/** Declares exchange, queues and binding (idempotent). */
export function declareMailTopology(rabbit: Connection, t: MailTopology): Promise<void> {
  return declareTopology(rabbit, t);
}

/** Deletes every queue of the topology, and the exchange (tests, benchmarks). */
export function deleteMailTopology(rabbit: Connection, t: MailTopology): Promise<void> {
  return deleteTopology(rabbit, t, { exchange: true });
}
