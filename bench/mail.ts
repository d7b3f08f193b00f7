// P5: the mail pipeline, outbox rows → relay → RabbitMQ → worker → SMTP → MailDev, on
// loopback. Exports runMailBench() for `npm run bench`; `tsx bench/mail.ts` runs it alone.
// Latency of one mail = MailDev's receive time − the outbox insert's commit time.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import pino from 'pino';
import { projectRoot } from '../src/lib/paths.js';
import { startWorker, type Worker } from '../src/worker.js';
import { testConfig, testKeyPaths } from '../test/helpers/app.js';
import { createTestDatabase } from '../test/helpers/database.js';
import { freePort, startMailDev, type MailDev } from '../test/helpers/maildev.js';
import { deleteTestTopology, mailTestEnv, sleep } from '../test/helpers/worker.js';

export interface RateResult {
  targetPerSecond: number;
  mails: number;
  achievedPerSecond: number;
  p50Ms: number;
  p99Ms: number;
}

export interface MailBenchResult {
  sustained: RateResult;
  at50: RateResult;
  registrationAt50: RateResult;
  backlog: { rows: number; seconds: number; perSecond: number };
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0
    ? NaN
    : (s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? NaN);
};

async function arrivals(md: MailDev, prefix: string): Promise<Map<string, number>> {
  const all = await md.all();
  const m = new Map<string, number>();
  for (const mail of all) {
    const to = mail.to[0]?.address ?? '';
    if (to.startsWith(prefix)) {
      m.set(to, new Date(mail.time).getTime());
    }
  }
  return m;
}

async function waitCount(md: MailDev, n: number, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while ((await md.count()) < n && Date.now() < until) {
    await sleep(200);
  }
}

/** Inserts rows at `rate`/s for `seconds`, one committed statement per tick. */
async function paced(
  pool: pg.Pool,
  md: MailDev,
  tag: string,
  rate: number,
  seconds: number,
  insert: (email: string) => Promise<void>,
): Promise<RateResult> {
  const before = await md.count();
  const total = rate * seconds;
  const sentAt = new Map<string, number>();
  const started = performance.now();
  const t0 = Date.now();
  const inflight: Promise<void>[] = [];
  for (let i = 0; i < total; i += 1) {
    const due = (i / rate) * 1000;
    const wait = due - (performance.now() - started);
    if (wait > 1) {
      await sleep(wait);
    }
    const email = `${tag}_${i}@bench.example`;
    inflight.push(
      insert(email).then(() => {
        sentAt.set(email, Date.now());
      }),
    );
  }
  await Promise.all(inflight);
  await waitCount(md, before + total, 60_000);
  const got = await arrivals(md, `${tag}_`);
  const lat: number[] = [];
  let last = t0;
  for (const [email, at] of got) {
    const s = sentAt.get(email);
    if (s !== undefined) {
      lat.push(Math.max(0, at - s));
      last = Math.max(last, at);
    }
  }
  void pool;
  return {
    targetPerSecond: rate,
    mails: got.size,
    achievedPerSecond: Math.round(got.size / ((last - t0) / 1000)),
    p50Ms: pct(lat, 50),
    p99Ms: pct(lat, 99),
  };
}

export async function runMailBench(
  opts: { sustainedRate?: number; seconds?: number; backlog?: number } = {},
): Promise<MailBenchResult> {
  const sustainedRate = opts.sustainedRate ?? 500;
  const seconds = opts.seconds ?? 6;
  const backlogRows = opts.backlog ?? 10_000;
  const md = await startMailDev();
  const db = await createTestDatabase();
  const env = mailTestEnv({
    SMTP_URL: md.smtpUrl,
    MAIL_PREFETCH: '200',
    MAIL_CONCURRENCY: '32',
    SMTP_POOL_SIZE: '8',
    MAIL_RATE_PER_SECOND: '100000',
    DATABASE_POOL_SIZE: '20',
    OUTBOX_POLL_MS: '1000',
    LOG_LEVEL: 'warn',
  });
  const config = testConfig(db.url, env);
  const pool = new pg.Pool({ connectionString: db.url, max: 20 });
  let worker: Worker | undefined = await startWorker(config, { log: pino({ level: 'warn' }) });
  const insertRow = async (email: string) => {
    await pool.query(`INSERT INTO outbox_events (type, payload) VALUES ('mail.welcome', $1)`, [
      JSON.stringify({ v: 1, user_id: 1, username: email.split('@')[0], email }),
    ]);
  };
  let server: ReturnType<typeof spawn> | undefined;
  try {
    await paced(pool, md, 'warm', 100, 1, insertRow);
    const sustained = await paced(pool, md, 'sus', sustainedRate, seconds, insertRow);
    const at50 = await paced(pool, md, 'r50', 50, seconds, insertRow);

    // Registration → mail: the API in its own process (tsx), rate limits off.
    const port = await freePort();
    const keys = testKeyPaths();
    server = spawn(process.execPath, ['--import', 'tsx', join(projectRoot, 'src/server.ts')], {
      cwd: projectRoot,
      env: {
        PATH: process.env.PATH ?? '',
        ...env,
        NODE_ENV: 'test',
        DATABASE_URL: db.url,
        PORT: String(port),
        JWT_PRIVATE_KEY_PATH: keys.privateKey,
        JWT_PUBLIC_KEY_PATH: keys.publicKey,
        RATE_LIMIT_ENABLED: 'false',
        LOG_LEVEL: 'warn',
      },
      stdio: 'ignore',
    });
    const base = `http://127.0.0.1:${port}`;
    for (let i = 0; i < 200; i += 1) {
      if (
        await fetch(`${base}/health`).then(
          (r) => r.ok,
          () => false,
        )
      ) {
        break;
      }
      await sleep(100);
    }
    const registrationAt50 = await paced(pool, md, 'reg', 50, seconds, async (email) => {
      const username = email.split('@')[0] ?? 'x';
      const password = `bench password ${username}`;
      const res = await fetch(`${base}/api/v1/users/`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username, email, password, password_confirm: password }),
      });
      if (res.status !== 201) {
        throw new Error(`register: ${res.status}`);
      }
    });
    server.kill('SIGTERM');
    server = undefined;

    // Backlog: rows written while no worker runs, then drained.
    await worker.close();
    worker = undefined;
    await md.clear();
    await pool.query(
      `INSERT INTO outbox_events (type, payload)
       SELECT 'mail.welcome', jsonb_build_object('v', 1, 'user_id', 1, 'username', 'b' || g, 'email', 'bl_' || g || '@bench.example')
         FROM generate_series(1, $1) g`,
      [backlogRows],
    );
    const t0 = performance.now();
    worker = await startWorker(config, { log: pino({ level: 'warn' }) });
    await waitCount(md, backlogRows, 120_000);
    const secs = (performance.now() - t0) / 1000;
    return {
      sustained,
      at50,
      registrationAt50,
      backlog: {
        rows: await md.count(),
        seconds: Math.round(secs * 100) / 100,
        perSecond: Math.round(backlogRows / secs),
      },
    };
  } finally {
    server?.kill('SIGTERM');
    await worker?.close().catch(() => {});
    await pool.end();
    await deleteTestTopology(config).catch(() => {});
    await db.drop().catch(() => {});
    await md.close();
  }
}

const entry = process.argv[1];
if (entry !== undefined && import.meta.url === pathToFileURL(entry).href) {
  runMailBench().then(
    (r) => {
      console.log(JSON.stringify(r, null, 2));
      process.exit(0);
    },
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
