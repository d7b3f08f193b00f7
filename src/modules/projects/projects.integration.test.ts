// Projects: CRUD, the authorization matrix of the project routes (S10), the project status
// state machine, archival, members, list visibility and filters, domain events.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestApp, type TestApp } from '../../../test/helpers/app.js';
import { normalised, request } from '../../../test/helpers/http.js';
import { invalid, projectBody as sharedProjectBody } from '../../../test/helpers/normalise.js';
import {
  applyTo,
  makeProject,
  makeUser,
  outboxOf,
  type Actor,
} from '../../../test/helpers/projects.js';

let t: TestApp;
let superuser: Actor;
let mentor: Actor;
let otherMentor: Actor;
let plain: Actor;
let applicant: Actor;

type Who = 'anonymous' | 'plain' | 'applicant' | 'otherMentor' | 'mentor' | 'superuser';
const token = (who: Who): string | undefined =>
  ({
    anonymous: undefined,
    plain: plain.token,
    applicant: applicant.token,
    otherMentor: otherMentor.token,
    mentor: mentor.token,
    superuser: superuser.token,
  })[who];

/**
 * Calls the route as each actor in turn (in the given order) and checks every status, and
 * every refusal's whole body: `forbidden` is the route's 403 sentence (its rule, in words).
 */
async function matrix(
  method: string,
  path: string | ((who: Who) => string | Promise<string>),
  expected: Partial<Record<Who, number>>,
  json?: unknown,
  forbidden = SUPERUSERS_ONLY,
) {
  const got: Partial<Record<Who, number>> = {};
  const details: string[] = [];
  for (const who of Object.keys(expected) as Who[]) {
    const p = typeof path === 'function' ? await path(who) : path;
    const body = typeof json === 'function' ? (json as (w: Who) => unknown)(who) : json;
    const res = await request(t.url, method, p, { token: token(who), json: body });
    got[who] = res.status;
    if (res.status !== expected[who]) {
      details.push(`${who}: ${res.status} ${res.text}`);
    }
    const refusal = res.status === 403 ? { detail: forbidden } : REFUSALS[res.status];
    if (res.status >= 400) {
      assert.deepEqual(res.body, refusal, `${who}: ${method} ${String(p)}`);
    }
  }
  assert.deepEqual(got, expected, `${method} ${String(path)}\n${details.join('\n')}`);
}

/** The whole bodies of the matrix's refusals: anonymous, and an id the caller may not see. */
const SUPERUSERS_ONLY = 'Superuser privileges required';
const REFUSALS: Record<number, unknown> = {
  401: { detail: 'Not authenticated' },
  404: { detail: 'Project not found' },
};

/**
 * The whole body of a project made by makeProject (default fields), ids kept, times normalised;
 * a test passes what its steps changed.
 */
function projectBody(p: { id: number; title: string }, changed: Record<string, unknown> = {}) {
  return sharedProjectBody(p, superuser.id, changed);
}

async function listIds(tok: string | undefined, query = ''): Promise<number[]> {
  const ids: number[] = [];
  let cursor: string | null = null;
  do {
    const qs: string = `?limit=100${query}${cursor === null ? '' : `&cursor=${cursor}`}`;
    const res = await request<{ items: { id: number }[]; next_cursor: string | null }>(
      t.url,
      'GET',
      `/api/v1/projects/${qs}`,
      { token: tok },
    );
    assert.equal(res.status, 200, res.text);
    ids.push(...res.body.items.map((p) => p.id));
    cursor = res.body.next_cursor;
  } while (cursor !== null);
  return ids;
}

before(async () => {
  t = await startTestApp();
  [superuser, mentor, otherMentor, plain, applicant] = await Promise.all([
    makeUser(t, { superuser: true }),
    makeUser(t),
    makeUser(t),
    makeUser(t),
    makeUser(t),
  ]);
  await makeProject(t, superuser, { status: 'recruiting', mentors: [otherMentor] });
});
after(async () => {
  await t.close();
});

