// The state machines and visibility rules, exhaustively (pure functions, no database).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DomainError } from '../../lib/errors.js';
import type { UserRow } from '../users/users.table.js';
import {
  assertApplicationTransition,
  assertProjectTransition,
  canManage,
  canSee,
} from './projects.policy.js';
import {
  APPLICATION_STATUSES,
  PROJECT_STATUSES,
  type MemberRole,
  type ProjectRow,
} from './projects.table.js';

// The code names the operation's refusal; the detail (the boundary's sentence) names the state.
const conflict = (fn: () => void, detail: RegExp) =>
  assert.throws(
    fn,
    (e: unknown) =>
      e instanceof DomainError &&
      (e.code === 'project_transition' || e.code === 'application_transition') &&
      e.http.status === 409 &&
      detail.test(e.http.detail),
  );

describe('project transitions', () => {
  const valid = new Set(['draft>recruiting', 'recruiting>active', 'active>completed']);
  for (const from of PROJECT_STATUSES) {
    for (const to of PROJECT_STATUSES) {
      test(`${from} → ${to}: ${valid.has(`${from}>${to}`) ? 'allowed' : '409'}`, () => {
        if (valid.has(`${from}>${to}`)) {
          assertProjectTransition(from, to);
        } else {
          conflict(() => assertProjectTransition(from, to), new RegExp(`the project is ${from}`));
        }
      });
    }
  }
});

describe('application transitions', () => {
  for (const from of APPLICATION_STATUSES) {
    for (const to of APPLICATION_STATUSES) {
      const ok = from === 'pending' && to !== 'pending';
      test(`${from} → ${to}: ${ok ? 'allowed' : '409'}`, () => {
        if (ok) {
          assertApplicationTransition(from, to);
        } else {
          conflict(() => assertApplicationTransition(from, to), new RegExp(`already ${from}`));
        }
      });
    }
  }
});

describe('visibility and mentor powers', () => {
  const user = (isSuperuser = false) => ({ id: 1, isSuperuser }) as UserRow;
  const project = (status: ProjectRow['status'], isActive = true) =>
    ({ id: 1, status, isActive }) as ProjectRow;
  const cases: [
    string,
    UserRow | undefined,
    ProjectRow,
    MemberRole | undefined,
    boolean,
    boolean,
  ][] = [
    ['anonymous, recruiting', undefined, project('recruiting'), undefined, true, false],
    ['anonymous, active', undefined, project('active'), undefined, true, false],
    ['anonymous, draft', undefined, project('draft'), undefined, false, false],
    ['anonymous, completed', undefined, project('completed'), undefined, false, false],
    ['user, draft', user(), project('draft'), undefined, false, false],
    ['developer, completed', user(), project('completed'), 'developer', true, false],
    ['mentor, draft', user(), project('draft'), 'mentor', true, true],
    ['mentor, archived', user(), project('recruiting', false), 'mentor', false, false],
    ['superuser, archived draft', user(true), project('draft', false), undefined, true, true],
  ];
  for (const [name, viewer, p, role, see, manage] of cases) {
    test(name, () => {
      assert.equal(canSee(viewer, p, role), see, 'canSee');
      assert.equal(canManage(viewer, p, role), manage, 'canManage');
    });
  }
});
