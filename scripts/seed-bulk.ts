// npm run seed:bulk -- --users 1000000
// Fills DATABASE_URL with many users in bulk (INSERT ... SELECT FROM generate_series, in
// batches, one precomputed argon2id hash shared by every seeded user), then ANALYZE. Made
// for scale benchmarks (P6); never point it at a production database. The seeders live in
// their features (users/seed.ts, projects/seed.ts); this script only runs them.
import { parseArgs } from 'node:util';
import pg from 'pg';
import { loadConfig } from '../src/config.js';
import { redactUrl } from '../src/lib/redact.js';
import { seedProjects } from '../src/modules/projects/seed.js';
import { seedUsers } from '../src/modules/users/seed.js';

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
