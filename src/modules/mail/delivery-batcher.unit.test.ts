// Unit tests of the mail group commit (P5) without a database or SMTP server: the pool and the
// two statements are fakes that record what the batcher asks for, so each test asserts how
// mails were grouped into batches and what each submitter was told. Batches form by size
// (maxBatch) and by the macrotask boundary — there is no timer — so the waits here are the
// submitters' own results, never a clock.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type pg from 'pg';
import {
  batchesInFlight,
  DeliveryBatcher,
  type DeliveryItem,
  type DeliveryStore,
} from './delivery-batcher.js';

interface Fake {
  pool: pg.Pool;
  store: DeliveryStore;
  /** The event ids of each claim, in the order the batches were claimed. */
  claims: string[][];
  settles: Array<{ sent: Array<{ eventId: string; smtpMessageId: string }>; failed: string[] }>;
  queries: string[];
  released: boolean[];
}

function fake(
  opts: {
    connect?: () => Promise<void>;
    /** Which ids of a claim are taken now (default all); may wait to hold a batch open. */
    claim?: (ids: string[]) => Promise<string[]> | string[];
    settle?: () => Promise<void>;
  } = {},
): Fake {
  const f: Fake = {
    claims: [],
    settles: [],
    queries: [],
    released: [],
    pool: undefined as unknown as pg.Pool,
    store: undefined as unknown as DeliveryStore,
  };
  const client = {
    query: async (sql: string) => {
      f.queries.push(sql);
      return { rows: [] };
    },
    release: (broken?: boolean) => {
      f.released.push(broken === true);
    },
  };
  f.pool = {
    connect: async () => {
      await opts.connect?.();
      return client;
    },
  } as unknown as pg.Pool;
  f.store = {
    beginAndClaimMany: async (_client, claims) => {
      const ids = claims.map((c) => c.eventId);
      f.claims.push(ids);
      return new Set(opts.claim ? await opts.claim(ids) : ids);
    },
    settleAndCommit: async (_client, sent, failed) => {
      f.settles.push({ sent, failed });
      await opts.settle?.();
    },
  };
  return f;
}

const ID = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

