// The public event catalogue of webhooks (`GET /api/v1/webhooks/event-types`): every domain
// event of the outbox catalogue (all but the internal `mail.*` and `webhooks.*` jobs), plus
// `webhook.ping`, each with its version and the JSON Schema of its `data`. The mapped type
// makes the compiler refuse a new domain event without an entry here, and each schema's
// static type must be assignable to the catalogue's payload, so the two cannot drift.
import { Type, type Static, type TSchema } from 'typebox';
import type { OutboxMessage, OutboxType } from '../outbox/catalogue.js';

export type DomainEventType = Exclude<OutboxType, `mail.${string}` | `webhooks.${string}`>;
export type WebhookEventType = DomainEventType | 'webhook.ping';

type PayloadOf<K extends OutboxType> = Extract<OutboxMessage, { type: K }>['payload'];

export interface PingPayload {
  v: 1;
  subscription_id: number;
  occurred_at: string;
}

interface EventTypeDef<S extends TSchema = TSchema> {
  version: number;
  description: string;
  schema: S;
}

const base = {
  v: Type.Literal(1),
  project_id: Type.Integer(),
  actor_id: Type.Union([Type.Integer(), Type.Null()]),
  occurred_at: Type.String({ format: 'date-time' }),
};
const status = Type.Union([
  Type.Literal('draft'),
  Type.Literal('recruiting'),
  Type.Literal('active'),
  Type.Literal('completed'),
]);
const nullable = <S extends TSchema>(s: S) => Type.Union([s, Type.Null()]);
const project = Type.Object({
  id: Type.Integer(),
  title: Type.String(),
  description: Type.String(),
  repository_url: nullable(Type.String()),
  tags: Type.Array(Type.String()),
  status,
  starts_on: nullable(Type.String({ format: 'date' })),
  ends_on: nullable(Type.String({ format: 'date' })),
  developer_slots: Type.Integer(),
  tester_slots: Type.Integer(),
  created_by: Type.Integer(),
  is_active: Type.Boolean(),
});
const memberRole = Type.Union([
  Type.Literal('mentor'),
  Type.Literal('developer'),
  Type.Literal('tester'),
]);
const placeRole = Type.Union([Type.Literal('developer'), Type.Literal('tester')]);
const application = {
  ...base,
  application_id: Type.Integer(),
  applicant_id: Type.Integer(),
  role: placeRole,
};
const user = Type.Object({
  id: Type.Integer(),
  username: Type.String(),
  email: Type.String({ format: 'email' }),
  is_active: Type.Boolean(),
  is_superuser: Type.Boolean(),
  email_verified: Type.Boolean(),
  created_at: Type.String({ format: 'date-time' }),
});
const userBase = {
  v: Type.Literal(1),
  user_id: Type.Integer(),
  actor_id: Type.Union([Type.Integer(), Type.Null()]),
  occurred_at: Type.String({ format: 'date-time' }),
  user,
};
const role = Type.Union([Type.Literal('user'), Type.Literal('superuser')]);

/** Ties a schema to the catalogue payload of `K` at compile time. */
const def = <K extends WebhookEventType, S extends TSchema>(
  _type: K,
  description: string,
  schema: Static<S> extends (K extends OutboxType ? PayloadOf<K> : PingPayload) ? S : never,
): EventTypeDef<S> => ({ version: 1, description, schema });