describe('POST /api/v1/projects/', () => {
  test('a superuser creates a draft; 201 with the API fields; project.created in the outbox', async () => {
    const res = await request(t.url, 'POST', '/api/v1/projects/', {
      token: superuser.token,
      json: {
        title: 'Team board',
        description: 'A kanban board',
        repository_url: 'https://example.com/ifd/board',
        tags: ['TypeScript', 'postgresql', 'typescript'],
        starts_on: '2027-02-01',
        ends_on: '2027-05-31',
        developer_slots: 3,
        tester_slots: 1,
      },
    });
    assert.equal(res.status, 201, res.text);
    // The whole body: tags lower-cased and deduplicated, a draft, no places taken yet.
    assert.deepEqual(normalised(res.body), {
      id: '<id>',
      title: 'Team board',
      description: 'A kanban board',
      repository_url: 'https://example.com/ifd/board',
      tags: ['typescript', 'postgresql'],
      status: 'draft',
      starts_on: '2027-02-01',
      ends_on: '2027-05-31',
      developer_slots: 3,
      tester_slots: 1,
      developers_count: 0,
      testers_count: 0,
      created_by: superuser.id,
      is_active: true,
      created_at: '<time>',
      updated_at: '<time>',
    });
    const events = await outboxOf<{ project_id: number }>(t, 'project.created');
    // The whole payload: the snapshot of the project as created (ids kept, times normalised).
    assert.deepEqual(
      normalised(
        events.filter((e) => e.project_id === res.body.id),
        [],
      ),
      [
        {
          v: 1,
          project_id: res.body.id,
          actor_id: superuser.id,
          occurred_at: '<time>',
          project: {
            id: res.body.id,
            title: 'Team board',
            description: 'A kanban board',
            repository_url: 'https://example.com/ifd/board',
            tags: ['typescript', 'postgresql'],
            status: 'draft',
            starts_on: '2027-02-01',
            ends_on: '2027-05-31',
            developer_slots: 3,
            tester_slots: 1,
            created_by: superuser.id,
            is_active: true,
          },
        },
      ],
    );
  });

  test('bad input is 422 on the field: unknown field (S11), ends before start, bad URL', async () => {
    const e = (field: string, msg: string, type: string) => ({ loc: ['body', field], msg, type });
    const extra = (field: string) => e(field, 'Extra inputs are not permitted', 'extra_forbidden');
    for (const [json, errors] of [
      [{ title: 'x', is_active: false }, [extra('is_active')]],
      [{ title: 'x', created_by: 1 }, [extra('created_by')]],
      [
        { title: 'x', starts_on: '2027-05-01', ends_on: '2027-01-01' },
        [e('ends_on', 'ends_on must not be before starts_on', 'value_error')],
      ],
      [
        { title: 'x', repository_url: 'javascript:alert(1)' },
        // A string-or-null field: each branch of the union says why it did not match.
        [
          e('repository_url', 'must match pattern "^https?://"', 'string_pattern_mismatch'),
          e('repository_url', 'must be null', 'type_error'),
          e('repository_url', 'must match a schema in anyOf', 'anyOf'),
        ],
      ],
      [
        { title: 'x', developer_slots: -1 },
        [e('developer_slots', 'must be >= 0', 'greater_than_equal')],
      ],
      [{ title: '' }, [e('title', 'must NOT have fewer than 1 characters', 'string_too_short')]],
    ] as const) {
      const res = await request(t.url, 'POST', '/api/v1/projects/', {
        token: superuser.token,
        json,
      });
      assert.deepEqual(
        [res.status, res.body],
        [422, invalid(...errors)],
        `${JSON.stringify(json)}: ${res.text}`,
      );
    }
  });
});

