// The API as a child process (src/server.ts, or src/cluster.ts for several workers), for
// tests that need more than one process: shared limits (R18), worker supervision. The built
// bundle's entries (dist/bundle/*.js, `npm run build:bundle`) run with plain node.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { projectRoot } from '../../src/lib/paths.js';
import { testKeyPaths } from './app.js';
import { entryArgs } from './entry.js';
import { eventually } from './worker.js';

export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A key prefix of this run's own: parallel runs on one Redis never share counters. */
export function redisTestPrefix(): string {
  return `ifd-test:${process.pid}:${randomBytes(4).toString('hex')}`;
}

export interface ApiProcess {
  child: ChildProcess;
  /** The first port a process reported listening on. */
  url: string;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  /** Output lines matching `pattern` so far. */
  count(pattern: RegExp): number;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** Starts `entry` with a test environment (own database URL, keys, port 0) plus `env`. */
export async function startApiProcess(
  entry: 'src/server.ts' | 'src/cluster.ts' | 'dist/bundle/server.js' | 'dist/bundle/cluster.js',
  databaseUrl: string,
  env: Record<string, string> = {},
): Promise<ApiProcess> {
  const keys = testKeyPaths();
  const child = spawn(process.execPath, entryArgs(entry), {
    cwd: projectRoot,
    env: {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'test',
      DATABASE_URL: databaseUrl,
      JWT_PRIVATE_KEY_PATH: keys.privateKey,
      JWT_PUBLIC_KEY_PATH: keys.publicKey,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const alive = () => child.exitCode === null && child.signalCode === null;
  const waitForOutput = (pattern: RegExp, timeoutMs = 60_000) =>
    eventually(
      async () =>
        pattern.exec(out) ??
        (alive() ? undefined : Promise.reject(new Error(`process exited: ${out}`))),
      timeoutMs,
      `output ${pattern}`,
    );
  // A failed start must not leave the child running (its pipes would keep the file alive).
  const listening = await waitForOutput(/Server listening at (http:\/\/127\.0\.0\.1:\d+)/).catch(
    (err: unknown) => {
      if (alive()) {
        child.kill('SIGKILL');
      }
      throw err;
    },
  );
  return {
    child,
    url: listening[1]!,
    output: () => out,
    exited,
    waitForOutput,
    count: (pattern) => out.split('\n').filter((l) => pattern.test(l)).length,
    async stop(signal = 'SIGTERM') {
      if (alive()) {
        child.kill(signal);
      }
      await exited;
    },
  };
}
