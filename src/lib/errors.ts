// Domain errors (style rule 5, issue 14): services throw `new DomainError(code, params?)` with a
// stable code and, where the answer names something, the facts it names (a status, a role, a
// count). They never write the sentence a client reads, a status or a request location: the
// table below is the one place that does (ERROR_HTTP), and src/plugins/errors.ts sends it.
//
// Each operation lists the codes it can throw (`*_ERRORS` beside its service); its route
// passes that list to `errorResponses`, so the OpenAPI document names every status the route
// can answer (test/http/documented-statuses.integration.test.ts holds it to that).

export interface FieldError {
  loc: (string | number)[];
  msg: string;
  type: string;
}

type None = undefined;
type Role = string;

/** Every code, with the facts its answer needs (`None`: the code says it all). */
export interface ErrorParams {
  // --- request level: the framework, the hardening rules, the guards, the dependencies
  validation: { errors: FieldError[] };
  body_too_large: None;
  bad_url: None;
  param_too_long: None;
  unsupported_media_type: None;
  rate_limited: { retryAfterSeconds: number };
  limits_unavailable: None;
  database_unavailable: None;
  not_authenticated: None;
  /** `bearer`: why the token was refused, for the RFC 6750 challenge (issue 12); default invalid. */
  invalid_token: { bearer: BearerProblem } | None;
  expected_refresh_token: None;
  expected_access_token: None;
  user_inactive: None;
  superuser_required: None;
  csrf_failed: None;
  invalid_cursor: { reason: 'malformed' | 'other_order' };
  // --- users and sign-in (v1 details: api-v1.md)
  username_taken: None;
  email_taken: None;
  passwords_mismatch: None;
  invalid_credentials: None;
  login_throttled: { retryAfterSeconds: number };
  password_common: { field: 'password' | 'new_password' };
  password_length: None;
  current_password_missing: None;
  current_password_wrong: None;
  user_not_found: None;
  session_not_found: None;
  last_superuser: None;
  email_already_verified: None;
  superuser_accounts_differ: None;
  superuser_not_promotable: { username: string };
  // --- issue 8: the web application's own details
  invalid_account_token: None;
  login_bad_credentials: None;
  session_expired: None;
  link_already_used: None;
  // --- projects and members
  project_not_found: None;
  project_archived: None;
  archived_list_forbidden: None;
  project_edit_forbidden: None;
  mentor_fields_only: { allowed: readonly string[]; denied: readonly string[] };
  slots_below_members: { taken: number; role: Role; field: string };
  dates_out_of_order: None;
  project_transition: { from: string; to: string; allowed: readonly string[] };
  project_already_archived: None;
  project_not_archived: None;
  mentor_user_archived: None;
  already_member: { role: Role | null };
  member_remove_forbidden: None;
  member_not_found: None;
  mentor_remove_superuser_only: None;
  // --- applications
  application_not_found: None;
  email_unverified: None;
  apply_project_archived: None;
  project_not_recruiting: { status: string };
  applicant_is_member: { role: Role };
  no_places_for_role: { role: Role };
  application_pending: None;
  applications_view_forbidden: None;
  decide_forbidden: None;
  project_not_joinable: { status: string };
  applicant_archived: None;
  applicant_already_member: { role: Role };
  no_place_left: { role: Role; taken: number; slots: number };
  withdraw_forbidden: None;
  application_transition: { from: string; to: string };
  // --- webhooks
  webhook_not_found: None;
  webhook_disabled: None;
  delivery_not_found: None;
  webhook_url_refused: { reason: string };
  unknown_event_type: { index: number; type: string };
}

export type ErrorCode = keyof ErrorParams;

/** Expired tells the client to refresh; invalid and revoked tell it to sign in again. */
export type BearerProblem = 'expired' | 'invalid' | 'revoked';

const BEARER_DESCRIPTIONS: Record<BearerProblem, string> = {
  expired: 'The token expired',
  invalid: 'The token is not valid',
  revoked: 'The session was revoked',
};

/** What the boundary answers for a code. */
export interface HttpAnswer {
  status: number;
  detail: string;
  errors?: FieldError[];
  retryAfterSeconds?: number;
  /**
   * A 401's RFC 6750 `error_description` for `error="invalid_token"`; a 401 without it gets
   * the bare `Bearer` challenge (no token was presented).
   */
  invalidToken?: string;
}

const BAD_DATA = 'Request data is not correct';
/** A 422 on one field, in the shape of the framework's validation errors. */
const field = (loc: (string | number)[], msg: string, type: string): HttpAnswer => ({
  status: 422,
  detail: BAD_DATA,
  errors: [{ loc, msg, type }],
});
const conflict = (detail: string): HttpAnswer => ({ status: 409, detail });
const forbidden = (detail: string): HttpAnswer => ({ status: 403, detail });
const notFound = (detail: string): HttpAnswer => ({ status: 404, detail });

