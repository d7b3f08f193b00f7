// ADR 0014's measurement: outbox inserts committed per second by 20 connections, with the
// old statement-level NOTIFY trigger (migration 0004), without it (0007), and without it but
// with this process's coalesced NOTIFY after each commit (what the API does now),
// alternately in one run on a database of its own. `npx tsx bench/outbox-commits.ts [-- --seconds 5]`.
import { parseArgs } from 'node:util';
import pg from 'pg';
import { noteOutboxWrite, watchOutboxCommits } from '../src/modules/outbox/outbox.signal.js';
import { createTestDatabase } from '../test/helpers/database.js';

const { values } = parseArgs({
  options: { seconds: { type: 'string', default: '5' }, rounds: { type: 'string', default: '2' } },
});
const seconds = Number(values.seconds);
const CONNECTIONS = 20;

const TRIGGER = `
CREATE OR REPLACE FUNCTION outbox_events_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN PERFORM pg_notify('outbox_events', ''); RETURN NULL; END; $$;
CREATE TRIGGER outbox_events_notify_after_insert AFTER INSERT ON outbox_events
FOR EACH STATEMENT EXECUTE FUNCTION outbox_events_notify();`;
const NO_TRIGGER = `
DROP TRIGGER IF EXISTS outbox_events_notify_after_insert ON outbox_events;
DROP FUNCTION IF EXISTS outbox_events_notify();`;

async function round(
  pool: pg.Pool,
  signal: boolean,
): Promise<{ perSecond: number; p99Ms: number }> {
  const watch = signal ? watchOutboxCommits(pool, { notify: true }) : undefined;
  const until = performance.now() + seconds * 1000;
  const ms: number[] = [];
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async (_, c) => {
      let i = 0;
      while (performance.now() < until) {
        const t0 = performance.now();
        await pool.query(`INSERT INTO outbox_events (type, payload) VALUES ('mail.welcome', $1)`, [
          JSON.stringify({ v: 1, user_id: 1, username: `c${c}_${i}`, email: `c${c}_${i}@x.test` }),
        ]);
        if (signal) {
          noteOutboxWrite(pool); // committed: one coalesced NOTIFY follows
        }
        ms.push(performance.now() - t0);
        i += 1;
      }
    }),
  );
  watch?.stop();
  ms.sort((a, b) => a - b);
  return {
    perSecond: Math.round(ms.length / seconds),
    p99Ms: Math.round(ms[Math.ceil(ms.length * 0.99) - 1] ?? NaN),
  };
}

const db = await createTestDatabase();
const pool = new pg.Pool({ connectionString: db.url, max: CONNECTIONS + 1 });
pool.on('error', () => {}); // the drop below ends idle connections
try {
  const rows: Array<Record<string, string | number>> = [];
  for (let r = 0; r < Number(values.rounds); r += 1) {
    for (const [variant, sql, signal] of [
      ['NOTIFY trigger (migration 0004)', TRIGGER, false],
      ['no trigger, no NOTIFY', NO_TRIGGER, false],
      ['no trigger, NOTIFY after commit (now)', NO_TRIGGER, true],
    ] as const) {
      await pool.query(NO_TRIGGER);
      await pool.query(sql);
      await pool.query('TRUNCATE outbox_events');
      rows.push({ round: r + 1, variant, ...(await round(pool, signal)) });
    }
  }
  console.table(rows);
} finally {
  await pool.end();
  await db.drop();
}
