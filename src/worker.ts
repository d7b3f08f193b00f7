// Entry of the background worker (`npm run worker`): the outbox relay (outbox rows → the events
// exchange), the mail consumer (RabbitMQ → SMTP) and the webhook consumers (fan-out and
// deliveries) in one process. `--only=relay|mail|webhooks` runs one of them; any number of
// workers may run side by side. SIGTERM/SIGINT: stop taking
// work, finish what is in flight, return unacked messages, close connections, exit 0 (R13).
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Logger } from 'pino';
import { Connection } from 'rabbitmq-client';
import { ConfigError, loadConfig, type Config } from './config.js';
import { createDatabase, type Database } from './db/client.js';
import { createLogger } from './lib/logger.js';
import { closeOnSignals } from './lib/shutdown.js';
import { redactUrl } from './lib/redact.js';
import { refuseEmbedded } from './embedded/refuse.js';
import { pgMailDeliveryStore } from './modules/mail/deliveries.repository.js';
import { batchesInFlight } from './modules/mail/delivery-batcher.js';
import { MailConsumer, type MailOutcome } from './modules/mail/mail.consumer.js';
import { createSmtpSender } from './modules/mail/smtp.js';
import { mailTopology } from './modules/mail/topology.js';
import { OutboxRelay } from './modules/outbox/outbox.relay.js';
import { pgOutboxStore } from './modules/outbox/outbox.repository.js';
import type { Broker } from './modules/events/broker.js';
import type { EventOutcome } from './modules/events/consumer.js';
import { EmbeddedBroker } from './modules/events/embedded-broker.js';
import { RabbitBroker } from './modules/events/rabbit-broker.js';
import { SsrfGuard } from './modules/webhooks/ssrf.js';
import { deliveryTopology, fanoutTopology } from './modules/webhooks/topology.js';
import { WebhookConsumers, type WebhookDeadReason } from './modules/webhooks/webhooks.consumer.js';
import { pgWebhookDeliveryStore } from './modules/webhooks/webhooks.repository.js';
import { startWorkerHealth, type WorkerHealth } from './modules/health/worker-health.js';

export type WorkerRole = 'relay' | 'mail' | 'webhooks';
const ROLES: WorkerRole[] = ['relay', 'mail', 'webhooks'];

export interface WorkerOptions {
  roles?: WorkerRole[];
  log?: Logger;
  onOutcome?: (o: MailOutcome) => void;
  onWebhookOutcome?: (o: EventOutcome<WebhookDeadReason> & { consumer: string }) => void;
  /**
   * Share a database handle (the embedded one, ADR 0015): kept open on close, and the relay
   * then has no LISTEN connection of its own (the app's commits in this process wake it).
   */
  database?: Database;
  /** The broker port to use (tests); otherwise createBroker(config). Closed with the worker. */
  broker?: Broker;
}

export interface Worker {
  relay: OutboxRelay | null;
  mail: MailConsumer | null;
  webhooks: WebhookConsumers | null;
  /** RabbitMQ, or the in-process transport of the embedded mode (ADR 0021). */
  broker: Broker;
  /** /health, /health/ready and /metrics of this worker (WORKER_HEALTH_PORT). */
  health: WorkerHealth;
  close(): Promise<void>;
}

export function amqpConnection(config: Config, name: string, log: Logger): Connection {
  const rabbit = new Connection({
    url: config.amqpUrl,
    connectionName: name,
    retryLow: 200,
    retryHigh: 3000,
    connectionTimeout: 5000,
    heartbeat: 10,
    // Without it Nagle holds a publish back while an earlier ack (which RabbitMQ does not
    // answer) waits for the peer's delayed TCP ACK: up to ~40 ms per mail at low rates (P5).
    noDelay: true,
  });
  rabbit.on('error', (err) => log.warn({ err }, 'RabbitMQ connection error; reconnecting'));
  rabbit.on('connection', () =>
    log.info({ amqp: redactUrl(config.amqpUrl) }, 'RabbitMQ connected'),
  );
  return rabbit;
}

/**
 * RabbitMQ at AMQP_URL; the in-process transport (files under DATA_DIR/broker) when
 * loadConfig chose it: development without AMQP_URL, never production (ADR 0021).
 */
export function createBroker(
  config: Config,
  log: Logger,
  name = `ifd-worker-${process.pid}`,
): Broker {
  if (config.embedded.broker) {
    if (config.nodeEnv === 'production') {
      throw new ConfigError(['the in-process transport is for development only: set AMQP_URL']);
    }
    return new EmbeddedBroker({ dir: join(config.embedded.dataDir, 'broker') });
  }
  return new RabbitBroker(amqpConnection(config, name, log));
}

