// A worker killed (SIGKILL) while a delivery is in flight: the unacknowledged job returns to
// the queue and the next worker delivers it again with the same webhook-id (receivers
// deduplicate by it). R7-style, with the worker as a real child process.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { startTestApp, testKeyPaths, type TestApp } from '../../../test/helpers/app.js';
import { request } from '../../../test/helpers/http.js';
import { makeUser } from '../../../test/helpers/projects.js';
import { startReceiver, type Receiver } from '../../../test/helpers/webhook-receiver.js';
import {
  deleteTestTopology,
  eventually,
  mailTestEnv,
  startWorkerProcess,
  type WorkerProcess,
} from '../../../test/helpers/worker.js';

let t: TestApp;
let rx: Receiver;
let env: Record<string, string>;
const children: WorkerProcess[] = [];

before(async () => {
  rx = await startReceiver();
  env = mailTestEnv({
    WEBHOOK_ALLOW_NETWORKS: '127.0.0.1/32',
    WEBHOOK_ALLOW_HTTP: 'true',
    WEBHOOK_TIMEOUT_MS: '30000',
    WEBHOOK_RETRY_SCALE: '0.001',
  });
  t = await startTestApp(env);
  const keys = testKeyPaths();
  env.DATABASE_URL = t.testDb.url;
  env.JWT_PRIVATE_KEY_PATH = keys.privateKey;
  env.JWT_PUBLIC_KEY_PATH = keys.publicKey;
});

after(async () => {
  for (const c of children) {
    c.kill('SIGKILL');
  }
  if (t) {
    await deleteTestTopology(t.config).catch(() => {});
  }
  await t?.close().catch(() => {});
  await rx?.close().catch(() => {});
});

test('R7: worker killed mid-delivery → redelivered with the same webhook-id', async () => {
  // The first request hangs (the worker waits for the answer); later ones succeed.
  rx.on('/hang', (n) => (n === 0 ? { status: 200, delayMs: 60_000 } : { status: 200 }));
  const su = await makeUser(t, { superuser: true });
  const created = await request<{ id: number; secret: string }>(
    t.url,
    'POST',
    '/api/v1/webhooks/',
    {
      token: su.token,
      json: { url: rx.url('/hang'), event_types: ['project.archived'] }, // only the ping comes
    },
  );
  assert.equal(created.status, 201, created.text);
  const first = await startWorkerProcess(env);
  children.push(first);
  const pinged = await request(t.url, 'POST', `/api/v1/webhooks/${created.body.id}/ping`, {
    token: su.token,
  });
  assert.equal(pinged.status, 202);
  await eventually(async () => rx.to('/hang').length === 1, 15_000, 'first attempt arrived');
  first.kill('SIGKILL');
  await first.exited;

  const second = await startWorkerProcess(env);
  children.push(second);
  await eventually(async () => rx.to('/hang').length >= 2, 20_000, 'redelivered');
  const [a, b] = rx.to('/hang');
  assert.equal(b!.headers['webhook-id'], a!.headers['webhook-id']);
  assert.equal(b!.body, a!.body, 'the same body');
  new Webhook(created.body.secret).verify(b!.body, b!.headers);
  await eventually(
    async () =>
      (
        await t.database.pool.query<{ status: string }>(
          'SELECT status FROM webhook_deliveries WHERE subscription_id = $1',
          [created.body.id],
        )
      ).rows[0]?.status === 'delivered',
    10_000,
    'delivered',
  );
  const { rows } = await t.database.pool.query<{ attempt_count: number }>(
    'SELECT attempt_count FROM webhook_deliveries WHERE subscription_id = $1',
    [created.body.id],
  );
  assert.equal(rows.length, 1, 'one delivery');
  assert.equal(rows[0]?.attempt_count, 1, 'the killed attempt was never recorded');
  second.kill('SIGTERM');
  assert.deepEqual(await second.exited, { code: 0, signal: null });
});
