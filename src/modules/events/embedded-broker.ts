// The in-process transport (ADR 0021): the broker port (broker.ts) for the embedded
// development mode, where RabbitMQ is not installed. Development only: loadConfig selects it
// only for NODE_ENV=development without AMQP_URL, and production refuses a missing AMQP_URL.
//
// Every queue is a folder under `<dir>/queues/`, every message one JSON file in it, written to
// `<dir>/tmp/`, fsync'ed and renamed in (atomic): `publish`/`send` resolve after the rename, so
// a message the relay was told is accepted survives a crash. The file name starts with the
// time the message becomes due, so a retry is a copy with a later name (the delay of its tier,
// kept across restarts) and the folder's sorted listing is the delivery order. Acknowledging
// deletes the file; a handler that throws leaves it (due again a moment later); a crash
// between the handling and the delete leaves it too, so it is delivered again after a restart
// and the consumer's deduplication (mail_deliveries, webhook deliveries) makes that harmless.
// Dead letters are files in `<queue>.dead/`: `npm run dlq` (another process) lists, replays
// and purges them with the same atomic renames, while the development process runs or not.
//
// One process consumes (the embedded process; PGlite's lock already keeps a second one out):
// which files are being handled is kept in memory. A consumer wakes on a publish in this
// process, on the next due time of its folder, and every `pollMs` (files a dlq replay added).
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { mkdir, open, readFile, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  describeDeadLetter,
  requeuedHeaders,
  type Broker,
  type BrokerMessage,
  type ConsumeOptions,
  type DeadLetter,
  type DeadLetters,
  type DeliveryHandler,
  type OutgoingMessage,
  type TopologyConsumer,
} from './broker.js';
import { topicMatches } from './routes.js';
import type { ConsumerTopology } from './topology.js';

/** A message file's content (the body in base64: bytes as published). */
interface StoredMessage {
  messageId?: string;
  type?: string;
  routingKey: string;
  contentType?: string;
  timestamp?: number;
  headers: Record<string, unknown>;
  body: string;
}

export interface EmbeddedBrokerOptions {
  /** Folder of the queues (DATA_DIR/broker). */
  dir: string;
  /** How often a consumer looks at its folder without being woken (dlq replays). */
  pollMs?: number;
  /** A handler that threw: its message is due again after this long. */
  requeueDelayMs?: number;
  /**
   * Tests: called after a message was handled, before it is acknowledged; throwing stands for
   * the process dying right there (the consumer stops, the message stays).
   */
  beforeAck?: (queue: string, msg: BrokerMessage) => Promise<void> | void;
}

const safeName = (queue: string) => encodeURIComponent(queue);
let sequence = 0;

function fileName(dueAt: number): string {
  sequence = (sequence + 1) % 1_000_000;
  return `${String(dueAt).padStart(15, '0')}-${String(sequence).padStart(6, '0')}-${randomBytes(4).toString('hex')}.json`;
}

function dueOf(file: string): number {
  return Number(file.slice(0, 15));
}

/** The file store, usable from any process (the dlq script opens it without consuming). */
export class MessageStore {
  constructor(readonly dir: string) {
    mkdirSync(join(dir, 'tmp'), { recursive: true });
  }

  /** Drops half-written files a crash left in tmp/ (never renamed in: never accepted). */
  sweepTmp(olderThanMs = 60_000): void {
    const tmp = join(this.dir, 'tmp');
    for (const name of readdirSync(tmp)) {
      const path = join(tmp, name);
      try {
        if (Date.now() - statSync(path).mtimeMs > olderThanMs) {
          rmSync(path, { force: true });
        }
      } catch {
        // removed meanwhile
      }
    }
  }

  folder(queue: string): string {
    return join(this.dir, 'queues', safeName(queue));
  }

  /** Writes durably, then renames into the queue's folder; resolves when it is there. */
  async put(queue: string, msg: StoredMessage, dueAt = Date.now()): Promise<string> {
    const folder = this.folder(queue);
    await mkdir(folder, { recursive: true });
    const name = fileName(dueAt);
    const tmp = join(this.dir, 'tmp', `${process.pid}-${name}`);
    const fh = await open(tmp, 'w');
    try {
      await fh.writeFile(JSON.stringify(msg));
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, join(folder, name));
    return name;
  }