export async function startWorker(config: Config, opts: WorkerOptions = {}): Promise<Worker> {
  const roles = new Set(opts.roles ?? ROLES);
  const log = opts.log ?? createLogger(config, 'worker');
  const topology = mailTopology(config);
  // One connection per delivery batch in flight, two for the relay (its LISTEN is separate).
  const database =
    opts.database ??
    createDatabase(
      config.databaseUrl,
      (roles.has('mail')
        ? batchesInFlight(
            Math.min(config.mail.concurrency, config.mail.prefetch),
            config.mail.batchSize,
          )
        : 0) +
        (roles.has('relay') ? 2 : 1) +
        (roles.has('webhooks') ? 10 : 0),
      (err) => log.warn({ err }, 'idle database client error'),
    );
  const broker = opts.broker ?? createBroker(config, log);

  let mail: MailConsumer | null = null;
  let webhooks: WebhookConsumers | null = null;
  let sender: ReturnType<typeof createSmtpSender> | null = null;
  // Up before the broker is: a worker waiting for RabbitMQ says so on /health/ready.
  const health = await startWorkerHealth(
    config.workerHealth,
    {
      broker: () => broker.ready,
      consumers: (): Record<string, boolean> => ({
        ...(roles.has('mail') ? { mail: mail?.running ?? false } : {}),
        ...(roles.has('webhooks') ? { webhooks: webhooks?.running ?? false } : {}),
      }),
      pool: database.pool,
    },
    log,
  );

  if (roles.has('mail')) {
    // Best effort: consumer and publishers re-declare on every (re)connect anyway.
    await broker
      .declare(topology)
      .catch((err: unknown) =>
        log.warn({ err }, 'could not declare the mail topology yet; will on connect'),
      );
  }

  if (roles.has('mail')) {
    sender = createSmtpSender(config.smtpUrl, config.mail.smtpPoolSize);
    mail = new MailConsumer({
      broker,
      deliveries: pgMailDeliveryStore(database.pool),
      sender,
      topology,
      from: config.mailFrom,
      context: { publicUrl: config.publicUrl },
      prefetch: config.mail.prefetch,
      concurrency: config.mail.concurrency,
      batchSize: config.mail.batchSize,
      ratePerSecond: config.mail.rateLimitPerSecond,
      log,
      onOutcome: opts.onOutcome,
    });
    mail.start();
  }

  if (roles.has('webhooks')) {
    webhooks = new WebhookConsumers({
      broker,
      store: pgWebhookDeliveryStore(database.pool),
      fanout: fanoutTopology(config),
      delivery: deliveryTopology(config),
      guard: new SsrfGuard(config.webhooks),
      settings: {
        timeoutMs: config.webhooks.timeoutMs,
        disableAfterSeconds: config.webhooks.disableAfter,
        perSubscription: config.webhooks.perSubscriptionConcurrency,
      },
      prefetch: config.webhooks.prefetch,
      concurrency: config.webhooks.concurrency,
      log,
      onOutcome: opts.onWebhookOutcome,
    });
    webhooks.start();
  }

  let relay: OutboxRelay | null = null;
  if (roles.has('relay')) {
    relay = new OutboxRelay({
      store: pgOutboxStore(database.pool, {
        listenUrl: opts.database ? null : config.databaseUrl,
        log,
      }),
      broker,
      exchange: config.events.exchange,
      batchSize: config.outbox.batchSize,
      pollMs: config.outbox.pollMs,
      retryBaseMs: config.outbox.retryBaseMs,
      publishTimeoutMs: config.outbox.publishTimeoutMs,
      log,
    });
    relay.start();
  }
  log.info(
    { roles: [...roles], broker: broker.kind, queue: topology.queue, exchange: topology.exchange },
    'worker started',
  );

  let closing: Promise<void> | null = null;
  return {
    relay,
    mail,
    webhooks,
    broker,
    health,
    close: () => {
      closing ??= (async () => {
        await health.close();
        await relay?.stop();
        await mail?.stop();
        await webhooks?.stop();
        await broker.close();
        sender?.close();
        if (!opts.database) {
          await database.close();
        }
      })();
      return closing;
    },
  };
}

function parseRoles(argv: string[]): WorkerRole[] | undefined {
  const only = argv.find((a) => a.startsWith('--only='))?.slice('--only='.length);
  if (only === undefined) {
    return undefined;
  }
  const role = ROLES.find((r) => r === only);
  if (role === undefined) {
    throw new ConfigError([`--only must be relay, mail or webhooks (got "${only}")`]);
  }
  return [role];
}

async function main(): Promise<void> {
  const config = loadConfig();
  refuseEmbedded(config, 'the worker');
  if (config.embedded.broker) {
    // Its consumers keep in memory which messages are in hand: one process only, the one
    // `npm run dev` starts (ADR 0021).
    throw new ConfigError([
      'AMQP_URL is not set: the in-process transport runs only inside `npm run dev` (one process); to start the worker on its own, set AMQP_URL to a RabbitMQ server',
    ]);
  }
  const log = createLogger(config, 'worker');
  const worker = await startWorker(config, { roles: parseRoles(process.argv.slice(2)), log });
  closeOnSignals({
    log,
    what: 'finishing in-flight messages',
    timeoutMs: config.shutdownTimeoutMs,
    close: () => worker.close(),
  });
}

const entry = process.argv[1];
if (entry !== undefined && import.meta.url === pathToFileURL(entry).href) {
  main().catch((err: unknown) => {
    console.error(
      err instanceof ConfigError
        ? err.message
        : `Worker failed to start: ${err instanceof Error ? err.message : String(err)}`,
    );
    process.exit(1);
  });
}
