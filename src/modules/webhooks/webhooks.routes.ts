import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { mapPage } from '../../lib/pagination.js';
import { errorResponses, signedIn } from '../../lib/schemas.js';
import { WEBHOOK_ERRORS } from './webhooks.errors.js';
import { currentUser, type AuthGuards } from '../../plugins/auth.js';
import {
  Accepted,
  CreateBody,
  DeliveryPage,
  DeliveryParams,
  DeliveryQuery,
  deliveryView,
  EventTypeList,
  IdParams,
  ListQuery,
  PatchBody,
  Queued,
  RecoverBody,
  Subscription,
  SubscriptionPage,
  subscriptionView,
  SubscriptionWithSecret,
} from './webhooks.schemas.js';
import type { WebhooksService } from './webhooks.service.js';
import type { SubscriptionRow } from './webhooks.table.js';

export interface WebhooksRoutesOptions {
  webhooks: WebhooksService;
  guards: AuthGuards;
}

/** A new or rotated secret is shown once, beside the subscription. */
const withSecret = (r: { subscription: SubscriptionRow; secret: string }) => ({
  ...subscriptionView(r.subscription),
  secret: r.secret,
});

const security = signedIn;
const tags = ['webhooks'];

/** Webhooks admin (issue 9): every route is for superusers only. */
const webhooksRoutes: FastifyPluginAsync<WebhooksRoutesOptions> = async (
  app,
  { webhooks, guards },
) => {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const preHandler = guards.requireSuperuser;

  r.get(
    '/api/v1/webhooks/event-types',
    {
      schema: {
        tags,
        security,
        summary: 'Every event type a subscription can select, with the JSON Schema of its data',
        response: { 200: EventTypeList, ...errorResponses(WEBHOOK_ERRORS.eventTypes) },
      },
      preHandler,
    },
    async () => webhooks.eventTypes(),
  );

  r.get(
    '/api/v1/webhooks/',
    {
      schema: {
        tags,
        security,
        summary: 'List webhook subscriptions (superuser)',
        querystring: ListQuery,
        response: { 200: SubscriptionPage, ...errorResponses(WEBHOOK_ERRORS.list) },
      },
      preHandler,
    },
    async (request) => mapPage(await webhooks.list(request.query), subscriptionView),
  );

  r.post(
    '/api/v1/webhooks/',
    {
      schema: {
        tags,
        security,
        summary: 'Create a webhook subscription (superuser)',
        description:
          'The answer carries the signing secret, once. The URL must be https and resolve ' +
          'only to public addresses (422 otherwise).',
        body: CreateBody,
        response: { 201: SubscriptionWithSecret, ...errorResponses(WEBHOOK_ERRORS.create) },
      },
      preHandler,
    },
    async (request, reply) =>
      reply.status(201).send(withSecret(await webhooks.create(currentUser(request), request.body))),
  );

  r.get(
    '/api/v1/webhooks/:id',
    {
      schema: {
        tags,
        security,
        summary: 'A webhook subscription (superuser)',
        params: IdParams,
        response: { 200: Subscription, ...errorResponses(WEBHOOK_ERRORS.get) },
      },
      preHandler,
    },
    async (request) => subscriptionView(await webhooks.get(request.params.id)),
  );

  r.patch(
    '/api/v1/webhooks/:id',
    {
      schema: {
        tags,
        security,
        summary: 'Change a webhook subscription (superuser)',
        description: '`is_active: true` re-enables a disabled subscription.',
        params: IdParams,
        body: PatchBody,
        response: { 200: Subscription, ...errorResponses(WEBHOOK_ERRORS.update) },
      },
      preHandler,
    },
    async (request) => subscriptionView(await webhooks.update(request.params.id, request.body)),
  );

  r.delete(
    '/api/v1/webhooks/:id',
    {
      schema: {
        tags,
        security,
        summary: 'Delete a webhook subscription and its delivery log (superuser)',
        params: IdParams,
        response: {
          204: Type.Null({ description: 'Deleted' }),
          ...errorResponses(WEBHOOK_ERRORS.remove),
        },
      },
      preHandler,
    },
    async (request, reply) => {
      await webhooks.remove(request.params.id);
      return reply.status(204).send(null);
    },
  );

  r.post(
    '/api/v1/webhooks/:id/rotate-secret',
    {
      schema: {
        tags,
        security,
        summary: 'New signing secret; the old one keeps signing for the overlap (24 h by default)',
        params: IdParams,
        response: { 200: SubscriptionWithSecret, ...errorResponses(WEBHOOK_ERRORS.rotateSecret) },
      },
      preHandler,
    },
    async (request) => withSecret(await webhooks.rotateSecret(request.params.id)),
  );

  r.post(
    '/api/v1/webhooks/:id/ping',
    {
      schema: {
        tags,
        security,
        summary: 'Send a webhook.ping event to this subscription',
        params: IdParams,
        response: { 202: Accepted, ...errorResponses(WEBHOOK_ERRORS.ping) },
      },
      preHandler,
    },
    async (request, reply) => reply.status(202).send(await webhooks.ping(request.params.id)),
  );

  r.get(
    '/api/v1/webhooks/:id/deliveries',
    {
      schema: {
        tags,
        security,
        summary: 'The delivery log, newest first, with every attempt',
        params: IdParams,
        querystring: DeliveryQuery,
        response: { 200: DeliveryPage, ...errorResponses(WEBHOOK_ERRORS.deliveries) },
      },
      preHandler,
    },
    async (request) =>
      mapPage(await webhooks.deliveries(request.params.id, request.query), deliveryView),
  );

  r.post(
    '/api/v1/webhooks/:id/deliveries/:delivery_id/redeliver',
    {
      schema: {
        tags,
        security,
        summary: 'Send one delivery again (same webhook-id)',
        params: DeliveryParams,
        response: { 202: Accepted, ...errorResponses(WEBHOOK_ERRORS.redeliver) },
      },
      preHandler,
    },
    async (request, reply) =>
      reply
        .status(202)
        .send(await webhooks.redeliver(request.params.id, request.params.delivery_id)),
  );

  r.post(
    '/api/v1/webhooks/:id/recover',
    {
      schema: {
        tags,
        security,
        summary: 'Send again every failed (dead) delivery created since a time',
        params: IdParams,
        body: RecoverBody,
        response: { 202: Queued, ...errorResponses(WEBHOOK_ERRORS.recover) },
      },
      preHandler,
    },
    async (request, reply) =>
      reply.status(202).send(await webhooks.recover(request.params.id, request.body.since)),
  );
};

export default webhooksRoutes;
