// Webhooks end to end (issue 9) on real PostgreSQL, RabbitMQ and MailDev, with a real receiver
// on loopback that verifies every signature with the `standardwebhooks` package. The worker
// runs in-process with the retry schedule scaled down (WEBHOOK_RETRY_SCALE=0.001: 5 ms,
// 300 ms, 1.8 s) and four attempts. S16 tests send nothing outside 127.0.0.1/32.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { after, before, describe, test } from 'node:test';
import pino from 'pino';
import { Webhook } from 'standardwebhooks';
import { startTestApp, type TestApp } from '../../../test/helpers/app.js';
import { request } from '../../../test/helpers/http.js';
import {
  freePort,
  mailDevPorts,
  startMailDev,
  type MailDev,
} from '../../../test/helpers/maildev.js';
import { makeUser, type Actor } from '../../../test/helpers/projects.js';
import {
  startReceiver,
  type Receiver,
  type Received,
} from '../../../test/helpers/webhook-receiver.js';
import {
  adminConnection,
  deleteTestTopology,
  eventually,
  mailTestEnv,
} from '../../../test/helpers/worker.js';
import { startWorker, type Worker } from '../../worker.js';
import { listDeadLetters } from '../events/dlq.js';
import { WEBHOOK_EVENT_TYPE_NAMES } from './event-types.js';
import { deliveryTopology } from './topology.js';
import { startTogether } from '../../../test/helpers/together.js';

let md: MailDev;
let t: TestApp;
let worker: Worker;
let rx: Receiver;
let su: Actor;
let plain: Actor;

interface Sub {
  id: number;
  url: string;
  secret: string;
  event_types: string[];
  is_active: boolean;
  disabled_reason: string | null;
}
interface DeliveryView {
  id: number;
  event_type: string;
  webhook_id: string;
  status: string;
  attempts: Array<{
    at: string;
    status_code: number | null;
    duration_ms: number;
    error: string | null;
    response_body: string | null;
  }>;
}

before(async () => {
  const ports = await mailDevPorts();
  rx = await startReceiver();
  // MailDev boots while the app's database is made and migrated.
  const app = startTestApp(
    mailTestEnv({
      SMTP_URL: ports.smtpUrl,
      WEBHOOK_ALLOW_NETWORKS: '127.0.0.1/32',
      WEBHOOK_ALLOW_HTTP: 'true',
      WEBHOOK_RETRY_SCALE: '0.001',
      WEBHOOK_MAX_ATTEMPTS: '4',
      WEBHOOK_TIMEOUT_MS: '700',
    }),
  );
  [md, t] = await startTogether(startMailDev(ports), app);
  worker = await startWorker(t.config, {
    log: pino({ level: process.env.TEST_WORKER_LOG ?? 'silent' }),
  });
  await eventually(async () => worker.broker.ready, 10_000, 'worker connected');
  su = await makeUser(t, { superuser: true });
  plain = await makeUser(t);
});

after(async () => {
  await worker?.close().catch(() => {});
  if (t) {
    await deleteTestTopology(t.config).catch(() => {});
  }
  await t?.close().catch(() => {});
  await rx?.close().catch(() => {});
  await md?.close().catch(() => {});
});

const api = <T = Record<string, unknown>>(method: string, path: string, json?: unknown) =>
  request<T>(t.url, method, path, { token: su.token, json });

async function subscribe(path: string, eventTypes: string[] = ['*']): Promise<Sub> {
  const res = await api<Sub>('POST', '/api/v1/webhooks/', {
    url: rx.url(path),
    description: path,
    event_types: eventTypes,
  });
  assert.equal(res.status, 201, res.text);
  return res.body;
}

/** Verifies a received request with the subscription's secret (throws when it does not verify). */
function verify(
  secret: string,
  r: Received,
): { type: string; timestamp: string; data: Record<string, unknown> } {
  return new Webhook(secret).verify(r.body, r.headers) as never;
}

