// Applications: who may apply (verified e-mail, recruiting project, one pending application),
// the authorization matrix of the application routes (S10), the application state machine,
// the race for the last place, and the outbox messages (domain events and mails).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestApp, type TestApp } from '../../../test/helpers/app.js';
import { normalised, request, type Res } from '../../../test/helpers/http.js';
import { applicationBody, invalid, projectBody } from '../../../test/helpers/normalise.js';
import {
  applyTo,
  makeProject,
  makeUser,
  outboxOf,
  type Actor,
} from '../../../test/helpers/projects.js';

const NOT_AUTHENTICATED = { detail: 'Not authenticated' };
const NO_APPLICATION = { detail: 'Application not found' };
/** The whole answer of a request: its status and body. */
async function answers(res: Promise<Res>, status: number, body: unknown): Promise<void> {
  const r = await res;
  assert.deepEqual([r.status, r.body], [status, body], r.text);
}

let t: TestApp;
let superuser: Actor;
let mentor: Actor;
let otherMentor: Actor;
let plain: Actor;

before(async () => {
  t = await startTestApp();
  [superuser, mentor, otherMentor, plain] = await Promise.all([
    makeUser(t, { superuser: true }),
    makeUser(t),
    makeUser(t),
    makeUser(t),
  ]);
  await makeProject(t, superuser, { status: 'recruiting', mentors: [otherMentor] });
});
after(async () => {
  await t.close();
});

/** The 409 of a transition out of a final state, word for word. */
const alreadyDecided = (next: string, current: string) =>
  `Application cannot become ${next}: it is already ${current}; only a pending application can be decided or withdrawn`;

const decide = (who: Actor | undefined, id: number, status: string, reason?: string) =>
  request(t.url, 'POST', `/api/v1/applications/${id}/decision`, {
    token: who?.token,
    json: reason === undefined ? { status } : { status, reason },
  });
const withdraw = (who: Actor | undefined, id: number) =>
  request(t.url, 'POST', `/api/v1/applications/${id}/withdraw`, { token: who?.token });

