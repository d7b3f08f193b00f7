// The outbox relay against real PostgreSQL, RabbitMQ (through a TCP proxy the test can break)
// and MailDev: registration → outbox row → relay → RabbitMQ → worker → SMTP. R1, R3, R5, R10.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import pino from 'pino';
import type { Connection } from 'rabbitmq-client';
import { startTestApp, type TestApp } from '../../../test/helpers/app.js';
import { newUser, register } from '../../../test/helpers/factories.js';
import { request } from '../../../test/helpers/http.js';
import {
  mailDevPorts,
  mailView,
  startMailDev,
  type MailDev,
  type StoredMail,
} from '../../../test/helpers/maildev.js';
import { startTcpProxy, type TcpProxy } from '../../../test/helpers/tcp-proxy.js';
import {
  adminConnection,
  deleteTestTopology,
  eventually,
  mailTestEnv,
  messageCount,
} from '../../../test/helpers/worker.js';
import { startWorker, type Worker } from '../../worker.js';
import type { MailOutcome } from '../mail/mail.consumer.js';
import { mailTopology } from '../mail/topology.js';
import type { RelayEvent } from './outbox.relay.js';
import { appendToOutbox } from './outbox.writer.js';
import { startTogether } from '../../../test/helpers/together.js';

let md: MailDev;
let amqpProxy: TcpProxy;
let t: TestApp;
let worker: Worker | undefined;
let admin: Connection;
const outcomes: MailOutcome[] = [];
const relayEvents: RelayEvent[] = [];

async function outboxRow(eventId: string) {
  const { rows } = await t.database.pool.query<{
    published_at: Date | null;
    attempts: number;
    last_error: string | null;
  }>('SELECT published_at, attempts, last_error FROM outbox_events WHERE event_id = $1', [eventId]);
  return rows[0];
}

// Registration also commits an address-verification mail (issue 4); these tests follow the
// welcome mail.
const WELCOME_SUBJECT = 'Welcome to Internship for developers! ⛵';
const isWelcomeTo = (address: string) => (m: StoredMail) =>
  m.subject === WELCOME_SUBJECT && m.to.some((x) => x.address === address);
const welcomesTo = async (address: string) =>
  (await md.to(address)).filter((m) => m.subject === WELCOME_SUBJECT);

async function eventIdFor(email: string): Promise<string> {
  const { rows } = await t.database.pool.query<{ event_id: string }>(
    `SELECT event_id FROM outbox_events WHERE type = 'mail.welcome' AND payload->>'email' = $1`,
    [email],
  );
  assert.equal(rows.length, 1, `one welcome outbox row for ${email}`);
  return rows[0]!.event_id;
}

function welcome(email: string) {
  return { v: 1 as const, user_id: 1, username: email.split('@')[0]!, email };
}

/** Commits one welcome-mail outbox row for `email` and returns its event id. */
async function enqueueWelcome(email: string): Promise<string> {
  await t.database.db.transaction((tx) =>
    appendToOutbox(tx, { type: 'mail.welcome', payload: welcome(email) }),
  );
  return eventIdFor(email);
}

/** Waits until the relay has failed at least `attempts` times on the row; returns the row. */
function failedAttempts(eventId: string, attempts: number, what: string) {
  return eventually(
    async () => {
      const r = await outboxRow(eventId);
      return r !== undefined && r.attempts >= attempts ? r : undefined;
    },
    10_000,
    what,
  );
}

const outcomesOf = (eventId: string) => outcomes.filter((o) => o.eventId === eventId);
const claimsOf = (eventId: string) =>
  relayEvents.filter((e) => e.type === 'claim' && e.eventIds.includes(eventId)).length;
const claimCount = () => relayEvents.filter((e) => e.type === 'claim').length;

