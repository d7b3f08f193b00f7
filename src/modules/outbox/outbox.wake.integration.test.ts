// How the relay is woken without a trigger in the writers' transactions (ADR 0014), against
// real PostgreSQL and RabbitMQ. Each test starts a relay of its own whose idle timer is an
// hour, so a row claimed within the test was claimed because something woke the relay; the
// relay's `observe` hook says what (its wake source), which is what these tests assert.
// R3: a row is never claimed before its transaction commits.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import pino from 'pino';
import type { Connection } from 'rabbitmq-client';
import { startTestApp, type TestApp } from '../../../test/helpers/app.js';
import {
  adminConnection,
  deleteTestTopology,
  eventually,
  mailTestEnv,
} from '../../../test/helpers/worker.js';
import { startWorker, type Worker } from '../../worker.js';
import { declareMailTopology, mailTopology } from '../mail/topology.js';
import { BUSY_POLL_MS, type OutboxRelay, type RelayEvent } from './outbox.relay.js';
import { OUTBOX_CHANNEL } from './outbox.signal.js';
import { appendToOutbox } from './outbox.writer.js';

const HOUR = 3_600_000;
let t: TestApp;
let admin: Connection;
const workers: Worker[] = [];

interface Relay {
  relay: OutboxRelay;
  events: RelayEvent[];
  close(): Promise<void>;
}

/** A relay-only worker with its own idle timer and batch size, its events recorded. */
async function startRelay(pollMs: number, batchSize = 200): Promise<Relay> {
  const config = {
    ...t.config,
    outbox: { ...t.config.outbox, pollMs, batchSize },
  };
  const worker = await startWorker(config, { roles: ['relay'], log: pino({ level: 'silent' }) });
  workers.push(worker);
  const relay = worker.relay!;
  const events: RelayEvent[] = [];
  relay.observe((e) => events.push(e));
  return { relay, events, close: () => worker.close() };
}

/** Resolves once the relay listens, has the broker and is waiting on its idle timer of `ms`. */
function idleOn(r: Relay, ms: number) {
  return eventually(
    async () => {
      const last = r.events[r.events.length - 1];
      return (
        r.events.some((e) => e.type === 'listening') &&
        last?.type === 'wait' &&
        last.reason === 'idle' &&
        last.ms === ms
      );
    },
    10_000,
    `relay idle on its ${ms} ms timer`,
  );
}

const claimsOf = (r: Relay, eventId: string) =>
  r.events.filter(
    (e): e is Extract<RelayEvent, { type: 'claim' }> =>
      e.type === 'claim' && e.eventIds.includes(eventId),
  );

async function eventIdFor(email: string): Promise<string> {
  const { rows } = await t.database.pool.query<{ event_id: string }>(
    `SELECT event_id FROM outbox_events WHERE payload->>'email' = $1`,
    [email],
  );
  assert.equal(rows.length, 1);
  return rows[0]!.event_id;
}

const publishedAt = async (eventId: string) =>
  (
    await t.database.pool.query<{ published_at: Date | null }>(
      'SELECT published_at FROM outbox_events WHERE event_id = $1',
      [eventId],
    )
  ).rows[0]?.published_at ?? null;

const welcome = (email: string) => ({
  type: 'mail.welcome' as const,
  payload: { v: 1 as const, user_id: 1, username: email.split('@')[0]!, email },
});

before(async () => {
  t = await startTestApp(mailTestEnv());
  admin = adminConnection();
  // A queue bound to the mail types: the relay's publishes are routable and confirmed.
  await declareMailTopology(admin, mailTopology(t.config));
});

after(async () => {
  for (const w of workers) {
    await w.close().catch(() => {});
  }
  await deleteTestTopology(t.config).catch(() => {});
  await admin?.close().catch(() => {});
  await t?.close().catch(() => {});
});