describe('POST /projects/{id}/applications', () => {
  let project: { id: number; title: string };
  before(async () => {
    project = await makeProject(t, superuser, {
      status: 'recruiting',
      mentors: [mentor],
      tester_slots: 0,
    });
  });

  test('201 with the application; event and one mail per mentor in the outbox', async () => {
    const second = await makeUser(t);
    await request(t.url, 'POST', `/api/v1/projects/${project.id}/members`, {
      token: superuser.token,
      json: { user_id: second.id, role: 'mentor' },
    });
    const user = await makeUser(t);
    const res = await request(t.url, 'POST', `/api/v1/projects/${project.id}/applications`, {
      token: user.token,
      json: { role: 'developer', motivation: '<b>I love SQL</b>' },
    });
    assert.equal(res.status, 201, res.text);
    // The whole body; the motivation is stored and answered as sent (no HTML handling here).
    assert.deepEqual(
      normalised(res.body),
      applicationBody('<id>', project, user, { motivation: '<b>I love SQL</b>' }),
    );
    const id = res.body.id as number;
    const [ev] = (await outboxOf<Record<string, unknown>>(t, 'application.submitted')).filter(
      (e) => e.application_id === id,
    );
    assert.deepEqual(normalised(ev, []), {
      v: 1,
      project_id: project.id,
      actor_id: user.id,
      occurred_at: '<time>',
      application_id: id,
      applicant_id: user.id,
      applicant_username: user.username,
      role: 'developer',
      motivation: '<b>I love SQL</b>',
      project_title: project.title,
    });
    const mails = (
      await outboxOf<{ application_id: number; user_id: number }>(t, 'mail.application_submitted')
    ).filter((m) => m.application_id === id);
    // One mail to each mentor, in the order they joined.
    assert.deepEqual(
      mails,
      [mentor, second].map((m) => ({
        v: 1,
        user_id: m.id,
        username: m.username,
        email: m.email,
        locale: 'en',
        application_id: id,
        project_id: project.id,
        project_title: project.title,
        applicant_username: user.username,
        role: 'developer',
        motivation: '<b>I love SQL</b>',
      })),
    );
  });

  test('an unverified e-mail is 403 with a clear detail; nothing is written', async () => {
    const unverified = await makeUser(t, { verified: false });
    const res = await request(t.url, 'POST', `/api/v1/projects/${project.id}/applications`, {
      token: unverified.token,
      json: { role: 'developer', motivation: '' },
    });
    assert.equal(res.status, 403);
    assert.deepEqual(res.body, { detail: 'Verify your e-mail address before applying' });
    const rows = await t.database.pool.query('SELECT 1 FROM applications WHERE applicant_id = $1', [
      unverified.id,
    ]);
    assert.equal(rows.rowCount, 0);
  });

  test('an archived (inactive) user is 403 User inactive', async () => {
    const gone = await makeUser(t);
    await t.database.pool.query('UPDATE users SET is_active = false WHERE id = $1', [gone.id]);
    const res = await request(t.url, 'POST', `/api/v1/projects/${project.id}/applications`, {
      token: gone.token,
      json: { role: 'developer', motivation: '' },
    });
    assert.equal(res.status, 403);
    assert.deepEqual(res.body, { detail: 'User inactive' });
  });

  test('a project that is not recruiting is 409 naming its status; a draft is 404', async () => {
    const active = await makeProject(t, superuser, { status: 'active' });
    const res = await request(t.url, 'POST', `/api/v1/projects/${active.id}/applications`, {
      token: plain.token,
      json: { role: 'developer', motivation: '' },
    });
    assert.equal(res.status, 409);
    assert.deepEqual(res.body, { detail: 'Project is not recruiting: it is active' });
    const draft = await makeProject(t, superuser);
    const hidden = await request(t.url, 'POST', `/api/v1/projects/${draft.id}/applications`, {
      token: plain.token,
      json: { role: 'developer', motivation: '' },
    });
    assert.deepEqual([hidden.status, hidden.body], [404, { detail: 'Project not found' }]);
  });

  test('one pending application per user and project, also under concurrency (409)', async () => {
    const user = await makeUser(t);
    const results = await Promise.all(
      Array.from({ length: 6 }, () =>
        request(t.url, 'POST', `/api/v1/projects/${project.id}/applications`, {
          token: user.token,
          json: { role: 'developer', motivation: 'me' },
        }),
      ),
    );
    const statuses = results.map((r) => r.status).sort();
    assert.deepEqual(statuses, [201, 409, 409, 409, 409, 409]);
    for (const r of results.filter((x) => x.status === 409)) {
      assert.deepEqual(r.body, {
        detail: 'You already have a pending application for this project',
      });
    }
    // After withdrawing, a new application is allowed (the index is partial: pending only).
    const first = results.find((r) => r.status === 201)!;
    assert.equal((await withdraw(user, first.body.id as number)).status, 200);
    assert.equal((await applyTo(t, user, project.id)) > 0, true);
  });

  test('members cannot apply; a role without places is 409; bad role is 422', async () => {
    const res = await request(t.url, 'POST', `/api/v1/projects/${project.id}/applications`, {
      token: mentor.token,
      json: { role: 'developer', motivation: '' },
    });
    assert.equal(res.status, 409);
    assert.deepEqual(res.body, { detail: 'You are already a member of this project (as mentor)' });
    const tester = await request(t.url, 'POST', `/api/v1/projects/${project.id}/applications`, {
      token: plain.token,
      json: { role: 'tester', motivation: '' },
    });
    assert.equal(tester.status, 409);
    assert.deepEqual(tester.body, { detail: 'This project has no tester places' });
    const bad = await request(t.url, 'POST', `/api/v1/projects/${project.id}/applications`, {
      token: plain.token,
      json: { role: 'mentor', motivation: '' },
    });
    assert.deepEqual(
      [bad.status, bad.body],
      [
        422,
        invalid({
          loc: ['body', 'role'],
          msg: 'must be equal to one of the allowed values',
          type: 'enum',
        }),
      ],
    );
  });
});