/**
 * Waits by outcome, not by the clock: the row is published, the consumer reported the event
 * sent, the mail queue holds nothing ready and (`copies`) every copy the relay put into the
 * queue has an outcome. Then exactly one of them was sent and MailDev holds one welcome mail
 * for `email` (registrations also send a verification mail, which is not counted).
 */
async function expectOneMail(
  eventId: string,
  email: string,
  timeoutMs: number,
  copies?: () => number,
  message?: string,
): Promise<void> {
  const queue = mailTopology(t.config).queue;
  await eventually(
    async () =>
      (await outboxRow(eventId))?.published_at !== null &&
      outcomesOf(eventId).some((o) => o.status === 'sent') &&
      (copies === undefined || outcomesOf(eventId).length >= copies()) &&
      (await messageCount(admin, queue)) === 0,
    timeoutMs,
    'sent, every copy handled, the queue drained',
  );
  const statuses = outcomesOf(eventId).map((o) => o.status);
  assert.equal(statuses.filter((s) => s === 'sent').length, 1, message);
  assert.deepEqual(
    statuses.filter((s) => s !== 'sent' && s !== 'duplicate'),
    [],
    'no retry or dead letter',
  );
  await md.waitForMail(isWelcomeTo(email), timeoutMs);
  assert.equal((await welcomesTo(email)).length, 1, message);
}

before(async () => {
  const ports = await mailDevPorts();
  amqpProxy = await startTcpProxy('127.0.0.1', 5672);
  // MailDev boots while the app's database is made and migrated.
  [md, t] = await startTogether(
    startMailDev(ports),
    startTestApp(
      mailTestEnv({ SMTP_URL: ports.smtpUrl, AMQP_URL: amqpProxy.url('amqp', 'guest:guest') }),
    ),
  );
  admin = adminConnection();
  worker = await startWorker(t.config, {
    log: pino({ level: 'silent' }),
    onOutcome: (o) => outcomes.push(o),
  });
  worker.relay!.observe((e) => relayEvents.push(e));
  await eventually(async () => worker!.broker.ready, 10_000, 'worker connected');
});

after(async () => {
  await worker?.close().catch(() => {});
  if (t) {
    await deleteTestTopology(t.config).catch(() => {});
  }
  await admin?.close().catch(() => {});
  await t?.close().catch(() => {});
  await amqpProxy?.close().catch(() => {});
  await md?.close().catch(() => {});
});

