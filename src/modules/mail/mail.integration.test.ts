// The mail worker against real RabbitMQ, PostgreSQL and MailDev, with a TCP proxy in front of
// SMTP that the test breaks: R7, R8, R9, R13 and the dead-letter tools.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, afterEach, before, describe, test } from 'node:test';
import pino from 'pino';
import type { Connection } from 'rabbitmq-client';
import { startTestApp, type TestApp } from '../../../test/helpers/app.js';
import { normalised } from '../../../test/helpers/http.js';
import { startMailDev, type MailDev } from '../../../test/helpers/maildev.js';
import { startTcpProxy, type TcpProxy } from '../../../test/helpers/tcp-proxy.js';
import {
  adminConnection,
  deleteTestTopology,
  eventually,
  mailTestEnv,
  messageCount,
  startWorkerProcess,
  type WorkerProcess,
} from '../../../test/helpers/worker.js';
import { startWorker, type Worker } from '../../worker.js';
import { listDeadLetters, purgeDeadLetters, requeueDeadLetters } from '../events/dlq.js';
import type { MailOutcome } from './mail.consumer.js';
import { mailTopology, type MailTopology } from './topology.js';

let md: MailDev;
let smtp: TcpProxy;
let t: TestApp;
let env: Record<string, string>;
let admin: Connection;
let topo: MailTopology;
const outcomes: MailOutcome[] = [];

async function enqueue(email: string, payload?: unknown, type = 'mail.welcome'): Promise<string> {
  const eventId = randomUUID();
  await t.database.pool.query(
    'INSERT INTO outbox_events (event_id, type, payload) VALUES ($1, $2, $3)',
    [eventId, type, JSON.stringify(payload ?? { v: 1, user_id: 1, username: 'mail_test', email })],
  );
  return eventId;
}

/**
 * `o` with its error text checked against `pattern` and replaced by "<error>" (it carries
 * addresses and ports that differ between runs), so the rest is compared whole.
 */
function withError<T extends object>(o: T, pattern: RegExp): T {
  if (!('error' in o)) {
    return o;
  }
  assert.match(String(o.error), pattern);
  return { ...o, error: '<error>' };
}

const mine = (eventId: string) => outcomes.filter((o) => o.eventId === eventId);
const address = () => `m_${randomUUID()}@example.com`;

/**
 * Outcome-driven "and no second mail": the consumer reported `sent` for each event and no copy
 * waits in the queue or a retry tier, so nothing is left that could send again (instead of
 * sleeping and then counting).
 */
async function settled(eventIds: string[], sentHere = eventIds.length): Promise<void> {
  await eventually(
    async () => {
      const sent = eventIds.filter((id) => mine(id).some((o) => o.status === 'sent'));
      if (sent.length < sentHere) {
        return false;
      }
      for (const q of [topo.queue, ...topo.retryQueues.map((r) => r.queue)]) {
        if ((await messageCount(admin, q)) !== 0) {
          return false;
        }
      }
      return true;
    },
    15_000,
    'sent, and no copy left to deliver',
  );
}

before(async () => {
  md = await startMailDev();
  smtp = await startTcpProxy('127.0.0.1', md.smtpPort);
  env = mailTestEnv({ SMTP_URL: smtp.url('smtp') });
  t = await startTestApp(env);
  env.DATABASE_URL = t.testDb.url;
  topo = mailTopology(t.config);
  admin = adminConnection();
});

after(async () => {
  if (t) {
    await deleteTestTopology(t.config).catch(() => {});
  }
  await admin?.close().catch(() => {});
  await t?.close().catch(() => {});
  await smtp?.close().catch(() => {});
  await md?.close().catch(() => {});
});

