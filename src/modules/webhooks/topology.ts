// The two consumers webhooks add to the events pipeline (ADR 0010):
//   webhooks-fanout  <queue>.events  binds every domain event; writes one delivery per
//                    matching subscription and publishes one job per delivery;
//   webhooks         <queue>         one job = one delivery attempt; retried on the Standard
//                    Webhooks schedule (scaled by WEBHOOK_RETRY_SCALE), then <queue>.dead.
import type { Config } from '../../config.js';
import { CONSUMER_BINDINGS } from '../events/routes.js';
import { consumerTopology, type ConsumerTopology } from '../events/topology.js';

const S = 1000;
const M = 60 * S;
const H = 60 * M;
/** Standard Webhooks: immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h. */
export const WEBHOOK_SCHEDULE_MS = [
  0,
  5 * S,
  5 * M,
  30 * M,
  2 * H,
  5 * H,
  10 * H,
  14 * H,
  20 * H,
  24 * H,
];

export function deliveryTopology(config: Config): ConsumerTopology {
  const { queue, retryScale, maxAttempts } = config.webhooks;
  return consumerTopology({
    name: 'webhooks',
    exchange: config.events.exchange,
    queue,
    bindings: [...CONSUMER_BINDINGS.webhooks],
    maxAttempts,
    // A job deferred because its subscription has enough attempts in flight comes back soon.
    deferMs: 200,
    retryDelaysMs: WEBHOOK_SCHEDULE_MS.slice(1).map((d) => Math.max(1, Math.round(d * retryScale))),
  });
}

export function fanoutTopology(config: Config): ConsumerTopology {
  return consumerTopology({
    name: 'webhooks-fanout',
    exchange: config.events.exchange,
    queue: `${config.webhooks.queue}.events`,
    bindings: [...CONSUMER_BINDINGS['webhooks-fanout']],
    // Only the database can fail here: a few quick retries, then minutes.
    maxAttempts: 10,
    retryDelaysMs: [S, 5 * S, 30 * S, 2 * M, 10 * M].map((d) =>
      Math.max(1, Math.round(d * Math.min(1, config.webhooks.retryScale * 100))),
    ),
  });
}
