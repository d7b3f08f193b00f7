// Factories for the projects tests: users with the flags a scenario needs (set directly in the
// test database, as no route may set them: S11), and projects in a given status.
import assert from 'node:assert/strict';
import type { TestApp } from './app.js';
import { login, register } from './factories.js';
import { request } from './http.js';

export interface Actor {
  id: number;
  username: string;
  email: string;
  token: string;
}

/** A registered, signed-in user; `verified` sets email_verified_at, `superuser` is_superuser. */
export async function makeUser(
  t: TestApp,
  opts: { superuser?: boolean; verified?: boolean } = {},
): Promise<Actor> {
  const u = await register(t.url);
  await t.database.pool.query(
    `UPDATE users SET is_superuser = $2,
       email_verified_at = CASE WHEN $3::boolean THEN now() ELSE NULL END
     WHERE id = $1`,
    [u.id, opts.superuser === true, opts.verified !== false],
  );
  const tokens = await login(t.url, u.username, u.password);
  return { id: u.id, username: u.username, email: u.email, token: tokens.access_token };
}

export interface ProjectBody {
  title?: string;
  description?: string;
  tags?: string[];
  developer_slots?: number;
  tester_slots?: number;
  starts_on?: string | null;
  ends_on?: string | null;
  repository_url?: string | null;
}

export type ProjectStatus = 'draft' | 'recruiting' | 'active' | 'completed';
const PATH: ProjectStatus[] = ['draft', 'recruiting', 'active', 'completed'];

let seq = 0;
/**
 * Creates a project through the API as `superuser`, appoints `mentors`, and walks its status
 * forward to `status` through PATCH (so every step is a real, valid transition).
 */
export async function makeProject(
  t: TestApp,
  superuser: Actor,
  opts: ProjectBody & { status?: ProjectStatus; mentors?: Actor[] } = {},
): Promise<{ id: number; title: string }> {
  const { status = 'draft', mentors = [], ...body } = opts;
  seq += 1;
  const created = await request<{ id: number; title: string }>(t.url, 'POST', '/api/v1/projects/', {
    token: superuser.token,
    json: { title: `Project ${seq} ${process.pid}`, developer_slots: 2, tester_slots: 1, ...body },
  });
  assert.equal(created.status, 201, created.text);
  const id = created.body.id;
  for (const m of mentors) {
    const res = await request(t.url, 'POST', `/api/v1/projects/${id}/members`, {
      token: superuser.token,
      json: { user_id: m.id, role: 'mentor' },
    });
    assert.equal(res.status, 201, res.text);
  }
  for (const next of PATH.slice(1, PATH.indexOf(status) + 1)) {
    const res = await request(t.url, 'PATCH', `/api/v1/projects/${id}`, {
      token: superuser.token,
      json: { status: next },
    });
    assert.equal(res.status, 200, res.text);
  }
  return { id, title: created.body.title };
}

/** Applies as `user` and returns the application id. */
export async function applyTo(
  t: TestApp,
  user: Actor,
  projectId: number,
  role: 'developer' | 'tester' = 'developer',
): Promise<number> {
  const res = await request<{ id: number }>(
    t.url,
    'POST',
    `/api/v1/projects/${projectId}/applications`,
    { token: user.token, json: { role, motivation: `I am ${user.username}` } },
  );
  assert.equal(res.status, 201, res.text);
  return res.body.id;
}

/** Outbox rows of one type, oldest first, as the relay would publish them. */
export async function outboxOf<P = Record<string, unknown>>(
  t: TestApp,
  type: string,
): Promise<P[]> {
  const r = await t.database.pool.query<{ payload: P }>(
    'SELECT payload FROM outbox_events WHERE type = $1 ORDER BY id',
    [type],
  );
  return r.rows.map((row) => row.payload);
}
