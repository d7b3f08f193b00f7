// P5: the mail pipeline, outbox rows → relay → RabbitMQ → worker → SMTP → MailDev, on
// loopback. Exports runMailBench() for `npm run bench`; `npx tsx bench/mail.ts` runs it alone
// (`-- --phases sustained,at50 --worker inproc --set MAIL_CONCURRENCY=64 --rate 500`).
//
// How it measures, so that measuring does not slow what it measures:
// - The worker runs in its own process (as `npm run worker` does), unless `--worker inproc`.
// - Latency of one mail = the .eml file's mtime in MailDev's own mail directory (MailDev
//   writes it while receiving, before it answers 250) − the moment the bench issued the
//   outbox INSERT (or the registration request). MailDev's `time` field is useless here: it
//   is the mail's Date header, which has a resolution of one second.
// - Progress is counted with a readdir of that folder every 250 ms; MailDev's REST API is
//   only used to empty it between phases. Headers are read from the files once per phase.
// - Each phase reports on its own (errors included); one failing phase does not lose the
//   others. Every wait is bounded, the whole run stays under ~4 minutes.
import { spawn, type ChildProcess } from 'node:child_process';
import { open, readdir, readFile, stat } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import pino from 'pino';
import { projectRoot } from '../src/lib/paths.js';
import { composeMail } from '../src/modules/mail/registry.js';
import { createSmtpSender } from '../src/modules/mail/smtp.js';
import { noteOutboxWrite, watchOutboxCommits } from '../src/modules/outbox/outbox.signal.js';
import { startWorker, type Worker } from '../src/worker.js';
import { testConfig, testKeyPaths } from '../test/helpers/app.js';
import { createTestDatabase, type TestDatabase } from '../test/helpers/database.js';
import { freePort, startMailDev, type MailDev } from '../test/helpers/maildev.js';
import {
  deleteTestTopology,
  mailTestEnv,
  sleep,
  startWorkerProcess,
  type WorkerProcess,
} from '../test/helpers/worker.js';

export interface PhaseResult {
  phase: string;
  /** Every expected mail arrived and nothing failed. */
  ok: boolean;
  /** The exception that ended the phase early, if any. */
  error?: string;
  targetPerSecond?: number;
  /** Outbox rows inserted or registrations attempted. */
  items: number;
  itemErrors: number;
  firstItemError?: string;
  /** Duration of the INSERT (or the registration request until its 201), p50 / p99. */
  itemP50Ms?: number;
  itemP99Ms?: number;
  expectedMails: number;
  mails: number;
  missing: number;
  /** Mails stored more than once for one recipient (each item has its own address). */
  doubled?: number;
  /** First item issued → last mail stored. */
  seconds: number;
  achievedPerSecond: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Latency from the INSERT's commit (or the 201) instead of its start: the pipeline alone. */
  fromCommitP50Ms?: number;
  fromCommitP99Ms?: number;
  /**
   * CPU seconds during the phase (Linux /proc), by process group; `machine` = all processes;
   * `busy`, `idle`, `steal` = the whole machine's counters (2 cores: 2 s per second).
   */
  cpuSeconds?: Record<string, number>;
  /** Transactions committed in the bench database during the phase (pg_stat_database). */
  dbCommits?: number;
}

export interface MailBenchResult {
  conditions: {
    loadAvgBefore: number[];
    loadAvgAfter: number[];
    worker: 'process' | 'inproc';
    settings: Record<string, string>;
  };
  phases: PhaseResult[];
  /** The P5 figures against their targets, one line each. */
  summary: string[];
}

export interface MailBenchOptions {
  /**
   * Which phases to run (default: all; they run in the order at50, sustained, registration,
   * maildev, backlog). `maildev`: MailDev alone fed by one pooled SMTP client, as many mails
   * as the backlog, before and after the backlog — the ceiling its drain rate is compared
   * with; with `sustained`, also a paced phase at 70% of that ceiling.
   */
  phases?: Array<'sustained' | 'at50' | 'registration' | 'maildev' | 'backlog'>;
  sustainedRate?: number;
  seconds?: number;
  backlog?: number;
  /** Worker in a child process (default, like `npm run worker`) or in the bench process. */
  worker?: 'process' | 'inproc';
  /** Extra worker environment (e.g. MAIL_CONCURRENCY) to compare settings. */
  env?: Record<string, string>;
  /** Node arguments for the worker process (e.g. --cpu-prof). */
  workerNodeArgs?: string[];
  log?: (line: string) => void;
}

