// npx tsx bench/projects.ts [-- --users 1000000 --projects 100000 --duration 10 --connections 10,50]
// P6 for the project list: a database of its own (internships_bench_projects, dropped at the
// end unless --keep) with 1,000,000 users and 100,000 projects (seedProjects), the built
// server, autocannon per list scenario, and EXPLAIN (ANALYZE, BUFFERS) of the SQL each
// scenario runs (captured from the real service code through drizzle's query logger).
import { execFileSync } from 'node:child_process';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { drizzle } from 'drizzle-orm/node-postgres';
import * as schema from '../src/db/schema.js';
import { encodeCursor } from '../src/lib/pagination.js';
import { hashPassword } from '../src/modules/auth/passwords.js';
import { ProjectsService } from '../src/modules/projects/projects.service.js';
import type { ProjectListQuery } from '../src/modules/projects/projects.schemas.js';
import { seedProjects } from '../src/modules/projects/seed.js';
import { usersRepository } from '../src/modules/users/users.repository.js';
import { benchKeys, dropDatabase, freshDatabase, measure, startBuiltServer } from './lib.js';

const { values } = parseArgs({
  options: {
    users: { type: 'string', default: '1000000' },
    projects: { type: 'string', default: '100000' },
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '3' },
    connections: { type: 'string', default: '10,50' },
    only: { type: 'string', default: '' },
    keep: { type: 'boolean', default: false },
  },
});
const DB = 'internships_bench_projects';
const PASSWORD = 'bench password for projects';
const seconds = Number(values.duration);
const warmup = Number(values.warmup);
const connectionsList = values.connections.split(',').map(Number);
const only = new Set(values.only.split(',').filter((s) => s !== ''));

console.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, node ${process.version}`);
console.log('building…');
execFileSync('npm', ['run', '--silent', 'build'], { stdio: 'inherit' });

const dbUrl = await freshDatabase(DB);
const pool = new pg.Pool({ connectionString: dbUrl, max: 4 });
let t0 = performance.now();
const hash = await hashPassword(PASSWORD);
await pool.query(
  `INSERT INTO users (username, email, password_hash, is_superuser, email_verified_at)
   SELECT 'bench_' || g, 'bench_' || g || '@example.com', $1, g = 1, now()
   FROM generate_series(1, $2::int) AS g`,
  [hash, Number(values.users)],
);
await pool.query('ANALYZE users');
console.log(`users: ${values.users} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
t0 = performance.now();
const seeded = await seedProjects(pool, { projects: Number(values.projects), log: console.log });
console.log(
  `projects: ${seeded.projects}, members: ${seeded.members}, applications: ${seeded.applications} in ${(seeded.ms / 1000).toFixed(1)} s`,
);

// A mentor with drafts (their list adds a membership subquery) and the superuser.
const { rows: mentorRows } = await pool.query<{ id: number; username: string }>(
  `SELECT u.id, u.username FROM project_members m
   JOIN projects p ON p.id = m.project_id JOIN users u ON u.id = m.user_id
   WHERE m.role = 'mentor' AND p.status = 'draft' ORDER BY m.id LIMIT 1`,
);
const mentor = mentorRows[0]!;
const { rows: memberships } = await pool.query<{ n: number }>(
  'SELECT count(*)::int AS n FROM project_members WHERE user_id = $1',
  [mentor.id],
);

const keys = benchKeys();
const server = await startBuiltServer({
  DATABASE_URL: dbUrl,
  JWT_PRIVATE_KEY_PATH: keys.privateKey,
  JWT_PUBLIC_KEY_PATH: keys.publicKey,
  RATE_LIMIT_ENABLED: 'false',
  DATABASE_POOL_SIZE: '20',
});

async function token(username: string): Promise<string> {
  const res = await fetch(`${server.url}/api/v1/jwt/login/`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ username, password: PASSWORD }).toString(),
  });
  const body = (await res.json()) as { access_token: string };
  return body.access_token;
}
const superToken = await token('bench_1');
const mentorToken = await token(mentor.username);

