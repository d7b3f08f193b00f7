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
//
// Side effects go through ports (ADR 0026): the database is an `OutboxStore` (claim, settle,
// listen), the broker a `Broker` (ADR 0021), time a `Clock` — so the relay's decisions are
// unit-tested without the network (outbox.relay.unit.test.ts).
import type { Logger } from 'pino';
import { systemClock, type Clock } from '../../lib/clock.js';
import { publisherMetrics } from '../../lib/metrics.js';
import type { Broker } from '../events/broker.js';
import { OUTBOX_CHANNEL, onOutboxCommit } from './outbox.signal.js';
import type { FailedPublish, OutboxStore, PendingEvent } from './outbox.store.js';

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
  /** The outbox table (PostgreSQL: `pgOutboxStore`, which also LISTENs for other processes). */
  store: OutboxStore;
  /** RabbitMQ or the embedded transport (the broker port, ADR 0021). */
  broker: Broker;
  exchange: string;
  batchSize: number;
  pollMs: number;
  retryBaseMs: number;
  publishTimeoutMs: number;
  log: Logger;
  /** Time and timers (default: the system clock). */
  clock?: Clock;
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
  /** When a claim last found rows or a commit was signalled (clock.now()). */
  private lastActivity = -Infinity;
  private readonly observers = new Set<(e: RelayEvent) => void>();
  private stopCommitWatch: (() => void) | null = null;
  private loop: Promise<void> | null = null;
  private stopListening: (() => Promise<void>) | null = null;
  private offConnect: (() => void) | null = null;
  private readonly clock: Clock;

  constructor(private readonly o: RelayOptions) {
    this.clock = o.clock ?? systemClock;
  }

  start(): void {
    if (this.running) {
      return;
    }
    this.running = true;
    this.offConnect = this.o.broker.onConnect(() => this.wake('broker'));
    this.stopCommitWatch = onOutboxCommit(() => this.wake('commit'));
    this.stopListening = this.o.store.listen({
      notify: () => this.wake('notify'),
      listening: () => {
        this.report({ type: 'listening' });
        this.wake('start'); // rows committed while not listening
      },
    });
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
    const stopListening = this.stopListening;
    this.stopListening = null;
    await this.loop;
    await stopListening?.();
  }

  /** Ends the current wait: called on commits, NOTIFY and reconnects; owners may call it too. */
  wake(source: WakeSource = 'call'): void {
    if (source === 'commit' || source === 'notify') {
      this.lastActivity = this.clock.now(); // rows were committed: poll briskly for a while
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
    const quiet = this.clock.now() - this.lastActivity;
    if (quiet < BUSY_WINDOW_MS) {
      return Math.min(BUSY_POLL_MS, this.o.pollMs);
    }
    // Doubles from BUSY_POLL_MS as the quiet time grows past the window, up to pollMs.
    return Math.round(Math.min(this.o.pollMs, Math.max(BUSY_POLL_MS, quiet - BUSY_WINDOW_MS)));
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
      const cancel = this.clock.setTimer(() => {
        this.wakeUp = null;
        resolve('timer');
      }, ms);
      this.wakeUp = (source) => {
        cancel();
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
        this.lastActivity = this.clock.now();
      }
      source = handled >= this.o.batchSize ? 'batch' : await this.idle(this.nextWaitMs(), 'idle');
    }
  }

  /** Claims one batch of due rows and publishes it; returns how many rows it claimed. */
  async runOnce(): Promise<number> {
    const claim = await this.o.store.claim(this.o.batchSize);
    const rows = claim.rows;
    let published: number[] = [];
    let failed: FailedPublish[] = [];
    try {
      this.report({
        type: 'claim',
        source: this.claimSource,
        eventIds: rows.map((r) => r.eventId),
      });
      if (rows.length > 0) {
        ({ published, failed } = this.outcomes(
          rows,
          await Promise.allSettled(rows.map((r) => this.publish(r))),
        ));
      }
    } catch (err) {
      await claim.abort();
      throw err;
    }
    await claim.settle(published, failed);
    if (rows.length === 0) {
      return 0;
    }
    publisherMetrics.published('outbox', published.length);
    publisherMetrics.failed('outbox', failed.length);
    if (failed.length > 0) {
      this.o.log.warn(
        { failed: failed.length, published: published.length, error: failed[0]?.error },
        'outbox relay: some publishes failed; rows stay pending',
      );
    }
    return rows.length;
  }

  /** Confirmed rows are published; the others wait for their next attempt (backoff). */
  private outcomes(
    rows: PendingEvent[],
    results: PromiseSettledResult<void>[],
  ): { published: number[]; failed: FailedPublish[] } {
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
    return { published, failed };
  }

  private async publish(row: PendingEvent): Promise<void> {
    let cancel = (): void => {};
    const timeout = new Promise<never>((_, reject) => {
      cancel = this.clock.setTimer(
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
      cancel();
      send.catch(() => {}); // a late rejection after a timeout is already accounted for
    }
  }
}