describe('authorization matrix (S10)', () => {
  let recruiting: { id: number; title: string };
  let draft: { id: number };
  before(async () => {
    recruiting = await makeProject(t, superuser, { status: 'recruiting', mentors: [mentor] });
    draft = await makeProject(t, superuser, { status: 'draft', mentors: [mentor] });
    await applyTo(t, applicant, recruiting.id);
  });

  test('GET /projects/ answers everyone', async () => {
    await matrix('GET', '/api/v1/projects/', {
      anonymous: 200,
      plain: 200,
      applicant: 200,
      otherMentor: 200,
      mentor: 200,
      superuser: 200,
    });
  });

  test('POST /projects/ is for superusers only', async () => {
    await matrix(
      'POST',
      '/api/v1/projects/',
      {
        anonymous: 401,
        plain: 403,
        applicant: 403,
        otherMentor: 403,
        mentor: 403,
        superuser: 201,
      },
      { title: 'Matrix project' },
    );
  });

  test('GET /projects/{id}: a recruiting project is public, a draft only for its mentors and superusers', async () => {
    await matrix('GET', `/api/v1/projects/${recruiting.id}`, {
      anonymous: 200,
      plain: 200,
      applicant: 200,
      otherMentor: 200,
      mentor: 200,
      superuser: 200,
    });
    await matrix('GET', `/api/v1/projects/${draft.id}`, {
      anonymous: 404,
      plain: 404,
      applicant: 404,
      otherMentor: 404,
      mentor: 200,
      superuser: 200,
    });
    await matrix('GET', '/api/v1/projects/99999999', { anonymous: 404, superuser: 404 });
  });

  test('PATCH /projects/{id}: description by its mentors and superusers; title by superusers', async () => {
    await matrix(
      'PATCH',
      `/api/v1/projects/${recruiting.id}`,
      {
        anonymous: 401,
        plain: 403,
        applicant: 403,
        otherMentor: 403,
        mentor: 200,
        superuser: 200,
      },
      (who: Who) => ({ description: `edited by ${who}` }),
      "Only the project's mentors and superusers can edit it",
    );
    await matrix(
      'PATCH',
      `/api/v1/projects/${draft.id}`,
      { anonymous: 401, plain: 404, otherMentor: 404, mentor: 200 },
      { description: 'draft edited' },
    );
    const res = await request(t.url, 'PATCH', `/api/v1/projects/${recruiting.id}`, {
      token: mentor.token,
      json: { title: 'Renamed by a mentor' },
    });
    assert.equal(res.status, 403);
    assert.deepEqual(res.body, {
      detail: 'Mentors may change only description and status; changing title needs a superuser',
    });
    await matrix(
      'PATCH',
      `/api/v1/projects/${recruiting.id}`,
      { superuser: 200 },
      { title: 'Renamed by a superuser' },
    );
    const got = await request(t.url, 'GET', `/api/v1/projects/${recruiting.id}`);
    assert.equal(got.status, 200);
    assert.deepEqual(
      normalised(got.body, []),
      projectBody(recruiting, {
        title: 'Renamed by a superuser',
        description: 'edited by superuser',
        status: 'recruiting',
      }),
    );
  });

  test('DELETE /projects/{id} and restore are for superusers only', async () => {
    const p = await makeProject(t, superuser, { status: 'recruiting', mentors: [mentor] });
    await matrix('DELETE', `/api/v1/projects/${p.id}`, {
      anonymous: 401,
      plain: 403,
      applicant: 403,
      otherMentor: 403,
      mentor: 403,
      superuser: 204,
    });
    await matrix('POST', `/api/v1/projects/${p.id}/restore`, {
      anonymous: 401,
      plain: 403,
      applicant: 403,
      otherMentor: 403,
      mentor: 403,
      superuser: 200,
    });
  });

  test('GET /projects/{id}/members follows project visibility', async () => {
    await matrix('GET', `/api/v1/projects/${recruiting.id}/members`, {
      anonymous: 200,
      plain: 200,
      applicant: 200,
      otherMentor: 200,
      mentor: 200,
      superuser: 200,
    });
    await matrix('GET', `/api/v1/projects/${draft.id}/members`, {
      anonymous: 404,
      plain: 404,
      otherMentor: 404,
      mentor: 200,
      superuser: 200,
    });
  });

  test('POST /projects/{id}/members (appoint a mentor) is for superusers only', async () => {
    const newcomer = await makeUser(t);
    await matrix(
      'POST',
      `/api/v1/projects/${recruiting.id}/members`,
      {
        anonymous: 401,
        plain: 403,
        applicant: 403,
        otherMentor: 403,
        mentor: 403,
        superuser: 201,
      },
      { user_id: newcomer.id, role: 'mentor' },
    );
  });

  test('DELETE /projects/{id}/members/{user_id}: superusers, its mentors (not for mentors), the member', async () => {
    const p = await makeProject(t, superuser, {
      status: 'recruiting',
      mentors: [mentor],
      developer_slots: 5,
    });
    const devs = await Promise.all([makeUser(t), makeUser(t), makeUser(t)]);
    for (const d of devs) {
      const appId = await applyTo(t, d, p.id);
      const res = await request(t.url, 'POST', `/api/v1/applications/${appId}/decision`, {
        token: mentor.token,
        json: { status: 'accepted' },
      });
      assert.equal(res.status, 200, res.text);
    }
    const [d1, d2, d3] = devs;
    await matrix(
      'DELETE',
      `/api/v1/projects/${p.id}/members/${d1.id}`,
      { anonymous: 401, plain: 403, applicant: 403, otherMentor: 403, mentor: 204 },
      undefined,
      "Only superusers, the project's mentors and the member themselves can remove a member",
    );
    await matrix('DELETE', `/api/v1/projects/${p.id}/members/${d2.id}`, { superuser: 204 });
    const self = await request(t.url, 'DELETE', `/api/v1/projects/${p.id}/members/${d3.id}`, {
      token: d3.token,
    });
    assert.equal(self.status, 204, 'a member may leave');
    const other = await makeUser(t);
    await request(t.url, 'POST', `/api/v1/projects/${p.id}/members`, {
      token: superuser.token,
      json: { user_id: other.id, role: 'mentor' },
    });
    const res = await request(t.url, 'DELETE', `/api/v1/projects/${p.id}/members/${other.id}`, {
      token: mentor.token,
    });
    assert.deepEqual(
      [res.status, res.body],
      [403, { detail: 'Only superusers can remove a mentor' }],
      'a mentor cannot remove another mentor',
    );
    // d1 left already: for the superuser the project is there, the membership is not.
    const gone = await request(t.url, 'DELETE', `/api/v1/projects/${p.id}/members/${d1.id}`, {
      token: superuser.token,
    });
    assert.deepEqual(
      [gone.status, gone.body],
      [404, { detail: 'User is not a member of this project' }],
    );
    const members = await request<{ items: { user_id: number; role: string }[] }>(
      t.url,
      'GET',
      `/api/v1/projects/${p.id}/members`,
    );
    assert.equal(members.status, 200);
    assert.deepEqual(normalised(members.body, []), {
      items: [
        { user_id: mentor.id, username: mentor.username, role: 'mentor', joined_at: '<time>' },
        { user_id: other.id, username: other.username, role: 'mentor', joined_at: '<time>' },
      ],
      next_cursor: null,
    });
    const removed = await outboxOf<{ project_id: number }>(t, 'member.removed');
    // Removed by a mentor, by a superuser, and by the member themself.
    assert.deepEqual(
      normalised(
        removed.filter((e) => e.project_id === p.id),
        [],
      ),
      (
        [
          [d1, mentor],
          [d2, superuser],
          [d3, d3],
        ] as const
      ).map(([d, by]) => ({
        v: 1,
        project_id: p.id,
        actor_id: by.id,
        occurred_at: '<time>',
        user_id: d.id,
        username: d.username,
        role: 'developer',
      })),
    );
  });

  test('GET /users/me/projects: 401 anonymous; each user sees their own memberships', async () => {
    await matrix('GET', '/api/v1/users/me/projects', {
      anonymous: 401,
      plain: 200,
      mentor: 200,
    });
    const mine = await request<{ items: { id: number; role: string }[] }>(
      t.url,
      'GET',
      '/api/v1/users/me/projects?limit=100',
      { token: mentor.token },
    );
    assert.equal(mine.status, 200, mine.text);
    // The whole entries of this describe's projects (the mentor has others' too), newest
    // membership first: each is the project as GET /projects/{id} shows it, and the role.
    const own = mine.body.items.filter((p) => p.id === recruiting.id || p.id === draft.id);
    const expected = [];
    for (const id of [draft.id, recruiting.id]) {
      const one = await request(t.url, 'GET', `/api/v1/projects/${id}`, { token: mentor.token });
      assert.equal(one.status, 200, one.text);
      expected.push({ ...one.body, role: 'mentor' });
    }
    assert.deepEqual(own, expected);
    const none = await request<{ items: unknown[] }>(t.url, 'GET', '/api/v1/users/me/projects', {
      token: plain.token,
    });
    assert.deepEqual(none.body.items, []);
  });
});

