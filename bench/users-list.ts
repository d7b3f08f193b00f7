// Measures GET /api/v1/users/ on a big database (P6): for each filter set, first pages and
// pages reached through cursors, sequential requests over real HTTP; prints p50/p99 and the
// EXPLAIN (ANALYZE, BUFFERS) of the statement each filter runs. Run after seed:bulk:
//   DATABASE_URL=postgres://.../internships_bench_users tsx bench/users-list.ts
import { writeFileSync } from 'node:fs';
import { buildApp } from '../src/app.js';
import { loadConfig, readEnv } from '../src/config.js';
import { createDatabase, type Database } from '../src/db/client.js';
import { decodeCursor } from '../src/lib/pagination.js';
import { usersRepository, type UserListQuery } from '../src/modules/users/users.repository.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 300);

const CASES: [string, string][] = [
  ['no filter, id asc', 'order_by=id'],
  ['no filter, created_at desc', 'order_by=created_at&direction=desc'],
  ['is_active=false, id asc', 'is_active=false'],
  ['is_active=false, created_at desc', 'is_active=false&order_by=created_at&direction=desc'],
  ['is_active=true, created_at asc', 'is_active=true&order_by=created_at'],
  ['is_superuser=true, id asc', 'is_superuser=true'],
  ['is_superuser=true, created_at desc', 'is_superuser=true&order_by=created_at&direction=desc'],
  ['q=ali (5% match), id asc', 'q=ali'],
  ['q=alice_12 (selective), id asc', 'q=alice_12'],
  ['q=u12345 (e-mail prefix), created_at desc', 'q=u12345&order_by=created_at&direction=desc'],
  [
    'q=bob + is_active=true + is_superuser=false, id desc',
    'q=bob&is_active=true&is_superuser=false&direction=desc',
  ],
];

function toQuery(qs: string): UserListQuery {
  const p = new URLSearchParams(qs);
  const bool = (v: string | null) => (v === null ? undefined : v === 'true');
  const orderBy = (p.get('order_by') ?? 'id') as UserListQuery['orderBy'];
  const direction = (p.get('direction') ?? 'asc') as UserListQuery['direction'];
  const cursor = p.get('cursor');
  return {
    limit: Number(p.get('limit') ?? 20),
    orderBy,
    direction,
    isActive: bool(p.get('is_active')),
    isSuperuser: bool(p.get('is_superuser')),
    q: p.get('q') ?? undefined,
    cursor: cursor === null ? undefined : decodeCursor(cursor, `${orderBy}:${direction}`),
  };
}

/** EXPLAIN (ANALYZE, BUFFERS) of the exact statement the endpoint runs for `qs`. */
async function explain(database: Database, qs: string): Promise<string> {
  const { sql, params } = usersRepository.listStatement(database.db, toQuery(qs)).toSQL();
  const r = await database.pool.query<{ 'QUERY PLAN': string }>(
    `EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) ${sql}`,
    params,
  );
  return r.rows.map((x) => x['QUERY PLAN']).join('\n');
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
}

async function main(): Promise<void> {
  const config = loadConfig({
    ...readEnv(),
    RATE_LIMIT_ENABLED: 'false',
    LOG_LEVEL: 'warn',
    FIRST_SUPERUSER_USERNAME: 'bench_root',
    FIRST_SUPERUSER_EMAIL: 'bench_root@example.com',
    FIRST_SUPERUSER_PASSWORD: 'bench root passphrase',
  });
  const database = createDatabase(config.databaseUrl, 10);
  const app = await buildApp(config, { database });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const addr = app.server.address();
  const base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  const login = await fetch(`${base}/api/v1/jwt/login/`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'username=bench_root&password=bench+root+passphrase',
  });
  const { access_token: token } = (await login.json()) as { access_token: string };
  const get = async (qs: string) => {
    const t0 = performance.now();
    const res = await fetch(`${base}/api/v1/users/?${qs}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const body = (await res.json()) as { items: unknown[]; next_cursor: string | null };
    const ms = performance.now() - t0;
    if (res.status !== 200) {
      throw new Error(`${qs}: ${res.status} ${JSON.stringify(body)}`);
    }
    return { ms, body };
  };

  const lines: string[] = [];
  const plans: string[] = [];
  lines.push('| case | first page p50 / p99 (ms) | cursor pages p50 / p99 (ms) | rows/page |');
  lines.push('| --- | --- | --- | --- |');
  for (const [name, qs] of CASES) {
    const q = `${qs}&limit=20`;
    for (let i = 0; i < 20; i++) {
      await get(q); // warm-up
    }
    const first: number[] = [];
    const deeper: number[] = [];
    let rows = 0;
    for (let i = 0; i < ROUNDS; i++) {
      first.push((await get(q)).ms);
    }
    // Walk forward through cursors (pages 2..N), restarting when the list ends.
    let cursor = (await get(q)).body.next_cursor;
    for (let i = 0; i < ROUNDS; i++) {
      if (cursor === null) {
        cursor = (await get(q)).body.next_cursor;
        if (cursor === null) {
          break;
        }
      }
      const r = await get(`${q}&cursor=${cursor}`);
      deeper.push(r.ms);
      rows = Math.max(rows, r.body.items.length);
      cursor = r.body.next_cursor;
    }
    const f = `${pct(first, 50).toFixed(2)} / ${pct(first, 99).toFixed(2)}`;
    const d =
      deeper.length > 0
        ? `${pct(deeper, 50).toFixed(2)} / ${pct(deeper, 99).toFixed(2)}`
        : 'single page';
    lines.push(`| ${name} | ${f} | ${d} | ${rows} |`);
    console.log(lines[lines.length - 1]);
    const deep = cursor === null ? q : `${q}&cursor=${cursor}`;
    plans.push(
      `### ${name}\n\n\`GET /api/v1/users/?${q}\` then a page reached by cursor:\n\n\`\`\`\n${await explain(database, deep)}\n\`\`\`\n`,
    );
  }
  await app.close();
  await database.close();
  const out = process.env.BENCH_OUT;
  if (out) {
    writeFileSync(out, `${lines.join('\n')}\n\n${plans.join('\n')}`);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
