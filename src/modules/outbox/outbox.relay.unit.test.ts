// The outbox relay's decisions without the network (ADR 0026): an in-memory outbox store, a
// broker that answers as each test says and a clock moved by hand. What is asserted is what
// the relay did — its claims, waits and the outcomes it recorded — never how long it took.
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import pino from 'pino';
import { ManualClock } from '../../../test/helpers/ports.js';
import type { Clock } from '../../lib/clock.js';
import type { Broker, OutgoingMessage } from '../events/broker.js';
import { BUSY_POLL_MS, BUSY_WINDOW_MS, OutboxRelay, type RelayEvent } from './outbox.relay.js';
import type {
  FailedPublish,
  OutboxClaim,
  OutboxListener,
  OutboxStore,
  PendingEvent,
} from './outbox.store.js';

interface Row extends PendingEvent {
  dueAt: number;
  published: boolean;
  lastError: string | null;
}

/** The outbox table in memory: claims lock rows until settled, like FOR UPDATE SKIP LOCKED. */
class MemoryStore implements OutboxStore {
  readonly rows: Row[] = [];
  readonly claimed = new Set<number>();
  readonly settled: { published: number[]; failed: FailedPublish[] }[] = [];
  claims = 0;
  aborts = 0;
  failNextClaim: Error | null = null;
  listener: OutboxListener | null = null;
  stoppedListening = false;

  constructor(private readonly clock: Clock) {}

  add(eventId: string, attempts = 0): Row {
    const row: Row = {
      id: this.rows.length + 1,
      eventId,
      type: 'user.registered',
      payload: { eventId },
      attempts,
      createdAt: new Date(0),
      dueAt: this.clock.now(),
      published: false,
      lastError: null,
    };
    this.rows.push(row);
    return row;
  }

  async claim(limit: number): Promise<OutboxClaim> {
    this.claims += 1;
    if (this.failNextClaim) {
      const err = this.failNextClaim;
      this.failNextClaim = null;
      throw err;
    }
    const rows = this.rows
      .filter((r) => !r.published && !this.claimed.has(r.id) && r.dueAt <= this.clock.now())
      .slice(0, limit);
    rows.forEach((r) => this.claimed.add(r.id));
    const release = () => rows.forEach((r) => this.claimed.delete(r.id));
    return {
      rows: rows.map(({ id, eventId, type, payload, attempts, createdAt }) => ({
        id,
        eventId,
        type,
        payload,
        attempts,
        createdAt,
      })),
      settle: async (published, failed) => {
        this.settled.push({ published, failed });
        for (const r of this.rows) {
          if (published.includes(r.id)) {
            r.published = true;
          }
          const f = failed.find((x) => x.id === r.id);
          if (f) {
            r.attempts += 1;
            r.lastError = f.error;
            r.dueAt = this.clock.now() + f.delayMs;
          }
        }
        release();
      },
      abort: async () => {
        this.aborts += 1;
        release();
      },
    };
  }

  listen(listener: OutboxListener): () => Promise<void> {
    this.listener = listener;
    return async () => {
      this.listener = null;
      this.stoppedListening = true;
    };
  }
}

/** A broker whose answer to each publish is `answer(eventId)` (default: confirmed). */
class FakeBroker implements Broker {
  readonly kind = 'embedded';
  ready = true;
  readonly published: { exchange: string; routingKey: string; msg: OutgoingMessage }[] = [];
  answer: (eventId: string) => Promise<void> = async () => {};
  private readonly connectListeners = new Set<() => void>();

  onConnect(listener: () => void): () => void {
    this.connectListeners.add(listener);
    return () => this.connectListeners.delete(listener);
  }

  connect(): void {
    this.ready = true;
    this.connectListeners.forEach((fn) => fn());
  }

  publish(exchange: string, routingKey: string, msg: OutgoingMessage): Promise<void> {
    this.published.push({ exchange, routingKey, msg });
    return this.answer(msg.messageId ?? '');
  }

  declare(): Promise<void> {
    throw new Error('not used by the relay');
  }
  send(): Promise<void> {
    throw new Error('not used by the relay');
  }
  consume(): never {
    throw new Error('not used by the relay');
  }
  get deadLetters(): never {
    throw new Error('not used by the relay');
  }
  async close(): Promise<void> {}
}

const POLL_MS = 2000;
const relays: OutboxRelay[] = [];

