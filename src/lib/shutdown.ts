// The one graceful shutdown of every process (R13): on the first SIGTERM or SIGINT, log,
// run `close` (stop taking work, finish what is in flight, close connections) and exit 0;
// exit 1 when close fails or outlasts its bound. Later signals are ignored.
import type { Logger } from 'pino';

export interface ShutdownOptions {
  log: Pick<Logger, 'info' | 'error'>;
  /** What the log line says is happening, e.g. "finishing in-flight requests". */
  what: string;
  /** The bound (SHUTDOWN_TIMEOUT_MS, plus a margin where the children have their own). */
  timeoutMs: number;
  close: () => Promise<void>;
}

export function closeOnSignals({ log, what, timeoutMs, close }: ShutdownOptions): void {
  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) {
      return;
    }
    closing = true;
    log.info({ signal }, `shutting down: ${what}`);
    const timer = setTimeout(() => {
      log.error('shutdown timed out; exiting');
      process.exit(1);
    }, timeoutMs);
    timer.unref();
    close().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'error while shutting down');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}
