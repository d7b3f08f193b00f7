// npm run soak [-- --minutes 10 --clients 6 --no-record]
// A bounded soak (issue 11, point 4): the built API and the built mail worker, on a database
// of their own, a MailDev and queues of their own, all on loopback, driven by a mixed
// workload (register, login, me, refresh, lists, apply, decide) for a fixed time. Reports
// errors, p99 per route and the RSS of each process at the start and at the end, and appends
// the run to docs/benchmarks.md. Webhook traffic is added when the webhooks routes exist.
import { spawn, type ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { appendFileSync, readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { loadConfig } from '../src/config.js';
import { projectRoot } from '../src/lib/paths.js';
import { benchKeys, dropDatabase, freshDatabase, startBuiltServer } from '../bench/lib.js';
import { startMailDev } from '../test/helpers/maildev.js';
import { deleteTestTopology, TEST_AMQP_URL } from '../test/helpers/worker.js';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    clients: { type: 'string', default: '6' },
    'no-record': { type: 'boolean', default: false },
  },
});
const MAX_MINUTES = 120;
const minutes = Math.min(Number(values.minutes), MAX_MINUTES);
if (!(minutes > 0)) {
  throw new Error('--minutes must be a positive number');
}
const clients = Math.max(1, Math.min(Number(values.clients), 50));
const DB = 'internships_soak';

console.log('building…');
execFileSync('npm', ['run', '--silent', 'build'], { stdio: 'inherit' });
const dbUrl = await freshDatabase(DB);
const keys = benchKeys();
const md = await startMailDev();
const run = `${process.pid}.${Date.now().toString(36)}`;
const env: Record<string, string> = {
  DATABASE_URL: dbUrl,
  JWT_PRIVATE_KEY_PATH: keys.privateKey,
  JWT_PUBLIC_KEY_PATH: keys.publicKey,
  RATE_LIMIT_ENABLED: 'false', // one client address: throttling would measure itself
  AMQP_URL: TEST_AMQP_URL,
  SMTP_URL: md.smtpUrl,
  MAIL_EXCHANGE: `ifd.soak.${run}.events`,
  MAIL_QUEUE: `ifd.soak.${run}.mail`,
  LOG_LEVEL: 'warn',
};
const server = await startBuiltServer(env);
const worker: ChildProcess = spawn(process.execPath, [join(projectRoot, 'dist/src/worker.js')], {
  cwd: projectRoot,
  env: { ...process.env, NODE_ENV: 'production', ...env },
  stdio: ['ignore', 'inherit', 'inherit'],
});
const rssMb = (pid: number | undefined) => {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
  } catch {
    return 0;
  }
};
const api = server.url;

// --- a tiny client that times every call by route

interface Call {
  status: number;
  body: Record<string, unknown>;
}
const samples = new Map<string, number[]>();
const errors = new Map<string, number>();
let total = 0;

async function call(
  route: string,
  method: string,
  path: string,
  opts: { json?: unknown; form?: Record<string, string>; token?: string; ok: number[] },
): Promise<Call> {
  const headers: Record<string, string> = {};
  let body: string | undefined;
  if (opts.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(opts.json);
  } else if (opts.form !== undefined) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(opts.form).toString();
  }
  if (opts.token) {
    headers.authorization = `Bearer ${opts.token}`;
  }
  const started = performance.now();
  let status = 0;
  let parsed: Record<string, unknown> = {};
  try {
    const res = await fetch(api + path, {
      method,
      headers,
      body,
      signal: AbortSignal.timeout(30_000),
    });
    status = res.status;
    const text = await res.text();
    parsed = text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
  } catch {
    status = 0;
  }
  const ms = performance.now() - started;
  total += 1;
  (samples.get(route) ?? samples.set(route, []).get(route)!).push(ms);
  if (!opts.ok.includes(status)) {
    const key = `${route} → ${status}`;
    errors.set(key, (errors.get(key) ?? 0) + 1);
  }
  return { status, body: parsed };
}

// --- the stage: a superuser, mentors' projects in recruiting, a pool of users

let seq = 0;
const newUser = () => {
  seq += 1;
  const tag = `${run.replace('.', '')}${seq}`;
  return {
    username: `soak_${tag}`,
    email: `soak_${tag}@example.com`,
    password: `soak passphrase ${tag}`,
  };
};

interface Actor {
  id: number;
  username: string;
  password: string;
  access: string;
  refresh: string;
}

