// The request logger made on first use (src/lib/lazy-logger.ts): the lines it writes are the
// lines a pino child writes (bindings, level, redaction), and below its level it makes no
// child at all.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import type { FastifyBaseLogger } from 'fastify';
import pino from 'pino';
import { lazyChildLogger } from './lazy-logger.js';
import { REDACT } from './logger.js';

function parent(level: string) {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  const logger = pino({ level, redact: REDACT, base: null, timestamp: false }, stream);
  let children = 0;
  const child = logger.child.bind(logger);
  logger.child = ((...args: Parameters<typeof child>) => {
    children += 1;
    return child(...args);
  }) as typeof logger.child;
  return { logger: logger as unknown as FastifyBaseLogger, lines, children: () => children };
}

const flush = () => new Promise((r) => setImmediate(r));

void test('below its level nothing is written and no pino child is made', async () => {
  const p = parent('info');
  const log = lazyChildLogger(p.logger, { reqId: 'r-1' }, {});
  log.debug({ a: 1 }, 'quiet');
  log.trace('quieter');
  await flush();
  assert.deepEqual(p.lines, []);
  assert.equal(p.children(), 0);
  assert.equal(log.level, 'info');
});

void test('a line at its level is the child line: bindings, message, redaction', async () => {
  const p = parent('info');
  const log = lazyChildLogger(p.logger, { reqId: 'r-2' }, {});
  log.info({ req: { headers: { authorization: 'Bearer secret' } } }, 'request completed');
  log.warn('twice, one child');
  await flush();
  assert.equal(p.children(), 1);
  assert.deepEqual(p.lines, [
    {
      level: 30,
      reqId: 'r-2',
      req: { headers: { authorization: '[redacted]' } },
      msg: 'request completed',
    },
    { level: 40, reqId: 'r-2', msg: 'twice, one child' },
  ]);
});

void test("a route's own level (the probes' warn) holds: info is dropped, warn written", async () => {
  const p = parent('info');
  const log = lazyChildLogger(p.logger, { reqId: 'r-3' }, { level: 'warn' });
  log.info('dropped');
  await flush();
  assert.equal(p.children(), 0);
  log.error({ code: 'E' }, 'kept');
  await flush();
  assert.deepEqual(p.lines, [{ level: 50, reqId: 'r-3', code: 'E', msg: 'kept' }]);
  assert.equal(log.level, 'warn');
});
