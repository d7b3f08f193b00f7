import type { Executor } from '../../db/client.js';
import type { OutboxMessage } from './catalogue.js';
import { noteOutboxWrite } from './outbox.signal.js';

/** For repositories that write outbox rows in a statement of their own (the wake-up, ADR 0014). */
export { noteOutboxWrite };
import { outboxEvents } from './outbox.table.js';

/**
 * Appends messages to the outbox inside the caller's transaction: they exist if and only if
 * the state change commits (R3). The relay publishes them afterwards; relays are told when the
 * transaction's connection goes back to its pool, i.e. after the commit (outbox.signal.ts).
 */
export async function appendToOutbox(tx: Executor, ...messages: OutboxMessage[]): Promise<void> {
  if (messages.length === 0) {
    return;
  }
  await tx.insert(outboxEvents).values(messages.map((m) => ({ type: m.type, payload: m.payload })));
  noteOutboxWrite(tx);
}
