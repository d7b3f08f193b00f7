// The error codes each operation of this feature can throw (issue 14): the routes pass them to
// errorResponses, so the OpenAPI document lists every status an operation can answer; the
// statuses and sentences themselves are in src/lib/errors.ts. Guards, input validation, body
// limits and the database add theirs on every route (documentGenericErrors).
import type { ErrorCode } from '../../lib/errors.js';

/** UsersService, AccountService and UsersAdminService. */
export const USER_ERRORS = {
  register: ['username_taken', 'email_taken', 'passwords_mismatch', 'password_common'],
  getMe: [],
  updateMe: [
    'current_password_missing',
    'current_password_wrong',
    'username_taken',
    'email_taken',
    'user_not_found',
    // issue 12: current_password counts against the sign-in limit; profile changes are limited
    'login_throttled',
    'rate_limited',
  ],
  archiveMe: [
    'current_password_missing',
    'current_password_wrong',
    'last_superuser',
    'login_throttled',
  ],
  changePassword: [
    'current_password_missing',
    'current_password_wrong',
    'password_common',
    'passwords_mismatch',
    'login_throttled',
  ],
  verifyEmail: ['invalid_account_token', 'link_already_used'],
  resendVerification: ['email_already_verified', 'rate_limited'],
  requestPasswordRecovery: [],
  resetPassword: [
    'password_common',
    'passwords_mismatch',
    'invalid_account_token',
    'link_already_used',
  ],
  list: ['invalid_cursor'],
  get: ['user_not_found'],
  update: ['user_not_found', 'username_taken', 'email_taken', 'last_superuser'],
  archive: ['user_not_found', 'last_superuser'],
  restore: ['user_not_found'],
} as const satisfies Record<string, readonly ErrorCode[]>;