describe('retries and dead letters (in-process worker)', () => {
  let worker: Worker | undefined;
  before(async () => {
    worker = await startWorker(t.config, {
      log: pino({ level: 'silent' }),
      onOutcome: (o) => outcomes.push(o),
    });
  });
  after(async () => {
    await worker?.close();
  });
  afterEach(async () => {
    await smtp.restore();
  });

  test('R8: SMTP connection refused is retried with exponential backoff, then delivered', async () => {
    await smtp.cut();
    const email = address();
    const eventId = await enqueue(email);
    const retries = await eventually(
      async () => {
        const r = mine(eventId).filter((o) => o.status === 'retry');
        return r.length >= 2 ? r : undefined;
      },
      10_000,
      'two retries',
    );
    await smtp.restore();
    await md.waitForMail((m) => m.to.some((x) => x.address === email), 10_000);
    // The delay doubles; each error names the refused connection.
    assert.deepEqual(
      retries.slice(0, 2).map((o) => withError(o, /ECONNREFUSED|connect/i)),
      [
        { status: 'retry', eventId, attempt: 1, delayMs: 200, error: '<error>' },
        { status: 'retry', eventId, attempt: 2, delayMs: 400, error: '<error>' },
      ],
    );
    await settled([eventId]);
    assert.equal((await md.to(email)).length, 1);
    assert.equal(mine(eventId).filter((o) => o.status === 'sent').length, 1);
  });

  test('R8: SMTP 4xx is temporary: retried, then delivered', async () => {
    smtp.smtpReply('451 4.3.0 Temporary local problem, try again later');
    const email = address();
    const eventId = await enqueue(email);
    const retry = await eventually(
      async () => mine(eventId).find((o) => o.status === 'retry'),
      10_000,
      'a retry',
    );
    assert.deepEqual(withError(retry, /451 4\.3\.0 Temporary local problem/), {
      status: 'retry',
      eventId,
      attempt: 1,
      delayMs: 200,
      error: '<error>',
    });
    await smtp.restore();
    await md.waitForMail((m) => m.to.some((x) => x.address === email), 10_000);
    assert.equal((await md.to(email)).length, 1);
  });

  test('R9: SMTP 5xx goes to the dead-letter queue at once; visible, and replayable after the fix', async () => {
    smtp.smtpReply('550 5.1.1 Mailbox unavailable');
    const email = address();
    const eventId = await enqueue(email);
    await eventually(async () => mine(eventId).find((o) => o.status === 'dead'), 10_000, 'dead');
    const mailbox = /550 5\.1\.1 Mailbox unavailable/;
    // Dead at the first attempt: no retry for a 5xx.
    assert.deepEqual(
      mine(eventId).map((o) => withError(o, mailbox)),
      [{ status: 'dead', eventId, reason: 'smtp_rejected', error: '<error>' }],
    );
    const listed = (await listDeadLetters(admin, topo)).filter((d) => d.eventId === eventId);
    assert.deepEqual(
      listed.map((d) => normalised(withError(d, mailbox), [])),
      [
        {
          eventId,
          type: 'mail.welcome',
          reason: 'smtp_rejected',
          error: '<error>',
          attempts: 1,
          deadAt: '<time>',
          payload: { v: 1, user_id: 1, username: 'mail_test', email },
        },
      ],
    );
    assert.ok((await messageCount(admin, topo.dead)) >= 1, 'listing leaves it in the queue');

    await smtp.restore();
    const requeued = await requeueDeadLetters(admin, topo, { eventId });
    assert.deepEqual(
      requeued.map((d) => d.eventId),
      [eventId],
    );
    await md.waitForMail((m) => m.to.some((x) => x.address === email), 10_000);
    assert.equal(
      (await listDeadLetters(admin, topo)).filter((d) => d.eventId === eventId).length,
      0,
    );
    // Replaying again never sends twice: the delivery record suppresses it.
    assert.equal((await md.to(email)).length, 1);
  });

  test('R9: temporary failures that never end are dead-lettered after MAIL_MAX_ATTEMPTS', async () => {
    await smtp.cut();
    const email = address();
    const eventId = await enqueue(email);
    await eventually(async () => mine(eventId).find((o) => o.status === 'dead'), 15_000, 'dead');
    const refused = /ECONNREFUSED|connect/i;
    const retry = (attempt: number, delayMs: number) => ({
      status: 'retry',
      eventId,
      attempt,
      delayMs,
      error: '<error>',
    });
    assert.deepEqual(
      mine(eventId).map((o) => withError(o, refused)),
      [
        retry(1, 200),
        retry(2, 400),
        retry(3, 800),
        { status: 'dead', eventId, reason: 'max_attempts', error: '<error>' },
      ],
    );
    const listed = (await listDeadLetters(admin, topo)).filter((d) => d.eventId === eventId);
    assert.deepEqual(
      listed.map((d) => normalised(withError(d, refused), [])),
      [
        {
          eventId,
          type: 'mail.welcome',
          reason: 'max_attempts',
          error: '<error>',
          attempts: 4,
          deadAt: '<time>',
          payload: { v: 1, user_id: 1, username: 'mail_test', email },
        },
      ],
    );
    assert.equal(await purgeDeadLetters(admin, topo, { eventId }), 1);
    assert.equal(
      (await listDeadLetters(admin, topo)).filter((d) => d.eventId === eventId).length,
      0,
    );
  });

  test('R9: a malformed job or an unknown mail type is dead-lettered, never dropped or crashed on', async () => {
    const bad = await enqueue('x', { v: 1, user_id: 'not a number', username: 'a' });
    const unknown = await enqueue('x', { v: 1 }, 'mail.no_such_template');
    await eventually(async () => mine(bad).find((o) => o.status === 'dead'), 10_000, 'bad dead');
    await eventually(
      async () => mine(unknown).find((o) => o.status === 'dead'),
      10_000,
      'unknown dead',
    );
    const letters = await listDeadLetters(admin, topo);
    const letter = (id: string, error: RegExp) =>
      letters.filter((d) => d.eventId === id).map((d) => normalised(withError(d, error), []));
    assert.deepEqual(letter(bad, /email|user_id/), [
      {
        eventId: bad,
        type: 'mail.welcome',
        reason: 'invalid_payload',
        error: '<error>',
        attempts: 1,
        deadAt: '<time>',
        payload: { v: 1, user_id: 'not a number', username: 'a' },
      },
    ]);
    assert.deepEqual(letter(unknown, /mail\.no_such_template/), [
      {
        eventId: unknown,
        type: 'mail.no_such_template',
        reason: 'unknown_type',
        error: '<error>',
        attempts: 1,
        deadAt: '<time>',
        payload: { v: 1 },
      },
    ]);
    await purgeDeadLetters(admin, topo);
    assert.equal(await messageCount(admin, topo.dead), 0);
  });
});

