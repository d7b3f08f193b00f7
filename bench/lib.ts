// Shared pieces of the benchmarks: a bench database, keys, starting the built server,
// and an autocannon wrapper that reports req/s and latency percentiles.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import pg from 'pg';
import { ensureDatabase, runMigrations } from '../src/db/migrate.js';
import { projectRoot } from '../src/lib/paths.js';
import { ensureKeyPair } from '../src/modules/auth/keys.js';

export const PG_BASE =
  process.env.BENCH_DATABASE_BASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export async function freshDatabase(name: string): Promise<string> {
  const admin = new pg.Client({ connectionString: PG_BASE });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } finally {
    await admin.end();
  }
  const u = new URL(PG_BASE);
  u.pathname = `/${name}`;
  await ensureDatabase(u.toString());
  await runMigrations(u.toString());
  return u.toString();
}

export async function dropDatabase(name: string): Promise<void> {
  const admin = new pg.Client({ connectionString: PG_BASE });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

export function benchKeys(): { privateKey: string; publicKey: string } {
  const dir = mkdtempSync(join(tmpdir(), 'ifd-bench-keys-'));
  const keys = { privateKey: join(dir, 'private.pem'), publicKey: join(dir, 'public.pem') };
  ensureKeyPair(keys.privateKey, keys.publicKey);
  return keys;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

export interface StartedServer {
  url: string;
  child: ChildProcess;
  coldStartMs: number;
  /** CPU time (user + system) the process had used when /health first answered 200. */
  coldStartCpuMs: number;
  /** Resident memory of the process and its children (cluster workers). */
  rssMb(): number;
  /** CPU time (user + system, ms) the process has used so far: per-request cost under load. */
  cpuMs(): number;
  stop(): Promise<void>;
}

function processTree(pid: number): number[] {
  let children: number[] = [];
  try {
    children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .split(' ')
      .filter((s) => s !== '')
      .map(Number);
  } catch {
    // gone
  }
  return [pid, ...children.flatMap(processTree)];
}

function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10; // utime + stime, in 10 ms ticks
}

function rssOf(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
  } catch {
    return 0;
  }
}

/**
 * Starts a built entry (default: dist/src/server.js) and measures process start to first
 * 200 on /health (P7).
 */
export async function startBuiltServer(
  env: Record<string, string>,
  script = 'dist/src/server.js',
  nodeArgs: string[] = [],
): Promise<StartedServer> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const started = performance.now();
  const child = spawn(process.execPath, [...nodeArgs, join(projectRoot, script)], {
    cwd: projectRoot,
    env: {
      ...process.env,
      // Not production: production refuses RATE_LIMIT_ENABLED=false and the loopback
      // PUBLIC_URL a benchmark needs (R17); nothing else depends on NODE_ENV.
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      PORT: String(port),
      HOST: '127.0.0.1',
      ...env,
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  let exited = false;
  child.on('exit', () => (exited = true));
  for (;;) {
    if (exited) {
      throw new Error('server exited during start-up');
    }
    try {
      const res = await fetch(`${url}/health`);
      if (res.status === 200) {
        break;
      }
    } catch {
      // not listening yet
    }
    if (performance.now() - started > 60_000) {
      child.kill('SIGKILL');
      throw new Error('server did not answer /health within 60 s');
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  const coldStartMs = performance.now() - started;
  const coldStartCpuMs = cpuMs(child.pid!);
  return {
    url,
    child,
    coldStartMs,
    coldStartCpuMs,
    rssMb: () => processTree(child.pid!).reduce((sum, pid) => sum + rssOf(pid), 0),
    cpuMs: () => cpuMs(child.pid!),
    stop: () =>
      new Promise<void>((resolve) => {
        if (exited) {
          resolve();
          return;
        }
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

export interface LoadResult {
  name: string;
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  total: number;
}

export type CannonOptions = Omit<autocannon.Options, 'url'>;

export async function cannon(name: string, url: string, opts: CannonOptions): Promise<LoadResult> {
  const r = await autocannon({ url, connections: 50, duration: 10, ...opts });
  return {
    name,
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    non2xx: r.non2xx,
    errors: r.errors + r.timeouts,
    total: r.requests.total,
  };
}

/**
 * Warm-up run (not reported), then the measured run; given the `server` under load, also the
 * CPU time (ms) it used during the measured run alone.
 */
export async function measure(
  name: string,
  url: string,
  opts: CannonOptions,
  warmupSeconds: number,
  seconds: number,
  server?: StartedServer,
): Promise<LoadResult & { serverCpuMs?: number }> {
  if (warmupSeconds > 0) {
    await cannon(name, url, { ...opts, duration: warmupSeconds });
  }
  const before = server?.cpuMs() ?? 0;
  const result = await cannon(name, url, { ...opts, duration: seconds });
  return server === undefined ? result : { ...result, serverCpuMs: server.cpuMs() - before };
}