/** The one table of status, `detail` and `loc` per code. v1 sentences are byte-for-byte. */
export const ERROR_HTTP: { [C in ErrorCode]: (p: ErrorParams[C]) => HttpAnswer } = {
  validation: (p) => ({ status: 422, detail: BAD_DATA, errors: p.errors }),
  body_too_large: () => ({ status: 413, detail: 'Request body is too large' }),
  // The router's own refusals of a path parameter (plugins/hardening.ts): never the URL itself.
  bad_url: () => ({ status: 400, detail: 'The URL is not correctly encoded' }),
  param_too_long: () => ({ status: 414, detail: 'A path segment is too long' }),
  unsupported_media_type: () => ({ status: 415, detail: 'Unsupported media type' }),
  rate_limited: (p) => ({
    status: 429,
    detail: 'Too many requests. Try again later.',
    retryAfterSeconds: p.retryAfterSeconds,
  }),
  limits_unavailable: () => ({
    status: 503,
    detail: 'Service temporarily unavailable. Try again later.',
    retryAfterSeconds: 5,
  }),
  database_unavailable: () => ({
    status: 503,
    detail: 'Service temporarily unavailable',
    retryAfterSeconds: 5,
  }),
  not_authenticated: () => ({ status: 401, detail: 'Not authenticated' }),
  invalid_token: (p) => ({
    status: 401,
    detail: 'Invalid token error.',
    invalidToken: BEARER_DESCRIPTIONS[p?.bearer ?? 'invalid'],
  }),
  expected_refresh_token: () => ({
    status: 401,
    detail: 'Invalid token type. Expected refresh token.',
    invalidToken: 'The token is of the wrong type',
  }),
  expected_access_token: () => ({
    status: 401,
    detail: 'Invalid token type. Expected access',
    invalidToken: 'The token is of the wrong type',
  }),
  user_inactive: () => forbidden('User inactive'),
  superuser_required: () => forbidden('Superuser privileges required'),
  csrf_failed: () => forbidden('CSRF check failed'),
  invalid_cursor: (p) =>
    field(
      ['query', 'cursor'],
      p.reason === 'other_order'
        ? 'Cursor was made for another order_by; start again without a cursor'
        : 'Cursor is not valid',
      'value_error.cursor',
    ),

  username_taken: () => ({ status: 400, detail: 'Username already exists' }),
  email_taken: () => ({ status: 400, detail: 'Email already exists' }),
  passwords_mismatch: () => ({ status: 400, detail: 'Passwords do not match' }),
  invalid_credentials: () => ({ status: 401, detail: 'Invalid username or password' }),
  login_throttled: (p) => ({
    status: 429,
    detail: 'Too many login attempts. Try again later.',
    retryAfterSeconds: p.retryAfterSeconds,
  }),
  password_common: (p) =>
    field(
      ['body', p.field],
      'This password is too common: it appears in lists of leaked passwords. Choose another one.',
      'value_error.password_common',
    ),
  // create-superuser and FIRST_SUPERUSER_*: not a request body, so the location is the input.
  password_length: () => field(['password'], 'Password must be 8 to 128 characters', 'value_error'),
  current_password_missing: () => field(['body', 'current_password'], 'Field required', 'missing'),
  current_password_wrong: () =>
    field(
      ['body', 'current_password'],
      'Current password is not correct',
      'value_error.current_password',
    ),
  user_not_found: () => notFound('User not found'),
  session_not_found: () => notFound('Session not found'),
  last_superuser: () => conflict('The last active superuser can be neither demoted nor archived'),
  email_already_verified: () => conflict('E-mail address is already verified'),
  superuser_accounts_differ: () =>
    conflict(
      'The username and the e-mail address belong to different accounts (or only one exists)',
    ),
  superuser_not_promotable: (p) =>
    conflict(
      `User "${p.username}" already exists and is not an active superuser; pass --promote to make it one`,
    ),

  invalid_account_token: () => ({ status: 400, detail: 'Invalid or expired token' }),
  login_bad_credentials: () => ({ status: 400, detail: 'LOGIN_BAD_CREDENTIALS' }),
  session_expired: () => ({ status: 401, detail: 'Session expired' }),
  link_already_used: () => ({ status: 400, detail: 'LINK_ALREADY_USED' }),

  project_not_found: () => notFound('Project not found'),
  project_archived: () => conflict('Project is archived; restore it first'),
  archived_list_forbidden: () => forbidden('Only superusers can list archived projects'),
  project_edit_forbidden: () => forbidden("Only the project's mentors and superusers can edit it"),
  mentor_fields_only: (p) =>
    forbidden(
      `Mentors may change only ${p.allowed.join(' and ')}; ` +
        `changing ${p.denied.join(', ')} needs a superuser`,
    ),
  slots_below_members: (p) =>
    conflict(`${p.taken} ${p.role}s are already members; ${p.field} cannot be lower than that`),
  dates_out_of_order: () =>
    field(['body', 'ends_on'], 'ends_on must not be before starts_on', 'value_error'),
  project_transition: (p) =>
    conflict(
      `Project status cannot change from ${p.from} to ${p.to}: the project is ${p.from} ` +
        `(allowed next: ${p.allowed.length === 0 ? 'none' : p.allowed.join(', ')})`,
    ),
  project_already_archived: () => conflict('Project is already archived'),
  project_not_archived: () => conflict('Project is not archived'),
  mentor_user_archived: () => conflict('User is archived and cannot become a mentor'),
  already_member: (p) =>
    conflict(
      p.role === null
        ? 'User is already a member of this project'
        : `User is already a member of this project (as ${p.role})`,
    ),
  member_remove_forbidden: () =>
    forbidden(
      "Only superusers, the project's mentors and the member themselves can remove a member",
    ),
  member_not_found: () => notFound('User is not a member of this project'),
  mentor_remove_superuser_only: () => forbidden('Only superusers can remove a mentor'),

  application_not_found: () => notFound('Application not found'),
  email_unverified: () => forbidden('Verify your e-mail address before applying'),
  apply_project_archived: () => conflict('Project is archived'),
  project_not_recruiting: (p) => conflict(`Project is not recruiting: it is ${p.status}`),
  applicant_is_member: (p) => conflict(`You are already a member of this project (as ${p.role})`),
  no_places_for_role: (p) => conflict(`This project has no ${p.role} places`),
  application_pending: () => conflict('You already have a pending application for this project'),
  applications_view_forbidden: () =>
    forbidden("Only the project's mentors and superusers can see its applications"),
  decide_forbidden: () =>
    forbidden("Only the project's mentors and superusers can decide applications"),
  project_not_joinable: (p) =>
    conflict(`Project is ${p.status}; applicants can join only while it is recruiting or active`),
  applicant_archived: () => conflict("The applicant's account is archived"),
  applicant_already_member: (p) =>
    conflict(`The applicant is already a member of this project (as ${p.role})`),
  no_place_left: (p) =>
    conflict(`No ${p.role} place left on this project: ${p.taken} of ${p.slots} taken`),
  withdraw_forbidden: () => forbidden('Only the applicant can withdraw an application'),
  application_transition: (p) =>
    conflict(
      `Application cannot become ${p.to}: it is already ${p.from}; only a pending application ` +
        'can be decided or withdrawn',
    ),

  webhook_not_found: () => notFound('Webhook subscription not found'),
  webhook_disabled: () => conflict('Webhook subscription is disabled'),
  delivery_not_found: () => notFound('Delivery not found'),
  webhook_url_refused: (p) => field(['body', 'url'], p.reason, 'value_error.url'),
  unknown_event_type: (p) =>
    field(
      ['body', 'event_types', p.index],
      `Unknown event type "${p.type}" (see GET /api/v1/webhooks/event-types)`,
      'value_error.event_type',
    ),
};

