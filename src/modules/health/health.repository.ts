import type pg from 'pg';
import type { OutboxBacklog } from '../../lib/metrics.js';

interface Queryable {
  query(text: string): Promise<{ rows: unknown[] }>;
}

export const healthRepository = {
  /** Pending outbox rows and the age of the oldest (the partial pending index serves it). */
  async outboxBacklog(db: Queryable | pg.Pool): Promise<OutboxBacklog> {
    const { rows } = await db.query(
      `SELECT count(*)::int AS pending,
              COALESCE(EXTRACT(EPOCH FROM now() - min(created_at)), 0)::float8 AS age
         FROM outbox_events WHERE published_at IS NULL`,
    );
    const row = rows[0] as { pending: number; age: number } | undefined;
    return { pending: row?.pending ?? 0, oldestAgeSeconds: Math.max(0, row?.age ?? 0) };
  },
};
