import type { FastifyReply, FastifyRequest } from 'fastify';
import { DomainError, type ErrorCode } from '../lib/errors.js';
import { throwing } from '../lib/schemas.js';
import type { AuthService } from '../modules/auth/auth.service.js';
import type { UserRow } from '../modules/users/users.table.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The signed-in user, set by the guards below (undefined for anonymous requests). */
    user?: UserRow;
    /** The login (refresh family) of the access token, set with `user` (issue 12). */
    sessionId?: string;
  }
}

/** The bearer token of the Authorization header, or "Not authenticated" (401). */
export function bearerToken(request: FastifyRequest): string {
  const header = request.headers.authorization;
  if (header === undefined) {
    throw new DomainError('not_authenticated');
  }
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match?.[1]) {
    throw new DomainError('not_authenticated');
  }
  return match[1];
}

export type Guard = (request: FastifyRequest, reply: FastifyReply) => Promise<void>;

/** What a bearer-token guard can answer (documented on every route that uses one). */
export const SIGNED_IN_ERRORS = [
  'not_authenticated',
  'invalid_token',
  'expected_access_token',
  'user_inactive',
] as const satisfies readonly ErrorCode[];

export interface AuthGuards {
  /** 401 without a valid access token; 403 "User inactive" for archived users. */
  requireUser: Guard;
  /** As requireUser, then 403 unless the user is a superuser. */
  requireSuperuser: Guard;
  /** Sets request.user when a valid token is sent; anonymous otherwise. A bad token is 401. */
  optionalUser: Guard;
}

/** preHandler guards for routes: `{ preHandler: guards.requireUser }`; then `request.user!`. */
export function authGuards(auth: AuthService): AuthGuards {
  const requireUser: Guard = throwing(async (request) => {
    const { user, sessionId } = await auth.authenticateSession(bearerToken(request));
    request.user = user;
    request.sessionId = sessionId;
  }, SIGNED_IN_ERRORS);
  return {
    requireUser,
    requireSuperuser: throwing(
      async (request, reply) => {
        await requireUser(request, reply);
        if (request.user?.isSuperuser !== true) {
          throw new DomainError('superuser_required');
        }
      },
      [...SIGNED_IN_ERRORS, 'superuser_required'],
    ),
    optionalUser: throwing(async (request, reply) => {
      if (request.headers.authorization !== undefined) {
        await requireUser(request, reply);
      }
    }, SIGNED_IN_ERRORS),
  };
}

/** The signed-in user inside a handler guarded by requireUser / requireSuperuser. */
export function currentUser(request: FastifyRequest): UserRow {
  if (request.user === undefined) {
    throw new DomainError('not_authenticated');
  }
  return request.user;
}
