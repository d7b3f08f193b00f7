// Bulk seeding of internship projects for scale checks (P6): `npm run seed:bulk` calls
// seedProjects(pool, { projects: 100_000 }) after the users exist. Everything is set-based
// (generate_series, INSERT ... SELECT): no row crosses the wire, 100,000 projects with their
// members and applications take seconds, not minutes. Deterministic for a given user set.
//
// What it makes, per project g (1..n), with U active users:
//   - status: 10% draft, 40% recruiting, 35% active, 15% completed; 2% archived;
//   - 1-3 tags out of 24, a two-word title plus the number (for `q`), 1-5 developer and
//     0-2 tester places;
//   - members: 1-2 mentors, developers and testers filling about half the places, each with
//     an accepted application decided by the first mentor;
//   - applications: 2 more from other users, pending while recruiting, otherwise rejected or
//     withdrawn.
// Members and applicants are picked as distinct offsets from a per-project start in the user
// list, so (project, user) is unique and at most one application per user is pending.
import type pg from 'pg';

export interface SeedProjectsOptions {
  projects: number;
  /** Progress lines (default: silent). */
  log?: (line: string) => void;
}

export interface SeedProjectsResult {
  projects: number;
  members: number;
  applications: number;
  ms: number;
}

const TAGS = [
  'typescript',
  'javascript',
  'python',
  'go',
  'rust',
  'java',
  'kotlin',
  'swift',
  'postgresql',
  'redis',
  'rabbitmq',
  'docker',
  'kubernetes',
  'react',
  'vue',
  'svelte',
  'node',
  'django',
  'fastapi',
  'spring',
  'graphql',
  'testing',
  'playwright',
  'ci',
];
const ADJECTIVES = [
  'Open',
  'Smart',
  'Tiny',
  'Rapid',
  'Green',
  'Secure',
  'Social',
  'Remote',
  'Cloud',
  'Local',
  'Mobile',
  'Public',
  'Shared',
  'Simple',
  'Global',
  'Daily',
];
const NOUNS = [
  'board',
  'tracker',
  'planner',
  'market',
  'library',
  'journal',
  'wallet',
  'garden',
  'clinic',
  'school',
  'kitchen',
  'studio',
  'radio',
  'atlas',
  'forum',
  'bridge',
  'pantry',
  'ledger',
];

const textArray = (values: string[]) => `ARRAY[${values.map((v) => `'${v}'`).join(',')}]::text[]`;

