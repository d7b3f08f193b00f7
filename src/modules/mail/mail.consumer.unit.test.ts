// The mail consumer through its ports (ADR 0029), without a database or broker: an in-memory
// mail_deliveries store, the in-memory broker and a clock moved by hand. Sends go to a
// recording sender (the MailSender port) or, where the SMTP reply is the point, through the
// real nodemailer sender to a loopback SMTP server that answers 451 or 550. What is asserted
// is what the consumer did — outcomes, records, copies handed to the broker — never timing.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import pino from 'pino';
import { ManualClock, MemoryBroker, json } from '../../../test/helpers/ports.js';
import { startTcpProxy, type TcpProxy } from '../../../test/helpers/tcp-proxy.js';
import type { Config } from '../../config.js';
import type {
  DeliveryClaim,
  MailDeliveryBatch,
  MailDeliveryStore,
  SentMail,
} from './deliveries.store.js';
import { MailConsumer, type MailOutcome } from './mail.consumer.js';
import { createSmtpSender, type MailSender, type OutgoingMail } from './smtp.js';
import { mailTopology } from './topology.js';

/**
 * mail_deliveries in memory, with the port's promises: a record is durable once settled; a
 * claim another batch holds makes a claim wait until that batch settles.
 */
class MemoryDeliveries implements MailDeliveryStore {
  readonly records = new Map<string, DeliveryClaim & { smtpMessageId: string }>();
  private readonly held = new Map<string, Promise<void>>();
  failNextClaim: Error | null = null;

  async claim(claims: DeliveryClaim[]): Promise<MailDeliveryBatch> {
    if (this.failNextClaim !== null) {
      const e = this.failNextClaim;
      this.failNextClaim = null;
      throw e;
    }
    const ids = claims.map((c) => c.eventId);
    while (ids.some((id) => this.held.has(id))) {
      await Promise.all(ids.map((id) => this.held.get(id) ?? Promise.resolve()));
    }
    const mine = claims.filter((c) => !this.records.has(c.eventId));
    let release!: () => void;
    const settled = new Promise<void>((r) => (release = r));
    for (const c of mine) {
      this.held.set(c.eventId, settled);
    }
    return {
      claimed: new Set(mine.map((c) => c.eventId)),
      settle: async (sent: SentMail[]) => {
        for (const s of sent) {
          const c = mine.find((x) => x.eventId === s.eventId)!;
          this.records.set(s.eventId, { ...c, smtpMessageId: s.smtpMessageId });
        }
        for (const c of mine) {
          this.held.delete(c.eventId);
        }
        release();
      },
    };
  }
}

/** The MailSender port, recording: each mail gets the SMTP id `<n@smtp>`. */
class RecordingSender implements MailSender {
  readonly mails: OutgoingMail[] = [];
  async send(mail: OutgoingMail) {
    this.mails.push(mail);
    return { messageId: `<${this.mails.length}@smtp>`, response: '250 OK' };
  }
  close(): void {}
}

const START = Date.UTC(2026, 0, 2, 3, 4, 5);
const topology = mailTopology({
  events: { exchange: 'ifd.events' },
  mail: { queue: 'mail', maxAttempts: 3, retryBaseMs: 200 },
} as unknown as Config);

function setUp(sender: MailSender, ratePerSecond = Infinity) {
  const broker = new MemoryBroker();
  const deliveries = new MemoryDeliveries();
  const clock = new ManualClock(START);
  const outcomes: MailOutcome[] = [];
  const consumer = new MailConsumer({
    broker: broker.port,
    deliveries,
    sender,
    topology,
    from: 'ifd@example.test',
    context: { publicUrl: 'http://app.example.test' },
    prefetch: 10,
    concurrency: 10,
    batchSize: 10,
    ratePerSecond,
    log: pino({ level: 'silent' }),
    onOutcome: (o) => outcomes.push(o),
    clock,
  });
  consumer.start();
  const welcome = (eventId: string, email = 'ann@example.test', headers = {}) =>
    broker.deliver('mail', {
      messageId: eventId,
      type: 'mail.welcome',
      routingKey: 'mail.welcome',
      headers,
      body: json({ v: 1, user_id: 7, username: 'ann', email }),
    });
  return { broker, deliveries, clock, outcomes, welcome };
}

