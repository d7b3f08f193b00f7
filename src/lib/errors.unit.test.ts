// The error table (issue 14, style rule 5): one place owns status, `detail` and `loc` of every
// code. The v1 sentences are the contract (api-v1.md): byte-for-byte here.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DomainError, ERROR_HTTP, statusOf, statusesOf, type ErrorCode } from './errors.js';

describe('ERROR_HTTP', () => {
  test('v1 codes keep their status and detail exactly', () => {
    const v1: [ErrorCode, number, string][] = [
      ['username_taken', 400, 'Username already exists'],
      ['email_taken', 400, 'Email already exists'],
      ['passwords_mismatch', 400, 'Passwords do not match'],
      ['invalid_credentials', 401, 'Invalid username or password'],
      ['user_inactive', 403, 'User inactive'],
      ['not_authenticated', 401, 'Not authenticated'],
      ['invalid_token', 401, 'Invalid token error.'],
      ['expected_refresh_token', 401, 'Invalid token type. Expected refresh token.'],
      ['expected_access_token', 401, 'Invalid token type. Expected access'],
    ];
    for (const [code, status, detail] of v1) {
      const e = new DomainError(code as 'username_taken');
      assert.deepEqual([e.http.status, e.http.detail], [status, detail], code);
      assert.equal(e.message, detail, 'the message (logs, CLIs) is the client detail');
    }
  });

  test('field codes answer 422 with the location and message a client relies on', () => {
    assert.deepEqual(new DomainError('password_common', { field: 'new_password' }).http, {
      status: 422,
      detail: 'Request data is not correct',
      errors: [
        {
          loc: ['body', 'new_password'],
          msg: 'This password is too common: it appears in lists of leaked passwords. Choose another one.',
          type: 'value_error.password_common',
        },
      ],
    });
    assert.deepEqual(new DomainError('invalid_cursor', { reason: 'other_order' }).http.errors, [
      {
        loc: ['query', 'cursor'],
        msg: 'Cursor was made for another order_by; start again without a cursor',
        type: 'value_error.cursor',
      },
    ]);
    assert.deepEqual(
      new DomainError('unknown_event_type', { index: 2, type: 'x.y' }).http.errors?.[0]?.loc,
      ['body', 'event_types', 2],
    );
  });

  test('parameters fill the sentence; the status never depends on them', () => {
    const e = new DomainError('no_place_left', { role: 'tester', taken: 2, slots: 2 });
    assert.deepEqual(e.http, {
      status: 409,
      detail: 'No tester place left on this project: 2 of 2 taken',
    });
    assert.equal(
      new DomainError('project_transition', { from: 'completed', to: 'draft', allowed: [] }).http
        .detail,
      'Project status cannot change from completed to draft: the project is completed (allowed next: none)',
    );
    assert.equal(
      new DomainError('already_member', { role: null }).http.detail,
      'User is already a member of this project',
    );
  });

  test('throttles and outages carry Retry-After', () => {
    assert.equal(
      new DomainError('login_throttled', { retryAfterSeconds: 7 }).http.retryAfterSeconds,
      7,
    );
    assert.equal(new DomainError('limits_unavailable').http.retryAfterSeconds, 5);
    assert.equal(new DomainError('database_unavailable').http.status, 503);
  });

  test('every code has a status between 400 and 503, and statusesOf sorts and deduplicates', () => {
    for (const code of Object.keys(ERROR_HTTP) as ErrorCode[]) {
      const s = statusOf(code);
      assert.ok(s >= 400 && s <= 503, `${code}: ${s}`);
    }
    assert.deepEqual(
      statusesOf(['project_archived', 'user_not_found', 'project_not_found']),
      [404, 409],
    );
  });
});