export async function seedProjects(
  pool: pg.Pool,
  options: SeedProjectsOptions,
): Promise<SeedProjectsResult> {
  const n = options.projects;
  if (!Number.isInteger(n) || n < 0) {
    throw new Error('projects must be a non-negative integer');
  }
  const log = options.log ?? (() => {});
  const started = performance.now();
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query(
      `CREATE TEMP TABLE seed_users ON COMMIT DROP AS
         SELECT (row_number() OVER (ORDER BY id) - 1)::int AS i, id
         FROM users WHERE is_active`,
    );
    await client.query('CREATE UNIQUE INDEX ON seed_users (i)');
    const { rows: counts } = await client.query<{ u: number; creator: number | null }>(
      `SELECT (SELECT count(*)::int FROM seed_users) AS u,
              (SELECT id FROM users WHERE is_active ORDER BY is_superuser DESC, id LIMIT 1) AS creator`,
    );
    const u = counts[0]?.u ?? 0;
    const creator = counts[0]?.creator ?? null;
    if (u < 16 || creator === null) {
      throw new Error(`seedProjects needs at least 16 active users (found ${u}); seed users first`);
    }
    const { rows: before } = await client.query<{ max: number }>(
      'SELECT coalesce(max(id), 0)::int AS max FROM projects',
    );
    const base = before[0]?.max ?? 0;

    // Projects. Hash-like but deterministic numbers come from g multiplied by primes.
    await client.query(
      `INSERT INTO projects (title, description, repository_url, tags, status, starts_on, ends_on,
                             developer_slots, tester_slots, created_by, is_active, created_at, updated_at)
       SELECT
         (${textArray(ADJECTIVES)})[1 + (g * 7) % ${ADJECTIVES.length}] || ' ' ||
           (${textArray(NOUNS)})[1 + (g * 13) % ${NOUNS.length}] || ' ' || g,
         'Seeded internship project number ' || g || '.',
         'https://example.com/ifd/project-' || g,
         (SELECT array_agg(DISTINCT t)
            FROM unnest(ARRAY[
              (${textArray(TAGS)})[1 + (g * 31) % ${TAGS.length}],
              CASE WHEN g % 3 > 0 THEN (${textArray(TAGS)})[1 + (g * 17 + 5) % ${TAGS.length}] END,
              CASE WHEN g % 3 = 2 THEN (${textArray(TAGS)})[1 + (g * 11 + 9) % ${TAGS.length}] END
            ]) AS t WHERE t IS NOT NULL),
         CASE WHEN g % 20 < 2 THEN 'draft'
              WHEN g % 20 < 10 THEN 'recruiting'
              WHEN g % 20 < 17 THEN 'active'
              ELSE 'completed' END,
         DATE '2026-01-01' + (g % 365),
         DATE '2026-01-01' + (g % 365) + 90,
         1 + g % 5,
         g % 3,
         $1,
         g % 50 <> 7,
         now() - make_interval(secs => ($2 - g)),
         now() - make_interval(secs => ($2 - g))
       FROM generate_series(1, $2::int) AS g`,
      [creator, n],
    );
    log(`projects: ${n} inserted (${(performance.now() - started).toFixed(0)} ms)`);

    // Members: offset 0 = first mentor, 1 = second mentor (every other project), 2.. = places.
    // Developers fill ceil(slots / 2), testers floor(slots / 2), all but drafts.
    const members = await client.query(
      `WITH p AS (
         SELECT id, status, developer_slots, tester_slots, id - $1 AS g,
                ((id - $1)::bigint * 7919) % $2 AS start
         FROM projects WHERE id > $1
       ), slots AS (
         SELECT p.id, p.start, 0 AS k, 'mentor' AS role FROM p
         UNION ALL
         SELECT p.id, p.start, 1, 'mentor' FROM p WHERE p.g % 2 = 0
         UNION ALL
         SELECT p.id, p.start, 1 + d, 'developer'
           FROM p, generate_series(1, (p.developer_slots + 1) / 2) AS d WHERE p.status <> 'draft'
         UNION ALL
         SELECT p.id, p.start, 10 + s, 'tester'
           FROM p, generate_series(1, p.tester_slots / 2) AS s WHERE p.status <> 'draft'
       )
       INSERT INTO project_members (project_id, user_id, role, joined_at)
       SELECT slots.id, su.id, slots.role, now() - interval '1 day'
       FROM slots JOIN seed_users su ON su.i = (slots.start + slots.k) % $2`,
      [base, u],
    );
    log(`members: ${members.rowCount} inserted (${(performance.now() - started).toFixed(0)} ms)`);

    // Accepted applications of the developers and testers, decided by the first mentor.
    const accepted = await client.query(
      `INSERT INTO applications (project_id, applicant_id, role, motivation, status, decided_by,
                                 decided_at, reason, created_at, updated_at)
       SELECT m.project_id, m.user_id, m.role, 'Seeded motivation', 'accepted', mentor.user_id,
              now() - interval '1 day', NULL, now() - interval '2 days', now() - interval '1 day'
       FROM project_members m
       JOIN LATERAL (
         SELECT user_id FROM project_members x
         WHERE x.project_id = m.project_id AND x.role = 'mentor' ORDER BY x.id LIMIT 1
       ) mentor ON true
       WHERE m.project_id > $1 AND m.role IN ('developer', 'tester')`,
      [base],
    );
    // Two more applicants per project (offsets 13 and 14: never members of it).
    const others = await client.query(
      `WITH p AS (
         SELECT id, status, tester_slots, ((id - $1)::bigint * 7919) % $2 AS start
         FROM projects WHERE id > $1 AND status <> 'draft'
       )
       INSERT INTO applications (project_id, applicant_id, role, motivation, status, decided_by,
                                 decided_at, reason)
       SELECT p.id, su.id,
              CASE WHEN k = 14 AND p.tester_slots > 0 THEN 'tester' ELSE 'developer' END,
              'Seeded motivation',
              CASE WHEN p.status = 'recruiting' THEN 'pending'
                   WHEN k = 13 THEN 'rejected' ELSE 'withdrawn' END,
              NULL, NULL,
              CASE WHEN p.status <> 'recruiting' AND k = 13 THEN 'Seeded: places taken' END
       FROM p CROSS JOIN (VALUES (13), (14)) AS o(k)
       JOIN seed_users su ON su.i = (p.start + o.k) % $2`,
      [base, u],
    );
    const applications = (accepted.rowCount ?? 0) + (others.rowCount ?? 0);
    log(`applications: ${applications} inserted (${(performance.now() - started).toFixed(0)} ms)`);
    await client.query('COMMIT');
    await client.query('ANALYZE projects, project_members, applications');
    return {
      projects: n,
      members: members.rowCount ?? 0,
      applications,
      ms: performance.now() - started,
    };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}