describe('authorization matrix of application routes (S10)', () => {
  let project: { id: number; title: string };
  let applicant: Actor;
  let applicantApp: number;
  /** Made by the tests below, in order: otherMentor's, and the applicant's second. */
  let otherMentorApp: number;
  let applicantAgain: number;
  before(async () => {
    project = await makeProject(t, superuser, {
      status: 'recruiting',
      mentors: [mentor],
      developer_slots: 10,
    });
    applicant = await makeUser(t);
    applicantApp = await applyTo(t, applicant, project.id);
  });

  test('POST /projects/{id}/applications: 401 anonymous; a mentor of another project may apply', async () => {
    const anon = await request(t.url, 'POST', `/api/v1/projects/${project.id}/applications`, {
      json: { role: 'developer', motivation: '' },
    });
    assert.deepEqual([anon.status, anon.body], [401, { detail: 'Not authenticated' }]);
    otherMentorApp = await applyTo(t, otherMentor, project.id);
  });

  test('GET /projects/{id}/applications: its mentors and superusers only', async () => {
    const path = `/api/v1/projects/${project.id}/applications`;
    // The whole list, newest first: both applications, pending.
    const both = {
      items: [
        applicationBody(otherMentorApp, project, otherMentor),
        applicationBody(applicantApp, project, applicant),
      ],
      next_cursor: null,
    };
    const expected: [Actor | undefined, number][] = [
      [undefined, 401],
      [plain, 403],
      [applicant, 403],
      [otherMentor, 403],
      [mentor, 200],
      [superuser, 200],
    ];
    for (const [who, status] of expected) {
      const res = await request<{ items: { id: number }[]; detail?: string }>(t.url, 'GET', path, {
        token: who?.token,
      });
      assert.equal(res.status, status, `${who?.username ?? 'anonymous'}: ${res.text}`);
      if (status === 200) {
        assert.deepEqual(normalised(res.body, []), both);
      }
    }
    const pending = await request<{ items: { status: string }[] }>(
      t.url,
      'GET',
      `${path}?status=pending`,
      { token: mentor.token },
    );
    assert.deepEqual(normalised(pending.body, []), both);
  });

  test('POST /applications/{id}/decision: 401, 404 for strangers, 403 for the applicant, 200 for mentor and superuser', async () => {
    const a1 = applicantApp;
    await answers(decide(undefined, a1, 'rejected'), 401, NOT_AUTHENTICATED);
    await answers(decide(plain, a1, 'rejected'), 404, NO_APPLICATION);
    await answers(decide(otherMentor, a1, 'rejected'), 404, NO_APPLICATION);
    const own = await decide(applicant, a1, 'accepted');
    assert.equal(own.status, 403);
    assert.deepEqual(own.body, {
      detail: "Only the project's mentors and superusers can decide applications",
    });
    const ok = await decide(mentor, a1, 'rejected', 'Not this time');
    assert.equal(ok.status, 200, ok.text);
    assert.deepEqual(
      normalised(ok.body, []),
      applicationBody(a1, project, applicant, {
        status: 'rejected',
        decided_by: mentor.id,
        decided_at: '<time>',
        reason: 'Not this time',
      }),
    );
    const other = await makeUser(t);
    const a2 = await applyTo(t, other, project.id);
    const su = await decide(superuser, a2, 'accepted');
    assert.equal(su.status, 200, su.text);
    assert.deepEqual(
      normalised(su.body, []),
      applicationBody(a2, project, other, {
        status: 'accepted',
        decided_by: superuser.id,
        decided_at: '<time>',
      }),
    );
    const missing = await decide(mentor, 99999999, 'accepted');
    assert.deepEqual([missing.status, missing.body], [404, { detail: 'Application not found' }]);
    // Once decided, the applicant may apply again.
    applicantAgain = await applyTo(t, applicant, project.id, 'tester');
    assert.ok(applicantAgain > a1);
  });

  test('POST /applications/{id}/withdraw: only the applicant (403 for its mentors, 404 for strangers)', async () => {
    const someone = await makeUser(t);
    const id = await applyTo(t, someone, project.id);
    await answers(withdraw(undefined, id), 401, NOT_AUTHENTICATED);
    await answers(withdraw(plain, id), 404, NO_APPLICATION);
    await answers(withdraw(otherMentor, id), 404, NO_APPLICATION);
    const m = await withdraw(mentor, id);
    assert.equal(m.status, 403);
    assert.deepEqual(m.body, { detail: 'Only the applicant can withdraw an application' });
    await answers(withdraw(superuser, id), 403, {
      detail: 'Only the applicant can withdraw an application',
    });
    const ok = await withdraw(someone, id);
    assert.equal(ok.status, 200);
    assert.deepEqual(
      normalised(ok.body, []),
      applicationBody(id, project, someone, { status: 'withdrawn' }),
    );
    const events = (await outboxOf<{ application_id: number }>(t, 'application.withdrawn')).filter(
      (e) => e.application_id === id,
    );
    assert.deepEqual(normalised(events, []), [
      {
        v: 1,
        project_id: project.id,
        actor_id: someone.id,
        occurred_at: '<time>',
        application_id: id,
        applicant_id: someone.id,
        role: 'developer',
      },
    ]);
  });

  test('GET /users/me/applications: 401 anonymous; each user sees only their own', async () => {
    await answers(request(t.url, 'GET', '/api/v1/users/me/applications'), 401, NOT_AUTHENTICATED);
    const mine = await request<{ items: { applicant_id: number; project_title: string }[] }>(
      t.url,
      'GET',
      '/api/v1/users/me/applications?limit=100',
      { token: applicant.token },
    );
    assert.equal(mine.status, 200);
    // The whole list, newest first: the tester application, then the rejected one.
    const rejectedA1 = applicationBody(applicantApp, project, applicant, {
      status: 'rejected',
      decided_by: mentor.id,
      decided_at: '<time>',
      reason: 'Not this time',
    });
    assert.deepEqual(normalised(mine.body, []), {
      items: [applicationBody(applicantAgain, project, applicant, { role: 'tester' }), rejectedA1],
      next_cursor: null,
    });
    const none = await request<{ items: unknown[] }>(
      t.url,
      'GET',
      '/api/v1/users/me/applications',
      {
        token: plain.token,
      },
    );
    assert.deepEqual(none.body, { items: [], next_cursor: null });
    const rejected = await request<{ items: { status: string }[] }>(
      t.url,
      'GET',
      '/api/v1/users/me/applications?status=rejected',
      { token: applicant.token },
    );
    assert.deepEqual(normalised(rejected.body, []), { items: [rejectedA1], next_cursor: null });
  });
});

