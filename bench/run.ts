// npm run bench [-- --duration 10 --warmup 3 --only me,login] | npm run bench -- --quick
// Starts the built server against a benchmark database of its own and drives it with
// autocannon (50 connections, warm-up, then the measured run), printing req/s, p50, p99
// and each scenario's ratio to /health of the same run. Server and load generator share
// this machine: compare figures as ratios within one run.
// Besides the v1 routes: `plain` (P9: /health and /me against the same app with the
// per-request production plugins off, off-on-on-off), `scale` (/me and refresh on 2 API processes),
// `start` (P7: cold start and idle RSS of the tsc build and of the bundle).
// --quick (a check before you stop: ~1 min): 3 s runs, 1 s warm-up, health,me,refresh,plain.
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
  type StartedServer,
} from './lib.js';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '3' },
    only: { type: 'string', default: 'health,me,login,refresh,register,mail' },
    keep: { type: 'boolean', default: false },
    quick: { type: 'boolean', default: false },
  },
});
const seconds = values.quick ? 3 : Number(values.duration);
const warmup = values.quick ? 1 : Number(values.warmup);
const only = new Set(
  (values.quick ? 'health,me,refresh,plain' : `${values.only},plain,scale,start`).split(','),
);
if (!values.quick && process.argv.some((a) => a.startsWith('--only'))) {
  // An explicit --only runs exactly what it names.
  for (const extra of ['plain', 'scale', 'start']) {
    if (!values.only.split(',').includes(extra)) {
      only.delete(extra);
    }
  }
}
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
if (only.has('start')) {
  execFileSync('npm', ['run', '--silent', 'build:bundle'], { stdio: 'inherit' });
}

const dbUrl = await freshDatabase(DB);
const keys = benchKeys();
const serverEnv = {
  DATABASE_URL: dbUrl,
  JWT_PRIVATE_KEY_PATH: keys.privateKey,
  JWT_PUBLIC_KEY_PATH: keys.publicKey,
  RATE_LIMIT_ENABLED: 'false', // one load generator, one address: throttling would measure itself
  DATABASE_POOL_SIZE: '20',
};
const server = await startBuiltServer(serverEnv);
await new Promise((r) => setTimeout(r, 1000));
const idleRss = server.rssMb();
console.log(`cold start ${server.coldStartMs.toFixed(0)} ms, idle RSS ${idleRss.toFixed(1)} MB`);

const results: LoadResult[] = [];
const extra: string[] = [];
const json = { 'content-type': 'application/json' };
const form = { 'content-type': 'application/x-www-form-urlencoded' };
const api = server.url;

async function post(base: string, path: string, body: string, headers: Record<string, string>) {
  const res = await fetch(base + path, { method: 'POST', body, headers });
  return { status: res.status, body: (await res.json()) as Record<string, string> };
}

const pct = (ratio: number) => `${(ratio * 100).toFixed(0)}%`;
const password = 'benchmark passphrase 1';
const loginBody = () => new URLSearchParams({ username: 'bench', password }).toString();

