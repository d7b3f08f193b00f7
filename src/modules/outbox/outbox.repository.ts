// SQL of the relay. Claiming locks a batch of due rows with FOR UPDATE SKIP LOCKED inside the
// caller's transaction, so several relays share the work without waiting on each other and a
// row is never published by two relays at once (a crash still can: the consumer deduplicates).
import pg from 'pg';
import type { Logger } from 'pino';
import type { OutboxBacklog } from '../../lib/metrics.js';
import { SECRET_PAYLOAD_FIELDS } from './catalogue.js';
import { OUTBOX_CHANNEL } from './outbox.signal.js';
import type {
  FailedPublish,
  OutboxClaim,
  OutboxListener,
  OutboxStore,
  PendingEvent,
} from './outbox.store.js';

export type { FailedPublish, PendingEvent };

interface PendingRow {
  id: string;
  event_id: string;
  type: string;
  payload: unknown;
  attempts: number;
  created_at: Date;
}

const claimSql = (limit: number) =>
  `SELECT id, event_id, type, payload, attempts, created_at
     FROM outbox_events
    WHERE published_at IS NULL AND next_attempt_at <= now()
    ORDER BY next_attempt_at, id
    LIMIT ${Math.max(1, Math.trunc(limit))}
    FOR UPDATE SKIP LOCKED`;

function toPending(rows: PendingRow[]): PendingEvent[] {
  return rows.map((r) => ({
    id: Number(r.id),
    eventId: r.event_id,
    type: r.type,
    payload: r.payload,
    attempts: r.attempts,
    createdAt: r.created_at,
  }));
}

const quote = (v: string) => `'${v.replace(/'/g, "''")}'`;

/**
 * `payload` with the single-use secrets of its type removed: rows are scrubbed in the same
 * statement that marks them published (ADR 0009). Built from constants, not from input.
 */
export const SCRUB_PAYLOAD_SQL = `CASE type ${Object.entries(SECRET_PAYLOAD_FIELDS)
  .map(
    ([type, fields]) =>
      `WHEN ${quote(type)} THEN payload - ARRAY[${(fields ?? []).map(quote).join(',')}]::text[]`,
  )
  .join(' ')} ELSE payload END`;

const idArray = (ids: number[]) => `'{${ids.map((id) => Math.trunc(id)).join(',')}}'::bigint[]`;

export const outboxRepository = {
  /**
   * Opens the relay's transaction and claims up to `limit` due rows in one round trip
   * (BEGIN and the claim sent as one simple-protocol query; the limit is an integer).
   */
  async beginAndClaimDue(client: pg.ClientBase, limit: number): Promise<PendingEvent[]> {
    const results = (await client.query(`BEGIN; ${claimSql(limit)}`)) as unknown as Array<
      pg.QueryResult<PendingRow>
    >;
    return toPending(results[1]?.rows ?? []);
  },

  /** Marks rows published and commits, in one round trip (ids are integers from the claim). */
  async markPublishedAndCommit(client: pg.ClientBase, ids: number[]): Promise<void> {
    if (ids.length === 0) {
      await client.query('COMMIT');
      return;
    }
    await client.query(
      `UPDATE outbox_events SET published_at = now(), last_error = NULL, payload = ${SCRUB_PAYLOAD_SQL} WHERE id = ANY(${idArray(ids)}); COMMIT`,
    );
  },

  async markFailed(client: pg.ClientBase, failures: FailedPublish[]): Promise<void> {
    if (failures.length === 0) {
      return;
    }
    await client.query(
      `UPDATE outbox_events o
          SET attempts = o.attempts + 1,
              last_error = f.error,
              next_attempt_at = now() + f.delay_ms * interval '1 millisecond'
         FROM unnest($1::bigint[], $2::text[], $3::int[]) AS f(id, error, delay_ms)
        WHERE o.id = f.id`,
      [failures.map((f) => f.id), failures.map((f) => f.error), failures.map((f) => f.delayMs)],
    );
  },

  /** Pending rows and the age of the oldest (metrics, health; the partial pending index serves it). */
  async backlog(db: pg.Pool | pg.ClientBase): Promise<OutboxBacklog> {
    const { rows } = await db.query<{ pending: number; age: number }>(
      `SELECT count(*)::int AS pending,
              COALESCE(EXTRACT(EPOCH FROM now() - min(created_at)), 0)::float8 AS age
         FROM outbox_events WHERE published_at IS NULL`,
    );
    const row = rows[0];
    return { pending: row?.pending ?? 0, oldestAgeSeconds: Math.max(0, row?.age ?? 0) };
  },
};

/** How long a lost LISTEN connection waits before it is opened again. */
const LISTEN_RETRY_MS = 1000;

/**
 * The relay's database port on PostgreSQL. A claim is one transaction on a pool connection
 * (BEGIN + claim in one round trip, mark + COMMIT in another); a claim that fails anywhere
 * rolls back and the connection is discarded. `listenUrl`: a dedicated connection LISTENs
 * there for other processes' NOTIFY, re-opened a second after it is lost (null: no LISTEN,
 * e.g. when the caller owns the pool and its database).
 */
export function pgOutboxStore(
  pool: pg.Pool,
  opts: { listenUrl: string | null; log: Logger },
): OutboxStore {
  return {
    async claim(limit: number): Promise<OutboxClaim> {
      const client = await pool.connect();
      let done = false;
      const fail = async (err: unknown): Promise<never> => {
        done = true;
        await client.query('ROLLBACK').catch(() => {});
        client.release(true);
        throw err;
      };
      const rows = await outboxRepository.beginAndClaimDue(client, limit).catch(fail);
      return {
        rows,
        async settle(published, failed) {
          if (done) {
            return;
          }
          try {
            await outboxRepository.markFailed(client, failed);
            await outboxRepository.markPublishedAndCommit(client, published);
          } catch (err) {
            return fail(err);
          }
          done = true;
          client.release();
        },
        async abort() {
          if (!done) {
            await fail(null).catch(() => {});
          }
        },
      };
    },

    listen(listener: OutboxListener): () => Promise<void> {
      const url = opts.listenUrl;
      if (url === null) {
        return async () => {};
      }
      let stopped = false;
      let current: pg.Client | null = null;
      let retryTimer: NodeJS.Timeout | null = null;
      const open = (): void => {
        if (stopped) {
          return;
        }
        const client = new pg.Client({ connectionString: url });
        current = client;
        const retry = (err?: unknown): void => {
          if (current !== client) {
            return;
          }
          current = null;
          client.removeAllListeners('notification');
          client.end().catch(() => {});
          if (err !== undefined) {
            opts.log.warn(
              { err },
              'outbox relay: LISTEN connection lost; polling until it is back',
            );
          }
          if (!stopped) {
            retryTimer = setTimeout(open, LISTEN_RETRY_MS);
          }
        };
        client.on('error', retry);
        client.on('end', () => retry());
        client.on('notification', () => listener.notify());
        client
          .connect()
          .then(() => client.query(`LISTEN ${OUTBOX_CHANNEL}`))
          .then(() => {
            if (current === client) {
              listener.listening();
            }
          })
          .catch(retry);
      };
      open();
      return async () => {
        stopped = true;
        if (retryTimer) {
          clearTimeout(retryTimer);
        }
        const client = current;
        current = null;
        await client?.end().catch(() => {});
      };
    },
  };
}