describe('R4: messages waiting in the queue', () => {
  test('wait as persistent messages in a durable queue while no worker runs, then all arrive once', async () => {
    const relayOnly = await startWorker(t.config, {
      roles: ['relay'],
      log: pino({ level: 'silent' }),
    });
    const emails = [address(), address(), address()];
    const eventIds: string[] = [];
    try {
      for (const e of emails) {
        eventIds.push(await enqueue(e));
      }
      await eventually(
        async () => (await messageCount(admin, topo.queue)) === 3,
        10_000,
        'three waiting',
      );
    } finally {
      await relayOnly.close();
    }
    // What a broker restart keeps: a durable queue (redeclaring it as transient is refused) and
    // persistent messages (delivery mode 2).
    await assert.rejects(
      admin.queueDeclare({ queue: topo.queue, durable: false }),
      /PRECONDITION_FAILED|inequivalent/,
    );
    const ch = await admin.acquire();
    try {
      const msg = await ch.basicGet({ queue: topo.queue });
      assert.equal(msg?.durable, true, 'persistent message');
    } finally {
      await ch.close(); // unacked: back to the queue
    }
    await eventually(
      async () => (await messageCount(admin, topo.queue)) === 3,
      5000,
      'still three',
    );
    const worker = await startWorker(t.config, {
      roles: ['mail'],
      log: pino({ level: 'silent' }),
      onOutcome: (o) => outcomes.push(o),
    });
    try {
      for (const e of emails) {
        await md.waitForMail((m) => m.to.some((x) => x.address === e), 10_000);
      }
      await settled(eventIds);
      for (const e of emails) {
        assert.equal((await md.to(e)).length, 1);
      }
    } finally {
      await worker.close();
    }
  });
});

