// npm run seed:bulk -- --users 1000000
// Fills DATABASE_URL with many users in bulk (INSERT ... SELECT FROM generate_series, in
// batches, one precomputed argon2id hash shared by every seeded user), then ANALYZE. Made
// for scale benchmarks (P6); never point it at a production database. The core is exported
// so other seeders (projects) can be added beside it.
import { parseArgs } from 'node:util';
import pg from 'pg';
import { loadConfig } from '../src/config.js';
import { redactUrl } from '../src/lib/redact.js';
import { hashPassword } from '../src/modules/auth/passwords.js';
import { seedProjects } from '../src/modules/projects/seed.js';

/** The password of every seeded user (they can sign in, e.g. for load tests). */
export const SEED_PASSWORD = 'seeded user passphrase';

const NAMES = [
  'alice',
  'bob',
  'carol',
  'dave',
  'erin',
  'frank',
  'grace',
  'heidi',
  'ivan',
  'judy',
  'mallory',
  'niaj',
  'olivia',
  'peggy',
  'rupert',
  'sybil',
  'trent',
  'victor',
  'walter',
  'zoe',
];
const DOMAINS = ['example.com', 'example.org', 'mail.example.net', 'corp.example'];

export interface SeedUsersOptions {
  count: number;
  batchSize?: number;
  passwordHash?: string;
  onProgress?: (done: number, total: number) => void;
}

/**
 * Inserts `count` users after the highest existing id. Distribution: names cycle through
 * 20 first names (a 3-letter prefix matches ~5%), 1 in 20 archived, 1 in 10,000 superusers,
 * 80% verified, created_at spread over ~3 years with microseconds. Returns the id range.
 */
async function seedUsers(
  pool: pg.Pool,
  opts: SeedUsersOptions,
): Promise<{ firstId: number; lastId: number }> {
  const batch = opts.batchSize ?? 100_000;
  const hash = opts.passwordHash ?? (await hashPassword(SEED_PASSWORD));
  const { rows } = await pool.query<{ n: string }>('SELECT coalesce(max(id), 0) AS n FROM users');
  const start = Number(rows[0]?.n ?? 0) + 1;
  const end = start + opts.count - 1;
  for (let from = start; from <= end; from += batch) {
    const to = Math.min(end, from + batch - 1);
    await pool.query(
      `INSERT INTO users (username, email, password_hash, is_active, is_superuser,
                          email_verified_at, created_at, updated_at)
       SELECT ($3::text[])[1 + g % 20] || '_' || g,
              'u' || g || '@' || ($4::text[])[1 + g % 4],
              $5,
              g % 20 <> 0,
              g % 10000 = 1,
              CASE WHEN g % 5 <> 0 THEN ts END,
              ts, ts
       FROM (
         SELECT g, timestamptz '2023-01-01' + g * interval '95 seconds'
                   + (g::bigint * 7919 % 1000000) * interval '1 microsecond' AS ts
         FROM generate_series($1::int, $2::int) g
       ) s
       ON CONFLICT DO NOTHING`,
      [from, to, NAMES, DOMAINS, hash],
    );
    opts.onProgress?.(to - start + 1, opts.count);
  }
  await pool.query('ANALYZE users');
  return { firstId: start, lastId: end };
}

export interface SeedBulkOptions {
  users?: number;
  projects?: number;
}

/** Runs every requested seeder against `databaseUrl`. */
export async function seedBulk(databaseUrl: string, opts: SeedBulkOptions): Promise<void> {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 2 });
  try {
    if (opts.users !== undefined && opts.users > 0) {
      const started = performance.now();
      const r = await seedUsers(pool, {
        count: opts.users,
        onProgress: (done, total) => console.log(`users: ${done}/${total}`),
      });
      const s = ((performance.now() - started) / 1000).toFixed(1);
      console.log(`users ${r.firstId}..${r.lastId} inserted in ${s} s`);
    }
    if (opts.projects !== undefined && opts.projects > 0) {
      const started = performance.now();
      await seedProjects(pool, { projects: opts.projects, log: (m: string) => console.log(m) });
      const s = ((performance.now() - started) / 1000).toFixed(1);
      console.log(`${opts.projects} projects with members and applications inserted in ${s} s`);
    }
  } finally {
    await pool.end();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { users: { type: 'string' }, projects: { type: 'string' } },
    strict: true,
  });
  const count = (v: string | undefined) => (v === undefined ? 0 : Number(v));
  const users = count(values.users);
  const projects = count(values.projects);
  const valid = (n: number) => Number.isInteger(n) && n >= 0 && n <= 50_000_000;
  if (!valid(users) || !valid(projects) || users + projects === 0) {
    console.error('Usage: npm run seed:bulk -- --users 1000000 [--projects 100000]');
    console.error('Projects need at least 16 active users (seed users first or in the same run).');
    process.exit(2);
  }
  const config = loadConfig();
  console.log(`Seeding ${redactUrl(config.databaseUrl)}`);
  await seedBulk(config.databaseUrl, { users, projects });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((err: unknown) => {
    console.error('Seeding failed:', err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