async function registerAndLogin(): Promise<Actor> {
  const u = newUser();
  const reg = await call('POST /users/', 'POST', '/api/v1/users/', {
    json: { ...u, password_confirm: u.password },
    ok: [201],
  });
  const tok = await call('POST /jwt/login/', 'POST', '/api/v1/jwt/login/', {
    form: { username: u.username, password: u.password },
    ok: [200],
  });
  return {
    id: Number(reg.body.id),
    username: u.username,
    password: u.password,
    access: String(tok.body.access_token),
    refresh: String(tok.body.refresh_token),
  };
}

const db = new pg.Client({ connectionString: dbUrl });
await db.connect();
const admin = await registerAndLogin();
await db.query('UPDATE users SET is_superuser = true, email_verified_at = now() WHERE id = $1', [
  admin.id,
]);
const projectIds: number[] = [];
for (let i = 0; i < 5; i++) {
  const p = await call('POST /projects/', 'POST', '/api/v1/projects/', {
    token: admin.access,
    json: { title: `Soak project ${i} ${run}`, developer_slots: 1000, tester_slots: 1000 },
    ok: [201],
  });
  const id = Number(p.body.id);
  await call('PATCH /projects/{id}', 'PATCH', `/api/v1/projects/${id}`, {
    token: admin.access,
    json: { status: 'recruiting' },
    ok: [200],
  });
  projectIds.push(id);
}
await db.query('UPDATE users SET email_verified_at = now()');

const users: Actor[] = [];
for (let i = 0; i < clients * 2; i++) {
  users.push(await registerAndLogin());
}
await db.query('UPDATE users SET email_verified_at = now()');

await new Promise((r) => setTimeout(r, 2000));
const rssStart = { api: rssMb(server.child.pid), worker: rssMb(worker.pid) };
console.log(
  `soak: ${minutes} min, ${clients} clients; RSS at start: API ${rssStart.api.toFixed(1)} MB, worker ${rssStart.worker.toFixed(1)} MB`,
);
const startedAt = Date.now();
const deadline = startedAt + minutes * 60_000;
const pending: number[] = []; // application ids waiting for a decision
let rnd = 42;
const random = () => {
  rnd = (rnd * 1103515245 + 12345) % 2 ** 31;
  return rnd / 2 ** 31;
};
const pickOne = <T>(list: T[]) => list[Math.floor(random() * list.length)]!;

// Each client has users of its own: two requests in flight with one refresh token would
// be a reuse, which the service answers (correctly, S8) with 401 and a revoked family.
async function step(client: number): Promise<void> {
  const r = random();
  const mine = users.filter((_u, i) => i % clients === client);
  const u = pickOne(mine);
  if (r < 0.04) {
    // register (argon2: the expensive one) and replace a pool member, so the pool stays fresh
    const fresh = await registerAndLogin();
    await db.query('UPDATE users SET email_verified_at = now() WHERE id = $1', [fresh.id]);
    users[users.indexOf(u)] = fresh;
  } else if (r < 0.1) {
    const tok = await call('POST /jwt/login/', 'POST', '/api/v1/jwt/login/', {
      form: { username: u.username, password: u.password },
      ok: [200],
    });
    u.access = String(tok.body.access_token);
    u.refresh = String(tok.body.refresh_token);
  } else if (r < 0.35) {
    await call('GET /jwt/users/me/', 'GET', '/api/v1/jwt/users/me/', {
      token: u.access,
      ok: [200],
    });
  } else if (r < 0.45) {
    const tok = await call('POST /jwt/refresh/', 'POST', '/api/v1/jwt/refresh/', {
      token: u.refresh,
      ok: [200],
    });
    if (tok.status === 200) {
      u.access = String(tok.body.access_token);
      u.refresh = String(tok.body.refresh_token);
    }
  } else if (r < 0.65) {
    await call('GET /projects/', 'GET', '/api/v1/projects/?limit=20', { ok: [200] });
  } else if (r < 0.72) {
    await call('GET /projects/{id}', 'GET', `/api/v1/projects/${pickOne(projectIds)}`, {
      ok: [200],
    });
  } else if (r < 0.78) {
    await call('GET /users/me/applications', 'GET', '/api/v1/users/me/applications', {
      token: u.access,
      ok: [200],
    });
  } else if (r < 0.82) {
    await call('GET /users/ (admin)', 'GET', '/api/v1/users/?limit=50', {
      token: admin.access,
      ok: [200],
    });
  } else if (r < 0.92) {
    // apply: 201, or 409 when this user already applied to that project
    const res = await call(
      'POST /projects/{id}/applications',
      'POST',
      `/api/v1/projects/${pickOne(projectIds)}/applications`,
      { token: u.access, json: { role: random() < 0.7 ? 'developer' : 'tester' }, ok: [201, 409] },
    );
    if (res.status === 201) {
      pending.push(Number(res.body.id));
    }
  } else {
    const id = pending.shift();
    if (id !== undefined) {
      await call(
        'POST /applications/{id}/decision',
        'POST',
        `/api/v1/applications/${id}/decision`,
        {
          token: admin.access,
          json: { status: random() < 0.5 ? 'accepted' : 'rejected', reason: 'Soak decision' },
          ok: [200],
        },
      );
    }
  }
}