/** Each refresh token works once: a pool of live tokens, refilled by each response's successor. */
async function refreshScenario(base: string, name: string): Promise<LoadResult> {
  const pool: string[] = [];
  for (let i = 0; i < 120; i++) {
    pool.push((await post(base, '/api/v1/jwt/login/', loginBody(), form)).body.refresh_token!);
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
  const r = await measure(name, `${base}/api/v1/jwt/refresh/`, opts, warmup, seconds);
  extra.push(
    `${name}: ${pool.length} live tokens left in the pool of 120 (lost ones were non-2xx)`,
  );
  return r;
}

try {
  // A user to sign in as.
  const reg = await post(
    api,
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
  const first = await post(api, '/api/v1/jwt/login/', loginBody(), form);
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
      { method: 'POST', headers: form, body: loginBody() },
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
    results.push(await refreshScenario(api, 'POST /api/v1/jwt/refresh/ (P4)'));
  }
  if (only.has('plain')) {
    // P9: the same app with security headers, request ids, in-flight tracking and logging
    // off, measured against the production server in this run in the order off, on, on, off
    // per route, so that a machine that speeds up or slows down during the runs moves both
    // sides alike; the ratio is of the sums. For /health also the floor control: the app with
    // the security headers alone (off, floor, on, on, floor, off), what keeping every header
    // costs before any other production work.
    const plain = await startBuiltServer(serverEnv, 'dist/bench/server.js');
    const floorApp = await startBuiltServer(
      { ...serverEnv, BENCH_PLUGINS: 'security-headers' },
      'dist/bench/server.js',
    );
    try {
      // Besides req/s, the server's CPU time per request of each measured run: on a shared
      // machine it moves far less than throughput (other processes take cores, not work).
      type Side = 'on' | 'off' | 'floor';
      const fresh = () => ({ ms: 0, n: 0, rps: 0 });
      const abba = async (route: string, path: string, opts: CannonOptions, floor = false) => {
        const cpu: Record<Side, { ms: number; n: number; rps: number }> = {
          on: fresh(),
          off: fresh(),
          floor: fresh(),
        };
        // Only the measured run's requests and CPU are counted, not the warm-up's.
        const run = async (
          side: Side,
          s: StartedServer,
          base: string,
          label: string,
          i: number,
        ) => {
          const r = await measure(
            `${route}, ${label} (${i})`,
            `${base}${path}`,
            opts,
            warmup,
            seconds,
            s,
          );
          cpu[side].ms += r.serverCpuMs!;
          cpu[side].n += r.total;
          cpu[side].rps += r.rps;
          results.push(r);
        };
        const off = (i: number) => run('off', plain, plain.url, 'plugins off', i);
        const on = (i: number) => run('on', server, api, 'production', i);
        const headersOnly = (i: number) =>
          run('floor', floorApp, floorApp.url, 'security headers only', i);
        await off(1);
        if (floor) {
          await headersOnly(1);
        }
        await on(1);
        await on(2);
        if (floor) {
          await headersOnly(2);
        }
        await off(2);
        const perRequest = (side: Side) => (cpu[side].ms * 1000) / cpu[side].n;
        const ratios = (side: Side) => ({
          rps: cpu[side].rps / cpu.off.rps,
          cpu: perRequest('off') / perRequest(side),
          us: `${perRequest(side).toFixed(1)} vs ${perRequest('off').toFixed(1)} µs`,
        });
        return { on: ratios('on'), floor: floor ? ratios('floor') : undefined };
      };
      const meOpts = { headers: { authorization: `Bearer ${access}` } };
      const health = await abba('GET /health', '/health', {}, true);
      const me = await abba('GET /me', '/api/v1/jwt/users/me/', meOpts);
      extra.push(
        `P9: /health with the production plugins at ${pct(health.on.rps)} of the app without them (target ≥ 85%); /me at ${pct(me.on.rps)} (target ≥ 90%)`,
        `P9 by server CPU per request (production vs off): /health ${health.on.us}, ${pct(health.on.cpu)}; /me ${me.on.us}, ${pct(me.on.cpu)}`,
        `P9 floor: /health with the security headers alone at ${pct(health.floor!.rps)} of the app without them, by CPU ${health.floor!.us}, ${pct(health.floor!.cpu)} (what sending the headers costs before any other production work: P9's floor)`,
      );
    } finally {
      await plain.stop();
      await floorApp.stop();
    }
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

if (only.has('scale')) {
  // The same routes on 2 API processes (npm start with WEB_CONCURRENCY=2) in this run.
  const one = results.filter((r) => r.name.startsWith('GET /api/v1/jwt/users/me/ (P1)'))[0];
  const oneRefresh = results.find((r) => r.name.startsWith('POST /api/v1/jwt/refresh/ (P4)'));
  const cluster = await startBuiltServer(
    { ...serverEnv, WEB_CONCURRENCY: '2' },
    'dist/src/cluster.js',
  );
  try {
    await new Promise((r) => setTimeout(r, 3000)); // the second worker
    const pair = await post(cluster.url, '/api/v1/jwt/login/', loginBody(), form);
    const me = await measure(
      'GET /me, 2 API processes',
      `${cluster.url}/api/v1/jwt/users/me/`,
      { headers: { authorization: `Bearer ${pair.body.access_token}` } },
      warmup,
      seconds,
    );
    const refresh = await refreshScenario(cluster.url, 'POST /refresh, 2 API processes');
    results.push(me, refresh);
    extra.push(
      `scale: /me ${one ? `${pct(me.rps / one.rps)} of 1 process` : ''}, refresh ${oneRefresh ? `${pct(refresh.rps / oneRefresh.rps)} of 1 process` : ''}; RSS of primary + 2 workers ${cluster.rssMb().toFixed(0)} MB`,
    );
  } finally {
    await cluster.stop();
  }
}

const starts: string[] = [];
if (only.has('start')) {
  // P7: each build started 3 times, alternately; median of wall time, CPU time and idle RSS.
  const runs: Record<string, { ms: number[]; cpu: number[]; rss: number[] }> = {
    'dist/src/server.js': { ms: [], cpu: [], rss: [] },
    'dist/bundle/server.js': { ms: [], cpu: [], rss: [] },
  };
  for (let i = 0; i < 3; i++) {
    for (const [script, r] of Object.entries(runs)) {
      const s = await startBuiltServer(serverEnv, script);
      await new Promise((res) => setTimeout(res, 1000));
      r.ms.push(s.coldStartMs);
      r.cpu.push(s.coldStartCpuMs);
      r.rss.push(s.rssMb());
      await s.stop();
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  for (const [script, r] of Object.entries(runs)) {
    starts.push(
      `| ${script} | ${median(r.ms).toFixed(0)} | ${median(r.cpu).toFixed(0)} | ${median(r.rss).toFixed(1)} |`,
    );
  }
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
  `\nP7: cold start ${server.coldStartMs.toFixed(0)} ms (CPU ${server.coldStartCpuMs.toFixed(0)} ms); idle RSS ${idleRss.toFixed(1)} MB`,
);
if (starts.length > 0) {
  console.log(
    '\n| P7 start-up (median of 3) | cold start ms | CPU ms at first 200 | idle RSS MB |',
  );
  console.log('| --- | ---: | ---: | ---: |');
  for (const line of starts) {
    console.log(line);
  }
}
for (const line of extra) {
  console.log(line);
}

if (only.has('mail') && !values.quick) {
  try {
    const mailModule = './mail.js'; // written with the mail pipeline (issue 3)
    const mail = (await import(mailModule)) as {
      runMailBench?: () => Promise<{ summary?: string[] }>;
    };
    if (mail.runMailBench) {
      console.log('\nmail pipeline (P5):');
      const r = await mail.runMailBench();
      console.log(JSON.stringify(r, null, 2));
      for (const line of r.summary ?? []) {
        console.log(line);
      }
    }
  } catch (err) {
    console.error('mail bench failed:', err instanceof Error ? err.message : err);
    process.exitCode = 1;
  }
}
if (!values.keep) {
  await dropDatabase(DB);
}