/** Worker settings the benchmark runs with unless overridden. */
export const BENCH_WORKER_ENV: Record<string, string> = {
  MAIL_PREFETCH: '200',
  MAIL_CONCURRENCY: '200',
  MAIL_BATCH_SIZE: '50',
  SMTP_POOL_SIZE: '16',
  MAIL_RATE_PER_SECOND: '100000',
  OUTBOX_BATCH_SIZE: '200',
  OUTBOX_POLL_MS: '1000',
  LOG_LEVEL: 'warn',
};

const PHASE_WAIT_MS = 30_000;
const BACKLOG_WAIT_MS = 60_000;

const pct = (sorted: number[], p: number) =>
  sorted.length === 0
    ? NaN
    : (sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN);

const errText = (err: unknown) => (err instanceof Error ? err.message : String(err)).slice(0, 300);

/** CPU ticks (1/100 s) per process group, read from /proc; empty where /proc is missing. */
type CpuSnapshot = Map<string, number>;
const cpuPids: { worker?: number; maildev?: number; api?: number } = {};

let commitsOf: () => Promise<number> = () => Promise.resolve(NaN);
/** Backends connected to the bench database (the rest of PostgreSQL serves other work). */
let backendsOf: () => Promise<Set<number>> = () => Promise.resolve(new Set());

async function cpuSnapshot(): Promise<CpuSnapshot> {
  const snap: CpuSnapshot = new Map();
  snap.set('commits', await commitsOf().catch(() => NaN));
  const ours = await backendsOf().catch(() => new Set<number>());
  try {
    // Whole machine: busy (user..softirq), idle (+iowait) and steal ticks.
    const f = (await readFile('/proc/stat', 'utf8')).split('\n')[0]?.trim().split(/\s+/).slice(1);
    const n = (i: number) => Number(f?.[i] ?? 0);
    snap.set('cpu.busy', n(0) + n(1) + n(2) + n(5) + n(6));
    snap.set('cpu.idle', n(3) + n(4));
    snap.set('cpu.steal', n(7));
  } catch {
    // not Linux
  }
  let pids: string[];
  try {
    pids = (await readdir('/proc')).filter((n) => /^\d+$/.test(n));
  } catch {
    return snap;
  }
  await mapLimit(pids, 16, async (pid) => {
    try {
      const st = await readFile(`/proc/${pid}/stat`, 'utf8');
      const close = st.lastIndexOf(')');
      const comm = st.slice(st.indexOf('(') + 1, close);
      const f = st.slice(close + 2).split(' ');
      const ticks = Number(f[11]) + Number(f[12]); // utime + stime
      const n = Number(pid);
      const group =
        n === process.pid
          ? 'bench'
          : n === cpuPids.worker
            ? 'worker'
            : n === cpuPids.maildev
              ? 'maildev'
              : n === cpuPids.api
                ? 'api'
                : comm === 'postgres'
                  ? ours.has(n)
                    ? 'postgres'
                    : 'postgres(other)'
                  : comm.startsWith('beam')
                    ? 'rabbitmq'
                    : `pid:${pid}`;
      snap.set(group, (snap.get(group) ?? 0) + ticks);
    } catch {
      // exited meanwhile
    }
  });
  return snap;
}