function setUp(o: { batchSize?: number; retryBaseMs?: number; publishTimeoutMs?: number } = {}) {
  const clock = new ManualClock();
  const store = new MemoryStore(clock);
  const broker = new FakeBroker();
  const relay = new OutboxRelay({
    store,
    broker,
    clock,
    exchange: 'ifd.events',
    batchSize: o.batchSize ?? 10,
    pollMs: POLL_MS,
    retryBaseMs: o.retryBaseMs ?? 1000,
    publishTimeoutMs: o.publishTimeoutMs ?? 5000,
    log: pino({ level: 'silent' }),
  });
  relays.push(relay);
  const events: RelayEvent[] = [];
  const waiters = new Set<() => void>();
  relay.observe((e) => {
    events.push(e);
    waiters.forEach((fn) => fn());
  });
  /** Resolves once the relay's events so far satisfy `done` (outcome-driven, no sleeping). */
  const until = async (done: (events: RelayEvent[]) => boolean): Promise<void> => {
    while (!done(events)) {
      await new Promise<void>((resolve) => {
        const fn = () => {
          waiters.delete(fn);
          resolve();
        };
        waiters.add(fn);
      });
    }
  };
  const waits = () =>
    events.filter((e): e is Extract<RelayEvent, { type: 'wait' }> => e.type === 'wait');
  const claims = () =>
    events
      .filter((e): e is Extract<RelayEvent, { type: 'claim' }> => e.type === 'claim')
      .map((e) => ({ source: e.source, eventIds: e.eventIds }));
  return { clock, store, broker, relay, events, until, waits, claims };
}

afterEach(async () => {
  await Promise.all(relays.splice(0).map((r) => r.stop()));
});

