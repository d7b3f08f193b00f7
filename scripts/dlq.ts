// npm run dlq -- list [--limit N] | requeue [--id EVENT_ID] | purge [--id EVENT_ID]
// Inspects and replays the mail dead-letter queue (<MAIL_QUEUE>.dead) of the configured broker.
import { Connection } from 'rabbitmq-client';
import { ConfigError, loadConfig } from '../src/config.js';
import { redactUrl } from '../src/lib/redact.js';
import { listDeadLetters, purgeDeadLetters, requeueDeadLetters } from '../src/modules/mail/dlq.js';
import { declareMailTopology, mailTopology } from '../src/modules/mail/topology.js';

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : args.find((a) => a.startsWith(`${name}=`))?.slice(name.length + 1);
}

async function main(): Promise<number> {
  const [command, ...args] = process.argv.slice(2);
  if (command !== 'list' && command !== 'requeue' && command !== 'purge') {
    console.error(
      'usage: npm run dlq -- list [--limit N] | requeue [--id EVENT_ID] | purge [--id EVENT_ID]',
    );
    return 2;
  }
  const config = loadConfig();
  const t = mailTopology(config);
  const rabbit = new Connection({ url: config.amqpUrl, connectionName: 'ifd-dlq' });
  rabbit.on('error', () => {});
  try {
    await rabbit.onConnect(5000, true).catch(() => {
      throw new Error(`RabbitMQ at ${redactUrl(config.amqpUrl)} does not answer`);
    });
    await declareMailTopology(rabbit, t);
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