describe('outbox relay → RabbitMQ → worker → SMTP', () => {
  test('registration sends exactly one welcome mail as api-v1.md describes', async () => {
    const user = await register(t.url, { username: `ada_${Date.now()}` });
    const mail = await md.waitForMail(isWelcomeTo(user.email));
    // The English text is the v1 contract, word for word.
    assert.deepEqual(mailView(mail), {
      from: ['admin@site.com'],
      to: [user.email],
      subject: WELCOME_SUBJECT,
      text: [
        `Hi ${user.username}!`,
        '',
        'Welcome to the Internship for Developers platform!',
        'Here you will be able to learn new technologies, work on real projects and grow your developer experience.',
        '',
        'Good luck!',
        '',
        'The IFD team',
        '',
      ].join('\n'),
    });
    assert.match(mail.html ?? '', new RegExp(`<strong>${user.username}</strong>`));
    const eventId = await eventIdFor(user.email);
    await eventually(
      async () => (await outboxRow(eventId))?.published_at !== null,
      5000,
      'published_at',
    );
    // The delivery record commits just after the send (delivery-batcher.ts): wait for it.
    const messageId = async () =>
      (
        await t.database.pool.query<{ smtp_message_id: string }>(
          'SELECT smtp_message_id FROM mail_deliveries WHERE event_id = $1',
          [eventId],
        )
      ).rows[0]?.smtp_message_id;
    await eventually(async () => (await messageId()) !== undefined, 5000, 'mail_deliveries row');
    assert.equal(await messageId(), `<${eventId}@ifd.mail>`);
    await expectOneMail(eventId, user.email, 5000, () => claimsOf(eventId));
  });

  // How the relay is woken (a commit of this process, another process's NOTIFY, a full batch,
  // its adaptive timer) is asserted by wake source in outbox.wake.integration.test.ts.

  test('R3: a rolled-back registration sends nothing; an open transaction is invisible to the relay', async () => {
    // A registration refused after the user insert (username taken) writes no mail.
    const first = await register(t.url);
    const dup = await request(t.url, 'POST', '/api/v1/users/', {
      json: newUser({ username: first.username }),
    });
    assert.deepEqual([dup.status, dup.body], [400, { detail: 'Username already exists' }]);

    const rolledBack = `rollback_${randomUUID()}@example.com`;
    await assert.rejects(
      t.database.db.transaction(async (tx) => {
        await appendToOutbox(tx, { type: 'mail.welcome', payload: welcome(rolledBack) });
        throw new Error('boom');
      }),
      /boom/,
    );

    const pending = `pending_${randomUUID()}@example.com`;
    const pendingId = randomUUID();
    const client = await t.database.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query(
        `INSERT INTO outbox_events (event_id, type, payload) VALUES ($1, 'mail.welcome', $2)`,
        [pendingId, JSON.stringify(welcome(pending))],
      );
      // Three claims by the relay while the row is uncommitted (counted, not timed): none of
      // them saw it.
      const before = claimCount();
      await eventually(async () => claimCount() >= before + 3, 10_000, 'three claims');
      assert.equal(claimsOf(pendingId), 0, 'never claimed before commit');
      assert.equal((await md.to(pending)).length, 0, 'no mail before commit');
      await client.query('COMMIT');
    } finally {
      client.release();
    }
    await expectOneMail(pendingId, pending, 5000);
    assert.equal((await md.to(rolledBack)).length, 0, 'no mail for the rolled-back transaction');
    const { rows } = await t.database.pool.query(
      `SELECT 1 FROM outbox_events WHERE payload->>'email' = $1`,
      [rolledBack],
    );
    assert.equal(rows.length, 0);
  });

  test('R5: duplicate publishes of one event (crashed relay, concurrent copies) produce one mail', async () => {
    const eventId = randomUUID();
    const email = `dup_${randomUUID()}@example.com`;
    const topo = mailTopology(t.config);
    const pub = admin.createPublisher({ confirm: true });
    try {
      const body = JSON.stringify(welcome(email));
      // What a relay that crashed after publishing (before marking the row) left behind,
      // several copies at once to race the workers' handlers against each other.
      await Promise.all(
        Array.from({ length: 4 }, () =>
          pub.send(
            {
              exchange: topo.exchange,
              routingKey: 'mail.welcome',
              messageId: eventId,
              type: 'mail.welcome',
              durable: true,
              contentType: 'application/json',
            },
            Buffer.from(body),
          ),
        ),
      );
    } finally {
      await pub.close();
    }
    // ...and the row itself, which the restarted relay publishes once more.
    await t.database.pool.query(
      `INSERT INTO outbox_events (event_id, type, payload) VALUES ($1, 'mail.welcome', $2)`,
      [eventId, JSON.stringify(welcome(email))],
    );
    await eventually(
      async () => (await outboxRow(eventId))?.published_at !== null,
      5000,
      'published',
    );
    await eventually(
      async () => outcomes.filter((o) => o.eventId === eventId).length >= 5,
      10_000,
      'five deliveries handled',
    );
    const mine = outcomes.filter((o) => o.eventId === eventId).map((o) => o.status);
    assert.equal(mine.filter((s) => s === 'sent').length, 1);
    assert.equal(mine.filter((s) => s === 'duplicate').length, 4);
    assert.equal((await md.to(email)).length, 1);
  });

  test('R1: RabbitMQ down at sign-up: 201 at once, the mail goes out exactly once when it is back', async () => {
    await amqpProxy.cut();
    try {
      // "At once" proven by what runs, not by a stopwatch: the 201 comes back while the broker
      // is still unreachable (a registration that waited for the publish would hang here until
      // the restore below), and its event is still unpublished when it does.
      const user = await register(t.url);
      const eventId = await eventIdFor(user.email);
      assert.equal((await outboxRow(eventId))?.published_at, null, 'answered before any publish');
      // The relay has seen the broker gone and waited for it twice since (not a fixed sleep).
      const waitsBefore = relayEvents.length;
      await eventually(
        async () =>
          relayEvents
            .slice(waitsBefore)
            .filter((e) => e.type === 'wait' && (e.reason === 'broker' || e.reason === 'error'))
            .length >= 2,
        10_000,
        'two waits for the broker',
      );
      const row = await outboxRow(eventId);
      assert.equal(row?.published_at, null, 'still pending while the broker is unreachable');
      assert.equal((await md.to(user.email)).length, 0);
      await amqpProxy.restore();
      await expectOneMail(eventId, user.email, 15_000);
    } finally {
      await amqpProxy.restore();
    }
  });

  test('R10: a negative confirm keeps the row pending and retries it; one mail in the end', async () => {
    const topo = mailTopology(t.config);
    const nacker = `${topo.queue}.nacker`;
    // A full queue with reject-publish makes the broker nack every publish it routes to it.
    await admin.queueDeclare({
      queue: nacker,
      durable: false,
      arguments: { 'x-max-length': 0, 'x-overflow': 'reject-publish' },
    });
    await admin.queueBind({ queue: nacker, exchange: topo.exchange, routingKey: 'mail.#' });
    const email = `nack_${randomUUID()}@example.com`;
    let eventId = '';
    try {
      eventId = await enqueueWelcome(email);
      const failed = await failedAttempts(eventId, 2, 'two failed attempts');
      assert.equal(failed.published_at, null);
      assert.match(failed.last_error ?? '', /nack|reject/i);
    } finally {
      await admin.queueDelete({ queue: nacker });
    }
    await eventually(
      async () => (await outboxRow(eventId))?.published_at !== null,
      10_000,
      'published after the fix',
    );
    // Every claim published one copy into the mail queue (the nacker refused only its own):
    // each has an outcome, and only one of them was sent.
    await expectOneMail(
      eventId,
      email,
      10_000,
      () => claimsOf(eventId),
      'nacked copies that reached the mail queue are deduplicated',
    );
  });

  test('R10: a missing confirm (broker silent) keeps the row pending; delivered once after recovery', async () => {
    const email = `silent_${randomUUID()}@example.com`;
    amqpProxy.stall();
    let eventId = '';
    try {
      eventId = await enqueueWelcome(email);
      const failed = await failedAttempts(eventId, 1, 'a timed-out attempt');
      assert.equal(failed.published_at, null);
      assert.match(failed.last_error ?? '', /confirm|closed|connection/i);
    } finally {
      await amqpProxy.restore();
    }
    await eventually(
      async () => (await outboxRow(eventId))?.published_at !== null,
      15_000,
      'published after recovery',
    );
    await expectOneMail(eventId, email, 10_000);
  });

  test('an unroutable type (no queue bound) stays pending instead of vanishing', async () => {
    const eventId = randomUUID();
    await t.database.pool.query(
      `INSERT INTO outbox_events (event_id, type, payload) VALUES ($1, 'nobody.listens', '{"v":1}')`,
      [eventId],
    );
    const r = await eventually(
      async () => {
        const row = await outboxRow(eventId);
        return row !== undefined && row.attempts >= 1 ? row : undefined;
      },
      5000,
      'attempted',
    );
    assert.equal(r.published_at, null);
    assert.match(r.last_error ?? '', /unroutable/);
    await t.database.pool.query('DELETE FROM outbox_events WHERE event_id = $1', [eventId]);
  });
});
