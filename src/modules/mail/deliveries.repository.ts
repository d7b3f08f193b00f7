// The idempotent-consumer record (mail_deliveries). The worker inserts the event ids of a batch
// in a transaction before sending and commits after the SMTP server accepted the mails: a
// duplicate of the same event waits on that row lock and then sees it, so it is never sent
// twice (R5); a failed send deletes its row in the same transaction (as if never claimed) so
// the retry can send. See delivery-batcher.ts and ADR 0004. `pgMailDeliveryStore` is the
// consumer's port (deliveries.store.ts, ADR 0029) over these two statements.
import type pg from 'pg';
import type {
  DeliveryClaim,
  MailDeliveryBatch,
  MailDeliveryStore,
  SentMail,
} from './deliveries.store.js';

export type { DeliveryClaim };

/** `ARRAY[...]::<type>[]` of escaped literals, for the one-round-trip statements below. */
function literalArray(client: pg.ClientBase, values: string[], type: string): string {
  return values.length === 0
    ? `'{}'::${type}[]`
    : `ARRAY[${values.map((v) => client.escapeLiteral(v)).join(',')}]::${type}[]`;
}

export const deliveriesRepository = {
  /**
   * Opens the batch's transaction and claims its event ids in one round trip (a
   * simple-protocol query, so the values travel as escaped literals), in event id order so
   * concurrent batches lock alike. Returns the ids claimed now; an id missing from the result
   * was sent already (its row is committed).
   */
  async beginAndClaimMany(client: pg.ClientBase, claims: DeliveryClaim[]): Promise<Set<string>> {
    const results = (await client.query(
      `BEGIN;
       INSERT INTO mail_deliveries (event_id, type, recipient)
       SELECT c.event_id, c.type, c.recipient
         FROM unnest(${literalArray(
           client,
           claims.map((c) => c.eventId),
           'uuid',
         )}, ${literalArray(
           client,
           claims.map((c) => c.type.slice(0, 100)),
           'text',
         )}, ${literalArray(
           client,
           claims.map((c) => c.recipient.slice(0, 320)),
           'text',
         )}) AS c(event_id, type, recipient)
        ORDER BY c.event_id
       ON CONFLICT (event_id) DO NOTHING
       RETURNING event_id`,
    )) as unknown as Array<pg.QueryResult<{ event_id: string }>>;
    return new Set((results[1]?.rows ?? []).map((r) => String(r.event_id).toLowerCase()));
  },

  /**
   * Records the SMTP ids of the sent mails, deletes the claims of the failed ones (as if never
   * inserted: this transaction inserted them) and commits, in one round trip.
   */
  async settleAndCommit(
    client: pg.ClientBase,
    sent: SentMail[],
    failedIds: string[],
  ): Promise<void> {
    if (sent.length === 0 && failedIds.length === 0) {
      await client.query('COMMIT');
      return;
    }
    await client.query(
      `WITH released AS (
         DELETE FROM mail_deliveries WHERE event_id = ANY(${literalArray(client, failedIds, 'uuid')})
       )
       UPDATE mail_deliveries d
          SET smtp_message_id = s.smtp_message_id
         FROM unnest(${literalArray(
           client,
           sent.map((x) => x.eventId),
           'uuid',
         )}, ${literalArray(
           client,
           sent.map((x) => x.smtpMessageId),
           'text',
         )}) AS s(event_id, smtp_message_id)
        WHERE d.event_id = s.event_id;
       COMMIT`,
    );
  },
};

/**
 * The port on a pool: a batch is one transaction on one connection, from the claim (BEGIN
 * travels with it) to the settle (COMMIT travels with it), so a duplicate in another worker
 * waits on the uncommitted rows. A statement that fails rolls back and discards the
 * connection (its state is unknown).
 */
export function pgMailDeliveryStore(pool: pg.Pool): MailDeliveryStore {
  const fail = async (client: pg.PoolClient, error: unknown): Promise<never> => {
    await client.query('ROLLBACK').catch(() => {});
    client.release(true);
    throw error;
  };
  return {
    async claim(claims): Promise<MailDeliveryBatch> {
      const client = await pool.connect();
      let claimed: Set<string>;
      try {
        claimed = await deliveriesRepository.beginAndClaimMany(client, claims);
      } catch (error) {
        return fail(client, error);
      }
      let settled = false;
      return {
        claimed,
        async settle(sent, failedIds) {
          if (settled) {
            throw new Error('this mail delivery batch is settled already');
          }
          settled = true;
          try {
            await deliveriesRepository.settleAndCommit(client, sent, failedIds);
          } catch (error) {
            return fail(client, error);
          }
          client.release();
        },
      };
    },
  };
}
