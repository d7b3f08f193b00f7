// In-memory implementations of the broker and clock ports for the consumers' unit tests
// (ADR 0026, 0029): a broker that hands each test the consumer's delivery handler and records
// what the consumer sends, retries and dead-letters; a clock that moves only when told.
import type { Clock } from '../../src/lib/clock.js';
import type {
  Broker,
  BrokerMessage,
  DeliveryHandler,
  OutgoingMessage,
} from '../../src/modules/events/broker.js';
import type { ConsumerTopology } from '../../src/modules/events/topology.js';

/** Time that moves only when a test says so; due timers fire in order. */
export class ManualClock implements Clock {
  private timers: { at: number; fn: () => void }[] = [];

  constructor(private t = 0) {}

  now(): number {
    return this.t;
  }

  setTimer(fn: () => void, ms: number): () => void {
    const timer = { at: this.t + ms, fn };
    this.timers.push(timer);
    return () => {
      this.timers = this.timers.filter((x) => x !== timer);
    };
  }

  /** Timers waiting. */
  get pending(): number {
    return this.timers.length;
  }

  advance(ms: number): void {
    this.t += ms;
    for (;;) {
      const due = this.timers.filter((x) => x.at <= this.t).sort((a, b) => a.at - b.at)[0];
      if (!due) {
        return;
      }
      this.timers = this.timers.filter((x) => x !== due);
      due.fn();
    }
  }
}

export interface Retried {
  consumer: string;
  tier: { queue: string; delayMs: number };
  msg: OutgoingMessage;
}

/** The broker port in memory: `deliver` runs a consumer's handler and resolves when it acked. */
export class MemoryBroker {
  readonly handlers = new Map<string, DeliveryHandler>();
  readonly sent: { queue: string; msg: OutgoingMessage }[] = [];
  readonly retried: Retried[] = [];
  readonly dead: { consumer: string; msg: OutgoingMessage }[] = [];

  /** What the consumers see: only the calls they make are implemented. */
  get port(): Broker {
    return {
      kind: 'embedded',
      ready: true,
      send: async (queue: string, msg: OutgoingMessage) => {
        this.sent.push({ queue, msg });
      },
      consume: (t: ConsumerTopology, _o: unknown, handler: DeliveryHandler) => {
        this.handlers.set(t.name, handler);
        return {
          running: true,
          retry: async (tier: { queue: string; delayMs: number }, msg: OutgoingMessage) => {
            this.retried.push({ consumer: t.name, tier, msg });
          },
          deadLetter: async (msg: OutgoingMessage) => {
            this.dead.push({ consumer: t.name, msg });
          },
          close: async () => {},
        };
      },
    } as unknown as Broker;
  }

  /** Delivers one message to the named consumer (a redelivery is the same call again). */
  async deliver(consumer: string, msg: Partial<BrokerMessage> & { body: Buffer }): Promise<void> {
    const handler = this.handlers.get(consumer);
    if (handler === undefined) {
      throw new Error(`no consumer "${consumer}" started`);
    }
    await handler({ routingKey: msg.type ?? '', headers: {}, ...msg });
  }
}

export const json = (v: unknown): Buffer => Buffer.from(JSON.stringify(v));
