// The in-process transport (ADR 0021) behind the broker port: the consumer core on it retries
// with the topology's delays and then dead-letters; `npm run dlq` (a process of its own, as an
// operator runs it) lists and replays those dead letters while the consumer runs; and a crash
// between handling a mail and acknowledging it delivers the message again after the restart
// without a second mail (mail_deliveries deduplicates).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import pino from 'pino';
import { loadConfig } from '../../config.js';
import { startTestApp } from '../../../test/helpers/app.js';
import { register } from '../../../test/helpers/factories.js';
import { startMailDev } from '../../../test/helpers/maildev.js';
import { runEntry } from '../../../test/helpers/process.js';
import { eventually } from '../../../test/helpers/worker.js';
import { startWorker } from '../../worker.js';
import { mailTopology } from '../mail/topology.js';
import { EventConsumer, type EventOutcome, type HandlerResult } from './consumer.js';
import { EmbeddedBroker } from './embedded-broker.js';

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'ifd-embedded-broker-'));
  dirs.push(d);
  return d;
}
after(() => {
  for (const d of dirs) {
    rmSync(d, { recursive: true, force: true });
  }
});

const silent = pino({ level: 'silent' });

describe('in-process transport: retries, dead letters, npm run dlq', () => {
  test('retries on its delays, then dead-letters; npm run dlq lists and replays it once (R8, R9)', async () => {
    const dataDir = tempDir();
    // The configuration `npm run dev` and `npm run dlq` read: development, no AMQP_URL.
    const env = {
      NODE_ENV: 'development',
      DATA_DIR: dataDir,
      MAIL_QUEUE: 'ifd.mail.transport-test',
      MAIL_MAX_ATTEMPTS: '3',
      MAIL_RETRY_BASE_MS: '100',
    };
    const config = loadConfig(env);
    assert.equal(config.embedded.broker, true);
    const t = mailTopology(config);
    const broker = new EmbeddedBroker({ dir: join(dataDir, 'broker'), pollMs: 50 });
    await broker.declare(t);

    let failing = true;
    const attempts: Array<{ attempt: number; at: number }> = [];
    const outcomes: EventOutcome[] = [];
    const consumer = new EventConsumer({
      broker,
      topology: t,
      prefetch: 10,
      concurrency: 4,
      log: silent,
      handler: (m): Promise<HandlerResult> => {
        attempts.push({ attempt: m.attempt, at: Date.now() });
        return Promise.resolve(
          failing ? { status: 'retry', error: 'smtp: 421 try later' } : { status: 'done' },
        );
      },
      onOutcome: (o) => outcomes.push(o),
    });
    consumer.start();
    try {
      assert.equal(consumer.running, true);
      const eventId = randomUUID();
      await broker.publish(config.events.exchange, 'mail.welcome', {
        messageId: eventId,
        type: 'mail.welcome',
        contentType: 'application/json',
        body: Buffer.from(JSON.stringify({ email: 'a@example.com' })),
      });
      await assert.rejects(
        broker.publish(config.events.exchange, 'nobody.listens', {
          messageId: randomUUID(),
          body: Buffer.from('{}'),
        }),
        /unroutable/,
        'a routing key no queue binds is refused, so the relay keeps the row pending',
      );

      await eventually(async () => outcomes.some((o) => o.status === 'dead'), 15_000, 'dead');
      assert.deepEqual(
        outcomes.map((o) => [o.status, o.status === 'retry' ? o.delayMs : null]),
        [
          ['retry', 100],
          ['retry', 200],
          ['dead', null],
        ],
      );
      assert.deepEqual(
        attempts.map((a) => a.attempt),
        [1, 2, 3],
      );
      // Each retry waits at least its tier's delay (100 ms, then 200 ms).
      assert.ok(attempts[1]!.at - attempts[0]!.at >= 100);
      assert.ok(attempts[2]!.at - attempts[1]!.at >= 200);
      const dead = outcomes.at(-1) as Extract<EventOutcome, { status: 'dead' }>;
      assert.deepEqual([dead.eventId, dead.reason, dead.attempt], [eventId, 'max_attempts', 3]);

      // The operator's view, from another process, while the consumer runs.
      const listed = await runEntry('scripts/dlq.ts', env, { args: ['list'], timeoutMs: 60_000 });
      assert.equal(listed.code, 0, listed.output);
      assert.match(listed.output, /ifd\.mail\.transport-test\.dead: 1 dead letter\(s\)/);
      const line = listed.output.split('\n').find((l) => l.startsWith('{'));
      assert.ok(line, listed.output);
      const letter = JSON.parse(line) as Record<string, unknown>;
      assert.deepEqual(
        [letter.eventId, letter.type, letter.reason, letter.error, letter.attempts, letter.payload],
        [
          eventId,
          'mail.welcome',
          'max_attempts',
          'smtp: 421 try later',
          3,
          { email: 'a@example.com' },
        ],
      );

      // Replayed with a fresh attempt count: handled once, and the dead-letter queue is empty.
      failing = false;
      const replay = await runEntry('scripts/dlq.ts', env, {
        args: ['requeue', '--id', eventId],
        timeoutMs: 60_000,
      });
      assert.equal(replay.code, 0, replay.output);
      assert.match(replay.output, /requeued 1 dead letter\(s\) to ifd\.mail\.transport-test/);
      await eventually(async () => outcomes.some((o) => o.status === 'done'), 15_000, 'replayed');
      assert.deepEqual(attempts.at(-1)?.attempt, 1, 'a replay starts its attempts over');
      assert.equal(await broker.deadLetters.count(t), 0);
      assert.deepEqual(await broker.store.list(t.queue), [], 'acknowledged: nothing left');
      assert.equal(outcomes.filter((o) => o.status === 'done').length, 1);
    } finally {
      await consumer.stop();
      await broker.close();
    }
  });

  test('a crash between sending a mail and acknowledging it: delivered again, mailed once (R6)', async () => {
    const dir = join(tempDir(), 'broker');
    const md = await startMailDev();
    const t = await startTestApp({
      SMTP_URL: md.smtpUrl,
      OUTBOX_POLL_MS: '100',
      LOG_LEVEL: 'warn',
    });
    const queue = t.config.mail.queue;
    let crashed = false;
    const first = new EmbeddedBroker({
      dir,
      pollMs: 50,
      beforeAck: (q) => {
        if (q === queue && !crashed) {
          crashed = true;
          throw new Error('the process dies before the ack');
        }
      },
    });
    let worker = await startWorker(t.config, {
      roles: ['relay', 'mail'],
      broker: first,
      log: silent,
    });
    try {
      const user = await register(t.url);
      // Registration mails twice (welcome, verification); the first one acked is the crash.
      const subjects = async () => (await md.to(user.email)).map((m) => m.subject).sort();
      const expected = [
        'Verify your e-mail address for Internship for developers',
        'Welcome to Internship for developers! ⛵',
      ];
      await eventually(async () => (await subjects()).length === 2, 15_000, 'both mails');
      await eventually(async () => crashed, 10_000, 'the crash');
      await worker.close();
      assert.equal((await first.store.list(queue)).length, 1, 'never acknowledged: still stored');

      // The next start over the same folder: the message comes back, the claim in
      // mail_deliveries answers "already sent", no second mail.
      const outcomes: string[] = [];
      worker = await startWorker(t.config, {
        roles: ['relay', 'mail'],
        broker: new EmbeddedBroker({ dir, pollMs: 50 }),
        log: silent,
        onOutcome: (o) => outcomes.push(o.status),
      });
      await eventually(async () => outcomes.includes('duplicate'), 15_000, 'redelivery');
      assert.deepEqual(outcomes, ['duplicate']);
      await eventually(
        async () => (await worker.broker.deadLetters.count(mailTopology(t.config))) === 0,
      );
      assert.deepEqual(await first.store.list(queue), [], 'acknowledged this time');
      assert.deepEqual(await subjects(), expected, 'each mail once');
    } finally {
      await worker.close();
      await t.close();
      await md.close();
    }
  });
});