  /** File names in delivery order (due time, then publish order). */
  async list(queue: string): Promise<string[]> {
    try {
      return (await readdir(this.folder(queue))).filter((f) => f.endsWith('.json')).sort();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        return [];
      }
      throw err;
    }
  }

  async read(queue: string, file: string): Promise<StoredMessage | null> {
    try {
      return JSON.parse(await readFile(join(this.folder(queue), file), 'utf8')) as StoredMessage;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        return null; // removed meanwhile (a dlq purge or replay)
      }
      throw err;
    }
  }

  remove(queue: string, file: string): Promise<void> {
    return rm(join(this.folder(queue), file), { force: true });
  }

  /** Makes a message due again later (a handler that threw). */
  async postpone(queue: string, file: string, dueAt: number): Promise<void> {
    await rename(join(this.folder(queue), file), join(this.folder(queue), fileName(dueAt))).catch(
      () => {},
    );
  }
}

function stored(routingKey: string, m: OutgoingMessage): StoredMessage {
  return {
    messageId: m.messageId,
    type: m.type,
    routingKey,
    contentType: m.contentType,
    timestamp: m.timestamp,
    headers: m.headers ?? {},
    body: m.body.toString('base64'),
  };
}

function toBrokerMessage(s: StoredMessage): BrokerMessage {
  return {
    messageId: s.messageId,
    type: s.type,
    routingKey: s.routingKey,
    contentType: s.contentType,
    timestamp: s.timestamp,
    headers: s.headers,
    body: Buffer.from(s.body, 'base64'),
  };
}

/** Dead letters in the store: works from the dlq script's process too. */
export function embeddedDeadLetters(store: MessageStore): DeadLetters {
  const letters = async (t: ConsumerTopology) => {
    const out: Array<{ file: string; msg: StoredMessage; d: DeadLetter }> = [];
    for (const file of await store.list(t.dead)) {
      const msg = await store.read(t.dead, file);
      if (msg !== null) {
        out.push({
          file,
          msg,
          d: describeDeadLetter({ ...msg, body: Buffer.from(msg.body, 'base64') }),
        });
      }
    }
    return out;
  };
  return {
    count: async (t) => (await store.list(t.dead)).length,
    list: async (t, limit = 100) => (await letters(t)).slice(0, limit).map((l) => l.d),
    async requeue(t, opts = {}) {
      const done: DeadLetter[] = [];
      for (const l of await letters(t)) {
        if (done.length >= (opts.limit ?? 10_000)) {
          break;
        }
        if (opts.eventId !== undefined && l.d.eventId !== opts.eventId) {
          continue;
        }
        // Copy first, then remove: a crash in between replays it twice, which deduplicates.
        await store.put(t.queue, { ...l.msg, headers: requeuedHeaders(l.msg.headers) });
        await store.remove(t.dead, l.file);
        done.push(l.d);
      }
      return done;
    },
    async purge(t, opts = {}) {
      let n = 0;
      for (const l of await letters(t)) {
        if (opts.eventId === undefined || l.d.eventId === opts.eventId) {
          await store.remove(t.dead, l.file);
          n += 1;
        }
      }
      return n;
    },
  };
}

class FolderConsumer implements TopologyConsumer {
  private readonly inFlight = new Set<string>();
  private readonly handlers = new Set<Promise<void>>();
  private closed = false;
  private pumping = false;
  private again = false;
  private timer: NodeJS.Timeout | null = null;
  private timerAt = 0;
  private readonly poll: NodeJS.Timeout;

  constructor(
    private readonly broker: EmbeddedBroker,
    private readonly t: ConsumerTopology,
    private readonly o: ConsumeOptions,
    private readonly handler: DeliveryHandler,
  ) {
    this.poll = setInterval(() => this.wake(), broker.pollMs);
    this.poll.unref();
    this.wake();
  }

  get running(): boolean {
    return !this.closed;
  }

  get queue(): string {
    return this.t.queue;
  }

  wake(): void {
    if (this.closed) {
      return;
    }
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = true;
    void this.pump()
      .catch((err: unknown) => this.o.onError?.(err))
      .finally(() => {
        this.pumping = false;
        if (this.again) {
          this.again = false;
          this.wake();
        }
      });
  }

  private async pump(): Promise<void> {
    const limit = Math.max(1, Math.min(this.o.concurrency, this.o.prefetch));
    const now = Date.now();
    for (const file of await this.broker.store.list(this.t.queue)) {
      if (this.closed || this.inFlight.size >= limit) {
        return;
      }
      if (this.inFlight.has(file)) {
        continue;
      }
      const due = dueOf(file);
      if (due > now) {
        this.schedule(due - now);
        return; // sorted by due time: the rest are later still
      }
      const msg = await this.broker.store.read(this.t.queue, file);
      if (msg === null) {
        continue;
      }
      this.inFlight.add(file);
      const run = this.handle(file, toBrokerMessage(msg));
      this.handlers.add(run);
      void run.finally(() => {
        this.handlers.delete(run);
        this.inFlight.delete(file);
        this.wake();
      });
    }
  }