describe('outbox relay wake-up (ADR 0014)', () => {
  test('the NOTIFY trigger is gone: writers commit without touching the notification queue', async () => {
    const { rows } = await t.database.pool.query(
      `SELECT tgname FROM pg_trigger WHERE tgrelid = 'outbox_events'::regclass AND NOT tgisinternal`,
    );
    assert.deepEqual(rows, []);
    const fn = await t.database.pool.query(
      `SELECT 1 FROM pg_proc WHERE proname = 'outbox_events_notify'`,
    );
    assert.equal(fn.rowCount, 0);
  });

  test('a commit in this process wakes the idle relay, which claims and publishes the row', async () => {
    const r = await startRelay(HOUR);
    try {
      await idleOn(r, HOUR);
      const email = `commit_${randomUUID()}@example.com`;
      await t.database.db.transaction((tx) => appendToOutbox(tx, welcome(email)));
      const eventId = await eventIdFor(email);
      await eventually(async () => (await publishedAt(eventId)) !== null, 10_000, 'published');
      assert.deepEqual(
        claimsOf(r, eventId).map((c) => c.source),
        ['commit'],
        'claimed once, because of the commit (the idle timer is an hour)',
      );
    } finally {
      await r.close();
    }
  });

  test('R3: an open transaction wakes nobody and its row is not claimed; its commit wakes the relay and sends one NOTIFY', async () => {
    const r = await startRelay(HOUR);
    const listener = new pg.Client({ connectionString: t.config.databaseUrl });
    const notified: number[] = [];
    listener.on('notification', (n) => n.channel === OUTBOX_CHANNEL && notified.push(n.processId));
    await listener.connect();
    await listener.query(`LISTEN ${OUTBOX_CHANNEL}`);
    let commit!: () => void;
    const gate = new Promise<void>((resolve) => (commit = resolve));
    const email = `open_${randomUUID()}@example.com`;
    let inserted!: () => void;
    const insertedNow = new Promise<void>((resolve) => (inserted = resolve));
    try {
      await idleOn(r, HOUR);
      const tx = t.database.db.transaction(async (tx) => {
        await appendToOutbox(tx, welcome(email));
        inserted();
        await gate;
      });
      await insertedNow;
      // Other connections come and go meanwhile, and the relay is woken and claims.
      await t.database.pool.query('SELECT 1');
      const before = r.events.length;
      r.relay.wake();
      await eventually(
        async () => r.events.slice(before).some((e) => e.type === 'wait' && e.ms > BUSY_POLL_MS),
        10_000,
        'the woken relay claimed and went back to waiting',
      );
      assert.ok(
        r.events.slice(before).some((e) => e.type === 'claim' && e.source === 'call'),
        'the relay did claim while the transaction was open',
      );
      assert.equal(notified.length, 0, 'no NOTIFY while the writer is inside its transaction');
      commit();
      await tx;
      const eventId = await eventIdFor(email);
      await eventually(async () => (await publishedAt(eventId)) !== null, 10_000, 'published');
      assert.deepEqual(
        claimsOf(r, eventId).map((c) => c.source),
        ['commit'],
      );
      await eventually(async () => notified.length > 0, 5000, 'a NOTIFY after the commit');
    } finally {
      commit();
      await listener.end().catch(() => {});
      await r.close();
    }
  });

  test("another process's NOTIFY wakes the relay through its LISTEN", async () => {
    const r = await startRelay(HOUR);
    const other = new pg.Client({ connectionString: t.config.databaseUrl });
    await other.connect();
    try {
      await idleOn(r, HOUR);
      // A writer elsewhere: its row (committed, no signal in this process) and its NOTIFY.
      const eventId = randomUUID();
      const email = `elsewhere_${randomUUID()}@example.com`;
      await other.query(
        `INSERT INTO outbox_events (event_id, type, payload) VALUES ($1, 'mail.welcome', $2)`,
        [eventId, JSON.stringify(welcome(email).payload)],
      );
      assert.equal(claimsOf(r, eventId).length, 0);
      await other.query(`NOTIFY ${OUTBOX_CHANNEL}`);
      await eventually(async () => (await publishedAt(eventId)) !== null, 10_000, 'published');
      assert.deepEqual(
        claimsOf(r, eventId).map((c) => c.source),
        ['notify'],
      );
    } finally {
      await other.end().catch(() => {});
      await r.close();
    }
  });

  test('a full batch claims again at once; then short waits while busy, growing to the idle timer', async () => {
    const pollMs = 400;
    const r = await startRelay(pollMs, 2);
    try {
      await idleOn(r, pollMs);
      const emails = Array.from({ length: 5 }, () => `batch_${randomUUID()}@example.com`);
      const from = r.events.length;
      await t.database.db.transaction((tx) => appendToOutbox(tx, ...emails.map(welcome)));
      // Claims of 2, 2 and 1 row; then the waits grow back to the idle timer.
      await eventually(
        async () =>
          r.events
            .slice(from)
            .some((e) => e.type === 'wait' && e.reason === 'idle' && e.ms === pollMs),
        15_000,
        'back on the idle timer',
      );
      const after = r.events.slice(from);
      const claims = after.filter(
        (e): e is Extract<RelayEvent, { type: 'claim' }> =>
          e.type === 'claim' && e.eventIds.length > 0,
      );
      assert.deepEqual(
        claims.map((c) => [c.source, c.eventIds.length]),
        [
          ['commit', 2],
          ['batch', 2],
          ['batch', 1],
        ],
      );
      const waits = after.flatMap((e) => (e.type === 'wait' && e.reason === 'idle' ? [e.ms] : []));
      assert.equal(waits[0], BUSY_POLL_MS, 'a short wait right after the rows');
      assert.ok(
        waits.every((ms, i) => i === 0 || ms >= waits[i - 1]!),
        `waits grow: ${waits.join(', ')}`,
      );
      assert.equal(waits[waits.length - 1], pollMs);
      for (const email of emails) {
        const eventId = await eventIdFor(email);
        await eventually(async () => (await publishedAt(eventId)) !== null, 5000, 'published');
      }
    } finally {
      await r.close();
    }
  });
});