const mid = Math.floor(Number(values.projects) / 2);
interface Scenario {
  name: string;
  query: Partial<ProjectListQuery>;
  who: 'anonymous' | 'mentor' | 'superuser';
}
const allScenarios: Scenario[] = [
  { name: 'anonymous, first page', query: {}, who: 'anonymous' },
  {
    name: 'anonymous, page at the middle (cursor)',
    query: { cursor: encodeCursor({ o: '-id', k: mid, id: mid }) },
    who: 'anonymous',
  },
  { name: 'anonymous, status=recruiting', query: { status: 'recruiting' }, who: 'anonymous' },
  { name: 'anonymous, tag=rust', query: { tag: 'rust' }, who: 'anonymous' },
  {
    name: 'anonymous, tag=rust&status=active',
    query: { tag: 'rust', status: 'active' },
    who: 'anonymous',
  },
  { name: 'anonymous, q=garden', query: { q: 'garden' }, who: 'anonymous' },
  { name: 'anonymous, q=garden 4242 (rare)', query: { q: 'garden 4242' }, who: 'anonymous' },
  { name: 'anonymous, q=zzz (no match)', query: { q: 'zzz' }, who: 'anonymous' },
  { name: 'anonymous, status=draft (never visible)', query: { status: 'draft' }, who: 'anonymous' },
  { name: `mentor (${memberships[0]?.n ?? 0} memberships), first page`, query: {}, who: 'mentor' },
  { name: 'mentor, status=draft (their drafts)', query: { status: 'draft' }, who: 'mentor' },
  { name: 'superuser, first page', query: {}, who: 'superuser' },
  { name: 'superuser, archived=true', query: { archived: true }, who: 'superuser' },
];
const scenarios = allScenarios.filter((_s, i) => only.size === 0 || only.has(String(i)));

const qs = (q: Partial<ProjectListQuery>) =>
  new URLSearchParams(
    Object.entries(q).map(([k, v]): [string, string] => [k, String(v)]),
  ).toString();

const rows: string[] = [];
// Baseline in the same run: the machine is shared, so read the list figures as ratios to it.
for (const connections of connectionsList) {
  const r = await measure('GET /health', `${server.url}/health`, { connections }, warmup, seconds);
  const line = `| baseline: GET /health | - | ${connections} | ${r.rps.toFixed(0)} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | ${r.non2xx + r.errors} |`;
  console.log(line);
  rows.push(line);
}
for (const s of scenarios) {
  const path = `/api/v1/projects/?${qs({ limit: 20, ...s.query })}`;
  const headers: Record<string, string> =
    s.who === 'anonymous'
      ? {}
      : { authorization: `Bearer ${s.who === 'mentor' ? mentorToken : superToken}` };
  const check = await fetch(server.url + path, { headers });
  const body = (await check.json()) as { items?: unknown[] };
  if (check.status !== 200) {
    throw new Error(`${s.name}: ${check.status} ${JSON.stringify(body)}`);
  }
  for (const connections of connectionsList) {
    const r = await measure(s.name, server.url + path, { headers, connections }, warmup, seconds);
    const line = `| ${s.name} | ${body.items?.length ?? 0} | ${connections} | ${r.rps.toFixed(0)} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | ${r.non2xx + r.errors} |`;
    console.log(line);
    rows.push(line);
  }
}
await server.stop();

// EXPLAIN the SQL the service runs for each scenario (list query, then the places query).
console.log('\n## EXPLAIN (ANALYZE, BUFFERS)\n');
const captured: { sql: string; params: unknown[] }[] = [];
const db = drizzle(pool, {
  schema,
  logger: { logQuery: (sql, params) => void captured.push({ sql, params }) },
});
const service = new ProjectsService(db);
const superuser = await usersRepository.findById(db, 1);
const mentorUser = await usersRepository.findById(db, mentor.id);
for (const s of scenarios) {
  captured.length = 0;
  const viewer = s.who === 'anonymous' ? undefined : s.who === 'mentor' ? mentorUser : superuser;
  await service.list(viewer, { limit: 20, ...s.query });
  const queries = captured.filter((c) => !/from "users"/i.test(c.sql));
  console.log(`### ${s.name}\n`);
  for (const q of queries) {
    const plan = await pool.query<{ 'QUERY PLAN': string }>(
      `EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, SUMMARY ON) ${q.sql}`,
      q.params,
    );
    console.log('```');
    console.log(q.sql.length > 400 ? `${q.sql.slice(0, 400)}…` : q.sql);
    console.log(`params: ${JSON.stringify(q.params)}`);
    console.log('');
    console.log(plan.rows.map((r) => r['QUERY PLAN']).join('\n'));
    console.log('```\n');
  }
}
await pool.end();
if (!values.keep) {
  await dropDatabase(DB);
}
console.log('\n| scenario | items | connections | req/s | p50 ms | p99 ms | non-2xx |');
console.log('| --- | --- | --- | --- | --- | --- | --- |');
console.log(rows.join('\n'));
