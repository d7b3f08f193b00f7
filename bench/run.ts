// npm run bench [-- --duration 10 --warmup 3 --only me,login]
// Starts the built server against a benchmark database of its own and drives it with
// autocannon (50 connections, warm-up, then the measured run), printing req/s, p50, p99.
// Server and load generator share this machine: compare figures as ratios within one run.
import { execFileSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import {
  benchKeys,
  type CannonOptions,
  cannon,
  dropDatabase,
  freshDatabase,
  measure,
  startBuiltServer,
  type LoadResult,
} from './lib.js';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '3' },
    only: { type: 'string', default: 'health,me,login,refresh,register,mail' },
    keep: { type: 'boolean', default: false },
  },
});
const seconds = Number(values.duration);
const warmup = Number(values.warmup);
const only = new Set(values.only.split(','));
const DB = 'internships_bench';

console.log(
  `machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, ${Math.round(totalmem() / 2 ** 30)} GiB, node ${process.version}`,
);
if (only.has('webhooks')) {
  // Issue 9: no HTTP server needed; runs on a database and queues of its own.
  const { runWebhooksBench } = await import('./webhooks.js');
  console.log('\nwebhook pipeline (issue 9):');
  console.table(await runWebhooksBench());
  only.delete('webhooks');
  if (only.size === 0) {
    process.exit(0);
  }
}
console.log('building…');
execFileSync('npm', ['run', '--silent', 'build'], { stdio: 'inherit' });

const dbUrl = await freshDatabase(DB);
const keys = benchKeys();
const server = await startBuiltServer({
  DATABASE_URL: dbUrl,
  JWT_PRIVATE_KEY_PATH: keys.privateKey,
  JWT_PUBLIC_KEY_PATH: keys.publicKey,
  RATE_LIMIT_ENABLED: 'false', // one load generator, one address: throttling would measure itself
  DATABASE_POOL_SIZE: '20',
});
await new Promise((r) => setTimeout(r, 1000));
const idleRss = server.rssMb();
console.log(`cold start ${server.coldStartMs.toFixed(0)} ms, idle RSS ${idleRss.toFixed(1)} MB`);

const results: LoadResult[] = [];
const extra: string[] = [];
const json = { 'content-type': 'application/json' };
const form = { 'content-type': 'application/x-www-form-urlencoded' };
const api = server.url;

async function post(path: string, body: string, headers: Record<string, string>) {
  const res = await fetch(api + path, { method: 'POST', body, headers });
  return { status: res.status, body: (await res.json()) as Record<string, string> };
}

try {
  // A user to sign in as.
  const password = 'benchmark passphrase 1';
  const reg = await post(
    '/api/v1/users/',
    JSON.stringify({
      username: 'bench',
      email: 'bench@example.com',
      password,
      password_confirm: password,
    }),
    json,
  );
  if (reg.status !== 201) {
    throw new Error(`setup registration failed: ${reg.status}`);
  }
  const loginBody = new URLSearchParams({ username: 'bench', password }).toString();
  const first = await post('/api/v1/jwt/login/', loginBody, form);
  const access = first.body.access_token!;

  if (only.has('health')) {
    results.push(await measure('GET /health (baseline)', `${api}/health`, {}, warmup, seconds));
  }
  if (only.has('me')) {
    results.push(
      await measure(
        'GET /api/v1/jwt/users/me/ (P1)',
        `${api}/api/v1/jwt/users/me/`,
        { headers: { authorization: `Bearer ${access}` } },
        warmup,
        seconds,
      ),
    );
  }
  if (only.has('login')) {
    // P2: login flood, with a gentle /health probe alongside to show the event loop stays free.
    const flood = measure(
      'POST /api/v1/jwt/login/ (P2)',
      `${api}/api/v1/jwt/login/`,
      { method: 'POST', headers: form, body: loginBody },
      warmup,
      seconds,
    );
    await new Promise((r) => setTimeout(r, warmup * 1000 + 500));
    const probe = await cannon('GET /health during login flood', `${api}/health`, {
      connections: 1,
      overallRate: 50,
      duration: Math.max(2, seconds - 2),
    });
    results.push(await flood, probe);
  }
  if (only.has('refresh')) {
    // Each refresh token works once: a pool of live tokens, refilled by each response's successor.
    const pool: string[] = [];
    for (let i = 0; i < 120; i++) {
      pool.push((await post('/api/v1/jwt/login/', loginBody, form)).body.refresh_token!);
    }
    const opts: CannonOptions = {
      method: 'POST',
      requests: [
        {
          setupRequest: (req) => {
            const token = pool.shift();
            return { ...req, headers: { authorization: `Bearer ${token ?? 'exhausted'}` } };
          },
          onResponse: (status: number, body: string) => {
            if (status === 200) {
              pool.push((JSON.parse(body) as { refresh_token: string }).refresh_token);
            }
          },
        },
      ],
    };
    results.push(
      await measure(
        'POST /api/v1/jwt/refresh/ (P4)',
        `${api}/api/v1/jwt/refresh/`,
        opts,
        warmup,
        seconds,
      ),
    );
    extra.push(
      `refresh: ${pool.length} live tokens left in the pool of 120 (lost ones were non-2xx)`,
    );
  }
  if (only.has('register')) {
    let n = 0;
    const opts: CannonOptions = {
      method: 'POST',
      headers: json,
      requests: [
        {
          setupRequest: (req) => {
            n += 1;
            const u = `bench_${process.pid}_${n}`;
            return {
              ...req,
              body: JSON.stringify({
                username: u,
                email: `${u}@example.com`,
                password,
                password_confirm: password,
              }),
            };
          },
        },
      ],
    };
    results.push(
      await measure('POST /api/v1/users/ (P3)', `${api}/api/v1/users/`, opts, warmup, seconds),
    );
  }
} finally {
  const loadedRss = server.rssMb();
  await server.stop();
  extra.push(`RSS after load ${loadedRss.toFixed(1)} MB`);
}

const base = results.find((r) => r.name.startsWith('GET /health (baseline)'));
console.log('\n| scenario | req/s | p50 ms | p99 ms | non-2xx | errors | vs /health |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const r of results) {
  const ratio = base ? (r.rps / base.rps).toFixed(3) : '';
  console.log(
    `| ${r.name} | ${r.rps.toFixed(0)} | ${r.p50} | ${r.p99} | ${r.non2xx} | ${r.errors} | ${ratio} |`,
  );
}
console.log(
  `\nP7: cold start ${server.coldStartMs.toFixed(0)} ms; idle RSS ${idleRss.toFixed(1)} MB`,
);
for (const line of extra) {
  console.log(line);
}

if (only.has('mail')) {
  try {
    const mailModule = './mail.js'; // written with the mail pipeline (issue 3)
    const mail = (await import(mailModule)) as { runMailBench?: () => Promise<unknown> };
    if (mail.runMailBench) {
      console.log('\nmail pipeline (P5):');
      console.log(JSON.stringify(await mail.runMailBench(), null, 2));
    }
  } catch (err) {
    console.error('mail bench failed:', err instanceof Error ? err.message : err);
    process.exitCode = 1;
  }
}
if (!values.keep) {
  await dropDatabase(DB);
}
