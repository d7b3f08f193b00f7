// `npm run dev` without DATABASE_URL (ADR 0015): the API, the outbox relay and the mail
// consumer in one process over the embedded PostgreSQL (PGlite under DATA_DIR), with an
// in-process MailDev when SMTP_URL is unset too. RabbitMQ is not embedded yet: AMQP_URL (by
// default the local broker) must answer for mails to leave the outbox; everything else
// works without it. Development only: loadConfig never selects embedded parts elsewhere.
import { join } from 'node:path';
import { buildApp } from '../app.js';
import { ConfigError, loadConfig, readEnv, type Config } from '../config.js';
import { openEmbeddedDatabase } from '../db/embedded.js';
import { redactUrl } from '../lib/redact.js';
import { ensureKeyPair } from '../modules/auth/keys.js';
import { createLogger } from '../lib/logger.js';
import { closeOnSignals } from '../lib/shutdown.js';
import { startWorker } from '../worker.js';

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
    `    RabbitMQ     ${redactUrl(config.amqpUrl)}: not embedded yet, must answer for mails to leave the outbox; set AMQP_URL to use another`,
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
  if (!asked.embedded.database) {
    throw new ConfigError([
      'src/embedded/main.ts is the embedded development process: NODE_ENV=development and no DATABASE_URL',
    ]);
  }
  // The in-process MailDev listens where SMTP_URL would have pointed.
  const config = asked.embedded.smtp
    ? Object.freeze({ ...asked, smtpUrl: `smtp://127.0.0.1:${asked.embedded.smtpPort}` })
    : asked;
  ensureKeyPair(config.jwt.privateKeyPath, config.jwt.publicKeyPath);
  const log = createLogger(config, 'worker');
  const parts: Embedded[] = [];
  const closeAll = async () => {
    for (const p of parts.reverse()) {
      await p.close().catch((err: unknown) => log.error({ err }, 'error while stopping'));
    }
  };
  try {
    const database = await openEmbeddedDatabase(config.embedded.dataDir, (err) =>
      log.warn({ err }, 'embedded database client error'),
    );
    parts.push(database);
    if (config.embedded.smtp) {
      parts.push(await startMailDev(config));
    }
    const app = await buildApp(config, { database });
    parts.push({ close: () => app.close() });
    await app.listen({ port: config.port, host: config.host });
    const worker = await startWorker(config, { log, database });
    parts.splice(parts.length - 1, 0, worker); // stop the worker after the API, before the database
    console.log(banner(asked, `http://${config.host}:${config.port}`, worker.health.url));
    log.info({ ms: Math.round(performance.now() - started) }, 'ready');
  } catch (err) {
    await closeAll();
    throw err;
  }

  closeOnSignals({
    log,
    what: 'stopping the API, the worker and the database',
    timeoutMs: config.shutdownTimeoutMs,
    close: closeAll,
  });
}

main().catch((err: unknown) => {
  console.error(
    err instanceof ConfigError
      ? err.message
      : `Failed to start: ${err instanceof Error ? err.message : String(err)}`,
  );
  process.exit(1);
});
