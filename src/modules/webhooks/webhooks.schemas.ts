import { Type, type Static } from 'typebox';
import { PageQueryFields } from '../../lib/pagination.js';
import { webhookIdHeader } from './webhook-id.js';
import type { AttemptRow } from './webhooks.repository.js';
import { DELIVERY_STATUSES, type DeliveryRow, type SubscriptionRow } from './webhooks.table.js';

const id = Type.Integer({ minimum: 1, maximum: 2147483647 });
export const IdParams = Type.Object({ id });
export const DeliveryParams = Type.Object({
  id,
  delivery_id: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }),
});

const eventTypes = Type.Array(Type.String({ minLength: 1, maxLength: 100 }), {
  minItems: 1,
  maxItems: 50,
  description: 'Exact event types, `prefix.*` (e.g. `project.*`) or `*` for every type.',
});
const url = Type.String({
  minLength: 1,
  maxLength: 2000,
  description: 'https (see docs/webhooks.md).',
});

export const Subscription = Type.Object(
  {
    id: Type.Integer(),
    url: Type.String(),
    description: Type.String(),
    event_types: Type.Array(Type.String()),
    is_active: Type.Boolean(),
    disabled_reason: Type.Union([Type.String(), Type.Null()]),
    created_at: Type.String({ format: 'date-time' }),
    updated_at: Type.String({ format: 'date-time' }),
  },
  { title: 'WebhookSubscription' },
);
export const SubscriptionWithSecret = Type.Object(
  {
    ...Subscription.properties,
    secret: Type.String({
      description: 'The signing secret, `whsec_` + base64 (Standard Webhooks). Shown only now.',
    }),
  },
  { title: 'WebhookSubscriptionWithSecret' },
);
export const SubscriptionPage = Type.Object({
  items: Type.Array(Subscription),
  next_cursor: Type.Union([Type.String(), Type.Null()]),
});

export const CreateBody = Type.Object(
  {
    url,
    description: Type.Optional(Type.String({ maxLength: 500 })),
    event_types: eventTypes,
    is_active: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type CreateBody = Static<typeof CreateBody>;
export const PatchBody = Type.Object(
  {
    url: Type.Optional(url),
    description: Type.Optional(Type.String({ maxLength: 500 })),
    event_types: Type.Optional(eventTypes),
    is_active: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type PatchBody = Static<typeof PatchBody>;

export const ListQuery = Type.Object({ ...PageQueryFields }, { additionalProperties: false });

export const EventTypeList = Type.Object({
  items: Type.Array(
    Type.Object({
      type: Type.String(),
      version: Type.Integer(),
      description: Type.String(),
      schema: Type.Unknown({ description: "JSON Schema of the event's `data`." }),
    }),
  ),
});

const deliveryStatus = Type.Union([
  Type.Literal(DELIVERY_STATUSES[0]),
  Type.Literal(DELIVERY_STATUSES[1]),
  Type.Literal(DELIVERY_STATUSES[2]),
]);
export const DeliveryQuery = Type.Object(
  {
    ...PageQueryFields,
    status: Type.Optional(deliveryStatus),
    event_type: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  },
  { additionalProperties: false },
);
export type DeliveryQuery = Static<typeof DeliveryQuery>;

export const Delivery = Type.Object(
  {
    id: Type.Integer(),
    event_type: Type.String(),
    webhook_id: Type.String({ description: 'The `webhook-id` header: the same on every attempt.' }),
    status: deliveryStatus,
    created_at: Type.String({ format: 'date-time' }),
    attempts: Type.Array(
      Type.Object({
        at: Type.String({ format: 'date-time' }),
        status_code: Type.Union([Type.Integer(), Type.Null()]),
        duration_ms: Type.Integer(),
        error: Type.Union([Type.String(), Type.Null()]),
        response_body: Type.Union([Type.String(), Type.Null()]),
      }),
    ),
  },
  { title: 'WebhookDelivery' },
);
export const DeliveryPage = Type.Object({
  items: Type.Array(Delivery),
  next_cursor: Type.Union([Type.String(), Type.Null()]),
});

export const RecoverBody = Type.Object(
  { since: Type.String({ format: 'date-time' }) },
  { additionalProperties: false },
);
export const Queued = Type.Object({ queued: Type.Integer() });
export const Accepted = Type.Object({ queued: Type.Integer() });

const iso = (d: Date) => d.toISOString();

/** Rows of the service as API shapes (the routes map, the service does not). */
export function subscriptionView(s: SubscriptionRow) {
  return {
    id: s.id,
    url: s.url,
    description: s.description,
    event_types: s.eventTypes,
    is_active: s.isActive,
    disabled_reason: s.disabledReason,
    created_at: iso(s.createdAt),
    updated_at: iso(s.updatedAt),
  };
}

export function deliveryView(d: DeliveryRow & { attempts: AttemptRow[] }) {
  return {
    id: d.id,
    event_type: d.eventType,
    webhook_id: webhookIdHeader(d.webhookId),
    status: d.status as 'pending' | 'delivered' | 'dead',
    created_at: iso(d.createdAt),
    attempts: d.attempts.map((a) => ({
      at: iso(a.at),
      status_code: a.statusCode,
      duration_ms: a.durationMs,
      error: a.error,
      response_body: a.responseBody,
    })),
  };
}
