import { buildApp } from './app.js';
import { ConfigError, loadConfig } from './config.js';
import { refuseEmbedded } from './embedded/refuse.js';
import { ensureSchema } from './db/schema-version.js';
import { closeOnSignals } from './lib/shutdown.js';

// Entry point: load config → build app → listen; SIGTERM/SIGINT close gracefully (R13).
async function main(): Promise<void> {
  const started = performance.now();
  const config = loadConfig();
  refuseEmbedded(config, 'the API');
  await ensureSchema(config.databaseUrl, config.migrateOnStart); // R17: never on an old schema
  const app = await buildApp(config);
  await app.listen({ port: config.port, host: config.host });
  app.log.info({ ms: Math.round(performance.now() - started) }, 'ready');

  closeOnSignals({
    log: app.log,
    what: 'finishing in-flight requests',
    timeoutMs: config.shutdownTimeoutMs,
    close: async () => {
      // Keep-alive connections that go idle after their last in-flight response would hold
      // server.close() open until the keep-alive timeout: close them as they go idle.
      setInterval(() => app.server.closeIdleConnections(), 50).unref();
      await app.close();
    },
  });
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError) {
    console.error(err.message);
  } else {
    console.error('Failed to start:', err instanceof Error ? err.message : err);
  }
  process.exit(1);
});
