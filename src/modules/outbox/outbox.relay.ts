// The outbox relay (issue 3, R1/R2/R3/R5/R10): publishes pending outbox rows to the durable
// topic exchange, routing key = outbox type, message id = event id, persistent, mandatory,
// with publisher confirms; a row is marked published only after the broker's confirm. A
// negative confirm, a missing confirm (timeout), an unroutable return or a broker outage
// leaves the row pending with attempts + 1, last_error and an exponential next_attempt_at.
//
// When to claim (ADR 0014; no trigger in the writers' transactions): a full batch claims again
// at once; otherwise the relay waits adaptively — BUSY_POLL_MS while rows arrived within the
// last BUSY_WINDOW_MS, then growing to `pollMs` when idle — and is woken early after a commit
// of this process (outbox.signal.ts) or by `NOTIFY outbox_events` from another process's
// writer (its LISTEN). Wake-ups only shorten a wait: a lost one costs one poll, so nothing
// depends on them. Several relays may run at once: rows are claimed with FOR UPDATE SKIP LOCKED.
import pg from 'pg';
import type { Logger } from 'pino';
import { publisherMetrics } from '../../lib/metrics.js';
import type { Broker } from '../events/broker.js';
import { outboxRepository, type FailedPublish, type PendingEvent } from './outbox.repository.js';
import { OUTBOX_CHANNEL, onOutboxCommit } from './outbox.signal.js';

export { OUTBOX_CHANNEL };
const MAX_BACKOFF_MS = 60_000;
/** Wait after a claim that did not fill a batch while rows keep arriving. */
export const BUSY_POLL_MS = 10;
/** How long after the last rows (or wake-up) the relay keeps polling at BUSY_POLL_MS. */
export const BUSY_WINDOW_MS = 1000;

/**
 * Why the relay claimed: its start, a commit of this process, a NOTIFY, a broker (re)connect,
 * its timer, the previous batch being full, or `wake()` called by its owner.
 */
export type WakeSource = 'start' | 'commit' | 'notify' | 'broker' | 'timer' | 'batch' | 'call';

/** What the relay does, for tests and diagnostics (`observe`). */
export type RelayEvent =
  | { type: 'claim'; source: WakeSource; eventIds: string[] }
  /** `idle`: after a claim; `broker`: while RabbitMQ is unreachable; `error`: after a failed batch. */
  | { type: 'wait'; ms: number; reason: 'idle' | 'broker' | 'error' }
  | { type: 'listening' };

export interface RelayOptions {
  pool: pg.Pool;
  /** A dedicated connection LISTENs on this URL for other processes' NOTIFY (null: none). */
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
  /** A wake-up that arrived while no wait was in progress (the next wait ends at once). */
  private pendingWake: WakeSource | null = null;
  private wakeUp: ((source: WakeSource) => void) | null = null;
  private claimSource: WakeSource = 'start';
  /** When a claim last found rows or a commit was signalled (performance.now()). */
  private lastActivity = -Infinity;
  private readonly observers = new Set<(e: RelayEvent) => void>();
  private stopCommitWatch: (() => void) | null = null;
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
    this.offConnect = this.o.broker.onConnect(() => this.wake('broker'));
    this.stopCommitWatch = onOutboxCommit(() => this.wake('commit'));
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
    this.offConnect = null;
    this.stopCommitWatch?.();
    this.stopCommitWatch = null;
    this.wake();
    if (this.listenRetry) {
      clearTimeout(this.listenRetry);
    }
    await this.loop;
    const listener = this.listener;
    this.listener = null;
    await listener?.end().catch(() => {});
  }

  /** Ends the current wait: called on commits, NOTIFY and reconnects; owners may call it too. */
  wake(source: WakeSource = 'call'): void {
    if (source === 'commit' || source === 'notify') {
      this.lastActivity = performance.now(); // rows were committed: poll briskly for a while
    }
    const w = this.wakeUp;
    this.wakeUp = null;
    if (w) {
      w(source);
    } else {
      this.pendingWake ??= source;
    }
  }

  /** Calls `fn` on every claim and wait of this relay; returns the unsubscribe function. */
  observe(fn: (e: RelayEvent) => void): () => void {
    this.observers.add(fn);
    return () => this.observers.delete(fn);
  }

  private report(e: RelayEvent): void {
    for (const fn of this.observers) {
      fn(e);
    }
  }

  /** The wait after a claim that did not fill a batch: short while busy, `pollMs` when idle. */
  private nextWaitMs(): number {
    const quiet = performance.now() - this.lastActivity;
    if (quiet < BUSY_WINDOW_MS) {
      return Math.min(BUSY_POLL_MS, this.o.pollMs);
    }
    // Doubles from BUSY_POLL_MS as the quiet time grows past the window, up to pollMs.
    return Math.round(Math.min(this.o.pollMs, Math.max(BUSY_POLL_MS, quiet - BUSY_WINDOW_MS)));
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
    client.on('notification', () => this.wake('notify'));
    client
      .connect()
      .then(() => client.query(`LISTEN ${OUTBOX_CHANNEL}`))
      .then(() => {
        this.report({ type: 'listening' });
        this.wake('start'); // rows committed while not listening
      })
      .catch(retry);
  }

  /** Waits `ms` or until woken; resolves with what ended the wait. */
  private idle(ms: number, reason: 'idle' | 'broker' | 'error'): Promise<WakeSource> {
    if (!this.running) {
      return Promise.resolve('call');
    }
    const pending = this.pendingWake;
    if (pending !== null) {
      this.pendingWake = null;
      return Promise.resolve(pending);
    }
    this.report({ type: 'wait', ms, reason });
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wakeUp = null;
        resolve('timer');
      }, ms);
      this.wakeUp = (source) => {
        clearTimeout(timer);
        resolve(source);
      };
    });
  }

  private async run(): Promise<void> {
    let source: WakeSource = 'start';
    while (this.running) {
      if (!this.o.broker.ready) {
        // Broker down: do not burn attempts on every row; wait for the reconnect (or poll).
        source = await this.idle(this.o.pollMs, 'broker');
        continue;
      }
      // The claim below sees every row committed so far: wake-ups until now are covered.
      this.pendingWake = null;
      this.claimSource = source;
      let handled = 0;
      try {
        handled = await this.runOnce();
      } catch (err) {
        this.o.log.warn({ err }, 'outbox relay: batch failed; will retry');
        this.pendingWake = null;
        source = await this.idle(this.o.pollMs, 'error');
        continue;
      }
      if (handled > 0) {
        this.lastActivity = performance.now();
      }
      source = handled >= this.o.batchSize ? 'batch' : await this.idle(this.nextWaitMs(), 'idle');
    }
  }

  /** Claims one batch of due rows and publishes it; returns how many rows it claimed. */
  async runOnce(): Promise<number> {
    const client = await this.o.pool.connect();
    let broken = false;
    try {
      // One round trip to open the transaction and claim, one to mark and commit.
      const rows = await outboxRepository.beginAndClaimDue(client, this.o.batchSize);
      this.report({
        type: 'claim',
        source: this.claimSource,
        eventIds: rows.map((r) => r.eventId),
      });
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
