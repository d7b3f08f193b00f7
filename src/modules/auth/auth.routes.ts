import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { errorResponses } from '../../lib/schemas.js';
import { AUTH_ERRORS } from './auth.errors.js';
import { bearerToken } from '../../plugins/auth.js';
import type { AuthService } from './auth.service.js';
import { Jwks, LoginForm, TokenPairSchema } from './auth.schemas.js';
import type { TokenService } from './tokens.js';

export interface AuthRoutesOptions {
  auth: AuthService;
  tokens: TokenService;
}

const bearerRefresh = {
  security: [{ RefreshBearer: [] }],
};

const authRoutes: FastifyPluginAsync<AuthRoutesOptions> = async (app, { auth, tokens }) => {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();

  r.post(
    '/api/v1/jwt/login/',
    {
      schema: {
        tags: ['auth'],
        summary: 'Sign in (OAuth2 password form)',
        description:
          '`application/x-www-form-urlencoded` with `username` (or the e-mail address) and ' +
          '`password`. Throttled per account and per client address (429 with Retry-After).',
        consumes: ['application/x-www-form-urlencoded'],
        body: LoginForm,
        response: { 200: TokenPairSchema, ...errorResponses(AUTH_ERRORS.login) },
      },
    },
    async (request) =>
      auth.login(
        request.body.username,
        request.body.password,
        request.ip,
        request.headers['user-agent'],
      ),
  );

  r.post(
    '/api/v1/jwt/refresh/',
    {
      schema: {
        tags: ['auth'],
        summary: 'Rotate the refresh token and get a new access token',
        description:
          'Send the refresh token as `Authorization: Bearer <refresh_token>`. Each refresh ' +
          'token works once; the response carries its successor. Reusing a spent token ' +
          'revokes every token of that login.',
        ...bearerRefresh,
        response: { 200: TokenPairSchema, ...errorResponses(AUTH_ERRORS.refresh) },
      },
    },
    async (request) =>
      auth.refresh(bearerToken(request), {
        ip: request.ip,
        userAgent: request.headers['user-agent'],
      }),
  );

  r.post(
    '/api/v1/jwt/logout/',
    {
      schema: {
        tags: ['auth'],
        summary: 'Sign out: revoke the refresh token and its whole family',
        ...bearerRefresh,
        response: { 204: Type.Null(), ...errorResponses(AUTH_ERRORS.logout) },
      },
    },
    async (request, reply) => {
      await auth.logout(bearerToken(request));
      return reply.status(204).send(null);
    },
  );

  r.get(
    '/.well-known/jwks.json',
    {
      schema: {
        tags: ['auth'],
        summary: 'Public keys that verify this service’s tokens (select by `kid`)',
        response: { 200: Jwks },
      },
    },
    async (_request, reply) => {
      reply.header('Cache-Control', 'public, max-age=300');
      return tokens.jwks;
    },
  );
};

export default authRoutes;
