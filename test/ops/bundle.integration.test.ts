// `npm run build:bundle` (scripts/build-bundle.ts, ADR 0013 and 0028): the API as one CommonJS
// file run through a V8 code cache by dist/bundle/server.js, and dist/bundle/cluster.js. Built
// once here into dist/bundle (projectRoot is found from the bundle's location), then run with
// plain node as operators run it: the first start writes the code cache, the second takes it
// and serves the v1 contract walk (mails through MailDev and the in-process worker), Swagger
// UI and readiness (the modules left outside the bundle and loaded on first use: Swagger UI,
// ioredis, rate-limiter-flexible, rabbitmq-client); the cluster entry forks two workers.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import pino from 'pino';
import { projectRoot } from '../../src/lib/paths.js';
import { startWorker, type Worker } from '../../src/worker.js';
import { redisTestPrefix, startApiProcess, TEST_REDIS_URL } from '../helpers/api-process.js';
import { testConfig } from '../helpers/app.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { request } from '../helpers/http.js';
import { mailDevPorts, startMailDev, type MailDev } from '../helpers/maildev.js';
import { walkV1Contract } from '../helpers/v1-contract.js';
import { deleteTestTopology, eventually, mailTestEnv } from '../helpers/worker.js';

const bundleDir = join(projectRoot, 'dist/bundle');
const PUBLIC_URL = 'http://127.0.0.1:5173';
const cacheFiles = () =>
  readdirSync(bundleDir)
    .filter((f) => f.endsWith('.cache'))
    .sort();

async function assertHealthy(url: string): Promise<void> {
  const health = await request(url, 'GET', '/health');
  assert.deepEqual([health.status, health.body], [200, { status: 'ok' }]);
}

