import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { errors } from '../../lib/schemas.js';
import type { RateLimitGuard } from '../../plugins/rate-limit.js';
import type { AuthService } from '../auth/auth.service.js';
import { bearerToken } from '../../plugins/auth.js';
import type { UsersService } from './users.service.js';
import { RegisterBody, toUserPublic, UserPublic } from './users.schemas.js';

export interface UsersRoutesOptions {
  users: UsersService;
  auth: AuthService;
  registerLimit: RateLimitGuard;
}

const usersRoutes: FastifyPluginAsync<UsersRoutesOptions> = async (
  app,
  { users, auth, registerLimit },
) => {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();

  r.post(
    '/api/v1/users/',
    {
      schema: {
        tags: ['users'],
        summary: 'Register',
        description:
          'Creates an account and schedules the welcome e-mail (sent in the background). ' +
          'Username and e-mail are unique case-insensitively.',
        body: RegisterBody,
        response: { 201: UserPublic, ...errors(400, 413, 415, 422, 429) },
      },
      onRequest: registerLimit,
    },
    async (request, reply) => {
      const user = await users.register(request.body);
      return reply.status(201).send(toUserPublic(user));
    },
  );

  r.get(
    '/api/v1/jwt/users/me/',
    {
      schema: {
        tags: ['users'],
        summary: 'The signed-in user',
        security: [{ OAuth2PasswordBearer: [] }],
        response: { 200: UserPublic, ...errors(401, 403) },
      },
    },
    async (request) => toUserPublic(await auth.authenticate(bearerToken(request))),
  );
};

export default usersRoutes;