// The admin's access token lives 15 minutes: renew it every 5.
const renew = setInterval(() => {
  void call('POST /jwt/refresh/', 'POST', '/api/v1/jwt/refresh/', {
    token: admin.refresh,
    ok: [200],
  }).then((tok) => {
    if (tok.status === 200) {
      admin.access = String(tok.body.access_token);
      admin.refresh = String(tok.body.refresh_token);
    }
  });
}, 5 * 60_000);
let lastReport = Date.now();
await Promise.all(
  Array.from({ length: clients }, async (_x, client) => {
    while (Date.now() < deadline) {
      await step(client);
      if (Date.now() - lastReport > 30_000) {
        lastReport = Date.now();
        const left = Math.round((deadline - Date.now()) / 1000);
        console.log(
          `  ${total} requests, ${[...errors.values()].reduce((a, b) => a + b, 0)} errors, ${left} s left`,
        );
      }
    }
  }),
);
clearInterval(renew);
const elapsed = (Date.now() - startedAt) / 1000;
const rssEnd = { api: rssMb(server.child.pid), worker: rssMb(worker.pid) };
const mails = await md.count();

// --- report

const p = (list: number[], q: number) => {
  const sorted = [...list].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
};
const rows = [...samples.entries()]
  .sort(([a], [b]) => a.localeCompare(b))
  .map(
    ([route, list]) =>
      `| \`${route}\` | ${list.length} | ${p(list, 0.5).toFixed(1)} | ${p(list, 0.99).toFixed(1)} |`,
  );
const errorCount = [...errors.values()].reduce((a, b) => a + b, 0);
const growth = (a: number, b: number) => (a > 0 ? `${(((b - a) / a) * 100).toFixed(1)}%` : 'n/a');
const report = `
## Soak (\`npm run soak\`), ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC

${minutes} min, ${clients} concurrent clients, ${total} requests (${(total / elapsed).toFixed(0)}/s)
against the built API and mail worker on loopback (${cpus().length} × ${cpus()[0]?.model ?? '?'},
${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}; the machine was shared with other
work during the run, so read latencies as indications). Mix: register 4%, login 6%, me 25%,
refresh 10%, project list 20%, one project 7%, my applications 6%, user list (admin) 4%,
apply 10%, decide 8%. No webhook traffic: the webhooks routes are not part of this build.

Errors (unexpected status or no answer): **${errorCount}**${errorCount > 0 ? ` (${[...errors.entries()].map(([k, n]) => `${k}: ${n}`).join(', ')})` : ''}.
Mails delivered to MailDev meanwhile: ${mails}.

| process | RSS at start | RSS at end | growth |
| --- | --- | --- | --- |
| API | ${rssStart.api.toFixed(1)} MB | ${rssEnd.api.toFixed(1)} MB | ${growth(rssStart.api, rssEnd.api)} |
| mail worker | ${rssStart.worker.toFixed(1)} MB | ${rssEnd.worker.toFixed(1)} MB | ${growth(rssStart.worker, rssEnd.worker)} |

| route | requests | p50 ms | p99 ms |
| --- | --- | --- | --- |
${rows.join('\n')}
`;
console.log(report);
if (!values['no-record']) {
  appendFileSync(join(projectRoot, 'docs/benchmarks.md'), report);
  console.log('recorded in docs/benchmarks.md');
}

// --- clean up everything this run started
await db.end();
worker.kill('SIGTERM');
server.child.kill('SIGTERM');
await Promise.all(
  [worker, server.child].map(
    (c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.once('exit', r))),
  ),
);
await md.close();
await deleteTestTopology(
  loadConfig({ ...env, NODE_ENV: 'test', JWT_PRIVATE_KEY_PATH: keys.privateKey }),
).catch(() => {});
await dropDatabase(DB);
process.exit(errorCount > 0 ? 1 : 0);
