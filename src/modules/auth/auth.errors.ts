// The error codes each operation of this feature can throw (issue 14): the routes pass them to
// errorResponses, so the OpenAPI document lists every status an operation can answer; the
// statuses and sentences themselves are in src/lib/errors.ts. Guards, input validation, body
// limits and the database add theirs on every route (documentGenericErrors).
import type { ErrorCode } from '../../lib/errors.js';

/** AuthService, and the two token routes' own reading of the Authorization header. */
export const AUTH_ERRORS = {
  login: ['invalid_credentials', 'user_inactive', 'login_throttled', 'limits_unavailable'],
  /** The v1 `GET /api/v1/jwt/users/me/` reads its bearer token itself (no guard). */
  authenticate: ['not_authenticated', 'invalid_token', 'expected_access_token', 'user_inactive'],
  refresh: ['not_authenticated', 'invalid_token', 'expected_refresh_token', 'user_inactive'],
  logout: ['not_authenticated', 'invalid_token', 'expected_refresh_token'],
  /** The browser-session routes (issue 8): their own details for the web application. */
  browserLogin: ['login_bad_credentials', 'user_inactive', 'login_throttled', 'limits_unavailable'],
  browserRefresh: ['session_expired', 'user_inactive'],
  browserLogout: [],
} as const satisfies Record<string, readonly ErrorCode[]>;

/** SessionsService (issue 12): the logins a user can see and end. */
export const SESSION_ERRORS = {
  mine: [],
  revoke: ['session_not_found'],
  revokeOthers: [],
  listFor: ['user_not_found'],
  revokeAllFor: ['user_not_found'],
  revokeFor: ['user_not_found', 'session_not_found'],
} as const satisfies Record<string, readonly ErrorCode[]>;
