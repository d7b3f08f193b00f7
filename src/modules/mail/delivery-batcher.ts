// Group commit for the idempotent consumer (P5). Mails that arrive together share one
// mail_deliveries transaction instead of one each:
//
//   BEGIN; INSERT the batch's event ids ON CONFLICT DO NOTHING RETURNING (the claim);
//   send every claimed mail through the SMTP pool, concurrently;
//   record the SMTP ids of the sent ones and DELETE the claims of the failed ones; COMMIT;
//   then each handler acks (or schedules its retry).
// That is two database round trips per batch (BEGIN travels with the claim, COMMIT with the
// settle), where one transaction per mail took four per mail.
//
// The protocol per mail is the one ADR 0004 describes (claim held uncommitted across the send,
// commit after the SMTP server accepted, ack after the commit); batching only changes how many
// mails share a transaction. Deleting a row inserted by the same open transaction is the
// same as never having inserted it: a duplicate waiting on that key in another worker then
// claims it and sends. Claims are inserted in event id order, so two batches holding the same
// duplicates lock them in the same order (no deadlock). A copy of an event id already in a
// batch of this process waits in JS for that batch to finish instead of blocking a whole
// batch on the row lock.
//
// Batches form by themselves: a mail is claimed at once when fewer than `maxBatches`
// batches are in flight (at 50 mails/s that is a batch of one, no added latency); under load,
// mails queue while the batches in flight send, and the next batch takes up to `maxBatch`.
// The batcher reaches mail_deliveries only through its port (deliveries.store.ts, ADR 0029):
// PostgreSQL in production, an in-memory store in the unit tests.
import type { MailDeliveryBatch, MailDeliveryStore, SentMail } from './deliveries.store.js';

/** Batches (each one database connection) a worker runs at once for its mails in flight. */
export function batchesInFlight(mailsInFlight: number, batchSize: number): number {
  return Math.max(2, Math.ceil(mailsInFlight / batchSize));
}

export interface DeliveryItem {
  eventId: string;
  type: string;
  recipient: string;
  /** Sends the mail (called only once the event id is claimed); resolves with the SMTP id. */
  send: () => Promise<{ messageId: string }>;
}

export type DeliveryResult =
  | { status: 'sent' }
  | { status: 'duplicate' }
  | { status: 'send_failed'; error: unknown }
  | { status: 'db_failed'; error: unknown };

interface Entry {
  item: DeliveryItem;
  id: string;
  resolve: (r: DeliveryResult) => void;
}

export class DeliveryBatcher {
  private queue: Entry[] = [];
  private inFlight = 0;
  private readonly claimedHere = new Set<string>();
  private scheduled = false;

  constructor(
    private readonly store: MailDeliveryStore,
    private readonly maxBatch: number,
    private readonly maxBatches: number,
  ) {}

  submit(item: DeliveryItem): Promise<DeliveryResult> {
    return new Promise((resolve) => {
      this.queue.push({ item, id: item.eventId.toLowerCase(), resolve });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight >= this.maxBatches || this.queue.length === 0) {
      return;
    }
    this.scheduled = true;
    // One macrotask later: mails delivered in the same burst join the same batch.
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    while (this.inFlight < this.maxBatches && this.queue.length > 0) {
      const batch: Entry[] = [];
      const rest: Entry[] = [];
      const ids = new Set<string>();
      for (const e of this.queue) {
        if (batch.length < this.maxBatch && !ids.has(e.id) && !this.claimedHere.has(e.id)) {
          batch.push(e);
          ids.add(e.id);
        } else {
          rest.push(e);
        }
      }
      if (batch.length === 0) {
        return; // only copies of event ids in flight: they go once those batches finish
      }
      this.queue = rest;
      this.inFlight += 1;
      for (const id of ids) {
        this.claimedHere.add(id);
      }
      void this.run(batch).finally(() => {
        this.inFlight -= 1;
        for (const id of ids) {
          this.claimedHere.delete(id);
        }
        this.schedule();
      });
    }
  }

  private async run(batch: Entry[]): Promise<void> {
    let claim: MailDeliveryBatch;
    try {
      // Waits while another worker holds one of these event ids; a committed one is not
      // claimed: that mail was sent already.
      claim = await this.store.claim(
        batch.map((e) => ({ eventId: e.id, type: e.item.type, recipient: e.item.recipient })),
      );
    } catch (error) {
      for (const e of batch) {
        e.resolve({ status: 'db_failed', error });
      }
      return;
    }
    const toSend: Entry[] = [];
    for (const e of batch) {
      if (claim.claimed.has(e.id)) {
        toSend.push(e);
      } else {
        e.resolve({ status: 'duplicate' }); // the other copy's record is durable
      }
    }
    // `async` turns a sender that throws at once into a failed send, so the batch always settles.
    const results = await Promise.allSettled(toSend.map(async (e) => e.item.send()));
    const sent: SentMail[] = [];
    const failed: string[] = [];
    const settled = new Map<Entry, DeliveryResult>();
    results.forEach((r, i) => {
      const e = toSend[i] as Entry;
      if (r.status === 'fulfilled') {
        sent.push({ eventId: e.id, smtpMessageId: r.value.messageId });
        settled.set(e, { status: 'sent' });
      } else {
        failed.push(e.id);
        settled.set(e, { status: 'send_failed', error: r.reason });
      }
    });
    try {
      // R6 window: these mails are out; if the process dies before the settle, they are
      // redelivered and sent again.
      await claim.settle(sent, failed);
    } catch (error) {
      for (const e of toSend) {
        e.resolve({ status: 'db_failed', error });
      }
      return;
    }
    for (const [e, r] of settled) {
      e.resolve(r);
    }
  }
}
