// R17: /health/ready reports the database, the schema version (applied against expected) and
// the broker; it is 503 on a database behind the code's migrations, 200 once they are applied.
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import { buildApp } from '../../src/app.js';
import { createDatabase } from '../../src/db/client.js';
import { runMigrations } from '../../src/db/migrate.js';
import { testConfig } from '../helpers/app.js';
import { createTestDatabase } from '../helpers/database.js';
import { freePort } from '../helpers/maildev.js';
import { readyBody, shippedMigrations } from '../helpers/normalise.js';
import { TEST_AMQP_URL } from '../helpers/worker.js';

async function appOn(url: string, env: Record<string, string> = {}) {
  const database = createDatabase(url, 2);
  const app = await buildApp(testConfig(url, env), { database, logStream: { write: () => true } });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  return {
    ready: async () => {
      const res = await fetch(`${base}/health/ready`);
      return {
        status: res.status,
        retryAfter: res.headers.get('retry-after'),
        body: (await res.json()) as Record<string, unknown>,
      };
    },
    close: async () => {
      await app.close();
      await database.close();
    },
  };
}

describe('R17 readiness', () => {
  test('an unmigrated database: 503 naming the schema gap; migrated: 200 with database, schema and broker', async () => {
    const db = await createTestDatabase({ migrate: false });
    const app = await appOn(db.url, { AMQP_URL: TEST_AMQP_URL });
    try {
      const { count } = shippedMigrations();
      assert.deepEqual(await app.ready(), {
        status: 503,
        retryAfter: '5',
        body: { detail: `Database schema is behind the code: 0 of ${count} migrations applied` },
      });
      await runMigrations(db.url);
      assert.deepEqual(await app.ready(), { status: 200, retryAfter: null, body: readyBody() });
    } finally {
      await app.close();
      await db.drop();
    }
  });

  test('the broker unreachable: still ready (the outbox holds mails, R1) and reported down', async () => {
    const db = await createTestDatabase();
    const closedPort = await freePort();
    const app = await appOn(db.url, { AMQP_URL: `amqp://guest:guest@127.0.0.1:${closedPort}` });
    try {
      assert.deepEqual(await app.ready(), {
        status: 200,
        retryAfter: null,
        body: readyBody({ broker: 'down' }),
      });
    } finally {
      await app.close();
      await db.drop();
    }
  });
});