export const WEBHOOK_EVENT_TYPES: { [K in WebhookEventType]: EventTypeDef } = {
  'project.created': def(
    'project.created',
    'A superuser created a project (a draft).',
    Type.Object({ ...base, project }),
  ),
  'project.updated': def(
    'project.updated',
    'Fields of a project changed (`changed` lists them); status changes are project.status_changed.',
    Type.Object({ ...base, changed: Type.Array(Type.String()), project }),
  ),
  'project.status_changed': def(
    'project.status_changed',
    'A project moved from one status to another.',
    Type.Object({ ...base, from: status, to: status, title: Type.String() }),
  ),
  'project.archived': def(
    'project.archived',
    'A project was archived.',
    Type.Object({ ...base, title: Type.String(), status }),
  ),
  'project.restored': def(
    'project.restored',
    'An archived project was restored.',
    Type.Object({ ...base, title: Type.String(), status }),
  ),
  'member.joined': def(
    'member.joined',
    'A user joined a project: appointed mentor, or an accepted application.',
    Type.Object({
      ...base,
      user_id: Type.Integer(),
      username: Type.String(),
      role: memberRole,
      via: Type.Union([Type.Literal('appointment'), Type.Literal('application')]),
      application_id: nullable(Type.Integer()),
      joined_at: Type.String({ format: 'date-time' }),
    }),
  ),
  'member.removed': def(
    'member.removed',
    'A member left or was removed from a project.',
    Type.Object({ ...base, user_id: Type.Integer(), username: Type.String(), role: memberRole }),
  ),
  'application.submitted': def(
    'application.submitted',
    'A user applied for a developer or tester place.',
    Type.Object({
      ...application,
      applicant_username: Type.String(),
      motivation: Type.String(),
      project_title: Type.String(),
    }),
  ),
  'application.decided': def(
    'application.decided',
    'A mentor accepted or rejected an application.',
    Type.Object({
      ...application,
      status: Type.Union([Type.Literal('accepted'), Type.Literal('rejected')]),
      reason: nullable(Type.String()),
      decided_by: Type.Integer(),
      decided_at: Type.String({ format: 'date-time' }),
    }),
  ),
  'application.withdrawn': def(
    'application.withdrawn',
    'The applicant withdrew a pending application.',
    Type.Object(application),
  ),
  'user.created': def(
    'user.created',
    'An account was created (registration, or a superuser created by an operator).',
    Type.Object(userBase),
  ),
  'user.email_verified': def(
    'user.email_verified',
    'A user verified their e-mail address.',
    Type.Object(userBase),
  ),
  'user.updated': def(
    'user.updated',
    'A username or e-mail address changed (`changed` lists which).',
    Type.Object({ ...userBase, changed: Type.Array(Type.String()) }),
  ),
  'user.archived': def('user.archived', 'An account was archived.', Type.Object(userBase)),
  'user.restored': def('user.restored', 'An archived account was restored.', Type.Object(userBase)),
  'user.role_changed': def(
    'user.role_changed',
    'A user became a superuser, or stopped being one.',
    Type.Object({ ...userBase, from: role, to: role }),
  ),
  'webhook.ping': def(
    'webhook.ping',
    'Sent by POST /api/v1/webhooks/{id}/ping to test an endpoint; only to that subscription.',
    Type.Object({
      v: Type.Literal(1),
      subscription_id: Type.Integer(),
      occurred_at: Type.String({ format: 'date-time' }),
    }),
  ),
};

export const WEBHOOK_EVENT_TYPE_NAMES = Object.keys(WEBHOOK_EVENT_TYPES) as WebhookEventType[];

export function isDomainEventType(type: string): type is DomainEventType {
  return type !== 'webhook.ping' && Object.hasOwn(WEBHOOK_EVENT_TYPES, type);
}

/** True when a subscription's `event_types` (exact, `prefix.*`, `*`) selects `type`. */
export function selects(patterns: readonly string[], type: string): boolean {
  return patterns.some(
    (p) => p === '*' || p === type || (p.endsWith('.*') && type.startsWith(p.slice(0, -1))),
  );
}

/** A valid subscription filter: `*`, a known type, or the prefix of at least one. */
export function isValidFilter(p: string): boolean {
  if (p === '*' || Object.hasOwn(WEBHOOK_EVENT_TYPES, p)) {
    return true;
  }
  return p.endsWith('.*') && WEBHOOK_EVENT_TYPE_NAMES.some((t) => selects([p], t));
}
