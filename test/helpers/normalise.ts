// Whole expected bodies for the v1 shapes (issue 14: tests compare whole bodies, normalised by
// `normalised` in ./http.ts, instead of picking fields). Each is what a v1 client relies on.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { migrationsFolder } from '../../src/lib/paths.js';

/** A token pair after `normalised`: POST /jwt/login/ and /jwt/refresh/ (api-v1.md). */
export const TOKEN_PAIR = {
  access_token: '<jwt>',
  refresh_token: '<jwt>',
  token_type: 'Bearer',
  expires_in: 900,
} as const;

/** A 422 body: v1's sentence and one entry per bad field. */
export function invalid(
  ...errors: { readonly loc: readonly (string | number)[]; msg: string; type: string }[]
): { detail: string; errors: unknown[] } {
  return {
    detail: 'Request data is not correct',
    errors: errors.map((e) => ({ ...e, loc: [...e.loc] })),
  };
}

/**
 * The User body (GET /users/me, /jwt/users/me/, /users/{id}, registration) of a freshly
 * registered account after `normalised(body, [])`: its id kept, times "<time>".
 */
export function userBody(
  u: { id: number | string; username: string; email: string },
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    id: u.id,
    username: u.username,
    email: u.email,
    pending_email: null,
    is_active: true,
    is_superuser: false,
    email_verified: false,
    created_at: '<time>',
    locale: 'en',
    ...overrides,
  };
}

/**
 * The Project body of a project made by `makeProject` (test/helpers/projects.ts, default
 * fields) after `normalised(body, [])`; `changed` is what the test's steps changed.
 */
export function projectBody(
  p: { id: number; title: string },
  createdBy: number,
  changed: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    id: p.id,
    title: p.title,
    description: '',
    repository_url: null,
    tags: [],
    status: 'draft',
    starts_on: null,
    ends_on: null,
    developer_slots: 2,
    tester_slots: 1,
    developers_count: 0,
    testers_count: 0,
    created_by: createdBy,
    is_active: true,
    created_at: '<time>',
    updated_at: '<time>',
    ...changed,
  };
}

/**
 * The Application body of an application made by `applyTo` (motivation "I am <username>")
 * after `normalised(body, [])`, pending unless `changed` says otherwise.
 */
export function applicationBody(
  id: number | string,
  project: { id: number; title: string },
  applicant: { id: number; username: string },
  changed: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    id,
    project_id: project.id,
    project_title: project.title,
    applicant_id: applicant.id,
    applicant_username: applicant.username,
    role: 'developer',
    motivation: `I am ${applicant.username}`,
    status: 'pending',
    decided_by: null,
    decided_at: null,
    reason: null,
    created_at: '<time>',
    updated_at: '<time>',
    ...changed,
  };
}

interface Journal {
  entries: { when: number; tag: string }[];
}
let journal: Journal | undefined;

/**
 * The migrations this code ships, read from the journal itself (the test's own reading, not
 * the app's `schemaVersion`): how many, and the newest tag.
 */
export function shippedMigrations(): { count: number; latest: string } {
  journal ??= JSON.parse(
    readFileSync(join(migrationsFolder, 'meta', '_journal.json'), 'utf8'),
  ) as Journal;
  const sorted = [...journal.entries].sort((a, b) => a.when - b.when);
  return { count: sorted.length, latest: sorted.at(-1)!.tag };
}

/**
 * The 200 body of the API's GET /health/ready on a database with every migration applied;
 * `changed` is what the test's set-up changes (the broker's state, the limits' store).
 */
export function readyBody(changed: Record<string, unknown> = {}): Record<string, unknown> {
  const { count, latest } = shippedMigrations();
  return {
    status: 'ok',
    database: 'up',
    rate_limit_store: 'memory',
    schema: { applied: count, expected: count, current: latest, latest },
    broker: 'up',
    ...changed,
  };
}
