// `npm start`: WEB_CONCURRENCY API processes behind one port (node:cluster). The primary
// only supervises: it forks server.js per worker, replaces a worker that dies, restarts
// them one at a time on SIGHUP or SIGUSR2 (a new one listens before the old one drains),
// and on SIGTERM/SIGINT lets every worker finish its in-flight requests (R13).
// With WEB_CONCURRENCY=1 (the default) the server runs in this process, without a primary.
import cluster, { type Worker } from 'node:cluster';
import { fileURLToPath } from 'node:url';
import { ConfigError, loadConfig, type Config } from './config.js';
import { HANDOFFS_DONE, LISTENING_CLOSED } from './lib/cluster-messages.js';
import { createLogger } from './lib/logger.js';

// A worker that dies sooner than this after its start is not replaced at once (crash loop).
const MIN_UPTIME_MS = 5000;
const RESTART_DELAY_MS = 1000;

function primary(workers: number, shutdownTimeoutMs: number, config: Config): void {
  const log = createLogger(config, 'primary');
  // Under tsx (tests, development) the sources run as .ts; the build runs .js.
  const ext = import.meta.url.endsWith('.ts') ? 'ts' : 'js';
  const serverScript = fileURLToPath(new URL(`./server.${ext}`, import.meta.url));
  cluster.setupPrimary({ exec: serverScript });
  const startedAt = new Map<number, number>();
  // Workers being replaced or stopped on purpose: their exit is not a crash.
  const retiring = new Set<number>();
  let stopping = false;
  let rolling = false;

  const fork = (): Worker => {
    const w = cluster.fork();
    startedAt.set(w.id, Date.now());
    w.once('listening', () =>
      log.info({ worker: w.id, workerPid: w.process.pid }, 'worker listening'),
    );
    return w;
  };

  // A stopping worker asks before it exits: this answer follows, on the same ordered channel,
  // every connection handed to it (see primaryStoppedHandingOver in server.ts).
  cluster.on('message', (w, msg: unknown) => {
    if ((msg as { ifd?: string } | null)?.ifd === LISTENING_CLOSED && w.isConnected()) {
      w.send({ ifd: HANDOFFS_DONE }, undefined, () => undefined);
    }
  });

  cluster.on('exit', (w, code, signal) => {
    const uptime = Date.now() - (startedAt.get(w.id) ?? 0);
    startedAt.delete(w.id);
    if (retiring.delete(w.id) || stopping) {
      return;
    }
    log.error(
      { worker: w.id, workerPid: w.process.pid, code, signal },
      'worker died; replacing it',
    );
    setTimeout(fork, uptime < MIN_UPTIME_MS ? RESTART_DELAY_MS : 0).unref();
  });

  const stopWorker = (w: Worker): Promise<void> =>
    new Promise((resolve) => {
      retiring.add(w.id);
      w.once('exit', () => resolve());
      w.process.kill('SIGTERM');
    });

  const rollingRestart = async (signal: string) => {
    if (rolling || stopping) {
      return;
    }
    rolling = true;
    log.info({ signal }, 'rolling restart: one worker at a time');
    try {
      for (const old of Object.values(cluster.workers ?? {})) {
        if (old === undefined || stopping) {
          continue;
        }
        const next = fork();
        await new Promise<void>((resolve, reject) => {
          next.once('listening', () => resolve());
          next.once('exit', () => reject(new Error('the new worker exited before listening')));
        });
        await stopWorker(old);
      }
      log.info('rolling restart done');
    } catch (err) {
      log.error({ err }, 'rolling restart stopped; the remaining workers keep serving');
    } finally {
      rolling = false;
    }
  };

  const shutdown = (signal: string) => {
    if (stopping) {
      return;
    }
    stopping = true;
    log.info({ signal }, 'shutting down: workers finish their in-flight requests');
    const timer = setTimeout(() => {
      log.error('shutdown timed out; exiting');
      process.exit(1);
    }, shutdownTimeoutMs + 2000);
    timer.unref();
    const all = Object.values(cluster.workers ?? {}).filter((w) => w !== undefined);
    void Promise.all(all.map(stopWorker)).then(() => process.exit(0));
  };

  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGHUP', () => void rollingRestart('SIGHUP'));
  process.on('SIGUSR2', () => void rollingRestart('SIGUSR2'));
  for (let i = 0; i < workers; i++) {
    fork();
  }
  log.info({ workers }, 'primary started');
}

try {
  const config = loadConfig();
  if (config.webConcurrency > 1) {
    primary(config.webConcurrency, config.shutdownTimeoutMs, config);
  } else {
    await import('./server.js');
  }
} catch (err) {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
}
