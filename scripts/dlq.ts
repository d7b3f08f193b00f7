// npm run dlq -- [--consumer mail|webhooks|webhooks-fanout] list [--limit N] | requeue [--id ID] | purge [--id ID]
// Inspects and replays the dead-letter queue (<queue>.dead) of one consumer of the events
// pipeline on the configured broker; `mail` when --consumer is not given.
import { Connection } from 'rabbitmq-client';
import { ConfigError, loadConfig } from '../src/config.js';
import { redactUrl } from '../src/lib/redact.js';
import type { Config } from '../src/config.js';
import {
  listDeadLetters,
  purgeDeadLetters,
  requeueDeadLetters,
} from '../src/modules/events/dlq.js';
import { declareTopology, type ConsumerTopology } from '../src/modules/events/topology.js';
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
  const rabbit = new Connection({ url: config.amqpUrl, connectionName: 'ifd-dlq' });
  rabbit.on('error', () => {});
  try {
    await rabbit.onConnect(5000, true).catch(() => {
      throw new Error(`RabbitMQ at ${redactUrl(config.amqpUrl)} does not answer`);
    });
    await declareTopology(rabbit, t);
    const eventId = option(args, '--id');
    if (command === 'list') {
      const limit = Number(option(args, '--limit') ?? 100);
      const letters = await listDeadLetters(rabbit, t, limit);
      const { messageCount } = await rabbit.queueDeclare({ queue: t.dead, passive: true });
      console.log(
        `${t.dead}: ${messageCount} dead letter(s)${letters.length < messageCount ? `, showing ${letters.length}` : ''}`,
      );
      for (const d of letters) {
        console.log(JSON.stringify(d));
      }
    } else if (command === 'requeue') {
      const done = await requeueDeadLetters(rabbit, t, { eventId });
      console.log(`requeued ${done.length} dead letter(s) to ${t.queue}`);
    } else {
      const n = await purgeDeadLetters(rabbit, t, { eventId });
      console.log(`purged ${n} dead letter(s) from ${t.dead}`);
    }
    return 0;
  } finally {
    await rabbit.close();
  }
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