type ParamsArg<C extends ErrorCode> = ErrorParams[C] extends None
  ? []
  : undefined extends ErrorParams[C]
    ? [ErrorParams[C]?]
    : [ErrorParams[C]];

export class DomainError<C extends ErrorCode = ErrorCode> extends Error {
  readonly params: ErrorParams[C];

  constructor(
    readonly code: C,
    ...params: ParamsArg<C>
  ) {
    const p = params[0] as ErrorParams[C];
    // The message is the client's detail (and the field messages): what logs and CLIs show.
    const answer = ERROR_HTTP[code](p);
    super(answer.errors ? answer.errors.map((e) => e.msg).join('; ') : answer.detail);
    this.name = 'DomainError';
    this.params = p;
  }

  /** Status, `detail`, field errors and Retry-After of this error (the table above). */
  get http(): HttpAnswer {
    return ERROR_HTTP[this.code](this.params);
  }
}

export function validationError(errors: FieldError[]): DomainError<'validation'> {
  return new DomainError('validation', { errors });
}

/** The statuses a list of codes can answer (for the OpenAPI document). */
export function statusesOf(codes: readonly ErrorCode[]): number[] {
  return [...new Set(codes.map(statusOf))].sort((a, b) => a - b);
}

const SAMPLE: { [C in ErrorCode]?: ErrorParams[C] } = {
  validation: { errors: [] },
  rate_limited: { retryAfterSeconds: 1 },
  login_throttled: { retryAfterSeconds: 1 },
  invalid_cursor: { reason: 'malformed' },
  password_common: { field: 'password' },
  superuser_not_promotable: { username: '' },
  mentor_fields_only: { allowed: [], denied: [] },
  slots_below_members: { taken: 0, role: '', field: '' },
  project_transition: { from: '', to: '', allowed: [] },
  already_member: { role: null },
  project_not_recruiting: { status: '' },
  applicant_is_member: { role: '' },
  no_places_for_role: { role: '' },
  project_not_joinable: { status: '' },
  applicant_already_member: { role: '' },
  no_place_left: { role: '', taken: 0, slots: 0 },
  application_transition: { from: '', to: '' },
  webhook_url_refused: { reason: '' },
  unknown_event_type: { index: 0, type: '' },
};

/** A code's status does not depend on its parameters. */
export function statusOf(code: ErrorCode): number {
  const answer = ERROR_HTTP[code] as (p: unknown) => HttpAnswer;
  return answer(SAMPLE[code]).status;
}
