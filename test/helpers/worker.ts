// Helpers for tests of the mail path: per-run RabbitMQ names (deleted afterwards), the worker
// as a child process (to kill it, R7/R13) or in-process, and queue inspection.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Connection } from 'rabbitmq-client';
import type { Config } from '../../src/config.js';
import { projectRoot } from '../../src/lib/paths.js';
import { deleteTopology } from '../../src/modules/events/topology.js';
import { deleteMailTopology, mailTopology } from '../../src/modules/mail/topology.js';
import { deliveryTopology, fanoutTopology } from '../../src/modules/webhooks/topology.js';
import { entryArgs } from './entry.js';

export const TEST_AMQP_URL = process.env.TEST_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

/** Environment for a test run's mail path: own exchange and queues, short delays. */
export function mailTestEnv(overrides: Record<string, string> = {}): Record<string, string> {
  const run = `${process.pid}.${randomBytes(4).toString('hex')}`;
  return {
    AMQP_URL: TEST_AMQP_URL,
    EVENTS_EXCHANGE: `ifd.test.${run}.events`,
    MAIL_QUEUE: `ifd.test.${run}.mail`,
    WEBHOOK_QUEUE: `ifd.test.${run}.webhooks`,
    MAIL_MAX_ATTEMPTS: '4',
    MAIL_RETRY_BASE_MS: '200',
    MAIL_PREFETCH: '20',
    MAIL_CONCURRENCY: '10',
    OUTBOX_POLL_MS: '250',
    OUTBOX_RETRY_BASE_MS: '200',
    OUTBOX_PUBLISH_TIMEOUT_MS: '1500',
    LOG_LEVEL: 'warn',
    ...overrides,
  };
}

/** A plain connection for the test itself (inspecting and deleting queues). */
export function adminConnection(url = TEST_AMQP_URL): Connection {
  const c = new Connection({ url, retryLow: 100, retryHigh: 1000 });
  c.on('error', () => {});
  return c;
}

export async function messageCount(rabbit: Connection, queue: string): Promise<number> {
  const r = await rabbit.queueDeclare({ queue, passive: true });
  return r.messageCount;
}

/** Deletes the run's queues and exchange. */
export async function deleteTestTopology(config: Config): Promise<void> {
  const rabbit = adminConnection();
  try {
    await deleteTopology(rabbit, fanoutTopology(config));
    await deleteTopology(rabbit, deliveryTopology(config));
    await deleteMailTopology(rabbit, mailTopology(config));
  } finally {
    await rabbit.close();
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function eventually<T>(
  check: () => Promise<T | undefined | false>,
  timeoutMs = 15_000,
  what = 'condition',
): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) {
        return v;
      }
    } catch (err) {
      last = err;
    }
    if (Date.now() > until) {
      throw new Error(
        `${what} not reached within ${timeoutMs} ms${last instanceof Error ? `: ${last.message}` : ''}`,
      );
    }
    await sleep(100);
  }
}

export interface WorkerProcess {
  child: ChildProcess;
  output(): string;
  /** Resolves with the exit code or signal. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal?: NodeJS.Signals): void;
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<void>;
}

/** Runs src/worker.ts in a child process with exactly `env` (plus PATH). */
export async function startWorkerProcess(
  env: Record<string, string>,
  args: string[] = [],
  nodeArgs: string[] = [],
): Promise<WorkerProcess> {
  const child = spawn(process.execPath, [...nodeArgs, ...entryArgs('src/worker.ts'), ...args], {
    cwd: projectRoot,
    env: { PATH: process.env.PATH ?? '', NODE_ENV: 'test', ...env, LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const wp: WorkerProcess = {
    child,
    output: () => out,
    exited,
    kill: (signal = 'SIGKILL') => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill(signal);
      }
    },
    async waitForOutput(pattern, timeoutMs = 20_000) {
      await eventually(
        async () =>
          pattern.test(out) ||
          (child.exitCode !== null ? Promise.reject(new Error(`worker exited: ${out}`)) : false),
        timeoutMs,
        `worker output ${pattern}`,
      );
    },
  };
  // A start that fails (or is too slow on a loaded machine) must not leave the child running:
  // its open pipes would keep the test file alive until the runner's file timeout.
  await wp.waitForOutput(/worker started/, 60_000).catch((err: unknown) => {
    wp.kill('SIGKILL');
    throw err;
  });
  return wp;
}