describe('outbox relay (ports: store, broker, clock)', { timeout: 10_000 }, () => {
  test('a full batch claims again at once; a short one waits', async () => {
    const s = setUp({ batchSize: 2 });
    ['e1', 'e2', 'e3', 'e4', 'e5'].forEach((id) => s.store.add(id));
    s.relay.start();
    await s.until((ev) => ev.some((e) => e.type === 'wait'));

    assert.deepEqual(s.claims(), [
      { source: 'start', eventIds: ['e1', 'e2'] },
      { source: 'batch', eventIds: ['e3', 'e4'] },
      { source: 'batch', eventIds: ['e5'] },
    ]);
    assert.deepEqual(s.waits(), [{ type: 'wait', ms: BUSY_POLL_MS, reason: 'idle' }]);
    assert.deepEqual(
      s.store.settled.map((x) => x.published),
      [[1, 2], [3, 4], [5]],
    );
    assert.deepEqual(
      s.broker.published.map((p) => [p.exchange, p.routingKey, p.msg.messageId, p.msg.type]),
      ['e1', 'e2', 'e3', 'e4', 'e5'].map((id) => [
        'ifd.events',
        'user.registered',
        id,
        'user.registered',
      ]),
    );
    assert.deepEqual(JSON.parse(s.broker.published[0]!.msg.body.toString()), { eventId: 'e1' });
  });

  test('an empty claim waits the busy interval, then longer as the quiet grows, up to the poll', async () => {
    const s = setUp();
    s.store.add('e1');
    s.relay.start();
    await s.until(() => s.waits().length === 1); // rows just now: busy
    s.clock.advance(BUSY_POLL_MS);
    await s.until(() => s.waits().length === 2); // quiet for 10 ms: still busy
    s.clock.advance(BUSY_WINDOW_MS + 500);
    await s.until(() => s.waits().length === 3); // quiet 500 ms past the window
    s.clock.advance(10 * POLL_MS);
    await s.until(() => s.waits().length === 4); // idle: the poll interval

    assert.deepEqual(
      s.waits().map((w) => [w.reason, w.ms]),
      [
        ['idle', BUSY_POLL_MS],
        ['idle', BUSY_POLL_MS],
        ['idle', 500 + BUSY_POLL_MS],
        ['idle', POLL_MS],
      ],
    );
    assert.deepEqual(s.claims(), [
      { source: 'start', eventIds: ['e1'] },
      { source: 'timer', eventIds: [] },
      { source: 'timer', eventIds: [] },
      { source: 'timer', eventIds: [] },
    ]);
  });

  test('a rejected publish marks its row failed with backoff and not published', async () => {
    const s = setUp({ retryBaseMs: 1000 });
    s.store.add('ok');
    s.store.add('rejected', 2);
    s.broker.answer = async (id) => {
      if (id === 'rejected') {
        throw new Error('no queue bound to user.registered');
      }
    };
    s.relay.start();
    await s.until(() => s.waits().length === 1);

    assert.equal(s.store.settled.length, 1);
    const { published, failed } = s.store.settled[0]!;
    assert.deepEqual(published, [1]);
    assert.equal(failed.length, 1);
    assert.equal(failed[0]!.id, 2);
    assert.equal(failed[0]!.error, 'no queue bound to user.registered');
    // Third attempt: base · 2², ±10 %.
    assert.ok(failed[0]!.delayMs >= 3600 && failed[0]!.delayMs <= 4400, `${failed[0]!.delayMs}`);
    const row = s.store.rows[1]!;
    assert.deepEqual([row.published, row.attempts], [false, 3]);
    assert.equal(s.store.aborts, 0);
  });

  test('a publish without a confirm fails when the publish timeout passes', async () => {
    const s = setUp({ publishTimeoutMs: 500 });
    s.store.add('silent');
    s.broker.answer = () => new Promise<void>(() => {}); // the broker never confirms
    s.relay.start();
    await s.until(() => s.claims().length === 1);
    assert.equal(s.store.settled.length, 0); // still waiting for the confirm
    s.clock.advance(500);
    await s.until(() => s.waits().length === 1);

    assert.deepEqual(s.store.settled[0]!.published, []);
    assert.deepEqual(
      s.store.settled[0]!.failed.map((f) => [f.id, f.error]),
      [[1, 'no publisher confirm within 500 ms']],
    );
  });

  test('while the broker is not ready nothing is claimed; its reconnect wakes the relay', async () => {
    const s = setUp();
    s.store.add('e1');
    s.broker.ready = false;
    s.relay.start();
    await s.until(() => s.waits().length === 1);

    assert.deepEqual(s.waits(), [{ type: 'wait', ms: POLL_MS, reason: 'broker' }]);
    assert.equal(s.store.claims, 0);
    assert.equal(s.broker.published.length, 0);

    s.broker.connect();
    await s.until(() => s.claims().length === 1);
    assert.deepEqual(s.claims(), [{ source: 'broker', eventIds: ['e1'] }]);
  });

  test('a wake-up during a wait ends it: a call, a notification, the store listening again', async () => {
    const s = setUp();
    s.relay.start();
    await s.until(() => s.waits().length === 1);
    assert.deepEqual(s.waits(), [{ type: 'wait', ms: POLL_MS, reason: 'idle' }]); // never busy

    s.store.add('e1');
    s.relay.wake();
    await s.until(() => s.claims().length === 2);
    await s.until(() => s.waits().length === 2);
    s.store.add('e2');
    s.store.listener!.notify();
    await s.until(() => s.claims().length === 3);
    await s.until(() => s.waits().length === 3);
    s.store.add('e3');
    s.store.listener!.listening();
    await s.until(() => s.claims().length === 4);

    assert.deepEqual(s.claims(), [
      { source: 'start', eventIds: [] },
      { source: 'call', eventIds: ['e1'] },
      { source: 'notify', eventIds: ['e2'] },
      { source: 'start', eventIds: ['e3'] },
    ]);
    assert.ok(s.events.some((e) => e.type === 'listening'));
    assert.equal(s.clock.now(), 0); // no timer ended any of these waits
  });

  test('a failed claim waits the poll interval, then claims again', async () => {
    const s = setUp();
    s.store.add('e1');
    s.store.failNextClaim = new Error('connection terminated');
    s.relay.start();
    await s.until(() => s.waits().length === 1);
    assert.deepEqual(s.waits(), [{ type: 'wait', ms: POLL_MS, reason: 'error' }]);
    assert.equal(s.broker.published.length, 0);

    s.clock.advance(POLL_MS);
    await s.until(() => s.claims().length === 1);
    assert.deepEqual(s.claims(), [{ source: 'timer', eventIds: ['e1'] }]);
  });

  test('stop ends the wait and the listening; rows claimed later are not published', async () => {
    const s = setUp();
    s.relay.start();
    await s.until(() => s.waits().length === 1);
    await s.relay.stop();
    assert.equal(s.store.stoppedListening, true);

    s.store.add('late');
    s.relay.wake();
    s.clock.advance(10 * POLL_MS);
    assert.equal(s.store.claims, 1);
    assert.equal(s.broker.published.length, 0);
  });
});
