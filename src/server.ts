import { buildApp } from './app.js';
import { ConfigError, loadConfig } from './config.js';
import { refuseEmbedded } from './embedded/refuse.js';
import { ensureSchema } from './db/schema-version.js';

// Entry point: load config → build app → listen; SIGTERM/SIGINT close gracefully (R13).
async function main(): Promise<void> {
  const started = performance.now();
  const config = loadConfig();
  refuseEmbedded(config, 'the API');
  await ensureSchema(config.databaseUrl, config.migrateOnStart); // R17: never on an old schema
  const app = await buildApp(config);
  await app.listen({ port: config.port, host: config.host });
  app.log.info({ ms: Math.round(performance.now() - started) }, 'ready');

  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) {
      return;
    }
    closing = true;
    app.log.info({ signal }, 'shutting down: finishing in-flight requests');
    const timer = setTimeout(() => {
      app.log.error('shutdown timed out; exiting');
      process.exit(1);
    }, config.shutdownTimeoutMs);
    timer.unref();
    // Keep-alive connections that go idle after their last in-flight response would hold
    // server.close() open until the keep-alive timeout: close them as they go idle.
    const sweeper = setInterval(() => app.server.closeIdleConnections(), 50);
    sweeper.unref();
    app.close().then(
      () => process.exit(0),
      (err: unknown) => {
        app.log.error({ err }, 'error while closing');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError) {
    console.error(err.message);
  } else {
    console.error('Failed to start:', err instanceof Error ? err.message : err);
  }
  process.exit(1);
});
