// R4: RabbitMQ restarted while messages wait in the queue: none lost, each mail sent once.
// The broker here is a private node the test starts and restarts (test/helpers/private-rabbit),
// so the shared broker that other test files use is never disturbed.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import pino from 'pino';
import type { Connection } from 'rabbitmq-client';
import { startTestApp, type TestApp } from '../../../test/helpers/app.js';
import { startMailDev, type MailDev } from '../../../test/helpers/maildev.js';
import { startPrivateRabbit, type PrivateRabbit } from '../../../test/helpers/private-rabbit.js';
import {
  adminConnection,
  eventually,
  mailTestEnv,
  messageCount,
} from '../../../test/helpers/worker.js';
import { startWorker } from '../../worker.js';
import { declareMailTopology, mailTopology } from './topology.js';

let rabbit: PrivateRabbit;
let md: MailDev;
let t: TestApp;
let admin: Connection;

before(async () => {
  rabbit = await startPrivateRabbit();
  md = await startMailDev();
  t = await startTestApp(mailTestEnv({ AMQP_URL: rabbit.url, SMTP_URL: md.smtpUrl }));
  admin = adminConnection(rabbit.url);
});

after(async () => {
  await admin?.close().catch(() => {});
  await t?.close();
  await md?.close();
  await rabbit?.stop();
});

test('R4: mails published before a broker restart are all delivered after it, exactly once', async () => {
  const topo = mailTopology(t.config);
  // The mail queue exists before anything is published (in production the worker declares it).
  await declareMailTopology(admin, topo);
  const emails = Array.from({ length: 5 }, () => `r4_${randomUUID()}@example.com`);
  const relay = await startWorker(t.config, { roles: ['relay'], log: pino({ level: 'silent' }) });
  try {
    for (const email of emails) {
      await t.database.pool.query(
        `INSERT INTO outbox_events (type, payload) VALUES ('mail.welcome', $1)`,
        [JSON.stringify({ v: 1, user_id: 1, username: 'r4', email })],
      );
    }
    await eventually(
      async () => (await messageCount(admin, topo.queue)) === emails.length,
      20_000,
      'all five waiting in the queue',
    );
    // The relay marks the rows in the statement after the confirm: the messages can be in the
    // queue a moment before their rows say so.
    const pending = async () =>
      (
        await t.database.pool.query<{ n: number }>(
          'SELECT count(*)::int AS n FROM outbox_events WHERE published_at IS NULL',
        )
      ).rows[0]?.n;
    await eventually(
      async () => (await pending()) === 0,
      20_000,
      'the relay marked every row published after the confirm',
    );
    assert.equal(await pending(), 0);
  } finally {
    await relay.close();
  }

  await rabbit.restart();

  // Still there after the restart: the queue is durable and the messages persistent.
  await eventually(
    async () => (await messageCount(admin, topo.queue).catch(() => -1)) === emails.length,
    30_000,
    'five messages still waiting after the restart',
  );
  const sent: string[] = [];
  const worker = await startWorker(t.config, {
    roles: ['mail'],
    log: pino({ level: 'silent' }),
    onOutcome: (o) => {
      if (o.status === 'sent') {
        sent.push(o.eventId);
      }
    },
  });
  try {
    for (const email of emails) {
      await md.waitForMail((m) => m.to.some((x) => x.address === email), 20_000);
    }
    // Outcome-driven "exactly once": the consumer reported each one sent and the queue is
    // empty, so no copy is left to send again (rather than sleeping, then counting).
    await eventually(
      async () => sent.length >= emails.length && (await messageCount(admin, topo.queue)) === 0,
      10_000,
      'every message sent and acknowledged',
    );
    assert.equal(new Set(sent).size, emails.length, 'one sent outcome per message');
    for (const email of emails) {
      assert.equal((await md.to(email)).length, 1, `exactly one mail to ${email}`);
    }
    assert.equal(await messageCount(admin, topo.queue), 0);
  } finally {
    await worker.close();
  }
});