describe('crashes and shutdown (worker in a child process)', () => {
  let child: WorkerProcess | undefined;
  let rescue: Worker | undefined;
  afterEach(async () => {
    child?.kill('SIGKILL');
    await rescue?.close();
    rescue = undefined;
    await smtp.restore();
  });

  async function delivered(eventId: string) {
    await eventually(
      async () => {
        const { rows } = await t.database.pool.query(
          'SELECT published_at FROM outbox_events WHERE event_id = $1 AND published_at IS NOT NULL',
          [eventId],
        );
        return rows.length === 1 && (await messageCount(admin, topo.queue)) === 0;
      },
      10_000,
      'message taken by the worker',
    );
  }

  test('R7: the worker killed before sending: the message is redelivered and sent once', async () => {
    smtp.stall(); // the SMTP greeting never comes: the send stays in flight
    const connections = smtp.accepted();
    child = await startWorkerProcess(env);
    const email = address();
    const eventId = await enqueue(email);
    await delivered(eventId);
    await eventually(async () => smtp.accepted() > connections, 10_000, 'the send in flight');
    child.kill('SIGKILL');
    await child.exited;
    assert.equal((await md.to(email)).length, 0);
    await smtp.restore();
    rescue = await startWorker(t.config, {
      log: pino({ level: 'silent' }),
      onOutcome: (o) => outcomes.push(o),
    });
    await md.waitForMail((m) => m.to.some((x) => x.address === email), 15_000);
    await settled([eventId]);
    assert.equal((await md.to(email)).length, 1);
  });

  test('R13: SIGTERM finishes the mail in flight, returns unstarted ones to the queue, exits 0', async () => {
    child = await startWorkerProcess({
      ...env,
      MAIL_CONCURRENCY: '1',
      MAIL_PREFETCH: '5',
      SHUTDOWN_TIMEOUT_MS: '15000',
    });
    smtp.delay(250); // a slow SMTP server: each mail takes seconds
    const connections = smtp.accepted();
    const emails = [address(), address(), address()];
    const eventIds: string[] = [];
    for (const e of emails) {
      eventIds.push(await enqueue(e));
    }
    await eventually(
      async () => {
        const { rows } = await t.database.pool.query(
          'SELECT 1 FROM outbox_events WHERE published_at IS NULL',
        );
        return rows.length === 0 && (await messageCount(admin, topo.queue)) === 0;
      },
      10_000,
      'all taken by the worker',
    );
    await eventually(async () => smtp.accepted() > connections, 10_000, 'the first send started');
    child.kill('SIGTERM');
    // Within its bound: SHUTDOWN_TIMEOUT_MS would have exited 1 (the deadline is the requirement).
    const exit = await child.exited;
    assert.deepEqual(exit, { code: 0, signal: null }, child.output());
    const sentBeforeExit = (await Promise.all(emails.map((e) => md.to(e)))).filter(
      (l) => l.length === 1,
    ).length;
    assert.ok(sentBeforeExit >= 1, 'the mail in flight was finished');
    assert.equal(
      await messageCount(admin, topo.queue),
      3 - sentBeforeExit,
      'the rest went back to the queue',
    );
    await smtp.restore();
    rescue = await startWorker(t.config, {
      log: pino({ level: 'silent' }),
      onOutcome: (o) => outcomes.push(o),
    });
    for (const e of emails) {
      await md.waitForMail((m) => m.to.some((x) => x.address === e), 15_000);
    }
    // The child sent some before it exited (their outcomes were its own); this worker the rest.
    await settled(eventIds, 3 - sentBeforeExit);
    for (const e of emails) {
      assert.equal((await md.to(e)).length, 1, `exactly one mail to ${e}`);
    }
  });
});
