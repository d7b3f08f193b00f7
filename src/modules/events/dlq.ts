// The RabbitMQ side of the operator tools for the dead-letter queue of any consumer of the
// events pipeline (`npm run dlq -- --consumer NAME list|requeue|purge`; the embedded side:
// embedded-broker.ts). Messages are fetched with basic.get and
// left unacknowledged while we look at them; closing the channel returns the ones we did not
// act on to the queue, in order.
import type { Connection, SyncMessage } from 'rabbitmq-client';
import { describeDeadLetter, requeuedHeaders, type DeadLetter } from './broker.js';
import type { ConsumerTopology } from './topology.js';

export type { DeadLetter };

function describe(msg: SyncMessage): DeadLetter {
  return describeDeadLetter({
    messageId: msg.messageId,
    type: msg.type,
    headers: msg.headers,
    body: msg.body as unknown,
  });
}

/** Walks up to `limit` dead letters; `act` returns true to acknowledge (remove) one. */
async function walk(
  rabbit: Connection,
  t: ConsumerTopology,
  limit: number,
  act: (msg: SyncMessage, d: DeadLetter) => Promise<boolean>,
): Promise<DeadLetter[]> {
  const ch = await rabbit.acquire();
  const seen: DeadLetter[] = [];
  try {
    while (seen.length < limit) {
      const msg = await ch.basicGet({ queue: t.dead });
      if (msg === undefined) {
        break;
      }
      const d = describe(msg);
      if (await act(msg, d)) {
        ch.basicAck({ deliveryTag: msg.deliveryTag });
        seen.push(d);
      } else if (act === keep) {
        seen.push(d);
      }
    }
  } finally {
    await ch.close(); // unacknowledged messages go back to the queue
  }
  return seen;
}

const keep = () => Promise.resolve(false);

export function listDeadLetters(
  rabbit: Connection,
  t: ConsumerTopology,
  limit = 100,
): Promise<DeadLetter[]> {
  return walk(rabbit, t, limit, keep);
}

/**
 * Puts dead letters (all, or the one with `eventId`) back into the consumer's queue with a fresh
 * attempt count. Consumers deduplicate (mails by event id, webhooks by delivery), so a replay never sends twice.
 */
export async function requeueDeadLetters(
  rabbit: Connection,
  t: ConsumerTopology,
  opts: { eventId?: string; limit?: number } = {},
): Promise<DeadLetter[]> {
  const pub = rabbit.createPublisher({ confirm: true });
  try {
    return await walk(rabbit, t, opts.limit ?? 10_000, async (msg, d) => {
      if (opts.eventId !== undefined && d.eventId !== opts.eventId) {
        return false;
      }
      const headers = requeuedHeaders(msg.headers);
      await pub.send(
        {
          exchange: '',
          routingKey: t.queue,
          mandatory: true,
          durable: true,
          messageId: msg.messageId,
          type: msg.type,
          contentType: msg.contentType,
          timestamp: msg.timestamp,
          headers,
        },
        Buffer.isBuffer(msg.body) ? msg.body : Buffer.from(JSON.stringify(msg.body)),
      );
      return true;
    });
  } finally {
    await pub.close();
  }
}

/** Removes dead letters for good (all, or the one with `eventId`). */
export async function purgeDeadLetters(
  rabbit: Connection,
  t: ConsumerTopology,
  opts: { eventId?: string } = {},
): Promise<number> {
  if (opts.eventId === undefined) {
    const r = await rabbit.queuePurge({ queue: t.dead });
    return r.messageCount;
  }
  const removed = await walk(rabbit, t, 100_000, (_m, d) =>
    Promise.resolve(d.eventId === opts.eventId),
  );
  return removed.length;
}