describe('project status state machine', () => {
  /** The 409 of a forbidden move, word for word. */
  const transition = (from: string, to: string, next: string) =>
    `Project status cannot change from ${from} to ${to}: the project is ${from} (allowed next: ${next})`;

  test('forward moves succeed and emit project.status_changed; invalid ones are 409 naming the current status', async () => {
    const p = await makeProject(t, superuser, { mentors: [mentor] });
    const patch = (status: string, tok = mentor.token) =>
      request(t.url, 'PATCH', `/api/v1/projects/${p.id}`, { token: tok, json: { status } });

    let res = await patch('active');
    assert.equal(res.status, 409, 'draft cannot skip to active');
    assert.deepEqual(res.body, { detail: transition('draft', 'active', 'recruiting') });
    res = await patch('completed');
    assert.deepEqual(
      [res.status, res.body],
      [409, { detail: transition('draft', 'completed', 'recruiting') }],
    );

    assert.equal((await patch('recruiting')).status, 200);
    res = await patch('draft');
    assert.equal(res.status, 409, 'no way back to draft');
    assert.deepEqual(res.body, { detail: transition('recruiting', 'draft', 'active') });

    res = await patch('active');
    assert.equal(res.status, 200);
    assert.deepEqual(normalised(res.body, []), projectBody(p, { status: 'active' }));
    res = await patch('completed');
    assert.equal(res.status, 200);

    for (const to of ['recruiting', 'active', 'draft']) {
      res = await patch(to, superuser.token);
      assert.equal(res.status, 409, `completed → ${to}, even for a superuser`);
      assert.deepEqual(res.body, { detail: transition('completed', to, 'none') });
    }
    res = await patch('completed');
    assert.equal(res.status, 200, 'setting the current status again is not a transition');

    const events = (await outboxOf<{ project_id: number }>(t, 'project.status_changed')).filter(
      (e) => e.project_id === p.id,
    );
    const changed = (from: string, to: string) => ({
      v: 1,
      project_id: p.id,
      actor_id: mentor.id,
      occurred_at: '<time>',
      from,
      to,
      title: p.title,
    });
    assert.deepEqual(normalised(events, []), [
      changed('draft', 'recruiting'),
      changed('recruiting', 'active'),
      changed('active', 'completed'),
    ]);
  });

  test('an unknown status is 422', async () => {
    const p = await makeProject(t, superuser);
    const res = await request(t.url, 'PATCH', `/api/v1/projects/${p.id}`, {
      token: superuser.token,
      json: { status: 'cancelled' },
    });
    assert.deepEqual(
      [res.status, res.body],
      [
        422,
        invalid({
          loc: ['body', 'status'],
          msg: 'must be equal to one of the allowed values',
          type: 'enum',
        }),
      ],
    );
  });

  test('places cannot drop below the members already in that role (409)', async () => {
    const p = await makeProject(t, superuser, { status: 'recruiting', mentors: [mentor] });
    const dev = await makeUser(t);
    const appId = await applyTo(t, dev, p.id);
    await request(t.url, 'POST', `/api/v1/applications/${appId}/decision`, {
      token: mentor.token,
      json: { status: 'accepted' },
    });
    const res = await request(t.url, 'PATCH', `/api/v1/projects/${p.id}`, {
      token: superuser.token,
      json: { developer_slots: 0 },
    });
    assert.equal(res.status, 409);
    assert.deepEqual(res.body, {
      detail: '1 developers are already members; developer_slots cannot be lower than that',
    });
    const ok = await request(t.url, 'PATCH', `/api/v1/projects/${p.id}`, {
      token: superuser.token,
      json: { developer_slots: 1 },
    });
    assert.equal(ok.status, 200);
    assert.deepEqual(
      normalised(ok.body, []),
      projectBody(p, { status: 'recruiting', developer_slots: 1, developers_count: 1 }),
    );
  });
});