describe('application state machine', () => {
  let project: { id: number; title: string };
  before(async () => {
    project = await makeProject(t, superuser, {
      status: 'recruiting',
      mentors: [mentor],
      developer_slots: 10,
    });
  });

  test('accepted is final: it cannot be rejected, withdrawn or accepted again (409 naming the state)', async () => {
    const u = await makeUser(t);
    const id = await applyTo(t, u, project.id);
    const ok = await decide(mentor, id, 'accepted', 'Welcome');
    assert.equal(ok.status, 200);
    for (const [res, next] of [
      [await decide(mentor, id, 'rejected'), 'rejected'],
      [await decide(superuser, id, 'accepted'), 'accepted'],
      [await withdraw(u, id), 'withdrawn'],
    ] as const) {
      assert.deepEqual([res.status, res.body], [409, { detail: alreadyDecided(next, 'accepted') }]);
    }
    const members = await request<{ items: { user_id: number; role: string }[] }>(
      t.url,
      'GET',
      `/api/v1/projects/${project.id}/members`,
    );
    assert.deepEqual(normalised(members.body, []), {
      items: [
        { user_id: mentor.id, username: mentor.username, role: 'mentor', joined_at: '<time>' },
        { user_id: u.id, username: u.username, role: 'developer', joined_at: '<time>' },
      ],
      next_cursor: null,
    });
    // The whole payloads of the three messages the accept wrote.
    const of = async (type: string) =>
      normalised(
        (await outboxOf<{ application_id: number }>(t, type)).filter(
          (e) => e.application_id === id,
        ),
        [],
      );
    assert.deepEqual(await of('member.joined'), [
      {
        v: 1,
        project_id: project.id,
        actor_id: mentor.id,
        occurred_at: '<time>',
        user_id: u.id,
        username: u.username,
        role: 'developer',
        via: 'application',
        application_id: id,
        joined_at: '<time>',
      },
    ]);
    assert.deepEqual(await of('application.decided'), [
      {
        v: 1,
        project_id: project.id,
        actor_id: mentor.id,
        occurred_at: '<time>',
        application_id: id,
        applicant_id: u.id,
        role: 'developer',
        status: 'accepted',
        reason: 'Welcome',
        decided_by: mentor.id,
        decided_at: '<time>',
      },
    ]);
    assert.deepEqual(await of('mail.application_decided'), [
      {
        v: 1,
        user_id: u.id,
        username: u.username,
        email: u.email,
        locale: 'en',
        application_id: id,
        project_id: project.id,
        project_title: project.title,
        role: 'developer',
        status: 'accepted',
        reason: 'Welcome',
      },
    ]);
  });

  test('deciding a withdrawn application is 409; withdrawing twice is 409; rejected stays rejected', async () => {
    const u = await makeUser(t);
    const id = await applyTo(t, u, project.id);
    assert.equal((await withdraw(u, id)).status, 200);
    const res = await decide(mentor, id, 'accepted');
    assert.equal(res.status, 409);
    assert.deepEqual(res.body, { detail: alreadyDecided('accepted', 'withdrawn') });
    await answers(withdraw(u, id), 409, { detail: alreadyDecided('withdrawn', 'withdrawn') });
    const id2 = await applyTo(t, u, project.id);
    assert.equal((await decide(mentor, id2, 'rejected')).status, 200);
    const again = await decide(mentor, id2, 'accepted');
    assert.equal(again.status, 409);
    assert.deepEqual(again.body, { detail: alreadyDecided('accepted', 'rejected') });
    const bad = await decide(mentor, id2, 'withdrawn');
    const isStatus = { loc: ['body', 'status'], msg: 'must be equal to constant', type: 'const' };
    assert.deepEqual(
      [bad.status, bad.body],
      [
        422,
        invalid(isStatus, isStatus, {
          loc: ['body', 'status'],
          msg: 'must match a schema in anyOf',
          type: 'anyOf',
        }),
      ],
      'a decision is accepted or rejected only',
    );
  });

  test('accepting into a completed project is 409 naming its status; rejecting still works', async () => {
    const p = await makeProject(t, superuser, { status: 'recruiting', mentors: [mentor] });
    const u1 = await makeUser(t);
    const u2 = await makeUser(t);
    const a1 = await applyTo(t, u1, p.id);
    const a2 = await applyTo(t, u2, p.id);
    for (const s of ['active', 'completed']) {
      await request(t.url, 'PATCH', `/api/v1/projects/${p.id}`, {
        token: mentor.token,
        json: { status: s },
      });
    }
    const res = await decide(mentor, a1, 'accepted');
    assert.equal(res.status, 409);
    assert.deepEqual(res.body, {
      detail: 'Project is completed; applicants can join only while it is recruiting or active',
    });
    assert.equal((await decide(mentor, a2, 'rejected')).status, 200);
  });
});

