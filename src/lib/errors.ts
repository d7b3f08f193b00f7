// Domain errors: services throw these with a stable code; one boundary (plugins/errors.ts)
// maps each code to a status and the v1 `detail` sentence. Services never know about HTTP.

export interface FieldError {
  loc: (string | number)[];
  msg: string;
  type: string;
}

export type ErrorCode =
  | 'validation'
  | 'username_taken'
  | 'email_taken'
  | 'passwords_mismatch'
  | 'invalid_credentials'
  | 'user_inactive'
  | 'not_authenticated'
  | 'invalid_token'
  | 'expected_refresh_token'
  | 'expected_access_token'
  | 'rate_limited'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'invalid_account_token'
  | 'service_unavailable'
  // Issue 8 (browser sessions, single-use links): the web application's own details.
  | 'login_bad_credentials'
  | 'session_expired'
  | 'link_already_used';

/** Expired tells the client to refresh; invalid and revoked tell it to sign in again. */
export type BearerProblem = 'expired' | 'invalid' | 'revoked';

export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message?: string,
    readonly extra: {
      errors?: FieldError[];
      retryAfterSeconds?: number;
      /** Why a bearer token was refused, for the RFC 6750 challenge (issue 12). */
      bearer?: BearerProblem;
    } = {},
  ) {
    super(message ?? code);
    this.name = 'DomainError';
  }
}

export function validationError(errors: FieldError[]): DomainError {
  return new DomainError('validation', 'Request data is not correct', { errors });
}