describe('archival', () => {
  test('an archived project is 404 for everyone but superusers; archiving twice is 409; restore brings it back', async () => {
    const p = await makeProject(t, superuser, { status: 'recruiting', mentors: [mentor] });
    assert.equal(
      (await request(t.url, 'DELETE', `/api/v1/projects/${p.id}`, { token: superuser.token }))
        .status,
      204,
    );
    const again = await request(t.url, 'DELETE', `/api/v1/projects/${p.id}`, {
      token: superuser.token,
    });
    assert.equal(again.status, 409);
    assert.deepEqual(again.body, { detail: 'Project is already archived' });
    await matrix('GET', `/api/v1/projects/${p.id}`, {
      anonymous: 404,
      plain: 404,
      mentor: 404,
      superuser: 200,
    });
    const edit = await request(t.url, 'PATCH', `/api/v1/projects/${p.id}`, {
      token: superuser.token,
      json: { description: 'x' },
    });
    assert.equal(edit.status, 409);
    assert.deepEqual(edit.body, { detail: 'Project is archived; restore it first' });
    const apply = await request(t.url, 'POST', `/api/v1/projects/${p.id}/applications`, {
      token: plain.token,
      json: { role: 'developer', motivation: '' },
    });
    assert.deepEqual([apply.status, apply.body], [404, { detail: 'Project not found' }]);
    const restored = await request(t.url, 'POST', `/api/v1/projects/${p.id}/restore`, {
      token: superuser.token,
    });
    assert.equal(restored.status, 200);
    assert.deepEqual(normalised(restored.body, []), projectBody(p, { status: 'recruiting' }));
    const twice = await request(t.url, 'POST', `/api/v1/projects/${p.id}/restore`, {
      token: superuser.token,
    });
    assert.deepEqual([twice.status, twice.body], [409, { detail: 'Project is not archived' }]);
    assert.equal((await request(t.url, 'GET', `/api/v1/projects/${p.id}`)).status, 200);
    const event = (status: string) => ({
      v: 1,
      project_id: p.id,
      actor_id: superuser.id,
      occurred_at: '<time>',
      title: p.title,
      status,
    });
    for (const type of ['project.archived', 'project.restored']) {
      const events = (await outboxOf<{ project_id: number }>(t, type)).filter(
        (e) => e.project_id === p.id,
      );
      assert.deepEqual(normalised(events, []), [event('recruiting')], type);
    }
  });
});