function cpuDelta(a: CpuSnapshot, b: CpuSnapshot): Record<string, number> | undefined {
  if (a.size === 0 || b.size === 0) {
    return undefined;
  }
  const out: Record<string, number> = {};
  let machine = 0;
  let others = 0;
  for (const [k, v] of b) {
    if (k === 'commits') {
      continue;
    }
    if (k.startsWith('cpu.')) {
      out[k.slice(4)] = (v - (a.get(k) ?? 0)) / 100;
      continue;
    }
    const d = Math.max(0, v - (a.get(k) ?? 0)); // a process started meanwhile counts whole
    machine += d;
    if (k.startsWith('pid:')) {
      others += d;
    } else {
      out[k] = d / 100;
    }
  }
  out.others = others / 100;
  out.machine = machine / 100;
  return out;
}

interface Stored {
  to: string;
  type: string;
  at: number;
}

async function countStored(dir: string): Promise<number> {
  return (await readdir(dir)).filter((n) => n.endsWith('.eml')).length;
}

async function mapLimit<T, R>(xs: T[], limit: number, fn: (x: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(xs.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, xs.length) }, async () => {
      while (next < xs.length) {
        const i = next++;
        out[i] = await fn(xs[i] as T);
      }
    }),
  );
  return out;
}

/** Recipient, event type and store time (file mtime) of every mail in MailDev's folder. */
async function readStored(dir: string): Promise<Stored[]> {
  const names = (await readdir(dir)).filter((n) => n.endsWith('.eml'));
  const rows = await mapLimit(names, 32, async (name): Promise<Stored | null> => {
    const path = join(dir, name);
    try {
      const [st, fh] = await Promise.all([stat(path), open(path, 'r')]);
      try {
        const buf = Buffer.alloc(4096);
        const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
        const head =
          buf
            .subarray(0, bytesRead)
            .toString('utf8')
            .split(/\r?\n\r?\n/)[0] ?? '';
        const to = /^To:\s*(?:[^\n<]*<)?([^\s<>,]+@[^\s<>,]+)/im.exec(head)?.[1] ?? '';
        const type = /^X-IFD-Event-Type:\s*(\S+)/im.exec(head)?.[1] ?? '';
        return { to: to.toLowerCase(), type, at: st.mtimeMs };
      } finally {
        await fh.close();
      }
    } catch {
      return null; // deleted meanwhile
    }
  });
  return rows.filter((r): r is Stored => r !== null);
}

async function waitStored(dir: string, n: number, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while ((await countStored(dir)) < n && Date.now() < until) {
    await sleep(250);
  }
  await sleep(150); // the last files finish writing
}

/** Empties MailDev (API and folder) and waits until the folder is empty. */
async function clearMailDev(md: MailDev): Promise<void> {
  await md.clear();
  const until = Date.now() + 5000;
  while ((await countStored(md.dir)) > 0 && Date.now() < until) {
    await sleep(50);
  }
  await sleep(2000); // let the previous phase's clean-up settle
}

function summarise(
  base: Omit<
    PhaseResult,
    | 'ok'
    | 'mails'
    | 'missing'
    | 'seconds'
    | 'achievedPerSecond'
    | 'p50Ms'
    | 'p90Ms'
    | 'p99Ms'
    | 'maxMs'
  >,
  stored: Stored[],
  issuedAt: Map<string, number>,
  start: number,
  doneAt?: Map<string, number>,
): PhaseResult {
  const lat: number[] = [];
  const fromCommit: number[] = [];
  let last = start;
  const seen = new Set<string>();
  let doubled = 0;
  for (const m of stored) {
    if (seen.has(`${m.to} ${m.type}`)) {
      doubled += 1;
      continue; // counted once in the latencies
    }
    seen.add(`${m.to} ${m.type}`);
    const s = issuedAt.get(m.to);
    if (s !== undefined) {
      lat.push(Math.max(0, m.at - s));
      last = Math.max(last, m.at);
    }
    const d = doneAt?.get(m.to);
    if (d !== undefined) {
      fromCommit.push(Math.max(0, m.at - d));
    }
  }
  lat.sort((a, b) => a - b);
  fromCommit.sort((a, b) => a - b);
  const secs = (last - start) / 1000;
  const r = (x: number) => Math.round(x * 10) / 10;
  return {
    ...base,
    ok:
      base.error === undefined &&
      base.itemErrors === 0 &&
      lat.length >= base.expectedMails &&
      doubled === 0,
    mails: lat.length,
    missing: Math.max(0, base.expectedMails - lat.length),
    doubled,
    seconds: Math.round(secs * 100) / 100,
    achievedPerSecond: secs > 0 ? Math.round(lat.length / secs) : 0,
    p50Ms: r(pct(lat, 50)),
    p90Ms: r(pct(lat, 90)),
    p99Ms: r(pct(lat, 99)),
    maxMs: r(lat[lat.length - 1] ?? NaN),
    ...(fromCommit.length > 0
      ? { fromCommitP50Ms: r(pct(fromCommit, 50)), fromCommitP99Ms: r(pct(fromCommit, 99)) }
      : {}),
  };
}

