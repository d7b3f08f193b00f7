// How relays hear about new outbox rows without a trigger in the writers' transactions
// (ADR 0014). The writer marks the connection its transaction runs on (`noteOutboxWrite`);
// the pool tells us when that connection comes back, which drizzle does right after COMMIT
// (or ROLLBACK) — so the signal is raised after the commit, never inside it (R3). Then:
// - relays in this process are woken at once (`onOutboxCommit`: API and worker in one
//   process, the embedded mode, tests);
// - with `notify`, one coalesced `NOTIFY outbox_events` goes out on a connection of its own,
//   outside every writer's transaction, for relays in other processes (their LISTEN).
// A lost wake-up (a process that ended between its commit and the NOTIFY, a relay whose LISTEN
// connection is being re-opened) costs one of the relay's adaptive polls, nothing else:
// relays never depend on being woken, and an early one only finds nothing yet.
import type pg from 'pg';

export const OUTBOX_CHANNEL = 'outbox_events';
/** Most one NOTIFY per this many milliseconds from one process, whatever the commit rate. */
const NOTIFY_SPACING_MS = 5;

/** Connections whose open transaction wrote outbox rows. */
const written = new WeakSet<object>();
const listeners = new Set<() => void>();
/** The NOTIFY senders of the watched pools. */
const notifiers = new Set<() => void>();

let scheduled = false;
/**
 * Wakes this process's relays and lets the other processes' relays know — on the next turn
 * of the event loop, once per turn: the request whose commit this was has written its
 * response by then, so the wake-up costs it nothing (nor does it make a request that wrote a
 * mail slower than one that did not: account-mail.integration.test.ts times both).
 */
function committed(): void {
  if (scheduled) {
    return;
  }
  scheduled = true;
  setImmediate(() => {
    scheduled = false;
    for (const fn of listeners) {
      fn();
    }
    for (const send of notifiers) {
      send();
    }
  });
}

/**
 * Called by the outbox writer after it appended rows through `executor`. A drizzle
 * transaction: its connection is marked and the signal waits for the connection to come back
 * to the pool. Anything else (the pool itself): the insert has committed already.
 */
export function noteOutboxWrite(executor: unknown): void {
  // drizzle's node-postgres transaction keeps its pool client at `session.client`. Should
  // that ever change, the signal goes out at once, before the commit: the relay's claim then
  // finds nothing yet and its short busy poll finds the row a moment later.
  const client = (executor as { session?: { client?: unknown } } | null)?.session?.client;
  if (typeof client === 'object' && client !== null && 'release' in client) {
    written.add(client);
  } else {
    committed();
  }
}

/** `fn` runs after a transaction of this process that wrote outbox rows has ended. */
export function onOutboxCommit(fn: () => void): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

export interface OutboxCommitWatch {
  /** Stops watching; a NOTIFY in flight is left to finish. */
  stop(): void;
}

/**
 * Watches `pool` for the end of transactions that wrote outbox rows. `notify`: also send
 * `NOTIFY outbox_events` (coalesced) through the pool for relays of other processes.
 */
export function watchOutboxCommits(pool: pg.Pool, opts: { notify: boolean }): OutboxCommitWatch {
  let stopped = false;
  let sending = false;
  let again = false;
  const send = (): void => {
    if (stopped) {
      return;
    }
    if (sending) {
      again = true;
      return;
    }
    sending = true;
    again = false;
    pool
      .query(`NOTIFY ${OUTBOX_CHANNEL}`)
      .catch(() => {}) // the relays' polls cover a lost notification
      .finally(() => {
        setTimeout(() => {
          sending = false;
          if (again) {
            send();
          }
        }, NOTIFY_SPACING_MS).unref();
      });
  };
  const onRelease = (_err: Error | undefined, client: object): void => {
    if (written.delete(client)) {
      committed();
    }
  };
  pool.on('release', onRelease);
  if (opts.notify) {
    notifiers.add(send);
  }
  return {
    stop: () => {
      stopped = true;
      pool.off('release', onRelease);
      notifiers.delete(send);
    },
  };
}
