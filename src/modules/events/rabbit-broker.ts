// The RabbitMQ implementation of the broker port (broker.ts, ADR 0021): every deployment's
// broker. Publishes are persistent, mandatory and confirmed; an unroutable publish (the
// broker's basic.return) rejects. A consumer's retry tiers are TTL queues that dead-letter
// back into its queue (topology.ts); its dead letters sit in `<queue>.dead` (dlq.ts).
import {
  ConsumerStatus,
  type AsyncMessage,
  type Connection,
  type Envelope,
  type Publisher,
} from 'rabbitmq-client';
import type {
  Broker,
  BrokerMessage,
  ConsumeOptions,
  DeadLetters,
  DeliveryHandler,
  OutgoingMessage,
  TopologyConsumer,
} from './broker.js';
import { listDeadLetters, purgeDeadLetters, requeueDeadLetters } from './dlq.js';
import { declareTopology, queueDeclarations, type ConsumerTopology } from './topology.js';

function rawBody(msg: AsyncMessage): Buffer {
  const b: unknown = msg.body;
  if (Buffer.isBuffer(b)) {
    return b;
  }
  // rabbitmq-client decodes application/json and text bodies; the port hands out bytes.
  return Buffer.from(typeof b === 'string' ? b : JSON.stringify(b ?? null));
}

function toBrokerMessage(msg: AsyncMessage): BrokerMessage {
  return {
    messageId: msg.messageId,
    type: msg.type,
    routingKey: msg.routingKey,
    contentType: msg.contentType,
    timestamp: msg.timestamp,
    headers: msg.headers ?? {},
    body: rawBody(msg),
  };
}

function envelope(exchange: string, routingKey: string, m: OutgoingMessage): Envelope {
  return {
    exchange,
    routingKey,
    durable: true,
    mandatory: true,
    messageId: m.messageId,
    type: m.type,
    contentType: m.contentType,
    timestamp: m.timestamp,
    headers: m.headers,
  };
}

export class RabbitBroker implements Broker {
  readonly kind = 'rabbitmq';
  private readonly exchangePublishers = new Map<string, Publisher>();
  private directPublisher: Publisher | null = null;
  /** message id → reply text of messages the broker returned as unroutable. */
  private readonly returned = new Map<string, string>();
  readonly deadLetters: DeadLetters;

  constructor(readonly rabbit: Connection) {
    this.deadLetters = {
      count: async (t) =>
        (await rabbit.queueDeclare({ queue: t.dead, passive: true })).messageCount,
      list: (t, limit) => listDeadLetters(rabbit, t, limit),
      requeue: (t, opts) => requeueDeadLetters(rabbit, t, opts),
      purge: (t, opts) => purgeDeadLetters(rabbit, t, opts),
    };
  }

  get ready(): boolean {
    return this.rabbit.ready;
  }

  onConnect(listener: () => void): () => void {
    this.rabbit.on('connection', listener);
    return () => this.rabbit.off('connection', listener);
  }

  declare(t: ConsumerTopology): Promise<void> {
    return declareTopology(this.rabbit, t);
  }

  async publish(exchange: string, routingKey: string, msg: OutgoingMessage): Promise<void> {
    let publisher = this.exchangePublishers.get(exchange);
    if (publisher === undefined) {
      publisher = this.rabbit.createPublisher({
        confirm: true,
        maxAttempts: 1,
        exchanges: [{ exchange, type: 'topic', durable: true }],
      });
      publisher.on('basic.return', (m) => {
        if (m.messageId !== undefined) {
          if (this.returned.size > 10_000) {
            this.returned.clear();
          }
          this.returned.set(m.messageId, `${m.replyCode} ${m.replyText}`);
        }
      });
      this.exchangePublishers.set(exchange, publisher);
    }
    await publisher.send(envelope(exchange, routingKey, msg), msg.body);
    // The client emits basic.return on a later tick than the confirm that follows it.
    await new Promise((r) => setImmediate(r));
    const id = msg.messageId;
    const returned = id === undefined ? undefined : this.returned.get(id);
    if (id !== undefined && returned !== undefined) {
      this.returned.delete(id);
      throw new Error(`unroutable: broker returned the message (${returned})`);
    }
  }

  async send(queue: string, msg: OutgoingMessage): Promise<void> {
    this.directPublisher ??= this.rabbit.createPublisher({ confirm: true, maxAttempts: 2 });
    await this.directPublisher.send(envelope('', queue, msg), msg.body);
  }

  consume(t: ConsumerTopology, o: ConsumeOptions, handler: DeliveryHandler): TopologyConsumer {
    const rabbit = this.rabbit;
    // Re-publishes declare the retry and dead-letter queues on every (re)connect.
    const publisher = rabbit.createPublisher({
      confirm: true,
      maxAttempts: 2,
      queues: queueDeclarations(t),
    });
    const [mainQueue] = queueDeclarations(t);
    const consumer = rabbit.createConsumer(
      {
        queue: t.queue,
        queueOptions: mainQueue,
        qos: { prefetchCount: o.prefetch },
        concurrency: Math.min(o.concurrency, o.prefetch),
        requeue: true, // a handler that throws: the message comes back
        exchanges: [{ exchange: t.exchange, type: 'topic', durable: true }],
        queueBindings: t.bindings.map((routingKey) => ({
          exchange: t.exchange,
          queue: t.queue,
          routingKey,
        })),
      },
      async (msg) => {
        await handler(toBrokerMessage(msg));
        return ConsumerStatus.ACK;
      },
    );
    consumer.on('error', (err) => o.onError?.(err));
    const to = (queue: string, m: OutgoingMessage, expirationMs?: number) =>
      publisher.send(
        {
          ...envelope('', queue, m),
          ...(expirationMs !== undefined ? { expiration: String(expirationMs) } : {}),
        },
        m.body,
      );
    return {
      get running() {
        return rabbit.ready && (consumer.consumerTag ?? '') !== '';
      },
      retry: (tier, m, expirationMs) => to(tier.queue, m, expirationMs),
      deadLetter: (m) => to(t.dead, m),
      close: async () => {
        await consumer.close();
        await publisher.close();
      },
    };
  }

  async close(): Promise<void> {
    for (const p of this.exchangePublishers.values()) {
      await p.close().catch(() => {});
    }
    await this.directPublisher?.close().catch(() => {});
    await this.rabbit.close();
  }
}