/** Issues `rate` items per second for `seconds`, then waits for their mails. Never throws. */
async function paced(
  md: MailDev,
  phase: string,
  tag: string,
  rate: number,
  seconds: number,
  mailsPerItem: number,
  item: (email: string) => Promise<void>,
): Promise<PhaseResult> {
  const total = Math.round(rate * seconds);
  const issuedAt = new Map<string, number>();
  let itemErrors = 0;
  let firstItemError: string | undefined;
  const itemMs: number[] = [];
  const doneAt = new Map<string, number>();
  let error: string | undefined;
  await clearMailDev(md).catch(() => {});
  const cpu0 = await cpuSnapshot();
  const start = Date.now();
  try {
    const t0 = performance.now();
    const inflight: Promise<void>[] = [];
    for (let i = 0; i < total; i += 1) {
      const wait = (i / rate) * 1000 - (performance.now() - t0);
      if (wait > 1) {
        await sleep(wait);
      }
      const email = `${tag}_${i}@bench.example`;
      const issued = Date.now();
      issuedAt.set(email, issued);
      inflight.push(
        item(email).then(
          () => {
            const done = Date.now();
            doneAt.set(email, done);
            itemMs.push(done - issued);
          },
          (err: unknown) => {
            itemErrors += 1;
            firstItemError ??= errText(err);
            issuedAt.delete(email);
          },
        ),
      );
    }
    await Promise.all(inflight);
    await waitStored(md.dir, issuedAt.size * mailsPerItem, PHASE_WAIT_MS);
  } catch (err) {
    error = errText(err);
  }
  await sleep(600); // statistics are flushed at most every 500 ms
  const cpu1 = await cpuSnapshot();
  const cpu = cpuDelta(cpu0, cpu1);
  let stored: Stored[] = [];
  try {
    stored = (await readStored(md.dir)).filter((m) => m.to.startsWith(`${tag}_`));
  } catch (err) {
    error ??= `reading MailDev's folder: ${errText(err)}`;
  }
  return summarise(
    {
      phase,
      ...(error !== undefined ? { error } : {}),
      targetPerSecond: rate,
      items: total,
      itemErrors,
      ...(firstItemError !== undefined ? { firstItemError } : {}),
      ...itemPercentiles(itemMs),
      expectedMails: issuedAt.size * mailsPerItem,
      ...(cpu !== undefined ? { cpuSeconds: cpu } : {}),
      ...commitsBetween(cpu0, cpu1),
    },
    stored,
    issuedAt,
    start,
    doneAt,
  );
}

function itemPercentiles(ms: number[]): { itemP50Ms?: number; itemP99Ms?: number } {
  if (ms.length === 0) {
    return {};
  }
  const sorted = [...ms].sort((a, b) => a - b);
  return { itemP50Ms: pct(sorted, 50), itemP99Ms: pct(sorted, 99) };
}

function commitsBetween(a: CpuSnapshot, b: CpuSnapshot): { dbCommits?: number } {
  const d = (b.get('commits') ?? NaN) - (a.get('commits') ?? NaN);
  return Number.isFinite(d) ? { dbCommits: d } : {};
}

function failedPhase(phase: string, err: unknown): PhaseResult {
  return {
    phase,
    ok: false,
    error: errText(err),
    items: 0,
    itemErrors: 0,
    expectedMails: 0,
    mails: 0,
    missing: 0,
    seconds: 0,
    achievedPerSecond: 0,
    p50Ms: NaN,
    p90Ms: NaN,
    p99Ms: NaN,
    maxMs: NaN,
  };
}

