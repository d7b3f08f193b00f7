// The worker's own health endpoints and both processes' Prometheus metrics (issue 10 point 4):
// presence, label sets and values after a real registration → mail, a dead letter, an old
// pending outbox row, and a broker the worker cannot reach.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import pino from 'pino';
import { startWorker, type Worker } from '../../src/worker.js';
import { startTestApp, testConfig, type TestApp } from '../helpers/app.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { register } from '../helpers/factories.js';
import { freePort, mailDevPorts, startMailDev, type MailDev } from '../helpers/maildev.js';
import { startEntry } from '../helpers/process.js';
import { deleteTestTopology, eventually, mailTestEnv } from '../helpers/worker.js';
import { startTogether } from '../helpers/together.js';

/** The value of one sample line `name{labels} value` of a Prometheus text body. */
function sample(body: string, series: string): number | undefined {
  const line = body.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

/** The outbox lag of a worker readiness body (it grows with the clock: checked on its own). */
function lagOf(body: Record<string, unknown>): number {
  const lag = (body.outbox as { lag_seconds: unknown }).lag_seconds;
  assert.equal(typeof lag, 'number', JSON.stringify(body));
  return lag as number;
}

/** The body with the outbox lag replaced by "<seconds>", to compare the rest whole. */
function withoutLag(body: Record<string, unknown>): Record<string, unknown> {
  return { ...body, outbox: { ...(body.outbox as object), lag_seconds: '<seconds>' } };
}

const get = async (url: string) => {
  const res = await fetch(url);
  const text = await res.text();
  return { status: res.status, type: res.headers.get('content-type') ?? '', text };
};

describe('worker /health, /health/ready and /metrics; API /metrics (in-process)', () => {
  let md: MailDev;
  let t: TestApp;
  let worker: Worker;
  before(async () => {
    const ports = await mailDevPorts();
    // MailDev boots while the app's database is made and migrated.
    [md, t] = await startTogether(
      startMailDev(ports),
      startTestApp(mailTestEnv({ SMTP_URL: ports.smtpUrl })),
    );
    worker = await startWorker(t.config, { log: pino({ level: 'silent' }) });
  });
  after(async () => {
    await worker?.close().catch(() => {});
    await deleteTestTopology(t.config).catch(() => {});
    await t?.close();
    await md?.close();
  });

  test('/health answers; /health/ready reports broker, consumers, database and an empty outbox', async () => {
    const live = await get(`${worker.health.url}/health`);
    assert.equal(live.status, 200);
    assert.deepEqual(JSON.parse(live.text), { status: 'ok' });
    const ready = await eventually(async () => {
      const r = await get(`${worker.health.url}/health/ready`);
      return r.status === 200 ? r : undefined;
    }, 15_000);
    assert.deepEqual(JSON.parse(ready.text), {
      status: 'ok',
      broker: 'up',
      consumers: { mail: 'running', webhooks: 'running' },
      database: 'up',
      outbox: { pending: 0, lag_seconds: 0 },
    });
  });

  test('a registration → mail and a malformed job show as publishes, a delivery and a dead letter', async () => {
    const user = await register(t.url);
    await md.waitForMail((m) => m.to.some((x) => x.address === user.email));
    await t.database.pool.query(
      `INSERT INTO outbox_events (type, payload) VALUES ('mail.welcome', '{"v":1}')`,
    );
    // Settled: the malformed row dead, nothing pending, every mail MailDev holds counted.
    const metrics = await eventually(async () => {
      const m = await get(`${worker.health.url}/metrics`);
      const dead = sample(
        m.text,
        'ifd_dead_letters_total{consumer="mail",reason="invalid_payload"}',
      );
      const delivered = sample(m.text, 'ifd_deliveries_total{consumer="mail"}');
      const settled =
        dead === 1 &&
        sample(m.text, 'ifd_outbox_pending') === 0 &&
        delivered === (await md.count());
      return settled ? m : undefined;
    }, 15_000);
    assert.match(metrics.type, /^text\/plain; version=0\.0\.4/);
    const delivered = sample(metrics.text, 'ifd_deliveries_total{consumer="mail"}') ?? 0;
    assert.ok(delivered >= 1, 'the welcome mail at least');
    // Every published outbox row is counted once: the mails, the user.* events, the bad row.
    const { rows } = await t.database.pool.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM outbox_events WHERE published_at IS NOT NULL',
    );
    assert.ok((rows[0]?.n ?? 0) >= delivered + 1);
    assert.equal(sample(metrics.text, 'ifd_published_total{publisher="outbox"}'), rows[0]?.n);
    for (const name of [
      'ifd_retries_total',
      'ifd_duplicates_total',
      'ifd_publish_failures_total',
      'ifd_outbox_pending',
      'ifd_outbox_lag_seconds',
      'process_resident_memory_bytes',
    ]) {
      assert.match(metrics.text, new RegExp(`^# TYPE ${name} (counter|gauge)$`, 'm'), name);
    }
  });

  test('API /metrics: request durations by method, route template and status; unmatched paths share one label', async () => {
    await fetch(`${t.url}/api/v1/users/12345`); // 401 without a token: the template, not the id
    await fetch(`${t.url}/no/such/path/9876`);
    const m = await get(`${t.url}/metrics`);
    assert.equal(m.status, 200);
    assert.ok(
      (sample(
        m.text,
        'http_request_duration_seconds_count{method="POST",route="/api/v1/users/",status_code="201"}',
      ) ?? 0) >= 1,
    );
    assert.equal(
      sample(
        m.text,
        'http_request_duration_seconds_count{method="GET",route="/api/v1/users/:id",status_code="401"}',
      ),
      1,
    );
    assert.equal(
      sample(
        m.text,
        'http_request_duration_seconds_count{method="GET",route="unmatched",status_code="404"}',
      ),
      1,
    );
    assert.doesNotMatch(m.text, /12345|9876/);
    assert.match(m.text, /^# TYPE ifd_outbox_lag_seconds gauge$/m);
  });
});

describe('the worker as a process: outbox lag and a broker it cannot reach', () => {
  let db: TestDatabase;
  before(async () => {
    db = await createTestDatabase();
  });
  after(async () => {
    await db.drop();
  });

  test('an old pending row shows as outbox lag in /health/ready and /metrics; SIGTERM exits 0', async () => {
    const pool = new pg.Pool({ connectionString: db.url, max: 1 });
    await pool.query(
      `INSERT INTO outbox_events (type, payload, created_at) VALUES ('mail.welcome', '{}', now() - interval '40 seconds')`,
    );
    await pool.end();
    const env = mailTestEnv({ DATABASE_URL: db.url, SMTP_URL: 'smtp://127.0.0.1:1' });
    const w = startEntry(
      'src/worker.ts',
      { ...env, NODE_ENV: 'test', LOG_LEVEL: 'info' },
      {
        args: ['--only=mail'], // no relay: the row stays pending
      },
    );
    try {
      const url = (await w.waitFor(/worker health on (http:\/\/127\.0\.0\.1:\d+)/))[1]!;
      const ready = await eventually(async () => {
        const r = await get(`${url}/health/ready`);
        return r.status === 200 ? (JSON.parse(r.text) as Record<string, unknown>) : undefined;
      }, 15_000);
      const lag = lagOf(ready);
      assert.ok(lag >= 40 && lag < 100, `the row's age, 40 s when inserted: ${lag}`);
      assert.deepEqual(withoutLag(ready), {
        status: 'ok',
        broker: 'up',
        consumers: { mail: 'running' },
        database: 'up',
        outbox: { pending: 1, lag_seconds: '<seconds>' },
      });
      const m = await get(`${url}/metrics`);
      assert.equal(sample(m.text, 'ifd_outbox_pending'), 1);
      assert.ok((sample(m.text, 'ifd_outbox_lag_seconds') ?? 0) >= 40);
    } finally {
      assert.equal((await w.stop()).code, 0);
      await deleteTestTopology(testConfig(db.url, env)).catch(() => {});
    }
  });

  test('broker unreachable: /health 200, /health/ready 503 naming the broker and the stopped consumer', async () => {
    const env = mailTestEnv({
      DATABASE_URL: db.url,
      AMQP_URL: `amqp://guest:guest@127.0.0.1:${await freePort()}`,
    });
    const w = startEntry('src/worker.ts', { ...env, NODE_ENV: 'test', LOG_LEVEL: 'info' });
    try {
      const url = (await w.waitFor(/worker health on (http:\/\/127\.0\.0\.1:\d+)/))[1]!;
      const live = await get(`${url}/health`);
      assert.deepEqual([live.status, JSON.parse(live.text)], [200, { status: 'ok' }]);
      const ready = await get(`${url}/health/ready`);
      assert.equal(ready.status, 503, ready.text);
      const body = JSON.parse(ready.text) as Record<string, unknown>;
      // The previous test's row is still pending: no broker, no relay.
      assert.ok(lagOf(body) >= 40, ready.text);
      assert.deepEqual(withoutLag(body), {
        detail:
          'Not ready: broker not connected, consumer mail not running, consumer webhooks not running',
        broker: 'down',
        consumers: { mail: 'stopped', webhooks: 'stopped' },
        database: 'up',
        outbox: { pending: 1, lag_seconds: '<seconds>' },
      });
    } finally {
      await w.stop('SIGKILL');
    }
  });
});
