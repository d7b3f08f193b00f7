// The error codes each operation of this feature can throw (issue 14): the routes pass them to
// errorResponses, so the OpenAPI document lists every status an operation can answer; the
// statuses and sentences themselves are in src/lib/errors.ts. Guards, input validation, body
// limits and the database add theirs on every route (documentGenericErrors).
import type { ErrorCode } from '../../lib/errors.js';

/** WebhooksService. */
export const WEBHOOK_ERRORS = {
  eventTypes: [],
  list: ['invalid_cursor'],
  create: ['unknown_event_type', 'webhook_url_refused'],
  get: ['webhook_not_found'],
  update: ['webhook_not_found', 'unknown_event_type', 'webhook_url_refused'],
  remove: ['webhook_not_found'],
  rotateSecret: ['webhook_not_found'],
  ping: ['webhook_not_found', 'webhook_disabled'],
  deliveries: ['webhook_not_found', 'invalid_cursor'],
  redeliver: ['webhook_not_found', 'webhook_disabled', 'delivery_not_found'],
  recover: ['webhook_not_found', 'webhook_disabled'],
} as const satisfies Record<string, readonly ErrorCode[]>;
