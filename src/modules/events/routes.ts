// Which consumer receives which event type: the bindings of every consumer of the pipeline
// (ADR 0009). A type no binding matches would come back unroutable and stay pending in the
// outbox for ever; routes.unit.test.ts fails when a catalogue type has no consumer here.
import type { OutboxType } from '../outbox/catalogue.js';

export const CONSUMER_BINDINGS = {
  mail: ['mail.#'],
  /** The webhooks fan-out (webhooks/fanout.consumer.ts): every domain event. */
  'webhooks-fanout': ['project.#', 'member.#', 'application.#', 'user.#'],
  /** Webhook deliveries (webhooks/delivery.consumer.ts): jobs of the API (ping, redeliver). */
  webhooks: ['webhooks.deliver'],
} as const satisfies Record<string, readonly string[]>;

export type ConsumerName = keyof typeof CONSUMER_BINDINGS;

/** AMQP topic matching: `*` is exactly one word, `#` zero or more. */
export function topicMatches(pattern: string, routingKey: string): boolean {
  const p = pattern.split('.');
  const k = routingKey.split('.');
  const match = (i: number, j: number): boolean => {
    if (i === p.length) {
      return j === k.length;
    }
    if (p[i] === '#') {
      for (let n = j; n <= k.length; n += 1) {
        if (match(i + 1, n)) {
          return true;
        }
      }
      return false;
    }
    return j < k.length && (p[i] === '*' || p[i] === k[j]) && match(i + 1, j + 1);
  };
  return match(0, 0);
}

/** The consumers a type is delivered to. */
export function consumersOf(type: string): ConsumerName[] {
  return (Object.keys(CONSUMER_BINDINGS) as ConsumerName[]).filter((c) =>
    CONSUMER_BINDINGS[c].some((b) => topicMatches(b, type)),
  );
}

/** Internal job types (not public events); keyed by the catalogue so none is forgotten. */
export const INTERNAL_JOB_TYPES: Record<
  Extract<OutboxType, `webhooks.${string}`>,
  { description: string }
> = {
  'webhooks.deliver': { description: 'attempt the listed webhook deliveries' },
};