async function deliveries(sub: Sub, query = ''): Promise<DeliveryView[]> {
  const res = await api<{ items: DeliveryView[] }>(
    'GET',
    `/api/v1/webhooks/${sub.id}/deliveries${query}`,
  );
  assert.equal(res.status, 200, res.text);
  return res.body.items;
}

const waitDelivery = (sub: Sub, what: (d: DeliveryView) => boolean, label: string, ms = 15_000) =>
  eventually(async () => (await deliveries(sub)).find(what), ms, label);

async function ping(sub: Sub): Promise<void> {
  const res = await api('POST', `/api/v1/webhooks/${sub.id}/ping`);
  assert.equal(res.status, 202, res.text);
  assert.deepEqual(res.body, { queued: 1 });
}

describe('subscriptions', () => {
  test('create answers the whsec_ secret once; read, list, update and delete never show it', async () => {
    const s = await subscribe('/crud', ['project.*', 'user.created']);
    assert.match(s.secret, /^whsec_[A-Za-z0-9+/]{43}=$/);
    assert.equal(s.is_active, true);
    assert.deepEqual(s.event_types, ['project.*', 'user.created']);
    const got = await api<Record<string, unknown>>('GET', `/api/v1/webhooks/${s.id}`);
    assert.equal(got.status, 200);
    assert.equal(got.body.secret, undefined);
    assert.equal(got.body.url, rx.url('/crud'));
    const list = await api<{ items: Array<Record<string, unknown>>; next_cursor: string | null }>(
      'GET',
      '/api/v1/webhooks/?limit=100',
    );
    assert.ok(list.body.items.some((i) => i.id === s.id && i.secret === undefined));
    const patched = await api<Sub>('PATCH', `/api/v1/webhooks/${s.id}`, {
      description: 'changed',
      event_types: ['*'],
      is_active: false,
    });
    assert.equal(patched.status, 200, patched.text);
    assert.equal(patched.body.is_active, false);
    assert.equal(patched.body.disabled_reason, 'disabled by a superuser');
    assert.deepEqual(patched.body.event_types, ['*']);
    assert.equal((await api('DELETE', `/api/v1/webhooks/${s.id}`)).status, 204);
    assert.equal((await api('GET', `/api/v1/webhooks/${s.id}`)).status, 404);
  });

  test('unknown event types are 422 on the item', async () => {
    const res = await api<{ errors: Array<{ loc: unknown[] }> }>('POST', '/api/v1/webhooks/', {
      url: rx.url('/x'),
      event_types: ['project.*', 'nope.created'],
    });
    assert.equal(res.status, 422);
    assert.deepEqual(res.body.errors[0]?.loc, ['body', 'event_types', 1]);
  });

  test('event-types lists every type with a version and a JSON Schema', async () => {
    const res = await api<{
      items: Array<{
        type: string;
        version: number;
        schema: { properties?: Record<string, unknown> };
      }>;
    }>('GET', '/api/v1/webhooks/event-types');
    assert.equal(res.status, 200);
    const types = res.body.items.map((i) => i.type);
    for (const u of [
      'user.created',
      'user.email_verified',
      'user.updated',
      'user.archived',
      'user.restored',
      'user.role_changed',
      'webhook.ping',
      'project.created',
    ]) {
      assert.ok(types.includes(u), u);
    }
    const created = res.body.items.find((i) => i.type === 'user.created');
    assert.equal(created?.version, 1);
    assert.ok(created?.schema.properties?.user, 'the schema describes the user snapshot');
    assert.equal(
      types.some((x) => x.startsWith('mail.')),
      false,
    );
  });

  test('S16: loopback outside the allow-list, private, link-local, CGNAT, multicast, credentials: 422, nothing sent', async () => {
    const before = rx.connections();
    const bad = [
      `http://127.0.0.2:${rx.port}/x`,
      `http://[::1]:${rx.port}/x`,
      'http://10.0.0.1/x',
      'http://192.168.0.10/x',
      'http://172.16.0.1/x',
      'http://169.254.169.254/latest/meta-data',
      'http://100.64.0.1/x',
      'http://224.0.0.1/x',
      'http://[fc00::1]/x',
      'http://[fe80::1]/x',
      'http://[::ffff:10.0.0.1]/x',
      'http://0.0.0.0/x',
      `http://user:pass@127.0.0.1:${rx.port}/x`,
      'ftp://127.0.0.1/x',
    ];
    for (const url of bad) {
      const res = await api<{ detail: string; errors: Array<{ loc: unknown[]; msg: string }> }>(
        'POST',
        '/api/v1/webhooks/',
        { url, event_types: ['*'] },
      );
      assert.equal(res.status, 422, `${url}: ${res.text}`);
      assert.deepEqual(res.body.errors[0]?.loc, ['body', 'url'], url);
    }
    assert.equal(rx.connections(), before, 'no connection was made');
  });

  test('S16: the address is checked again at connect time (the URL changed under the API)', async () => {
    let touched = 0;
    const trap = createServer((sock) => {
      touched += 1;
      sock.destroy();
    });
    await new Promise<void>((r) => trap.listen(0, '127.0.0.2', () => r()));
    try {
      const s = await subscribe('/rebind');
      const port = (trap.address() as { port: number }).port;
      await t.database.pool.query('UPDATE webhook_subscriptions SET url = $2 WHERE id = $1', [
        s.id,
        `http://127.0.0.2:${port}/x`,
      ]);
      await ping(s);
      const d = await waitDelivery(s, (x) => x.attempts.length >= 1, 'attempted');
      assert.match(d.attempts[0]?.error ?? '', /127\.0\.0\.2 is a loopback address/);
      assert.equal(d.attempts[0]?.status_code, null);
      assert.equal(touched, 0, 'nothing connected to 127.0.0.2');
    } finally {
      trap.close();
    }
  });
});

