// The consumer core over the broker and clock ports, without the network (ADR 0026): what it
// does with each handler outcome — ack, a counted retry, a dead letter stamped with the
// clock's time — seen through the copies it hands the broker.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import pino from 'pino';
import type { Broker, BrokerMessage, DeliveryHandler, OutgoingMessage } from './broker.js';
import { EventConsumer, type EventOutcome, type HandlerResult } from './consumer.js';
import { consumerTopology } from './topology.js';

const topology = consumerTopology({
  name: 'unit',
  exchange: 'ifd.events',
  queue: 'unit',
  bindings: ['user.#'],
  maxAttempts: 3,
  retryDelaysMs: [200, 400],
});
const DEAD_AT = Date.UTC(2026, 0, 2, 3, 4, 5);

function setUp(result: HandlerResult) {
  let deliver: DeliveryHandler | null = null;
  const retries: { tier: { queue: string; delayMs: number }; msg: OutgoingMessage }[] = [];
  const dead: OutgoingMessage[] = [];
  const handled: string[] = [];
  const outcomes: EventOutcome[] = [];
  const broker = {
    consume: (_t: unknown, _o: unknown, handler: DeliveryHandler) => {
      deliver = handler;
      return {
        running: true,
        retry: async (tier: { queue: string; delayMs: number }, msg: OutgoingMessage) => {
          retries.push({ tier, msg });
        },
        deadLetter: async (msg: OutgoingMessage) => {
          dead.push(msg);
        },
        close: async () => {},
      };
    },
  } as unknown as Broker;
  const consumer = new EventConsumer({
    broker,
    topology,
    prefetch: 1,
    concurrency: 1,
    handler: async (m) => {
      handled.push(m.eventId);
      return result;
    },
    log: pino({ level: 'silent' }),
    onOutcome: (o) => outcomes.push(o),
    clock: { now: () => DEAD_AT, setTimer: () => () => {} },
  });
  consumer.start();
  const send = (msg: Partial<BrokerMessage>) =>
    deliver!({
      routingKey: 'user.registered',
      headers: {},
      body: Buffer.from('{"a":1}'),
      ...msg,
    });
  return { send, retries, dead, handled, outcomes };
}

describe('event consumer core (ports: broker, clock)', () => {
  test('a message whose id is not an event id is dead-lettered at the clock’s time, unhandled', async () => {
    const s = setUp({ status: 'done' });
    await s.send({ messageId: 'not-a-uuid', type: 'user.registered' });

    assert.deepEqual(s.handled, []);
    assert.equal(s.dead.length, 1);
    assert.deepEqual(
      {
        reason: s.dead[0]!.headers?.['x-dead-reason'],
        at: s.dead[0]!.headers?.['x-dead-at'],
        key: s.dead[0]!.headers?.['x-original-routing-key'],
      },
      { reason: 'invalid_message', at: '2026-01-02T03:04:05.000Z', key: 'user.registered' },
    );
  });

  test('a failed attempt goes to its retry tier with the attempt counted', async () => {
    const s = setUp({ status: 'retry', error: 'smtp 451' });
    const id = randomUUID();
    await s.send({ messageId: id, type: 'user.registered', headers: { 'x-attempts': 1 } });

    assert.deepEqual(s.handled, [id]);
    assert.deepEqual(s.dead, []);
    assert.deepEqual(
      s.retries.map((r) => [r.tier, r.msg.headers?.['x-attempts']]),
      [[{ queue: 'unit.retry.400ms', delayMs: 400 }, 2]],
    );
    assert.deepEqual(s.outcomes, [
      {
        status: 'retry',
        eventId: id,
        type: 'user.registered',
        attempt: 2,
        delayMs: 400,
        error: 'smtp 451',
      },
    ]);
  });

  test('the last attempt failing is a dead letter with reason max_attempts', async () => {
    const s = setUp({ status: 'retry', error: 'smtp 451' });
    const id = randomUUID();
    await s.send({ messageId: id, type: 'user.registered', headers: { 'x-attempts': 2 } });

    assert.deepEqual(s.retries, []);
    assert.deepEqual(
      s.dead.map((m) => [m.messageId, m.headers?.['x-dead-reason'], m.headers?.['x-attempts']]),
      [[id, 'max_attempts', 3]],
    );
  });
});
