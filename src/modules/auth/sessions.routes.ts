import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { errorResponses, signedIn } from '../../lib/schemas.js';
import { SESSION_ERRORS } from './auth.errors.js';
import { currentUser, type AuthGuards } from '../../plugins/auth.js';
import { UserIdParams } from '../users/users.schemas.js';
import {
  RevokedCount,
  SessionIdParams,
  SessionList,
  toSession,
  UserSessionParams,
} from './sessions.schemas.js';
import type { SessionsService } from './sessions.service.js';

export interface SessionsRoutesOptions {
  sessions: SessionsService;
  guards: AuthGuards;
}

const bearer = { security: signedIn };

/** Issue 12: the logins a user can see and end; superusers see and end anyone's. */
const sessionsRoutes: FastifyPluginAsync<SessionsRoutesOptions> = async (
  app,
  { sessions, guards },
) => {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();

  r.get(
    '/api/v1/users/me/sessions',
    {
      schema: {
        tags: ['sessions'],
        summary: 'My signed-in sessions',
        description:
          'One entry per login (refresh-token family) that can still refresh, newest first. ' +
          '`current` marks the login of the access token that asks.',
        ...bearer,
        response: { 200: SessionList, ...errorResponses(SESSION_ERRORS.mine) },
      },
      preHandler: guards.requireUser,
    },
    async (request) => {
      const items = await sessions.list(currentUser(request).id, request.sessionId);
      return { items: items.map(toSession) };
    },
  );

  r.delete(
    '/api/v1/users/me/sessions/:sessionId',
    {
      schema: {
        tags: ['sessions'],
        summary: 'Sign one of my sessions out',
        description:
          'Its refresh token stops working and its access tokens are refused at once. ' +
          'Another user’s session, or one already ended, is 404.',
        ...bearer,
        params: SessionIdParams,
        response: { 204: Type.Null(), ...errorResponses(SESSION_ERRORS.revoke) },
      },
      preHandler: guards.requireUser,
    },
    async (request, reply) => {
      await sessions.revoke(currentUser(request).id, request.params.sessionId);
      return reply.status(204).send(null);
    },
  );

  r.post(
    '/api/v1/users/me/sessions/revoke-others',
    {
      schema: {
        tags: ['sessions'],
        summary: 'Sign out every session but this one',
        ...bearer,
        response: { 200: RevokedCount, ...errorResponses(SESSION_ERRORS.revokeOthers) },
      },
      preHandler: guards.requireUser,
    },
    async (request) => ({
      revoked: await sessions.revokeOthers(currentUser(request), request.sessionId),
    }),
  );

  r.get(
    '/api/v1/users/:id/sessions',
    {
      schema: {
        tags: ['sessions'],
        summary: 'A user’s signed-in sessions (superuser)',
        ...bearer,
        params: UserIdParams,
        response: { 200: SessionList, ...errorResponses(SESSION_ERRORS.listFor) },
      },
      preHandler: guards.requireSuperuser,
    },
    async (request) => {
      const items = await sessions.listFor(request.params.id, request.sessionId);
      return { items: items.map(toSession) };
    },
  );

  r.delete(
    '/api/v1/users/:id/sessions',
    {
      schema: {
        tags: ['sessions'],
        summary: 'Sign a user out everywhere (superuser)',
        description: 'Every login of the user ends; its access tokens are refused at once.',
        ...bearer,
        params: UserIdParams,
        response: { 200: RevokedCount, ...errorResponses(SESSION_ERRORS.revokeAllFor) },
      },
      preHandler: guards.requireSuperuser,
    },
    async (request) => ({ revoked: await sessions.revokeAllFor(request.params.id) }),
  );

  r.delete(
    '/api/v1/users/:id/sessions/:sessionId',
    {
      schema: {
        tags: ['sessions'],
        summary: 'Sign one session of a user out (superuser)',
        ...bearer,
        params: UserSessionParams,
        response: { 204: Type.Null(), ...errorResponses(SESSION_ERRORS.revokeFor) },
      },
      preHandler: guards.requireSuperuser,
    },
    async (request, reply) => {
      await sessions.revokeFor(request.params.id, request.params.sessionId);
      return reply.status(204).send(null);
    },
  );
};

export default sessionsRoutes;