async function startApi(env: Record<string, string>): Promise<{ url: string; stop(): void }> {
  const port = await freePort();
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', join(projectRoot, 'src/server.ts')],
    {
      cwd: projectRoot,
      env: { PATH: process.env.PATH ?? '', ...env, PORT: String(port) },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  cpuPids.api = child.pid;
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
  const url = `http://127.0.0.1:${port}`;
  const stop = () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
    }
  };
  const until = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) {
      throw new Error(`API exited at start: ${stderr}`);
    }
    const up = await fetch(`${url}/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (up) {
      return { url, stop };
    }
    if (Date.now() > until) {
      stop();
      throw new Error(`API did not answer within 30 s: ${stderr}`);
    }
    await sleep(100);
  }
}

export async function runMailBench(opts: MailBenchOptions = {}): Promise<MailBenchResult> {
  const phases = new Set(
    opts.phases ?? ['at50', 'sustained', 'registration', 'maildev', 'backlog'],
  );
  const sustainedRate = opts.sustainedRate ?? 500;
  const seconds = opts.seconds ?? 6;
  const backlogRows = opts.backlog ?? 10_000;
  const mode = opts.worker ?? 'process';
  const log = opts.log ?? ((line: string) => console.error(line));
  const settings = { ...BENCH_WORKER_ENV, ...opts.env };
  const loadAvgBefore = loadavg().map((x) => Math.round(x * 100) / 100);
  const results: PhaseResult[] = [];
  const record = (r: PhaseResult) => {
    results.push(r);
    log(`mail bench: ${JSON.stringify(r)}`);
  };

  let md: MailDev | undefined;
  let db: TestDatabase | undefined;
  let pool: pg.Pool | undefined;
  let outboxWatch: { stop(): void } | undefined;
  let inproc: Worker | undefined;
  let child: WorkerProcess | undefined;
  let env: Record<string, string> | undefined;
  try {
    md = await startMailDev();
    cpuPids.maildev = md.pid;
    db = await createTestDatabase();
    const keys = testKeyPaths();
    env = {
      ...mailTestEnv({ SMTP_URL: md.smtpUrl, ...settings }),
      NODE_ENV: 'test',
      DATABASE_URL: db.url,
      JWT_PRIVATE_KEY_PATH: keys.privateKey,
      JWT_PUBLIC_KEY_PATH: keys.publicKey,
      RATE_LIMIT_ENABLED: 'false',
    };
    pool = new pg.Pool({ connectionString: db.url, max: 20 });
    // The bench writes outbox rows as the API does: after each commit this process sends one
    // coalesced NOTIFY (ADR 0014), which wakes the worker process's relay.
    outboxWatch = watchOutboxCommits(pool, { notify: true });
    const statsPool = pool;
    backendsOf = async () =>
      new Set(
        (
          await statsPool.query<{ pid: number }>(
            `SELECT pid FROM pg_stat_activity WHERE datname = current_database()`,
          )
        ).rows.map((r) => r.pid),
      );
    commitsOf = async () =>
      Number(
        (
          await statsPool.query<{ n: string }>(
            `SELECT pg_stat_get_db_xact_commit(oid) AS n FROM pg_database WHERE datname = current_database()`,
          )
        ).rows[0]?.n,
      );
    if (mode === 'inproc') {
      inproc = await startWorker(testConfig(db.url, env), {
        log: pino({ level: settings.LOG_LEVEL ?? 'warn' }),
      });
    } else {
      child = await startWorkerProcess(env, [], opts.workerNodeArgs ?? []);
      cpuPids.worker = child.child.pid;
    }
  } catch (err) {
    record(failedPhase('setup', err));
  }

  const p = pool;
  const m = md;
  if (p !== undefined && m !== undefined && env !== undefined && results.length === 0) {
    const insertRow = async (email: string) => {
      await p.query(`INSERT INTO outbox_events (type, payload) VALUES ('mail.welcome', $1)`, [
        JSON.stringify({ v: 1, user_id: 1, username: email.split('@')[0], email }),
      ]);
      noteOutboxWrite(p); // committed (autocommit): NOTIFY
    };
    // Warms pools and JIT at the rate the sustained phase offers: a cold worker and MailDev
    // need 1.5–4.5 s at 500/s to reach their steady speed (mails queue meanwhile; measured
    // 2026-12-01, docs/benchmarks.md), and P5 is about the pipeline at that rate, not about a
    // process's first seconds. Reported as a phase of its own (`cold-start`), outside P5.
    record(await paced(m, 'cold-start', 'warm', sustainedRate, 2, 1, insertRow));
    // The low-rate phase first: the aftermath of a heavy phase (MailDev unlinking thousands of
    // files, autovacuum of the outbox) put 100–300 ms stalls into its tail otherwise.
    if (phases.has('at50')) {
      record(await paced(m, 'at50', 'r50', 50, seconds, 1, insertRow));
    }
    if (phases.has('sustained')) {
      record(await paced(m, 'sustained', 'sus', sustainedRate, seconds, 1, insertRow));
    }
    if (phases.has('registration')) {
      // Registration → mails: the API in its own process, rate limits off. Each
      // registration commits two outbox rows (welcome and address verification).
      let api: { url: string; stop(): void } | undefined;
      try {
        api = await startApi({ ...env, LOG_LEVEL: 'warn' });
        const base = api.url;
        record(
          await paced(m, 'registration', 'reg', 50, seconds, 2, async (email) => {
            const username = email.split('@')[0] ?? 'x';
            const password = `bench password ${username}`;
            const res = await fetch(`${base}/api/v1/users/`, {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify({ username, email, password, password_confirm: password }),
            });
            if (res.status !== 201) {
              throw new Error(`register: ${res.status} ${(await res.text()).slice(0, 200)}`);
            }
          }),
        );
      } catch (err) {
        record(failedPhase('registration', err));
      } finally {
        api?.stop();
      }
    }
    const smtpPool = Number(settings.SMTP_POOL_SIZE ?? 16);
    if (phases.has('maildev')) {
      const alone = await maildevAlone(m, 'maildev-alone', backlogRows, smtpPool, env);
      record(alone);
      if (phases.has('sustained') && alone.ok && alone.achievedPerSecond > 0) {
        // The offered rate may exceed what MailDev alone accepts on this machine; then the
        // p99 above measures a queue. The same phase at 70% of that ceiling shows the
        // pipeline's own latency below it.
        const rate = Math.max(1, Math.round(alone.achievedPerSecond * 0.7));
        record(await paced(m, 'sustained-70%-of-maildev', 's70', rate, seconds, 1, insertRow));
      }
    }
    if (phases.has('backlog')) {
      // 10,000 rows committed at once while the worker idles: the relay is woken by the
      // NOTIFY sent after the commit and drains them. Time = commit → last mail stored.
      let error: string | undefined;
      const issuedAt = new Map<string, number>();
      let start = Date.now();
      let cpu: Record<string, number> | undefined;
      try {
        await clearMailDev(m);
        const cpu0 = await cpuSnapshot();
        await p.query(
          `INSERT INTO outbox_events (type, payload)
           SELECT 'mail.welcome', jsonb_build_object('v', 1, 'user_id', 1, 'username', 'bl_' || g, 'email', 'bl_' || g || '@bench.example')
             FROM generate_series(0, $1::int - 1) g`,
          [backlogRows],
        );
        noteOutboxWrite(p);
        start = Date.now();
        for (let i = 0; i < backlogRows; i += 1) {
          issuedAt.set(`bl_${i}@bench.example`, start);
        }
        await waitStored(m.dir, backlogRows, BACKLOG_WAIT_MS);
        cpu = cpuDelta(cpu0, await cpuSnapshot());
      } catch (err) {
        error = errText(err);
      }
      const stored = await readStored(m.dir).catch(() => [] as Stored[]);
      record(
        summarise(
          {
            phase: 'backlog',
            ...(error !== undefined ? { error } : {}),
            items: backlogRows,
            itemErrors: 0,
            expectedMails: backlogRows,
            ...(cpu !== undefined ? { cpuSeconds: cpu } : {}),
          },
          stored.filter((s) => s.to.startsWith('bl_')),
          issuedAt,
          start,
        ),
      );
      if (phases.has('maildev')) {
        // MailDev alone once more: the backlog is read against both, the machine drifts.
        record(await maildevAlone(m, 'maildev-alone-after', backlogRows, smtpPool, env));
      }
    }
  }

  outboxWatch?.stop();
  await inproc?.close().catch(() => {});
  if (child !== undefined) {
    child.kill('SIGTERM');
    await Promise.race([child.exited, sleep(10_000)]);
    child.kill('SIGKILL');
  }
  await pool?.end().catch(() => {});
  if (db !== undefined && env !== undefined) {
    await deleteTestTopology(testConfig(db.url, env)).catch(() => {});
  }
  await db?.drop().catch(() => {});
  await md?.close().catch(() => {});
  return {
    conditions: {
      loadAvgBefore,
      loadAvgAfter: loadavg().map((x) => Math.round(x * 100) / 100),
      worker: mode,
      settings,
    },
    phases: results,
    summary: p5Summary(results, sustainedRate),
  };
}

/** The P5 verdicts: backlog drain as a share of MailDev alone, p99 at the offered rate. */
export function p5Summary(results: PhaseResult[], sustainedRate: number): string[] {
  const byName = (n: string) => results.find((r) => r.phase === n);
  const lines: string[] = [];
  const backlog = byName('backlog');
  const alones = ['maildev-alone', 'maildev-alone-after']
    .map(byName)
    .filter((r): r is PhaseResult => r !== undefined && r.ok && r.achievedPerSecond > 0);
  const ceiling =
    alones.length > 0 ? alones.reduce((n, r) => n + r.achievedPerSecond, 0) / alones.length : 0;
  if (backlog && ceiling > 0) {
    const ratio = backlog.achievedPerSecond / ceiling;
    lines.push(
      `P5 backlog: ${backlog.achievedPerSecond}/s = ${Math.round(ratio * 100)}% of MailDev alone fed by one pooled SMTP client (${alones.map((r) => `${r.achievedPerSecond}/s`).join(' before, ')}${alones.length > 1 ? ' after' : ''}) — target ≥ 85%: ${ratio >= 0.85 ? 'met' : 'not met'}`,
    );
  }
  const sustained = byName('sustained');
  if (sustained) {
    const queued = ceiling > 0 && ceiling < sustainedRate;
    lines.push(
      `P5 sustained: ${sustained.achievedPerSecond}/s at ${sustainedRate}/s offered, p99 ${sustained.p99Ms} ms (p50 ${sustained.p50Ms}) — target p99 < 100 ms: ${sustained.p99Ms < 100 ? 'met' : 'not met'}${queued ? ` (MailDev alone accepts ${Math.round(ceiling)}/s here: ${sustainedRate}/s offered queues behind it)` : ''}`,
    );
  }
  const cold = byName('cold-start');
  if (cold) {
    lines.push(
      `P5 cold start (the first 2 s of a fresh worker and MailDev at ${cold.targetPerSecond}/s, before the measured phases; not a P5 figure): p99 ${cold.p99Ms} ms (p50 ${cold.p50Ms})`,
    );
  }
  const below = byName('sustained-70%-of-maildev');
  if (below) {
    lines.push(
      `P5 at 70% of MailDev alone (${below.targetPerSecond}/s offered): ${below.achievedPerSecond}/s, p99 ${below.p99Ms} ms (p50 ${below.p50Ms}) — the pipeline's latency below the sink's ceiling`,
    );
  }
  const lost = results.reduce((n, r) => n + r.missing, 0);
  const doubled = results.reduce((n, r) => n + (r.doubled ?? 0), 0);
  lines.push(
    `P5 mails lost ${lost}, doubled ${doubled} (counted in MailDev, every phase) — target 0 and 0: ${lost === 0 && doubled === 0 ? 'met' : 'not met'}`,
  );
  return lines;
}

/**
 * MailDev alone: the same welcome mails, composed and sent by one pooled nodemailer client
 * (the worker's SMTP adapter, same pool size and mails in flight), no database, no broker.
 * Time = first send → last mail stored: the backlog's drain rate is read against this.
 */
async function maildevAlone(
  md: MailDev,
  phase: string,
  n: number,
  poolSize: number,
  env: Record<string, string>,
): Promise<PhaseResult> {
  const issuedAt = new Map<string, number>();
  let itemErrors = 0;
  let firstItemError: string | undefined;
  let error: string | undefined;
  let cpu: Record<string, number> | undefined;
  let start = Date.now();
  const sender = createSmtpSender(md.smtpUrl, poolSize);
  const inFlight = Number(env.MAIL_CONCURRENCY ?? 200);
  try {
    await clearMailDev(md);
    const cpu0 = await cpuSnapshot();
    start = Date.now();
    const emails = Array.from({ length: n }, (_, i) => `md_${i}@bench.example`);
    for (const email of emails) {
      issuedAt.set(email, start);
    }
    await mapLimit(emails, inFlight, async (email) => {
      const composed = composeMail(
        'mail.welcome',
        { v: 1, user_id: 1, username: email.split('@')[0], email },
        { publicUrl: 'http://localhost:8000' },
      );
      if (!composed.ok) {
        throw new Error(composed.detail);
      }
      const eventId = email.split('@')[0]!;
      await sender
        .send({
          from: 'admin@site.com',
          to: composed.mail.to,
          subject: composed.mail.subject,
          text: composed.mail.text,
          html: composed.mail.html,
          messageId: `<${eventId}@ifd.mail>`,
          headers: { 'X-IFD-Event-Id': eventId, 'X-IFD-Event-Type': 'mail.welcome' },
        })
        .catch((err: unknown) => {
          itemErrors += 1;
          firstItemError ??= errText(err);
          issuedAt.delete(email);
        });
    });
    await waitStored(md.dir, issuedAt.size, BACKLOG_WAIT_MS);
    cpu = cpuDelta(cpu0, await cpuSnapshot());
  } catch (err) {
    error = errText(err);
  } finally {
    sender.close();
  }
  const stored = await readStored(md.dir).catch(() => [] as Stored[]);
  return summarise(
    {
      phase,
      ...(error !== undefined ? { error } : {}),
      items: n,
      itemErrors,
      ...(firstItemError !== undefined ? { firstItemError } : {}),
      expectedMails: issuedAt.size,
      ...(cpu !== undefined ? { cpuSeconds: cpu } : {}),
    },
    stored.filter((x) => x.to.startsWith('md_')),
    issuedAt,
    start,
  );
}

const entry = process.argv[1];
if (entry !== undefined && import.meta.url === pathToFileURL(entry).href) {
  const { values } = parseArgs({
    options: {
      phases: { type: 'string' },
      worker: { type: 'string', default: 'process' },
      rate: { type: 'string', default: '500' },
      seconds: { type: 'string', default: '6' },
      backlog: { type: 'string', default: '10000' },
      set: { type: 'string', multiple: true, default: [] },
      'cpu-prof': { type: 'string' },
    },
  });
  const env = Object.fromEntries(
    values.set.map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
  );
  const profDir = values['cpu-prof'];
  runMailBench({
    phases: values.phases?.split(',') as MailBenchOptions['phases'],
    worker: values.worker === 'inproc' ? 'inproc' : 'process',
    sustainedRate: Number(values.rate),
    seconds: Number(values.seconds),
    backlog: Number(values.backlog),
    env,
    workerNodeArgs: profDir !== undefined ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : [],
  }).then(
    (r) => {
      console.log(JSON.stringify(r, null, 2));
      for (const line of r.summary) {
        console.log(line);
      }
      process.exit(r.phases.every((ph) => ph.ok) ? 0 : 1);
    },
    (err: unknown) => {
      console.error(err);
      process.exit(2);
    },
  );
}