describe('authorization', () => {
  test('every webhooks route: 401 without a token, 403 for a user who is not a superuser', async () => {
    const s = await subscribe('/authz');
    const routes: Array<[string, string, unknown?]> = [
      ['GET', '/api/v1/webhooks/'],
      ['POST', '/api/v1/webhooks/', { url: rx.url('/a'), event_types: ['*'] }],
      ['GET', '/api/v1/webhooks/event-types'],
      ['GET', `/api/v1/webhooks/${s.id}`],
      ['PATCH', `/api/v1/webhooks/${s.id}`, { description: 'x' }],
      ['DELETE', `/api/v1/webhooks/${s.id}`],
      ['POST', `/api/v1/webhooks/${s.id}/rotate-secret`],
      ['POST', `/api/v1/webhooks/${s.id}/ping`],
      ['GET', `/api/v1/webhooks/${s.id}/deliveries`],
      ['POST', `/api/v1/webhooks/${s.id}/deliveries/1/redeliver`],
      ['POST', `/api/v1/webhooks/${s.id}/recover`, { since: new Date().toISOString() }],
    ];
    for (const [method, path, json] of routes) {
      const anon = await request(t.url, method, path, { json });
      assert.equal(anon.status, 401, `${method} ${path} anonymous`);
      const user = await request<{ detail: string }>(t.url, method, path, {
        json,
        token: plain.token,
      });
      assert.equal(user.status, 403, `${method} ${path} as a user`);
      assert.equal(user.body.detail, 'Superuser privileges required');
    }
    assert.equal((await api('GET', `/api/v1/webhooks/${s.id}`)).status, 200, 'still there');
  });
});

