// `npm run dev` without DATABASE_URL or AMQP_URL (ADR 0015, 0021): the API, the outbox relay
// and the consumers (mail, webhooks) in one process, over the embedded PostgreSQL (PGlite
// under DATA_DIR) unless DATABASE_URL is set, the in-process transport (files under
// DATA_DIR/broker) unless AMQP_URL is set, and an in-process MailDev unless SMTP_URL is set.
// Development only: loadConfig never selects embedded parts elsewhere.
import { join } from 'node:path';
import { buildApp } from '../app.js';
import { ConfigError, loadConfig, readEnv, type Config } from '../config.js';
import { openEmbeddedDatabase, type EmbeddedDatabase } from '../db/embedded.js';
import { ensureDatabase, runMigrations } from '../db/migrate.js';
import { redactUrl } from '../lib/redact.js';
import { ensureKeyPair } from '../modules/auth/keys.js';
import { createLogger } from '../lib/logger.js';
import { createBroker, startWorker } from '../worker.js';

interface Embedded {
  close(): Promise<void>;
}

/** The in-process MailDev; maildev is a development dependency, loaded only here. */
async function startMailDev(config: Config): Promise<Embedded> {
  const { MailDev } = await import('maildev');
  const maildev = new MailDev({
    smtp: config.embedded.smtpPort,
    web: config.embedded.mailWebPort,
    ip: '127.0.0.1',
    webIp: '127.0.0.1',
    mailDirectory: join(config.embedded.dataDir, 'maildev'),
    silent: true,
  });
  await maildev.start();
  return { close: () => maildev.stop() };
}

export function banner(config: Config, apiUrl: string, healthUrl: string): string {
  const e = config.embedded;
  const lines = [
    '',
    '  Internships for developers: development, one process',
    `    API          ${apiUrl}  (docs ${apiUrl}/docs, worker health ${healthUrl})`,
    e.database
      ? `    PostgreSQL   embedded (PGlite) in ${join(e.dataDir, 'pglite')}; for a real server set DATABASE_URL=postgres://user@host:5432/db`
      : `    PostgreSQL   ${redactUrl(config.databaseUrl)}`,
    e.broker
      ? `    RabbitMQ     embedded (in-process transport) in ${join(e.dataDir, 'broker')}, dead letters: npm run dlq -- list; for a real broker set AMQP_URL=amqp://user:pass@host:5672`
      : `    RabbitMQ     ${redactUrl(config.amqpUrl)}`,
    e.smtp
      ? `    Mail         embedded MailDev: every mail at http://127.0.0.1:${e.mailWebPort} (SMTP 127.0.0.1:${e.smtpPort}); for a real server set SMTP_URL=smtp://host:587`
      : `    Mail         ${redactUrl(config.smtpUrl)}`,
    '    Embedded parts are for development only: production refuses them (docs/operations.md).',
    '',
  ];
  return lines.join('\n');
}

async function main(): Promise<void> {
  const started = performance.now();
  const env = readEnv();
  const asked = loadConfig(env);
  if (!asked.embedded.database && !asked.embedded.broker) {
    throw new ConfigError([
      'src/embedded/main.ts is the embedded development process: NODE_ENV=development and no DATABASE_URL or no AMQP_URL',
    ]);
  }
  // The in-process MailDev listens where SMTP_URL would have pointed.
  const config = asked.embedded.smtp
    ? Object.freeze({ ...asked, smtpUrl: `smtp://127.0.0.1:${asked.embedded.smtpPort}` })
    : asked;
  ensureKeyPair(config.jwt.privateKeyPath, config.jwt.publicKeyPath);
  const log = createLogger(config, 'worker');
  // Stopped in reverse order of start (the API, the worker, MailDev); the database last.
  const parts: Embedded[] = [];
  let database: EmbeddedDatabase | undefined;
  const closeParts = async () => {
    for (const p of [...parts].reverse()) {
      await p.close().catch((err: unknown) => log.error({ err }, 'error while stopping'));
    }
  };
  // PGlite writes its state when closed: a process that exits without it leaves a folder
  // that needs recovery at the next start (or cannot be opened at all).
  const closeDatabase = () =>
    database?.close().catch((err: unknown) => log.error({ err }, 'error closing PGlite'));
  try {
    if (config.embedded.database) {
      database = await openEmbeddedDatabase(config.embedded.dataDir, (err) =>
        log.warn({ err }, 'embedded database client error'),
      );
    } else {
      await ensureDatabase(config.databaseUrl);
      await runMigrations(config.databaseUrl);
    }
    if (config.embedded.smtp) {
      parts.push(await startMailDev(config));
    }
    const worker = await startWorker(config, { log, database, broker: createBroker(config, log) });
    parts.push(worker);
    const app = await buildApp(config, { database });
    parts.push({ close: () => app.close() });
    await app.listen({ port: config.port, host: config.host });
    console.log(banner(asked, `http://${config.host}:${config.port}`, worker.health.url));
    log.info({ ms: Math.round(performance.now() - started) }, 'ready');
  } catch (err) {
    await closeParts();
    await closeDatabase();
    throw err;
  }

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) {
      return;
    }
    stopping = true;
    log.info({ signal }, 'shutting down');
    // `tsx watch` kills this process 5 s after its signal: the API and the worker get most
    // of that, then the database is closed whether they finished or not.
    const partsMs = Math.min(config.shutdownTimeoutMs, 3500);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), partsMs);
    });
    void Promise.race([closeParts().then(() => true), late])
      .then(async (inTime) => {
        clearTimeout(timer);
        if (!inTime) {
          log.warn({ ms: partsMs }, 'API and worker did not stop in time; closing the database');
        }
        await closeDatabase();
        log.info('stopped');
        process.exit(inTime ? 0 : 1);
      })
      .catch(() => process.exit(1));
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((err: unknown) => {
  console.error(
    err instanceof ConfigError
      ? err.message
      : `Failed to start: ${err instanceof Error ? err.message : String(err)}`,
  );
  process.exit(1);
});