  /** Wakes at the earliest due time asked for (a later one never replaces it). */
  private schedule(ms: number): void {
    const at = Date.now() + ms;
    if (this.timer && this.timerAt <= at) {
      return;
    }
    if (this.timer) {
      clearTimeout(this.timer);
    }
    this.timerAt = at;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.wake();
    }, ms);
    this.timer.unref();
  }

  private async handle(file: string, msg: BrokerMessage): Promise<void> {
    const store = this.broker.store;
    try {
      await this.handler(msg);
    } catch (err) {
      // Not acknowledged: delivered again (RabbitMQ requeues at once; a moment here, so a
      // handler that keeps throwing does not spin).
      this.o.onError?.(err);
      await store.postpone(this.t.queue, file, Date.now() + this.broker.requeueDelayMs);
      return;
    }
    try {
      await this.broker.beforeAck?.(this.t.queue, msg);
    } catch {
      // A simulated crash (tests): this consumer is gone and never acknowledges the message;
      // the next process over the folder receives it again.
      this.closed = true;
      return;
    }
    await store.remove(this.t.queue, file);
  }

  async retry(
    tier: { queue: string; delayMs: number },
    m: OutgoingMessage,
    expirationMs?: number,
  ): Promise<void> {
    const delay = Math.min(tier.delayMs, expirationMs ?? tier.delayMs);
    await this.broker.store.put(this.t.queue, stored(this.t.queue, m), Date.now() + delay);
    this.schedule(Math.max(0, delay));
  }

  async deadLetter(m: OutgoingMessage): Promise<void> {
    await this.broker.store.put(this.t.dead, stored(this.t.dead, m));
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.poll);
    if (this.timer) {
      clearTimeout(this.timer);
    }
    await Promise.allSettled([...this.handlers]);
    this.broker.forget(this);
  }
}

export class EmbeddedBroker implements Broker {
  readonly kind = 'embedded';
  readonly store: MessageStore;
  readonly deadLetters: DeadLetters;
  readonly pollMs: number;
  readonly requeueDelayMs: number;
  readonly beforeAck: EmbeddedBrokerOptions['beforeAck'];
  private readonly topologies = new Map<string, ConsumerTopology>();
  private readonly consumers = new Set<FolderConsumer>();
  private closed = false;

  constructor(o: EmbeddedBrokerOptions) {
    this.store = new MessageStore(o.dir);
    this.store.sweepTmp();
    this.deadLetters = embeddedDeadLetters(this.store);
    this.pollMs = o.pollMs ?? 1000;
    this.requeueDelayMs = o.requeueDelayMs ?? 1000;
    this.beforeAck = o.beforeAck;
  }

  get ready(): boolean {
    return !this.closed;
  }

  onConnect(): () => void {
    return () => {}; // always connected: never a reconnect to announce
  }

  declare(t: ConsumerTopology): Promise<void> {
    this.topologies.set(t.queue, t);
    return Promise.resolve();
  }

  async publish(exchange: string, routingKey: string, msg: OutgoingMessage): Promise<void> {
    const queues = [...this.topologies.values()].filter(
      (t) => t.exchange === exchange && t.bindings.some((b) => topicMatches(b, routingKey)),
    );
    if (queues.length === 0) {
      throw new Error(`unroutable: no queue is bound to ${routingKey} (in-process transport)`);
    }
    for (const t of queues) {
      await this.store.put(t.queue, stored(routingKey, msg));
      this.wake(t.queue);
    }
  }

  async send(queue: string, msg: OutgoingMessage): Promise<void> {
    await this.store.put(queue, stored(queue, msg));
    this.wake(queue);
  }

  consume(t: ConsumerTopology, o: ConsumeOptions, handler: DeliveryHandler): TopologyConsumer {
    this.topologies.set(t.queue, t);
    const c = new FolderConsumer(this, t, o, handler);
    this.consumers.add(c);
    return c;
  }

  forget(c: FolderConsumer): void {
    this.consumers.delete(c);
  }

  private wake(queue: string): void {
    for (const c of this.consumers) {
      if (c.queue === queue) {
        c.wake();
      }
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.consumers].map((c) => c.close()));
  }
}
