import type { Executor } from '../../db/client.js';
import type { OutboxMessage } from './catalogue.js';
import { outboxEvents } from './outbox.table.js';

/**
 * Appends messages to the outbox inside the caller's transaction: they exist if and only if
 * the state change commits (R3). The relay publishes them afterwards.
 */
export async function appendToOutbox(tx: Executor, ...messages: OutboxMessage[]): Promise<void> {
  if (messages.length === 0) {
    return;
  }
  await tx.insert(outboxEvents).values(messages.map((m) => ({ type: m.type, payload: m.payload })));
}
