// Bulk seeding of users for scale checks (P6): `npm run seed:bulk -- --users N` calls
// seedUsers. Set-based (INSERT ... SELECT FROM generate_series, in batches) with one
// precomputed argon2id hash shared by every seeded user, then ANALYZE.
import type pg from 'pg';
import { hashPassword } from '../auth/passwords.js';

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
export async function seedUsers(
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