describe('deliveries', () => {
  test('each event type reaches a matching subscription exactly once and a non-matching one never', async () => {
    const all = await subscribe('/all', ['*']);
    const users = await subscribe('/users', ['user.*']);
    const none = await subscribe('/none', ['project.archived']);
    const domain = WEBHOOK_EVENT_TYPE_NAMES.filter(
      (x) => x !== 'webhook.ping' && x !== 'project.archived',
    );
    const ids = new Map<string, string>();
    for (const type of domain) {
      const eventId = randomUUID();
      ids.set(eventId, type);
      await t.database.pool.query(
        'INSERT INTO outbox_events (event_id, type, payload) VALUES ($1, $2, $3)',
        [
          eventId,
          type,
          JSON.stringify({ v: 1, marker: eventId, occurred_at: new Date().toISOString() }),
        ],
      );
    }
    // One message per (subscription, event). A receiver may see a message more than once (an
    // attempt that timed out under load is retried: at-least-once, as Standard Webhooks
    // says); a repeat carries the same webhook-id and body, which is how receivers drop it.
    const mine = (path: string) => {
      const byId = new Map<string, Received>();
      for (const r of rx.to(path)) {
        if (!ids.has(String((JSON.parse(r.body) as { data: { marker?: string } }).data.marker))) {
          continue;
        }
        const id = r.headers['webhook-id'] ?? '';
        const first = byId.get(id);
        if (first === undefined) {
          byId.set(id, r);
        } else {
          assert.equal(r.body, first.body, `a repeat of ${id} is the same message`);
        }
      }
      return [...byId.values()];
    };
    await eventually(async () => mine('/all').length >= domain.length, 20_000, 'all delivered');
    const userTypes = domain.filter((x) => x.startsWith('user.'));
    await eventually(async () => mine('/users').length >= userTypes.length, 10_000, 'user events');
    // Outcome-driven "and nothing more": every delivery row of these events is final
    // (delivered), one per (subscription, event) by its unique index; none is left to send.
    await eventually(
      async () => {
        const { rows } = await t.database.pool.query<{ n: number; open: number }>(
          `SELECT count(*)::int AS n, count(*) FILTER (WHERE status <> 'delivered')::int AS open
             FROM webhook_deliveries
            WHERE event_id = ANY($1::uuid[]) AND subscription_id = ANY($2::int[])`,
          [[...ids.keys()], [all.id, users.id]],
        );
        return rows[0]?.n === domain.length + userTypes.length && rows[0].open === 0;
      },
      10_000,
      'every delivery final',
    );
    const got = mine('/all').map((r) => verify(all.secret, r));
    assert.deepEqual(got.map((b) => b.type).sort(), [...domain].sort(), 'each type once');
    for (const b of got) {
      assert.equal(ids.get(String(b.data.marker)), b.type, 'body.type is the event type');
      assert.match(b.timestamp, /^\d{4}-\d\d-\d\dT/);
    }
    assert.deepEqual(
      mine('/users')
        .map((r) => verify(users.secret, r).type)
        .sort(),
      [...userTypes].sort(),
    );
    assert.equal(mine('/none').length, 0, 'not selected, never sent');
    assert.equal((await deliveries(none)).length, 0);
    const log = await deliveries(all, '?limit=100&event_type=user.created');
    assert.ok(
      log.length >= 1 &&
        log.every((d) => d.event_type === 'user.created' && d.status === 'delivered'),
    );
  });

  test('registering through the API sends a signed user.created without any secret', async () => {
    const s = await subscribe('/signup', ['user.created']);
    const u = await makeUser(t);
    const r = await eventually(
      async () => rx.to('/signup').find((x) => x.body.includes(`"username":"${u.username}"`)),
      15_000,
      'user.created',
    );
    const body = verify(s.secret, r);
    assert.equal(body.type, 'user.created');
    assert.equal((body.data.user as { id: number }).id, u.id);
    assert.doesNotMatch(r.body, /password|hash|token|\$argon2/i);
    assert.match(r.headers['webhook-id'] ?? '', /^msg_[0-9a-f]{32}$/);
    assert.equal(r.headers['content-type'], 'application/json');
  });

  test('single-use links do not stay in outbox_events once published', async () => {
    const u = await makeUser(t);
    const row = await eventually(
      async () => {
        const { rows } = await t.database.pool.query<{
          payload: Record<string, unknown>;
          published_at: Date | null;
        }>(
          "SELECT payload, published_at FROM outbox_events WHERE type = 'mail.verify_email' AND payload->>'user_id' = $1",
          [String(u.id)],
        );
        return rows[0]?.published_at ? rows[0] : undefined;
      },
      10_000,
      'published',
    );
    assert.equal(row.payload.link, undefined);
    assert.equal(row.payload.email, u.email, 'the rest of the payload stays');
    await md.waitForMail(
      (m) => m.to.some((a) => a.address === u.email) && /token=/.test(m.text ?? ''),
      10_000,
    );
  });

  test('ping arrives signed; redeliver sends it again with the same webhook-id', async () => {
    const s = await subscribe('/ping');
    await ping(s);
    const first = await eventually(async () => rx.to('/ping')[0], 10_000, 'ping');
    const body = verify(s.secret, first);
    assert.equal(body.type, 'webhook.ping');
    assert.equal(body.data.subscription_id, s.id);
    const d = await waitDelivery(s, (x) => x.status === 'delivered', 'delivered');
    assert.equal(d.webhook_id, first.headers['webhook-id']);
    assert.equal(d.attempts[0]?.status_code, 204);
    const re = await api('POST', `/api/v1/webhooks/${s.id}/deliveries/${d.id}/redeliver`);
    assert.equal(re.status, 202, re.text);
    const second = await eventually(async () => rx.to('/ping')[1], 10_000, 'redelivered');
    assert.equal(second.headers['webhook-id'], first.headers['webhook-id']);
    verify(s.secret, second);
    assert.equal(
      (await api('POST', `/api/v1/webhooks/${s.id}/deliveries/999999/redeliver`)).status,
      404,
    );
  });

  test('receiver down, then up: delivered once', async () => {
    const port = await freePort();
    const res = await api<Sub>('POST', '/api/v1/webhooks/', {
      url: `http://127.0.0.1:${port}/late`,
      event_types: ['*'],
    });
    const s = res.body;
    await ping(s);
    await waitDelivery(s, (x) => x.attempts.length >= 1, 'first attempt failed');
    const late = await startReceiver('127.0.0.1', port);
    try {
      const d = await waitDelivery(s, (x) => x.status === 'delivered', 'delivered', 15_000);
      assert.match(d.attempts[0]?.error ?? '', /ECONNREFUSED|connect/i);
      // Final after one refused and one accepted attempt: nothing is left to send again.
      const accepted = d.attempts.map((a) => a.status_code !== null && a.status_code < 300);
      assert.deepEqual(accepted, [...accepted.slice(0, -1).map(() => false), true]);
      assert.equal(late.to('/late').length, 1);
      verify(s.secret, late.to('/late')[0]!);
    } finally {
      await late.close();
    }
  });

  test('500s are retried with the same webhook-id, then dead: in the log and the DLQ; recover re-sends', async () => {
    let healthy = false;
    rx.on('/fail', () => (healthy ? { status: 200 } : { status: 500, body: 'x'.repeat(3000) }));
    const s = await subscribe('/fail');
    const since = new Date(Date.now() - 1000).toISOString();
    await ping(s);
    const d = await waitDelivery(s, (x) => x.status === 'dead', 'dead', 20_000);
    assert.equal(d.attempts.length, 4);
    assert.deepEqual(
      d.attempts.map((a) => a.status_code),
      [500, 500, 500, 500],
    );
    assert.equal(d.attempts[0]?.error, 'HTTP 500');
    assert.equal(d.attempts[0]?.response_body?.length, 1024, 'the first KB of the response');
    const ids = new Set(rx.to('/fail').map((r) => r.headers['webhook-id']));
    assert.deepEqual([...ids], [d.webhook_id]);
    const admin = adminConnection();
    try {
      const dead = await listDeadLetters(admin, deliveryTopology(t.config));
      assert.ok(dead.some((x) => x.reason === 'max_attempts' && x.error === 'HTTP 500'));
    } finally {
      await admin.close();
    }
    assert.equal((await deliveries(s, '?status=dead')).length, 1);
    healthy = true;
    const rec = await api('POST', `/api/v1/webhooks/${s.id}/recover`, { since });
    assert.equal(rec.status, 202, rec.text);
    assert.deepEqual(rec.body, { queued: 1 });
    const ok = await waitDelivery(s, (x) => x.status === 'delivered', 'recovered');
    assert.equal(ok.webhook_id, d.webhook_id);
  });

  test('a slow receiver times out and the retry delivers', async () => {
    rx.on('/slow', (n) => (n === 0 ? { status: 200, delayMs: 2000 } : { status: 200 }));
    const s = await subscribe('/slow');
    await ping(s);
    const d = await waitDelivery(s, (x) => x.status === 'delivered', 'delivered');
    assert.match(d.attempts[0]?.error ?? '', /timeout after 700 ms/);
    assert.equal(d.attempts[1]?.status_code, 200);
  });

  test('429 with Retry-After is retried no sooner than it says', async () => {
    rx.on('/busy', (n) =>
      n === 0 ? { status: 429, headers: { 'retry-after': '1' } } : { status: 200 },
    );
    const s = await subscribe('/busy');
    await ping(s);
    const d = await waitDelivery(s, (x) => x.status === 'delivered', 'delivered');
    const gap = Date.parse(d.attempts[1]!.at) - Date.parse(d.attempts[0]!.at);
    assert.ok(gap >= 900, `second attempt ${gap} ms after the 429 (Retry-After: 1)`);
  });

  test('410 disables the subscription; the creator is told by e-mail', async () => {
    rx.on('/gone', () => ({ status: 410 }));
    const s = await subscribe('/gone');
    await ping(s);
    const d = await waitDelivery(s, (x) => x.status === 'dead', 'dead');
    assert.equal(d.attempts.length, 1, 'no retry after 410');
    const after = await api<Sub>('GET', `/api/v1/webhooks/${s.id}`);
    assert.equal(after.body.is_active, false);
    assert.equal(after.body.disabled_reason, 'the endpoint answered 410 Gone');
    const mail = await md.waitForMail(
      (m) =>
        m.to.some((a) => a.address === su.email) &&
        m.subject === 'A webhook subscription was disabled',
      15_000,
    );
    assert.ok(mail.text?.includes(rx.url('/gone')));
    assert.equal((await api('POST', `/api/v1/webhooks/${s.id}/ping`)).status, 409);
  });

  test('failing without a success for WEBHOOK_DISABLE_AFTER (5 days) disables it', async () => {
    rx.on('/streak', () => ({ status: 500 }));
    const s = await subscribe('/streak');
    await t.database.pool.query(
      "UPDATE webhook_subscriptions SET failing_since = now() - interval '5 days 1 minute' WHERE id = $1",
      [s.id],
    );
    await ping(s);
    const off = await eventually(
      async () => {
        const r = await api<Sub>('GET', `/api/v1/webhooks/${s.id}`);
        return r.body.is_active ? undefined : r.body;
      },
      10_000,
      'disabled',
    );
    assert.match(off.disabled_reason ?? '', /^no successful delivery since /);
  });

  test('secret rotation: both signatures verify during the overlap, only the new one after', async () => {
    const s = await subscribe('/rotate');
    const rotated = await api<Sub>('POST', `/api/v1/webhooks/${s.id}/rotate-secret`);
    assert.equal(rotated.status, 200, rotated.text);
    assert.notEqual(rotated.body.secret, s.secret);
    await ping(s);
    const during = await eventually(async () => rx.to('/rotate')[0], 10_000, 'during overlap');
    verify(s.secret, during);
    verify(rotated.body.secret, during);
    await t.database.pool.query(
      "UPDATE webhook_subscriptions SET previous_secret_expires_at = now() - interval '1 second' WHERE id = $1",
      [s.id],
    );
    await ping(s);
    const afterOverlap = await eventually(async () => rx.to('/rotate')[1], 10_000, 'after overlap');
    verify(rotated.body.secret, afterOverlap);
    assert.throws(() => verify(s.secret, afterOverlap), /signature/i);
  });
});