describe('the race for the last place', () => {
  test('8 concurrent accepts for 1 free place: exactly one 200, seven 409, one member', async () => {
    const p = await makeProject(t, superuser, {
      status: 'recruiting',
      mentors: [mentor],
      developer_slots: 1,
    });
    const applicants = await Promise.all(Array.from({ length: 8 }, () => makeUser(t)));
    const ids: number[] = [];
    for (const a of applicants) {
      ids.push(await applyTo(t, a, p.id));
    }
    const results = await Promise.all(ids.map((id) => decide(mentor, id, 'accepted')));
    const ok = results.filter((r) => r.status === 200);
    const conflicts = results.filter((r) => r.status === 409);
    assert.equal(ok.length, 1, results.map((r) => `${r.status} ${r.text}`).join('\n'));
    assert.equal(conflicts.length, 7);
    const winner = ids[results.indexOf(ok[0]!)]!;
    assert.deepEqual(
      normalised(ok[0]!.body, []),
      applicationBody(winner, p, applicants[ids.indexOf(winner)]!, {
        status: 'accepted',
        decided_by: mentor.id,
        decided_at: '<time>',
      }),
    );
    for (const c of conflicts) {
      assert.deepEqual(c.body, { detail: 'No developer place left on this project: 1 of 1 taken' });
    }
    const count = await t.database.pool.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM project_members WHERE project_id = $1 AND role = 'developer'",
      [p.id],
    );
    assert.equal(count.rows[0]?.n, 1);
    const accepted = await t.database.pool.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM applications WHERE project_id = $1 AND status = 'accepted'",
      [p.id],
    );
    assert.equal(accepted.rows[0]?.n, 1, 'the losers stay pending');
    const project = await request(t.url, 'GET', `/api/v1/projects/${p.id}`);
    assert.deepEqual(
      normalised(project.body, []),
      projectBody(p, superuser.id, {
        status: 'recruiting',
        developer_slots: 1,
        developers_count: 1,
      }),
    );
  });

  test('3 places, 8 concurrent accepts by a mentor and a superuser: exactly three join', async () => {
    const p = await makeProject(t, superuser, {
      status: 'recruiting',
      mentors: [mentor],
      developer_slots: 0,
      tester_slots: 3,
    });
    const applicants = await Promise.all(Array.from({ length: 8 }, () => makeUser(t)));
    const ids: number[] = [];
    for (const a of applicants) {
      ids.push(await applyTo(t, a, p.id, 'tester'));
    }
    const results = await Promise.all(
      ids.map((id, i) => decide(i % 2 === 0 ? mentor : superuser, id, 'accepted')),
    );
    assert.deepEqual(results.map((r) => r.status).sort(), [200, 200, 200, 409, 409, 409, 409, 409]);
    const count = await t.database.pool.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM project_members WHERE project_id = $1 AND role = 'tester'",
      [p.id],
    );
    assert.equal(count.rows[0]?.n, 3);
  });

  test('the same application accepted 5 times at once: one 200, four 409', async () => {
    const p = await makeProject(t, superuser, { status: 'recruiting', mentors: [mentor] });
    const u = await makeUser(t);
    const id = await applyTo(t, u, p.id);
    const results = await Promise.all(
      Array.from({ length: 5 }, () => decide(mentor, id, 'accepted')),
    );
    assert.deepEqual(results.map((r) => r.status).sort(), [200, 409, 409, 409, 409]);
    const joined = (await outboxOf<{ application_id: number }>(t, 'member.joined')).filter(
      (e) => e.application_id === id,
    );
    assert.equal(joined.length, 1, 'one member.joined event');
  });
});
