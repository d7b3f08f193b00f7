// npm run bench:embedded-transport [-- N] — the in-process transport's rate (ADR 0021): N
// messages (default 2000) published one after another (each fsync'ed before the next, as the
// relay's confirms are awaited), then consumed by the consumer core with a handler that does
// nothing, until every file is acknowledged. Prints publishes/s and deliveries/s; the figure
// says how far the development transport is from being the bottleneck of one developer.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { EventConsumer } from '../src/modules/events/consumer.js';
import { EmbeddedBroker } from '../src/modules/events/embedded-broker.js';
import { consumerTopology } from '../src/modules/events/topology.js';

const n = Number(process.argv[2] ?? 2000);
const dir = mkdtempSync(join(tmpdir(), 'ifd-transport-bench-'));
const broker = new EmbeddedBroker({ dir });
const t = consumerTopology({
  name: 'bench',
  exchange: 'bench.events',
  queue: 'bench.q',
  bindings: ['mail.#'],
  maxAttempts: 3,
  retryDelaysMs: [1000],
});
try {
  await broker.declare(t);
  const load = loadavg()[0]!.toFixed(1);
  const body = Buffer.from(JSON.stringify({ email: 'someone@example.com', username: 'someone' }));
  const t0 = performance.now();
  for (let i = 0; i < n; i += 1) {
    await broker.publish('bench.events', 'mail.welcome', {
      messageId: randomUUID(),
      type: 'mail.welcome',
      contentType: 'application/json',
      body,
    });
  }
  const publishMs = performance.now() - t0;
  let handled = 0;
  let allDone: () => void = () => {};
  const done = new Promise<void>((r) => (allDone = r));
  const consumer = new EventConsumer({
    broker,
    topology: t,
    prefetch: 50,
    concurrency: 16,
    log: pino({ level: 'silent' }),
    handler: () => Promise.resolve({ status: 'done' }),
    onOutcome: () => {
      handled += 1;
    },
  });
  const t1 = performance.now();
  consumer.start();
  const check = setInterval(() => {
    void broker.store.list(t.queue).then((left) => {
      if (handled >= n && left.length === 0) {
        allDone();
      }
    });
  }, 20);
  await done;
  clearInterval(check);
  const consumeMs = performance.now() - t1;
  await consumer.stop();
  console.log(
    `${n} messages, ${cpus().length} × ${cpus()[0]?.model ?? '?'}, load ${load} (shared machine): ` +
      `publish ${Math.round(n / (publishMs / 1000))}/s (one at a time, fsync each), ` +
      `consume+ack ${Math.round(n / (consumeMs / 1000))}/s (concurrency 16)`,
  );
} finally {
  await broker.close();
  rmSync(dir, { recursive: true, force: true });
}
