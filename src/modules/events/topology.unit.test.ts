// Retry tiers of a consumer (pure, ADR 0009): which queue a failed attempt goes to, how long it
// waits there, and which queues are declared for it.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { relayBackoffMs } from '../outbox/outbox.relay.js';
import { previousAttempts } from './consumer.js';
import { consumerTopology, queueDeclarations } from './topology.js';

const spec = {
  name: 'mail',
  exchange: 'ifd.events',
  queue: 'q',
  bindings: ['mail.#'],
  maxAttempts: 5,
  retryDelaysMs: [200, 400, 800],
};

describe('consumerTopology', () => {
  test('the n-th failure waits the n-th delay; the last delay repeats', () => {
    const t = consumerTopology(spec);
    assert.deepEqual(
      [1, 2, 3, 4, 9].map((n) => t.retryFor(n)),
      [
        { queue: 'q.retry.200ms', delayMs: 200 },
        { queue: 'q.retry.400ms', delayMs: 400 },
        { queue: 'q.retry.800ms', delayMs: 800 },
        { queue: 'q.retry.800ms', delayMs: 800 },
        { queue: 'q.retry.800ms', delayMs: 800 },
      ],
    );
    assert.deepEqual(t.retryFor(0), t.retryFor(1), 'attempt numbers start at 1');
  });

  test('retry queues are the tiers reached before the last attempt, shortest first', () => {
    const t = consumerTopology({ ...spec, maxAttempts: 3 });
    assert.deepEqual(
      t.retryQueues.map((r) => r.queue),
      ['q.retry.200ms', 'q.retry.400ms'],
    );
    assert.equal(t.dead, 'q.dead');
    assert.equal(t.isRetryQueue('q.retry.400ms'), true);
    assert.equal(t.isRetryQueue('q.dead'), false);
  });

  test('retryAtLeast: the smallest tier that waits long enough, else the longest', () => {
    const t = consumerTopology(spec);
    assert.equal(t.retryAtLeast(300).delayMs, 400);
    assert.equal(t.retryAtLeast(10_000).delayMs, 800);
  });

  test('a delay of 0 re-publishes to the queue itself; no tiers: one of 1 s', () => {
    assert.deepEqual(consumerTopology({ ...spec, retryDelaysMs: [0] }).retryFor(1), {
      queue: 'q',
      delayMs: 0,
    });
    assert.equal(consumerTopology({ ...spec, retryDelaysMs: [] }).retryFor(1).delayMs, 1000);
  });

  test('declarations: the queue dead-letters to .dead, each tier back to the queue', () => {
    const t = consumerTopology({ ...spec, maxAttempts: 2, deferMs: 5000 });
    assert.deepEqual(queueDeclarations(t), [
      {
        queue: 'q',
        durable: true,
        arguments: { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': 'q.dead' },
      },
      { queue: 'q.dead', durable: true },
      {
        queue: 'q.retry.200ms',
        durable: true,
        arguments: {
          'x-message-ttl': 200,
          'x-dead-letter-exchange': '',
          'x-dead-letter-routing-key': 'q',
        },
      },
      {
        queue: 'q.defer.5000ms',
        durable: true,
        arguments: {
          'x-message-ttl': 5000,
          'x-dead-letter-exchange': '',
          'x-dead-letter-routing-key': 'q',
        },
      },
    ]);
  });
});

describe('attempts and backoff', () => {
  test('the attempt count comes from x-attempts; anything else counts as none', () => {
    assert.deepEqual(
      [
        previousAttempts(undefined),
        previousAttempts({ 'x-attempts': 3 }),
        previousAttempts({ 'x-attempts': 'x' }),
        previousAttempts({ 'x-attempts': -2 }),
      ],
      [0, 3, 0, 0],
    );
  });

  test('relay backoff doubles per attempt within ±10% jitter and stops at 60 s', () => {
    for (const [attempts, base] of [
      [1, 500],
      [2, 1000],
      [4, 4000],
    ] as const) {
      for (let i = 0; i < 50; i += 1) {
        const ms = relayBackoffMs(attempts, 500);
        assert.ok(ms >= base * 0.9 && ms <= base * 1.1, `attempt ${attempts}: ${ms}`);
      }
    }
    for (let i = 0; i < 50; i += 1) {
      const ms = relayBackoffMs(30, 500);
      assert.ok(ms >= 54_000 && ms <= 66_000, `capped: ${ms}`);
    }
  });
});