describe('appointing mentors', () => {
  test('unknown user 404, already a member 409, archived user 409; member.joined emitted', async () => {
    const p = await makeProject(t, superuser, { mentors: [mentor] });
    const appoint = (user_id: number) =>
      request(t.url, 'POST', `/api/v1/projects/${p.id}/members`, {
        token: superuser.token,
        json: { user_id, role: 'mentor' },
      });
    const nobody = await appoint(99999999);
    assert.deepEqual([nobody.status, nobody.body], [404, { detail: 'User not found' }]);
    const dup = await appoint(mentor.id);
    assert.equal(dup.status, 409);
    assert.deepEqual(dup.body, { detail: 'User is already a member of this project (as mentor)' });
    const gone = await makeUser(t);
    await t.database.pool.query('UPDATE users SET is_active = false WHERE id = $1', [gone.id]);
    const archived = await appoint(gone.id);
    assert.deepEqual(
      [archived.status, archived.body],
      [409, { detail: 'User is archived and cannot become a mentor' }],
    );
    const role = await request(t.url, 'POST', `/api/v1/projects/${p.id}/members`, {
      token: superuser.token,
      json: { user_id: plain.id, role: 'developer' },
    });
    assert.deepEqual(
      [role.status, role.body],
      [422, invalid({ loc: ['body', 'role'], msg: 'must be equal to constant', type: 'const' })],
      'only mentors are appointed',
    );
    const joined = (await outboxOf<{ project_id: number }>(t, 'member.joined')).filter(
      (e) => e.project_id === p.id,
    );
    assert.deepEqual(normalised(joined, []), [
      {
        v: 1,
        project_id: p.id,
        actor_id: superuser.id,
        occurred_at: '<time>',
        user_id: mentor.id,
        username: mentor.username,
        role: 'mentor',
        via: 'appointment',
        application_id: null,
        joined_at: '<time>',
      },
    ]);
  });
});

