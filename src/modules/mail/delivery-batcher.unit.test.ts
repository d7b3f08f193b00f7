// Unit tests of the mail group commit (P5) without a database or SMTP server: the store port
// (deliveries.store.ts) is a fake that records what the batcher asks for, so each test asserts how
// mails were grouped into batches and what each submitter was told. Batches form by size
// (maxBatch) and by the macrotask boundary — there is no timer — so the waits here are the
// submitters' own results, never a clock.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type pg from 'pg';
import { pgMailDeliveryStore } from './deliveries.repository.js';
import type { MailDeliveryStore, SentMail } from './deliveries.store.js';
import { batchesInFlight, DeliveryBatcher, type DeliveryItem } from './delivery-batcher.js';

interface Fake {
  store: MailDeliveryStore;
  /** The event ids of each claim, in the order the batches were claimed. */
  claims: string[][];
  settles: Array<{ sent: SentMail[]; failed: string[] }>;
}

function fake(
  opts: {
    /** Which ids of a claim are taken now (default all); may wait to hold a batch open. */
    claim?: (ids: string[]) => Promise<string[]> | string[];
    settle?: () => Promise<void>;
  } = {},
): Fake {
  const f: Fake = {
    claims: [],
    settles: [],
    store: {
      claim: async (claims) => {
        const ids = claims.map((c) => c.eventId);
        f.claims.push(ids);
        const claimed = new Set(opts.claim ? await opts.claim(ids) : ids);
        return {
          claimed,
          settle: async (sent, failed) => {
            f.settles.push({ sent, failed });
            await opts.settle?.();
          },
        };
      },
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
    const b = new DeliveryBatcher(f.store, 10, 2);
    const results = await Promise.all([1, 2, 3].map((n) => b.submit(item(n))));
    assert.deepEqual(results, [{ status: 'sent' }, { status: 'sent' }, { status: 'sent' }]);
    assert.deepEqual(f.claims, [[ID(1), ID(2), ID(3)]]);
    assert.deepEqual(f.settles, [
      {
        sent: [1, 2, 3].map((n) => ({ eventId: ID(n), smtpMessageId: `<m${n}@smtp>` })),
        failed: [],
      },
    ]);
  });

  it('a lone mail goes at once as a batch of one (no waiting for company)', async () => {
    const f = fake();
    const b = new DeliveryBatcher(f.store, 50, 2);
    assert.deepEqual(await b.submit(item(1)), { status: 'sent' });
    assert.deepEqual(f.claims, [[ID(1)]]);
  });

  it('flushes on size: a burst larger than maxBatch is cut into batches of maxBatch', async () => {
    const f = fake();
    const b = new DeliveryBatcher(f.store, 2, 1);
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
    const b = new DeliveryBatcher(f.store, 10, 1);
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
    const b = new DeliveryBatcher(f.store, 10, 2);
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
    const b = new DeliveryBatcher(f.store, 10, 2);
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
    const b = new DeliveryBatcher(f.store, 10, 2);
    const copy = { ...item(1), eventId: ID(1).toUpperCase() }; // ids compare case-insensitively
    const results = await Promise.all([b.submit(item(1)), b.submit(copy), b.submit(item(2))]);
    assert.deepEqual(results, [{ status: 'sent' }, { status: 'duplicate' }, { status: 'sent' }]);
    assert.deepEqual(f.claims, [[ID(1), ID(2)], [ID(1)]]);
  });

  it('a claim that fails (no connection, a lost one): every mail is told db_failed, none sent', async () => {
    const down = new Error('connect ECONNREFUSED');
    const f = fake({
      claim: () => {
        throw down;
      },
    });
    const b = new DeliveryBatcher(f.store, 10, 2);
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
    assert.deepEqual(f.settles, []);
  });

  it('a failed commit after the sends tells every mail db_failed (they will be redelivered)', async () => {
    const lost = new Error('commit failed');
    const f = fake({
      settle: async () => {
        throw lost;
      },
    });
    const b = new DeliveryBatcher(f.store, 10, 2);
    const results = await Promise.all([b.submit(item(1)), b.submit(item(2))]);
    assert.deepEqual(results, [
      { status: 'db_failed', error: lost },
      { status: 'db_failed', error: lost },
    ]);
  });
});

// The PostgreSQL store's connection handling, over a pool whose client fails where each test
// says: a failed statement rolls back and discards the connection, a settled batch returns it.
describe('pgMailDeliveryStore', () => {
  function pool(failOn: 'claim' | 'settle' | null) {
    const queries: string[] = [];
    const released: boolean[] = [];
    const client = {
      escapeLiteral: (v: string) => `'${v}'`,
      query: async (sql: string) => {
        const kind = sql.startsWith('BEGIN') ? 'claim' : sql.startsWith('WITH') ? 'settle' : sql;
        queries.push(kind);
        if (kind === failOn) {
          throw new Error(`${kind} failed`);
        }
        return kind === 'claim'
          ? [{ rows: [] }, { rows: [{ event_id: ID(1).toUpperCase() }] }]
          : {};
      },
      release: (broken?: boolean) => {
        released.push(broken === true);
      },
    };
    return { pool: { connect: async () => client } as unknown as pg.Pool, queries, released };
  }
  const claim = { eventId: ID(1), type: 'mail.welcome', recipient: 'a@example.test' };

  it('claims, then settles and returns the connection', async () => {
    const p = pool(null);
    const batch = await pgMailDeliveryStore(p.pool).claim([claim]);
    assert.deepEqual([...batch.claimed], [ID(1)]);
    await batch.settle([{ eventId: ID(1), smtpMessageId: '<m1@smtp>' }], []);
    assert.deepEqual(p.queries, ['claim', 'settle']);
    assert.deepEqual(p.released, [false]);
  });

  it('a failed claim rolls back and discards the connection', async () => {
    const p = pool('claim');
    await assert.rejects(pgMailDeliveryStore(p.pool).claim([claim]), /claim failed/);
    assert.deepEqual(p.queries, ['claim', 'ROLLBACK']);
    assert.deepEqual(p.released, [true]);
  });

  it('a failed settle rolls back and discards the connection', async () => {
    const p = pool('settle');
    const batch = await pgMailDeliveryStore(p.pool).claim([claim]);
    await assert.rejects(batch.settle([], [ID(1)]), /settle failed/);
    assert.deepEqual(p.queries, ['claim', 'settle', 'ROLLBACK']);
    assert.deepEqual(p.released, [true]);
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
