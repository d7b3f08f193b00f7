// Issue 9: the webhook pipeline, outbox rows → relay → events exchange → fan-out → delivery
// queue → signed POST → a receiver on loopback. `npm run bench -- --only webhooks` (or
// `npx tsx bench/webhooks.ts`). Phases:
//   sustained   500 events at once to 10 subscriptions (5,000 deliveries): deliveries/s;
//   at100       100 events/s for 5 s to the 10 subscriptions: commit → receiver p50/p99;
//   dead        the sustained phase again with a dead (connection refused) and a slow
//               (answers after 20 s; the attempt times out) subscription beside the 10.
// The worker runs in this process (like `npm run worker`), sharing the 2 cores with the
// receiver, PostgreSQL and RabbitMQ: read figures as an order of magnitude.
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import pino from 'pino';
import { startWorker } from '../src/worker.js';
import { testConfig } from '../test/helpers/app.js';
import { createTestDatabase } from '../test/helpers/database.js';
import { freePort } from '../test/helpers/maildev.js';
import { startReceiver, type Receiver } from '../test/helpers/webhook-receiver.js';
import { deleteTestTopology, mailTestEnv, sleep } from '../test/helpers/worker.js';

export interface WebhookPhase {
  phase: string;
  events: number;
  expected: number;
  received: number;
  seconds: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? 0 : (s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? 0);
};

export async function runWebhooksBench(): Promise<WebhookPhase[]> {
  const db = await createTestDatabase();
  const rx: Receiver = await startReceiver();
  const config = testConfig(
    db.url,
    mailTestEnv({
      WEBHOOK_ALLOW_NETWORKS: '127.0.0.1/32',
      WEBHOOK_ALLOW_HTTP: 'true',
      WEBHOOK_TIMEOUT_MS: '15000',
      WEBHOOK_CONCURRENCY: '200',
      WEBHOOK_PREFETCH: '400',
      OUTBOX_BATCH_SIZE: '500',
      LOG_LEVEL: 'error',
    }),
  );
  const pool = new pg.Pool({ connectionString: db.url, max: 4 });
  const worker = await startWorker(config, { log: pino({ level: 'error' }) });
  const results: WebhookPhase[] = [];
  try {
    const { rows } = await pool.query<{ id: number }>(
      `INSERT INTO users (username, email, password_hash, is_superuser)
       VALUES ('bench', 'bench@example.com', 'x', true) RETURNING id`,
    );
    const creator = rows[0]!.id;
    const subscribe = (url: string) =>
      pool.query(
        `INSERT INTO webhook_subscriptions (url, event_types, secret, created_by)
         VALUES ($1, '{project.*}', $2, $3)`,
        [url, `whsec_${Buffer.alloc(32, 7).toString('base64')}`, creator],
      );
    for (let i = 0; i < 10; i += 1) {
      await subscribe(rx.url(`/s${i}`));
    }
    const healthy = () => rx.received.filter((r) => r.path.startsWith('/s'));
    const insert = (n: number) =>
      pool.query(
        `INSERT INTO outbox_events (type, payload)
         SELECT 'project.updated', jsonb_build_object('v', 1, 'occurred_at', now(),
                'sent_ms', $2::float8, 'n', g)
           FROM generate_series(1, $1::int) g`,
        [n, Date.now()],
      );
    const latencies = (from: number) =>
      healthy()
        .slice(from)
        .map((r) => r.at - (JSON.parse(r.body) as { data: { sent_ms: number } }).data.sent_ms);

    const burst = async (phase: string, events: number) => {
      const from = healthy().length;
      const expected = events * 10;
      const started = Date.now();
      await insert(events);
      const until = started + 120_000;
      while (healthy().length - from < expected && Date.now() < until) {
        await sleep(100);
      }
      const got = healthy().length - from;
      const seconds = ((healthy()[healthy().length - 1]?.at ?? Date.now()) - started) / 1000;
      const l = latencies(from);
      results.push({
        phase,
        events,
        expected,
        received: got,
        seconds: Number(seconds.toFixed(2)),
        perSecond: Math.round(got / seconds),
        p50Ms: pct(l, 50),
        p99Ms: pct(l, 99),
      });
    };

    await burst('warm-up', 50);
    results.pop();
    await burst('sustained', 500);

    {
      const from = healthy().length;
      const started = Date.now();
      for (let s = 0; s < 50; s += 1) {
        // 10 events every 100 ms: 100 events/s, each its own transaction.
        const tick = started + s * 100;
        await sleep(Math.max(0, tick - Date.now()));
        await Promise.all(Array.from({ length: 10 }, () => insert(1)));
      }
      const until = Date.now() + 30_000;
      while (healthy().length - from < 5000 && Date.now() < until) {
        await sleep(100);
      }
      const l = latencies(from);
      const seconds = (Date.now() - started) / 1000;
      results.push({
        phase: 'at100',
        events: 500,
        expected: 5000,
        received: l.length,
        seconds: Number(seconds.toFixed(2)),
        perSecond: Math.round(l.length / seconds),
        p50Ms: pct(l, 50),
        p99Ms: pct(l, 99),
      });
    }

    await subscribe(`http://127.0.0.1:${await freePort()}/dead`);
    rx.on('/slow', () => ({ status: 200, delayMs: 20_000 }));
    await subscribe(rx.url('/slow'));
    await burst('dead+slow beside 10 healthy', 500);
  } finally {
    await worker.close();
    await deleteTestTopology(config).catch(() => {});
    await pool.end();
    await rx.close();
    await db.drop();
  }
  return results;
}

const entry = process.argv[1];
if (entry !== undefined && import.meta.url === pathToFileURL(entry).href) {
  const r = await runWebhooksBench();
  console.table(r);
  process.exit(0);
}