describe('npm run build:bundle: dist/bundle/server.js and cluster.js', () => {
  let db: TestDatabase;
  let md: MailDev;
  let worker: Worker | undefined;
  let mailEnv: Record<string, string>;
  let env: Record<string, string>;
  /** The code cache the loader writes for this build, run with no flags: its exact name. */
  let cacheName: string;
  const procs: Array<Awaited<ReturnType<typeof startApiProcess>>> = [];

  before(async () => {
    const ports = await mailDevPorts();
    const [built, testDb, maildev] = await Promise.allSettled([
      promisify(execFile)(
        process.execPath,
        ['--import', 'tsx', join(projectRoot, 'scripts/build-bundle.ts')],
        { cwd: projectRoot },
      ),
      createTestDatabase(),
      startMailDev(ports),
    ]);
    if (testDb.status === 'fulfilled') {
      db = testDb.value;
    }
    if (maildev.status === 'fulfilled') {
      md = maildev.value;
    }
    for (const r of [built, testDb, maildev]) {
      if (r.status === 'rejected') {
        throw r.reason;
      }
    }
    const hash = createHash('sha256')
      .update(readFileSync(join(bundleDir, 'server.cjs')))
      .digest('hex')
      .slice(0, 16);
    // The loader's variant: Node's version, execArgv (none) and NODE_OPTIONS (unset).
    const variant = createHash('sha256')
      .update([process.version, ''].join('\n'))
      .digest('hex')
      .slice(0, 8);
    cacheName = `server.${hash}.${variant}.cache`;
    mailEnv = mailTestEnv({ SMTP_URL: ports.smtpUrl, PUBLIC_URL });
    env = {
      ...mailEnv,
      LOG_LEVEL: 'info', // startApiProcess waits for "Server listening at"
      RATE_LIMIT_STORE: 'redis',
      REDIS_URL: TEST_REDIS_URL,
      REDIS_KEY_PREFIX: redisTestPrefix(),
    };
  });
  after(async () => {
    await Promise.allSettled(procs.map((p) => p.stop('SIGKILL')));
    await worker?.close().catch(() => {});
    if (mailEnv !== undefined && db !== undefined) {
      await deleteTestTopology(testConfig(db.url, mailEnv)).catch(() => {});
    }
    await md?.close();
    await db?.drop();
  });

  test('the build leaves no code cache; the first start serves /health, writes it, exits 0', async () => {
    assert.deepEqual(cacheFiles(), []);
    const p = await startApiProcess('dist/bundle/server.js', db.url, env);
    procs.push(p);
    await assertHealthy(p.url);
    await p.stop('SIGTERM');
    assert.deepEqual(await p.exited, { code: 0, signal: null }, p.output());
    assert.deepEqual(cacheFiles(), [cacheName]);
    assert.ok(statSync(join(bundleDir, cacheName)).size > 100_000, 'a cache of the started code');
  });

  test('the second start takes the cache and serves the v1 contract, Swagger UI, readiness', async () => {
    const cache = statSync(join(bundleDir, cacheName));
    const p = await startApiProcess('dist/bundle/server.js', db.url, env);
    procs.push(p);
    // The worker (outbox relay, mail consumer) in this process, on the bundle's database,
    // exchange, queues and MailDev.
    worker = await startWorker(testConfig(db.url, mailEnv), { log: pino({ level: 'silent' }) });

    await walkV1Contract(
      p.url,
      {
        waitFor: async (to, subject) =>
          (await md.waitForMail((m) => m.subject === subject && m.to.some((a) => a.address === to)))
            .text ?? '',
      },
      PUBLIC_URL,
    );

    const journal = JSON.parse(
      readFileSync(join(projectRoot, 'migrations/meta/_journal.json'), 'utf8'),
    ) as { entries: Array<{ when: number; tag: string }> };
    const latest = [...journal.entries].sort((a, b) => a.when - b.when).at(-1)!.tag;
    // The broker check connects on its first call and reports at most every 10 s: "up" once
    // rabbitmq-client (outside the bundle) has connected.
    const ready = await eventually(async () => {
      const r = await request(p.url, 'GET', '/health/ready');
      return r.status === 200 && r.body.broker === 'up' ? r : undefined;
    }, 20_000);
    assert.deepEqual(ready.body, {
      status: 'ok',
      database: 'up',
      schema: {
        applied: journal.entries.length,
        expected: journal.entries.length,
        current: latest,
        latest,
      },
      rate_limit_store: 'redis',
      broker: 'up',
    });

    const openapi = await request(p.url, 'GET', '/openapi.json');
    assert.equal(openapi.status, 200);
    assert.equal(openapi.body.openapi, '3.1.0');
    assert.ok('/api/v1/users/' in (openapi.body.paths as object), 'the v1 routes are documented');
    // Swagger UI, built on the first /docs request from @fastify/swagger-ui in node_modules.
    const docs = await request(p.url, 'GET', '/docs');
    assert.equal(docs.status, 200, docs.text);
    assert.match(docs.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(docs.text, /<div id="swagger-ui"><\/div>/);
    const css = await request(p.url, 'GET', '/docs/static/swagger-ui.css');
    assert.equal(css.status, 200);
    assert.match(css.headers.get('content-type') ?? '', /^text\/css/);
    const docsJson = await request(p.url, 'GET', '/docs/json');
    assert.equal(docsJson.status, 200);
    assert.deepEqual(docsJson.body, openapi.body);

    await p.stop('SIGTERM');
    assert.deepEqual(await p.exited, { code: 0, signal: null }, p.output());
    // A rejected cache would have been written again (5 s after the start or at exit).
    const kept = statSync(join(bundleDir, cacheName));
    assert.deepEqual([kept.ino, kept.mtimeMs], [cache.ino, cache.mtimeMs]);
    assert.deepEqual(cacheFiles(), [cacheName]);
  });

  test('dist/bundle/cluster.js with WEB_CONCURRENCY=2 forks two workers, answers, exits 0', async () => {
    const cache = statSync(join(bundleDir, cacheName));
    const p = await startApiProcess('dist/bundle/cluster.js', db.url, {
      ...env,
      WEB_CONCURRENCY: '2',
    });
    procs.push(p);
    await eventually(async () => p.count(/"msg":"worker listening"/) === 2, 60_000, 'two workers');
    assert.equal(p.count(/"msg":"primary started"/), 1);
    await assertHealthy(p.url);
    await p.stop('SIGTERM');
    assert.deepEqual(await p.exited, { code: 0, signal: null }, p.output());
    // The workers, forked with the primary's flags, took the same cache.
    const kept = statSync(join(bundleDir, cacheName));
    assert.deepEqual([kept.ino, kept.mtimeMs], [cache.ino, cache.mtimeMs]);
  });
});
