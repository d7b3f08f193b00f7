// The error codes each operation of this feature can throw (issue 14): the routes pass them to
// errorResponses, so the OpenAPI document lists every status an operation can answer; the
// statuses and sentences themselves are in src/lib/errors.ts. Guards, input validation, body
// limits and the database add theirs on every route (documentGenericErrors).
import type { ErrorCode } from '../../lib/errors.js';

/** ProjectsService. */
export const PROJECT_ERRORS = {
  list: ['archived_list_forbidden', 'invalid_cursor'],
  get: ['project_not_found'],
  create: ['dates_out_of_order'],
  update: [
    'project_not_found',
    'project_edit_forbidden',
    'project_archived',
    'mentor_fields_only',
    'dates_out_of_order',
    'slots_below_members',
    'project_transition',
  ],
  archive: ['project_not_found', 'project_already_archived'],
  restore: ['project_not_found', 'project_not_archived'],
  listMembers: ['project_not_found', 'invalid_cursor'],
  appointMentor: [
    'project_not_found',
    'project_archived',
    'user_not_found',
    'mentor_user_archived',
    'already_member',
  ],
  removeMember: [
    'project_not_found',
    'member_remove_forbidden',
    'project_archived',
    'member_not_found',
    'mentor_remove_superuser_only',
  ],
  myProjects: ['invalid_cursor'],
} as const satisfies Record<string, readonly ErrorCode[]>;

/** ApplicationsService. */
export const APPLICATION_ERRORS = {
  apply: [
    'project_not_found',
    'email_unverified',
    'apply_project_archived',
    'project_not_recruiting',
    'applicant_is_member',
    'no_places_for_role',
    'application_pending',
    'rate_limited',
  ],
  listForProject: ['project_not_found', 'applications_view_forbidden', 'invalid_cursor'],
  mine: ['invalid_cursor'],
  decide: [
    'application_not_found',
    'decide_forbidden',
    'application_transition',
    'project_archived',
    'project_not_joinable',
    'applicant_archived',
    'applicant_already_member',
    'no_place_left',
  ],
  withdraw: [
    'application_not_found',
    'withdraw_forbidden',
    'application_transition',
    'rate_limited',
  ],
} as const satisfies Record<string, readonly ErrorCode[]>;
