// A RabbitMQ node of the test's own (its own port, data folder and node name), so a test can
// restart the broker (R4) without disturbing the shared one that other test files use.
// Started with the machine's rabbitmq-server, as the rabbitmq user that the server script
// switches to. Fails loudly when that is not possible: a missing broker is never a skip.
import { execFile } from 'node:child_process';
import { chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './maildev.js';

const run = promisify(execFile);

export interface PrivateRabbit {
  url: string;
  /** stop_app + start_app: the broker restarts, durable queues and persistent messages stay. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

async function waitFor(check: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) {
      throw new Error(`private RabbitMQ: ${what} not within ${ms} ms`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

export async function startPrivateRabbit(): Promise<PrivateRabbit> {
  const port = await freePort();
  const distPort = await freePort();
  const node = `ifdtest${process.pid}x${port}@localhost`;
  const dir = mkdtempSync(join(tmpdir(), 'ifd-rabbit-'));
  mkdirSync(join(dir, 'mnesia'));
  mkdirSync(join(dir, 'log'));
  writeFileSync(join(dir, 'enabled_plugins'), '[].\n');
  writeFileSync(join(dir, 'rabbitmq.conf'), `listeners.tcp.default = ${port}\n`);
  const env = {
    ...process.env,
    RABBITMQ_NODENAME: node,
    RABBITMQ_NODE_PORT: String(port),
    RABBITMQ_DIST_PORT: String(distPort),
    RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
    RABBITMQ_LOG_BASE: join(dir, 'log'),
    RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, 'enabled_plugins'),
    RABBITMQ_PID_FILE: join(dir, 'pid'),
    RABBITMQ_CONFIG_FILE: join(dir, 'rabbitmq'),
  };
  const { uid, gid } = await rabbitmqUser();
  for (const p of ['', 'mnesia', 'log', 'enabled_plugins', 'rabbitmq.conf']) {
    chownSync(join(dir, p), uid, gid);
  }
  const ctl = (...args: string[]) =>
    run('rabbitmqctl', ['-n', node, ...args], { env, timeout: 60_000 });
  await run('rabbitmq-server', ['-detached'], { env, timeout: 30_000 });
  await waitFor(() => portOpen(port), 60_000, 'listening');
  return {
    url: `amqp://guest:guest@127.0.0.1:${port}`,
    restart: async () => {
      await ctl('stop_app');
      await waitFor(async () => !(await portOpen(port)), 30_000, 'stopped');
      await ctl('start_app');
      await waitFor(() => portOpen(port), 60_000, 'listening again');
    },
    stop: async () => {
      await ctl('stop').catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function rabbitmqUser(): Promise<{ uid: number; gid: number }> {
  const { stdout } = await run('id', ['rabbitmq']);
  const uid = Number(/uid=(\d+)/.exec(stdout)?.[1]);
  const gid = Number(/gid=(\d+)/.exec(stdout)?.[1]);
  if (!Number.isInteger(uid) || !Number.isInteger(gid)) {
    throw new Error('private RabbitMQ: no rabbitmq user on this machine');
  }
  return { uid, gid };
}
