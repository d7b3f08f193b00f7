// seedProjects (P6 seeding): the bulk data respects every rule the API enforces, so the
// benchmark measures realistic rows: places never overfilled, one pending application per
// user and project, accepted applications match members, drafts have no developers.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestApp, type TestApp } from '../../../test/helpers/app.js';
import { normalised, request } from '../../../test/helpers/http.js';
import { seedProjects } from './seed.js';

let t: TestApp;
before(async () => {
  t = await startTestApp();
  await t.database.pool.query(
    `INSERT INTO users (username, email, password_hash, is_superuser)
     SELECT 'seed_' || g, 'seed_' || g || '@example.com', 'x', g = 1
     FROM generate_series(1, 40) AS g`,
  );
});
after(async () => {
  await t.close();
});

const one = async <T>(sql: string): Promise<T> => (await t.database.pool.query(sql)).rows[0] as T;

test('seeds n projects with members and applications that obey the domain rules', async () => {
  const r = await seedProjects(t.database.pool, { projects: 1000 });
  assert.equal(r.projects, 1000);
  assert.ok(r.members > 1000, `members: ${r.members}`);
  assert.ok(r.applications > 1000, `applications: ${r.applications}`);
  const counts = await one<{ p: number; m: number; a: number }>(
    `SELECT (SELECT count(*)::int FROM projects) AS p,
            (SELECT count(*)::int FROM project_members) AS m,
            (SELECT count(*)::int FROM applications) AS a`,
  );
  assert.deepEqual(counts, { p: 1000, m: r.members, a: r.applications });

  const overfilled = await one<{ n: number }>(
    `SELECT count(*)::int AS n FROM projects p
     WHERE (SELECT count(*) FROM project_members m WHERE m.project_id = p.id AND m.role = 'developer') > p.developer_slots
        OR (SELECT count(*) FROM project_members m WHERE m.project_id = p.id AND m.role = 'tester') > p.tester_slots`,
  );
  assert.equal(overfilled.n, 0, 'no project has more members than places');
  const mentorless = await one<{ n: number }>(
    `SELECT count(*)::int AS n FROM projects p WHERE NOT EXISTS
       (SELECT 1 FROM project_members m WHERE m.project_id = p.id AND m.role = 'mentor')`,
  );
  assert.equal(mentorless.n, 0, 'every project has a mentor');
  const mismatch = await one<{ n: number }>(
    `SELECT count(*)::int AS n FROM project_members m
     WHERE m.role <> 'mentor' AND NOT EXISTS (SELECT 1 FROM applications a
       WHERE a.project_id = m.project_id AND a.applicant_id = m.user_id AND a.status = 'accepted')`,
  );
  assert.equal(mismatch.n, 0, 'each developer or tester has an accepted application');
  const pendingOutsideRecruiting = await one<{ n: number }>(
    `SELECT count(*)::int AS n FROM applications a JOIN projects p ON p.id = a.project_id
     WHERE a.status = 'pending' AND p.status <> 'recruiting'`,
  );
  assert.equal(pendingOutsideRecruiting.n, 0);
  const statuses = await t.database.pool.query<{ status: string; n: number }>(
    'SELECT status, count(*)::int AS n FROM projects GROUP BY status ORDER BY status',
  );
  assert.deepEqual(
    statuses.rows.map((s) => s.status),
    ['active', 'completed', 'draft', 'recruiting'],
  );
  const archived = await one<{ n: number }>(
    'SELECT count(*)::int AS n FROM projects WHERE NOT is_active',
  );
  assert.equal(archived.n, 20, '2% archived');

  // The API reads them: the anonymous list shows only recruiting and active projects.
  const res = await request<{ items: { status: string; tags: string[] }[] }>(
    t.url,
    'GET',
    '/api/v1/projects/?limit=100',
  );
  assert.equal(res.status, 200);
  // The whole page: the 100 newest visible rows as the database holds them, places counted.
  const { rows: expected } = await t.database.pool.query(
    `SELECT p.id, p.title, p.description, p.repository_url, p.tags, p.status,
            to_char(p.starts_on, 'YYYY-MM-DD') AS starts_on,
            to_char(p.ends_on, 'YYYY-MM-DD') AS ends_on,
            p.developer_slots, p.tester_slots,
            (SELECT count(*)::int FROM project_members m
              WHERE m.project_id = p.id AND m.role = 'developer') AS developers_count,
            (SELECT count(*)::int FROM project_members m
              WHERE m.project_id = p.id AND m.role = 'tester') AS testers_count,
            p.created_by, p.is_active, '<time>' AS created_at, '<time>' AS updated_at
       FROM projects p
      WHERE p.is_active AND p.status IN ('recruiting', 'active')
      ORDER BY p.id DESC LIMIT 100`,
  );
  assert.equal(expected.length, 100);
  assert.deepEqual(normalised(res.body.items, []), expected);
  assert.ok(
    res.body.items.every((p) => p.tags.length >= 1),
    'every seeded project is tagged',
  );

  // A second call appends (ids continue), it does not collide with the first.
  const again = await seedProjects(t.database.pool, { projects: 10 });
  assert.equal(again.projects, 10);
  assert.equal((await one<{ n: number }>('SELECT count(*)::int AS n FROM projects')).n, 1010);
});

test('refuses to run without users', async () => {
  await t.database.pool.query('UPDATE users SET is_active = false');
  await assert.rejects(seedProjects(t.database.pool, { projects: 1 }), /seed users first/);
  await t.database.pool.query('UPDATE users SET is_active = true');
});
