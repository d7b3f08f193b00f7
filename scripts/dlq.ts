// npm run dlq -- [--consumer mail|webhooks|webhooks-fanout] list [--limit N] | requeue [--id ID] | purge [--id ID]
// Inspects and replays the dead-letter queue (<queue>.dead) of one consumer of the events
// pipeline on the configured broker; `mail` when --consumer is not given. Without AMQP_URL in
// development that broker is the in-process transport of `npm run dev` (ADR 0021): its dead
// letters are files under DATA_DIR/broker, handled here whether `npm run dev` runs or not (a
// replay is picked up by the running process within a second, or at its next start).
import { join } from 'node:path';
import { Connection } from 'rabbitmq-client';
import { ConfigError, loadConfig } from '../src/config.js';
import { redactUrl } from '../src/lib/redact.js';
import type { Config } from '../src/config.js';
import type { Broker } from '../src/modules/events/broker.js';
import { EmbeddedBroker } from '../src/modules/events/embedded-broker.js';
import { RabbitBroker } from '../src/modules/events/rabbit-broker.js';
import type { ConsumerTopology } from '../src/modules/events/topology.js';
import { mailTopology } from '../src/modules/mail/topology.js';
import { deliveryTopology, fanoutTopology } from '../src/modules/webhooks/topology.js';

const CONSUMERS: Record<string, (c: Config) => ConsumerTopology> = {
  mail: mailTopology,
  webhooks: deliveryTopology,
  'webhooks-fanout': fanoutTopology,
};
const USAGE =
  'usage: npm run dlq -- [--consumer mail|webhooks|webhooks-fanout] list [--limit N] | requeue [--id ID] | purge [--id ID]';

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : args.find((a) => a.startsWith(`${name}=`))?.slice(name.length + 1);
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  const consumer = option(argv, '--consumer') ?? 'mail';
  const rest = argv.filter(
    (a, i) => a !== '--consumer' && argv[i - 1] !== '--consumer' && !a.startsWith('--consumer='),
  );
  const [command, ...args] = rest;
  const topologyOf = CONSUMERS[consumer];
  if ((command !== 'list' && command !== 'requeue' && command !== 'purge') || !topologyOf) {
    console.error(USAGE);
    return 2;
  }
  const config = loadConfig();
  const t = topologyOf(config);
  const broker = await open(config);
  try {
    await broker.declare(t);
    const dlq = broker.deadLetters;
    const eventId = option(args, '--id');
    if (command === 'list') {
      const limit = Number(option(args, '--limit') ?? 100);
      const letters = await dlq.list(t, limit);
      const messageCount = await dlq.count(t);
      console.log(
        `${t.dead}: ${messageCount} dead letter(s)${letters.length < messageCount ? `, showing ${letters.length}` : ''}`,
      );
      for (const d of letters) {
        console.log(JSON.stringify(d));
      }
    } else if (command === 'requeue') {
      const done = await dlq.requeue(t, { eventId });
      console.log(`requeued ${done.length} dead letter(s) to ${t.queue}`);
    } else {
      const n = await dlq.purge(t, { eventId });
      console.log(`purged ${n} dead letter(s) from ${t.dead}`);
    }
    return 0;
  } finally {
    await broker.close();
  }
}

async function open(config: Config): Promise<Broker> {
  if (config.embedded.broker) {
    const dir = join(config.embedded.dataDir, 'broker');
    console.log(`in-process transport of npm run dev: ${dir} (set AMQP_URL for a RabbitMQ)`);
    return new EmbeddedBroker({ dir });
  }
  const rabbit = new Connection({ url: config.amqpUrl, connectionName: 'ifd-dlq' });
  rabbit.on('error', () => {});
  await rabbit.onConnect(5000, true).catch(async (err: unknown) => {
    await rabbit.close();
    throw new Error(`RabbitMQ at ${redactUrl(config.amqpUrl)} does not answer`, { cause: err });
  });
  return new RabbitBroker(rabbit);
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(
      err instanceof ConfigError
        ? err.message
        : `dlq: ${err instanceof Error ? err.message : String(err)}`,
    );
    process.exit(1);
  },
);