function item(n: number, send?: () => Promise<{ messageId: string }>): DeliveryItem {
  return {
    eventId: ID(n),
    type: 'user.registered',
    recipient: `u${n}@example.test`,
    send: send ?? (async () => ({ messageId: `<m${n}@smtp>` })),
  };
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('DeliveryBatcher', () => {
  it('mails submitted in one burst share one transaction: one claim, one settle', async () => {
    const f = fake();
    const b = new DeliveryBatcher(f.pool, 10, 2, f.store);
    const results = await Promise.all([1, 2, 3].map((n) => b.submit(item(n))));
    assert.deepEqual(results, [{ status: 'sent' }, { status: 'sent' }, { status: 'sent' }]);
    assert.deepEqual(f.claims, [[ID(1), ID(2), ID(3)]]);
    assert.deepEqual(f.settles, [
      {
        sent: [1, 2, 3].map((n) => ({ eventId: ID(n), smtpMessageId: `<m${n}@smtp>` })),
        failed: [],
      },
    ]);
    assert.deepEqual(f.released, [false]);
  });

  it('a lone mail goes at once as a batch of one (no waiting for company)', async () => {
    const f = fake();
    const b = new DeliveryBatcher(f.pool, 50, 2, f.store);
    assert.deepEqual(await b.submit(item(1)), { status: 'sent' });
    assert.deepEqual(f.claims, [[ID(1)]]);
  });

  it('flushes on size: a burst larger than maxBatch is cut into batches of maxBatch', async () => {
    const f = fake();
    const b = new DeliveryBatcher(f.pool, 2, 1, f.store);
    const results = await Promise.all([1, 2, 3, 4, 5].map((n) => b.submit(item(n))));
    assert.ok(results.every((r) => r.status === 'sent'));
    assert.deepEqual(f.claims, [[ID(1), ID(2)], [ID(3), ID(4)], [ID(5)]]);
    assert.equal(f.settles.length, 3);
  });

  it('mails that arrive while the batches in flight send form the next batch when one ends', async () => {
    const gate = deferred();
    let first = true;
    const f = fake({
      claim: async (ids) => {
        if (first) {
          first = false;
          await gate.promise; // hold the only slot
        }
        return ids;
      },
    });
    const b = new DeliveryBatcher(f.pool, 10, 1, f.store);
    const one = b.submit(item(1));
    await new Promise((r) => setImmediate(r)); // the first batch is claimed and waits
    assert.deepEqual(f.claims, [[ID(1)]]);
    const later = [2, 3, 4].map((n) => b.submit(item(n)));
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(f.claims, [[ID(1)]], 'no second batch while the only slot is busy');
    gate.resolve();
    assert.deepEqual(await one, { status: 'sent' });
    assert.ok((await Promise.all(later)).every((r) => r.status === 'sent'));
    assert.deepEqual(f.claims, [[ID(1)], [ID(2), ID(3), ID(4)]]);
  });

  it('reports a failed send per mail: the others are sent and the failed claim is released', async () => {
    const f = fake();
    const b = new DeliveryBatcher(f.pool, 10, 2, f.store);
    const boom = new Error('550 mailbox unavailable');
    const results = await Promise.all([
      b.submit(item(1)),
      b.submit(
        item(2, async () => {
          throw boom;
        }),
      ),
      b.submit(item(3)),
    ]);
    assert.deepEqual(results, [
      { status: 'sent' },
      { status: 'send_failed', error: boom },
      { status: 'sent' },
    ]);
    assert.deepEqual(f.settles, [
      {
        sent: [
          { eventId: ID(1), smtpMessageId: '<m1@smtp>' },
          { eventId: ID(3), smtpMessageId: '<m3@smtp>' },
        ],
        failed: [ID(2)],
      },
    ]);
  });

  it('does not send a mail whose event id another worker committed (duplicate)', async () => {
    const f = fake({ claim: (ids) => ids.filter((id) => id !== ID(2)) });
    const b = new DeliveryBatcher(f.pool, 10, 2, f.store);
    let sentTwo = false;
    const results = await Promise.all([
      b.submit(item(1)),
      b.submit(
        item(2, async () => {
          sentTwo = true;
          return { messageId: 'x' };
        }),
      ),
    ]);
    assert.deepEqual(results, [{ status: 'sent' }, { status: 'duplicate' }]);
    assert.equal(sentTwo, false);
    assert.deepEqual(f.settles[0]?.sent, [{ eventId: ID(1), smtpMessageId: '<m1@smtp>' }]);
  });

  it('a copy of an event id already in a batch waits for it and goes in the next batch', async () => {
    const f = fake({ claim: (ids) => (f.claims.length === 1 ? ids : []) });
    const b = new DeliveryBatcher(f.pool, 10, 2, f.store);
    const copy = { ...item(1), eventId: ID(1).toUpperCase() }; // ids compare case-insensitively
    const results = await Promise.all([b.submit(item(1)), b.submit(copy), b.submit(item(2))]);
    assert.deepEqual(results, [{ status: 'sent' }, { status: 'duplicate' }, { status: 'sent' }]);
    assert.deepEqual(f.claims, [[ID(1), ID(2)], [ID(1)]]);
  });

  it('no connection: every mail of the batch is told db_failed and nothing is sent', async () => {
    const down = new Error('connect ECONNREFUSED');
    const f = fake({
      connect: async () => {
        throw down;
      },
    });
    const b = new DeliveryBatcher(f.pool, 10, 2, f.store);
    let sends = 0;
    const send = async () => {
      sends += 1;
      return { messageId: 'x' };
    };
    const results = await Promise.all([b.submit(item(1, send)), b.submit(item(2, send))]);
    assert.deepEqual(results, [
      { status: 'db_failed', error: down },
      { status: 'db_failed', error: down },
    ]);
    assert.equal(sends, 0);
    assert.deepEqual(f.claims, []);
  });

  it('a failed claim rolls back, discards the connection and tells every mail db_failed', async () => {
    const lost = new Error('terminating connection');
    const f = fake({
      claim: () => {
        throw lost;
      },
    });
    const b = new DeliveryBatcher(f.pool, 10, 2, f.store);
    const results = await Promise.all([b.submit(item(1)), b.submit(item(2))]);
    assert.deepEqual(results, [
      { status: 'db_failed', error: lost },
      { status: 'db_failed', error: lost },
    ]);
    assert.deepEqual(f.queries, ['ROLLBACK']);
    assert.deepEqual(f.released, [true]);
  });

  it('a failed commit after the sends tells every mail db_failed (they will be redelivered)', async () => {
    const lost = new Error('commit failed');
    const f = fake({
      settle: async () => {
        throw lost;
      },
    });
    const b = new DeliveryBatcher(f.pool, 10, 2, f.store);
    const results = await Promise.all([b.submit(item(1)), b.submit(item(2))]);
    assert.deepEqual(results, [
      { status: 'db_failed', error: lost },
      { status: 'db_failed', error: lost },
    ]);
    assert.deepEqual(f.queries, ['ROLLBACK']);
    assert.deepEqual(f.released, [true]);
  });
});

describe('batchesInFlight', () => {
  it('covers the mails in flight in batches of batchSize, never fewer than two', () => {
    assert.equal(batchesInFlight(1, 50), 2);
    assert.equal(batchesInFlight(100, 50), 2);
    assert.equal(batchesInFlight(101, 50), 3);
    assert.equal(batchesInFlight(400, 25), 16);
  });
});