describe('mail consumer (ports: mail_deliveries store, broker, clock)', () => {
  test('R5: a redelivered message is acknowledged as a duplicate and sent once', async () => {
    const sender = new RecordingSender();
    const s = setUp(sender);
    const id = randomUUID();
    await s.welcome(id);
    await s.welcome(id); // the broker delivers it again (e.g. the ack was lost)

    assert.deepEqual(s.outcomes, [
      { status: 'sent', eventId: id },
      { status: 'duplicate', eventId: id },
    ]);
    assert.deepEqual(
      sender.mails.map((m) => [m.to, m.messageId, m.headers['X-IFD-Event-Id']]),
      [['ann@example.test', `<${id}@ifd.mail>`, id]],
    );
    assert.deepEqual(s.deliveries.records.get(id), {
      eventId: id,
      type: 'mail.welcome',
      recipient: 'ann@example.test',
      smtpMessageId: '<1@smtp>',
    });
    assert.deepEqual([s.broker.retried, s.broker.dead], [[], []]);
  });

  test('R5: two copies in hand at once: one is sent, the other waits and is a duplicate', async () => {
    const sender = new RecordingSender();
    const s = setUp(sender);
    const id = randomUUID();
    await Promise.all([s.welcome(id), s.welcome(id)]);

    assert.deepEqual(
      s.outcomes.map((o) => o.status),
      ['sent', 'duplicate'],
    );
    assert.equal(sender.mails.length, 1);
  });

  test('a database failure is retried on the first tier and nothing is sent', async () => {
    const sender = new RecordingSender();
    const s = setUp(sender);
    const id = randomUUID();
    s.deliveries.failNextClaim = new Error('connection terminated');
    await s.welcome(id);

    assert.deepEqual(s.outcomes, [
      {
        status: 'retry',
        eventId: id,
        attempt: 1,
        delayMs: 200,
        error: 'database: connection terminated',
      },
    ]);
    assert.equal(sender.mails.length, 0);
    assert.deepEqual(
      s.broker.retried.map((r) => [r.tier.queue, r.msg.headers?.['x-attempts']]),
      [['mail.retry.200ms', 1]],
    );
  });

  test('an invalid payload is dead at once (invalid_payload), stamped with the clock, unclaimed', async () => {
    const sender = new RecordingSender();
    const s = setUp(sender);
    const id = randomUUID();
    await s.broker.deliver('mail', {
      messageId: id,
      type: 'mail.welcome',
      body: json({ v: 1, user_id: 7 }),
    });

    assert.equal(s.outcomes[0]?.status, 'dead');
    assert.equal(s.outcomes[0]?.status === 'dead' ? s.outcomes[0].reason : '', 'invalid_payload');
    assert.deepEqual(
      s.broker.dead.map((d) => [d.msg.messageId, d.msg.headers?.['x-dead-at']]),
      [[id, '2026-01-02T03:04:05.000Z']],
    );
    assert.deepEqual([sender.mails.length, s.deliveries.records.size], [0, 0]);
  });

  test('R11: sends are spaced by the rate limit on the clock: the next one waits for its slot', async () => {
    const sender = new RecordingSender();
    const s = setUp(sender, 2); // one mail every 500 ms
    const ids = [randomUUID(), randomUUID(), randomUUID()];
    const all = Promise.all(ids.map((id, i) => s.welcome(id, `u${i}@example.test`)));
    const sends = async (n: number) => {
      while (sender.mails.length < n || s.clock.pending < 3 - n) {
        await new Promise((r) => setImmediate(r));
      }
    };
    await sends(1);
    assert.equal(sender.mails.length, 1, 'the second and third wait for their slots');
    s.clock.advance(499);
    await new Promise((r) => setImmediate(r));
    assert.equal(sender.mails.length, 1, 'not before 500 ms');
    s.clock.advance(1);
    await sends(2);
    s.clock.advance(500);
    await all;
    assert.deepEqual(
      sender.mails.map((m) => m.to),
      ['u0@example.test', 'u1@example.test', 'u2@example.test'],
    );
  });
});

describe('mail consumer: SMTP replies from a loopback server (nodemailer sender)', () => {
  let smtp: TcpProxy;
  let sender: MailSender;
  before(async () => {
    // In reply mode the proxy is the SMTP server itself; its forward target is never used.
    smtp = await startTcpProxy('127.0.0.1', 9);
    sender = createSmtpSender(smtp.url('smtp'), 1);
  });
  after(async () => {
    sender?.close();
    await smtp?.close();
  });

  test('R8: SMTP 451 is temporary: retried on the doubling schedule, the claim released', async () => {
    smtp.smtpReply('451 4.3.0 Temporary local problem, try again later');
    const s = setUp(sender);
    const id = randomUUID();
    await s.welcome(id);
    const first = s.broker.retried[0]!;
    await s.broker.deliver('mail', { ...first.msg, routingKey: 'mail.welcome' }); // from the tier

    assert.deepEqual(
      s.outcomes.map((o) => (o.status === 'retry' ? [o.attempt, o.delayMs] : o.status)),
      [
        [1, 200],
        [2, 400],
      ],
    );
    assert.match(s.outcomes[0]?.status === 'retry' ? s.outcomes[0].error : '', /^smtp: .*451/);
    assert.deepEqual(
      s.broker.retried.map((r) => [r.tier.queue, r.msg.headers?.['x-attempts']]),
      [
        ['mail.retry.200ms', 1],
        ['mail.retry.400ms', 2],
      ],
    );
    assert.equal(s.deliveries.records.size, 0, 'a failed send leaves no record: the retry sends');
  });

  test('R8: the third 451 exhausts the attempts: dead with max_attempts', async () => {
    smtp.smtpReply('451 4.3.0 Temporary local problem, try again later');
    const s = setUp(sender);
    const id = randomUUID();
    await s.welcome(id, 'ann@example.test', { 'x-attempts': 2 });

    assert.deepEqual(
      s.outcomes.map((o) => (o.status === 'dead' ? [o.status, o.reason] : [o.status])),
      [['dead', 'max_attempts']],
    );
    assert.deepEqual(
      s.broker.dead.map((d) => [d.msg.headers?.['x-dead-reason'], d.msg.headers?.['x-attempts']]),
      [['max_attempts', 3]],
    );
  });

  test('R9: SMTP 550 is permanent: dead at once with smtp_rejected, nothing recorded', async () => {
    smtp.smtpReply('550 5.1.1 Mailbox unavailable');
    const s = setUp(sender);
    const id = randomUUID();
    await s.welcome(id);

    assert.deepEqual(
      s.outcomes.map((o) => (o.status === 'dead' ? [o.status, o.reason] : [o.status])),
      [['dead', 'smtp_rejected']],
    );
    assert.match(s.outcomes[0]?.status === 'dead' ? s.outcomes[0].error : '', /550/);
    assert.deepEqual(
      s.broker.dead.map((d) => [
        d.msg.messageId,
        d.msg.headers?.['x-dead-reason'],
        d.msg.headers?.['x-dead-at'],
      ]),
      [[id, 'smtp_rejected', '2026-01-02T03:04:05.000Z']],
    );
    assert.deepEqual([s.broker.retried, s.deliveries.records.size], [[], 0]);
  });
});
