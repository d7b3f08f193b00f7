// The outbox relay (issue 3, R1/R2/R3/R5/R10): publishes pending outbox rows to the durable
// topic exchange, routing key = outbox type, message id = event id, persistent, mandatory,
// with publisher confirms; a row is marked published only after the broker's confirm. A
// negative confirm, a missing confirm (timeout), an unroutable return or a broker outage
// leaves the row pending with attempts + 1, last_error and an exponential next_attempt_at.
//
// Woken by LISTEN outbox_events (a trigger notifies at commit) and by a fallback poll. Several
// relays may run at once: rows are claimed with FOR UPDATE SKIP LOCKED.
import pg from 'pg';
import type { Logger } from 'pino';
import { publisherMetrics } from '../../lib/metrics.js';
import type { Broker } from '../events/broker.js';
import { outboxRepository, type FailedPublish, type PendingEvent } from './outbox.repository.js';

export const OUTBOX_CHANNEL = 'outbox_events';
const MAX_BACKOFF_MS = 60_000;

export interface RelayOptions {
  pool: pg.Pool;
  /** A dedicated connection LISTENs on this URL (null: none; the owner calls wake()). */
  databaseUrl: string | null;
  /** RabbitMQ or the embedded transport (the broker port, ADR 0021). */
  broker: Broker;
  exchange: string;
  batchSize: number;
  pollMs: number;
  retryBaseMs: number;
  publishTimeoutMs: number;
  log: Logger;
}

/** Delay before the next attempt after `attempts` failed ones: base·2^(n-1), capped, ±10 %. */
export function relayBackoffMs(attempts: number, baseMs: number): number {
  const raw = Math.min(MAX_BACKOFF_MS, baseMs * 2 ** Math.min(attempts - 1, 20));
  return Math.round(raw * (0.9 + Math.random() * 0.2));
}

class PublishTimeout extends Error {
  constructor(ms: number) {
    super(`no publisher confirm within ${ms} ms`);
  }
}

export class OutboxRelay {
  private running = false;
  private wakeRequested = false;
  private wakeUp: (() => void) | null = null;
  private loop: Promise<void> | null = null;
  private listener: pg.Client | null = null;
  private listenRetry: NodeJS.Timeout | null = null;
  private offConnect: (() => void) | null = null;

  constructor(private readonly o: RelayOptions) {}

  start(): void {
    if (this.running) {
      return;
    }
    this.running = true;
    this.offConnect = this.o.broker.onConnect(() => this.wake());
    this.listen();
    this.loop = this.run();
  }

  /** Finishes the batch in flight, then stops; rows not yet confirmed stay pending. */
  async stop(): Promise<void> {
    if (!this.running) {
      return;
    }
    this.running = false;
    this.offConnect?.();
    this.wake();
    if (this.listenRetry) {
      clearTimeout(this.listenRetry);
    }
    await this.loop;
    const listener = this.listener;
    this.listener = null;
    await listener?.end().catch(() => {});
  }

  /** Called on NOTIFY and on reconnects; tests may call it too. */
  wake(): void {
    this.wakeRequested = true;
    const w = this.wakeUp;
    this.wakeUp = null;
    w?.();
  }

  private listen(): void {
    if (!this.running || this.o.databaseUrl === null) {
      return;
    }
    const client = new pg.Client({ connectionString: this.o.databaseUrl });
    this.listener = client;
    const retry = (err?: unknown) => {
      if (this.listener !== client) {
        return;
      }
      this.listener = null;
      client.removeAllListeners('notification');
      client.end().catch(() => {});
      if (err !== undefined) {
        this.o.log.warn({ err }, 'outbox relay: LISTEN connection lost; polling until it is back');
      }
      if (this.running) {
        this.listenRetry = setTimeout(() => this.listen(), 1000);
      }
    };
    client.on('error', retry);
    client.on('end', () => retry());
    client.on('notification', () => this.wake());
    client
      .connect()
      .then(() => client.query(`LISTEN ${OUTBOX_CHANNEL}`))
      .then(() => this.wake()) // rows inserted while not listening
      .catch(retry);
  }

  private idle(ms: number): Promise<void> {
    if (this.wakeRequested || !this.running) {
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wakeUp = null;
        resolve();
      }, ms);
      this.wakeUp = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  private async run(): Promise<void> {
    while (this.running) {
      this.wakeRequested = false;
      if (!this.o.broker.ready) {
        // Broker down: do not burn attempts on every row; wait for the reconnect (or poll).
        await this.idle(this.o.pollMs);
        continue;
      }
      let handled = 0;
      try {
        handled = await this.runOnce();
      } catch (err) {
        this.o.log.warn({ err }, 'outbox relay: batch failed; will retry');
        this.wakeRequested = false;
        await this.idle(this.o.pollMs);
        continue;
      }
      if (handled < this.o.batchSize) {
        await this.idle(this.o.pollMs);
      }
    }
  }

  /** Claims one batch of due rows and publishes it; returns how many rows it claimed. */
  async runOnce(): Promise<number> {
    const client = await this.o.pool.connect();
    let broken = false;
    try {
      // One round trip to open the transaction and claim, one to mark and commit.
      const rows = await outboxRepository.beginAndClaimDue(client, this.o.batchSize);
      if (rows.length === 0) {
        await client.query('COMMIT');
        return 0;
      }
      const results = await Promise.allSettled(rows.map((r) => this.publish(r)));
      const published: number[] = [];
      const failed: FailedPublish[] = [];
      results.forEach((res, i) => {
        const row = rows[i] as PendingEvent;
        if (res.status === 'fulfilled') {
          published.push(row.id);
        } else {
          const error = res.reason instanceof Error ? res.reason.message : String(res.reason);
          failed.push({
            id: row.id,
            error: error.slice(0, 1000),
            delayMs: relayBackoffMs(row.attempts + 1, this.o.retryBaseMs),
          });
        }
      });
      await outboxRepository.markFailed(client, failed);
      await outboxRepository.markPublishedAndCommit(client, published);
      publisherMetrics.published('outbox', published.length);
      publisherMetrics.failed('outbox', failed.length);
      if (failed.length > 0) {
        this.o.log.warn(
          { failed: failed.length, published: published.length, error: failed[0]?.error },
          'outbox relay: some publishes failed; rows stay pending',
        );
      }
      return rows.length;
    } catch (err) {
      broken = true;
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      client.release(broken);
    }
  }

  private async publish(row: PendingEvent): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new PublishTimeout(this.o.publishTimeoutMs)),
        this.o.publishTimeoutMs,
      );
    });
    // Resolves once the broker holds it durably; rejects when it is unroutable (broker.ts).
    const send = this.o.broker.publish(this.o.exchange, row.type, {
      messageId: row.eventId,
      type: row.type,
      contentType: 'application/json',
      timestamp: Math.floor(row.createdAt.getTime() / 1000),
      body: Buffer.from(JSON.stringify(row.payload)),
    });
    try {
      await Promise.race([send, timeout]);
    } finally {
      clearTimeout(timer);
      send.catch(() => {}); // a late rejection after a timeout is already accounted for
    }
  }
}
