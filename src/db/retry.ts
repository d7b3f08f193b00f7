import { countConflictRetry } from '../lib/metrics.js';
import { sqlStateOf } from '../lib/sqlstate.js';
import type { Db, Tx } from './client.js';

/** serialization_failure and deadlock_detected: the transaction lost a race, not an error. */
const RETRYABLE = new Set(['40001', '40P01']);

export function isRetryableConflict(err: unknown): boolean {
  const code = sqlStateOf(err);
  return code !== undefined && RETRYABLE.has(code);
}

/**
 * Runs `work` (a whole transaction) again when PostgreSQL aborted it as a serialization
 * failure or a deadlock victim (issue 12): with one lock order these should not happen, but
 * a request must never answer 500 for losing such a race. A short random pause lets the
 * winner commit first; after `attempts` tries the error propagates.
 */
export async function retryOnConflict<T>(work: () => Promise<T>, attempts = 5): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (err) {
      if (attempt >= attempts || !isRetryableConflict(err)) {
        throw err;
      }
      countConflictRetry(sqlStateOf(err) ?? 'unknown');
      await new Promise((r) => setTimeout(r, Math.random() * 10 * attempt));
    }
  }
}

/** `db.transaction(work)`, run again on a serialization failure or deadlock (see above). */
export function transactionWithRetry<T>(db: Db, work: (tx: Tx) => Promise<T>): Promise<T> {
  return retryOnConflict(() => db.transaction(work));
}