describe('list visibility and filters', () => {
  let ids: Record<'draft' | 'recruiting' | 'active' | 'completed' | 'archived', number>;
  let member: Actor;
  let draftMentor: Actor;
  let completed: { id: number; title: string };
  before(async () => {
    member = await makeUser(t);
    draftMentor = await makeUser(t);
    const d = await makeProject(t, superuser, {
      mentors: [draftMentor],
      title: 'Visibility draft',
    });
    const r = await makeProject(t, superuser, {
      status: 'recruiting',
      mentors: [draftMentor],
      tags: ['rust', 'wasm'],
      title: 'Rusty recruiting 100%_done',
    });
    const a = await makeProject(t, superuser, { status: 'active', tags: ['go'] });
    const c = await makeProject(t, superuser, { status: 'recruiting', mentors: [mentor] });
    const appId = await applyTo(t, member, c.id);
    await request(t.url, 'POST', `/api/v1/applications/${appId}/decision`, {
      token: mentor.token,
      json: { status: 'accepted' },
    });
    for (const s of ['active', 'completed']) {
      await request(t.url, 'PATCH', `/api/v1/projects/${c.id}`, {
        token: mentor.token,
        json: { status: s },
      });
    }
    const z = await makeProject(t, superuser, { status: 'recruiting', mentors: [draftMentor] });
    await request(t.url, 'DELETE', `/api/v1/projects/${z.id}`, { token: superuser.token });
    ids = { draft: d.id, recruiting: r.id, active: a.id, completed: c.id, archived: z.id };
    completed = c;
  });

  const seen = (list: number[]) =>
    Object.entries(ids)
      .filter(([, id]) => list.includes(id))
      .map(([k]) => k)
      .sort();

  test('anonymous and plain users see recruiting and active projects', async () => {
    assert.deepEqual(seen(await listIds(undefined)), ['active', 'recruiting']);
    assert.deepEqual(seen(await listIds(plain.token)), ['active', 'recruiting']);
  });

  test('a member also sees the (completed) project they belong to', async () => {
    assert.deepEqual(seen(await listIds(member.token)), ['active', 'completed', 'recruiting']);
    const res = await request<{
      items: { id: number; developers_count: number; testers_count: number }[];
    }>(t.url, 'GET', '/api/v1/projects/?status=completed', { token: member.token });
    // Places taken are counted in the list: the whole entry of the completed project.
    const item = res.body.items.find((p) => p.id === ids.completed);
    assert.deepEqual(
      normalised(item, []),
      projectBody(completed, { status: 'completed', developers_count: 1 }),
    );
  });

  test('a mentor also sees their draft, never an archived project', async () => {
    assert.deepEqual(seen(await listIds(draftMentor.token)), ['active', 'draft', 'recruiting']);
  });

  test('a superuser sees every project; archived ones only with archived=true', async () => {
    assert.deepEqual(seen(await listIds(superuser.token)), [
      'active',
      'completed',
      'draft',
      'recruiting',
    ]);
    assert.deepEqual(seen(await listIds(superuser.token, '&archived=true')), ['archived']);
    const denied = await request(t.url, 'GET', '/api/v1/projects/?archived=true', {
      token: plain.token,
    });
    assert.deepEqual(
      [denied.status, denied.body],
      [403, { detail: 'Only superusers can list archived projects' }],
    );
  });

  test('filters: status, tag (case-insensitive), q (substring, wildcards literal)', async () => {
    assert.deepEqual(seen(await listIds(superuser.token, '&status=draft')), ['draft']);
    assert.deepEqual(seen(await listIds(undefined, '&status=draft')), []);
    assert.deepEqual(seen(await listIds(draftMentor.token, '&status=draft')), ['draft']);
    assert.deepEqual(seen(await listIds(member.token, '&status=completed')), ['completed']);
    assert.deepEqual(seen(await listIds(plain.token, '&status=completed')), []);
    assert.deepEqual(seen(await listIds(undefined, '&tag=RUST')), ['recruiting']);
    assert.deepEqual(seen(await listIds(undefined, '&q=rusty')), ['recruiting']);
    assert.deepEqual(seen(await listIds(undefined, '&q=100%25_')), ['recruiting']);
    assert.deepEqual(await listIds(undefined, '&q=%25%25%25'), []);
    assert.deepEqual(seen(await listIds(undefined, '&q=Visibility')), [], 'draft stays hidden');
    const short = await request(t.url, 'GET', '/api/v1/projects/?q=ru');
    assert.deepEqual(
      [short.status, short.body],
      [
        422,
        invalid({
          loc: ['query', 'q'],
          msg: 'must NOT have fewer than 3 characters',
          type: 'string_too_short',
        }),
      ],
      'q needs 3 characters',
    );
  });

  test('keyset pagination walks every row once, newest first; a bad cursor is 422', async () => {
    const all = await listIds(superuser.token);
    const walked: number[] = [];
    let cursor: string | null = null;
    do {
      const res: { status: number; body: { items: { id: number }[]; next_cursor: string | null } } =
        await request(
          t.url,
          'GET',
          `/api/v1/projects/?limit=2${cursor === null ? '' : `&cursor=${cursor}`}`,
          { token: superuser.token },
        );
      assert.equal(res.status, 200);
      assert.ok(res.body.items.length <= 2);
      walked.push(...res.body.items.map((p) => p.id));
      cursor = res.body.next_cursor;
    } while (cursor !== null);
    assert.deepEqual(walked, all);
    assert.deepEqual(
      walked,
      [...walked].sort((a, b) => b - a),
    );
    const cursorError = (msg: string) =>
      invalid({ loc: ['query', 'cursor'], msg, type: 'value_error.cursor' });
    for (const [bad, body] of [
      ['garbage!', cursorError('Cursor is not valid')],
      [
        Buffer.from('{"o":"x","k":1,"id":1}').toString('base64url'),
        cursorError('Cursor was made for another order_by; start again without a cursor'),
      ],
    ] as const) {
      const res = await request(t.url, 'GET', `/api/v1/projects/?cursor=${bad}`);
      assert.deepEqual([res.status, res.body], [422, body], bad);
    }
    const tooMany = await request(t.url, 'GET', '/api/v1/projects/?limit=101');
    assert.deepEqual(
      [tooMany.status, tooMany.body],
      [422, invalid({ loc: ['query', 'limit'], msg: 'must be <= 100', type: 'less_than_equal' })],
    );
  });
});
