import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { errorResponses, signedIn } from '../../lib/schemas.js';
import { AUTH_ERRORS } from '../auth/auth.errors.js';
import { USER_ERRORS } from './users.errors.js';
import type { RateLimitGuard } from '../../plugins/rate-limit.js';
import type { AuthService } from '../auth/auth.service.js';
import { TokenPairSchema } from '../auth/auth.schemas.js';
import { authGuards, bearerToken, currentUser } from '../../plugins/auth.js';
import type { AccountService } from './account.service.js';
import type { UsersAdminService } from './users.admin.service.js';
import type { UsersService } from './users.service.js';
import {
  Accepted,
  AdminUpdateBody,
  ArchiveMeBody,
  ChangePasswordBody,
  ListUsersQuery,
  PasswordRecoveryBody,
  RegisterBody,
  ResetPasswordBody,
  toUserPublic,
  UpdateMeBody,
  UserIdParams,
  UserPage,
  UserPublic,
  VerifyEmailBody,
} from './users.schemas.js';

export interface UsersRoutesOptions {
  users: UsersService;
  auth: AuthService;
  registerLimit: RateLimitGuard;
  account: AccountService;
  admin: UsersAdminService;
  /** A per-client-address limit named `name`, for the account-mail routes (S12). */
  accountMailLimit: (name: string) => RateLimitGuard;
}

const bearer = { security: signedIn };
const RECOVERY_ACCEPTED = 'If the address belongs to an account, a mail is on its way.';

const usersRoutes: FastifyPluginAsync<UsersRoutesOptions> = async (
  app,
  { users, auth, registerLimit, account, admin, accountMailLimit },
) => {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const guards = authGuards(auth);

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
        response: { 201: UserPublic, ...errorResponses(USER_ERRORS.register) },
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
        security: signedIn,
        response: { 200: UserPublic, ...errorResponses(AUTH_ERRORS.authenticate) },
      },
    },
    async (request) => toUserPublic(await auth.authenticate(bearerToken(request))),
  );

  // --- administration (superusers)

  r.get(
    '/api/v1/users/',
    {
      schema: {
        tags: ['users'],
        summary: 'List users (superuser)',
        description:
          'Keyset pagination: pass `next_cursor` back as `cursor` with the same `order_by` and ' +
          '`direction` until it is null. Filters combine: `is_active`, `is_superuser`, and `q`, ' +
          'a case-insensitive prefix of the username or the e-mail address.',
        ...bearer,
        querystring: ListUsersQuery,
        response: { 200: UserPage, ...errorResponses(USER_ERRORS.list) },
      },
      preHandler: guards.requireSuperuser,
    },
    async (request) => {
      const page = await admin.list(request.query);
      return { items: page.items.map(toUserPublic), next_cursor: page.nextCursor };
    },
  );

  // --- the signed-in user (static `me` routes win over `{id}`)

  r.get(
    '/api/v1/users/me',
    {
      schema: {
        tags: ['users'],
        summary: 'The signed-in user',
        description: 'Same as `GET /api/v1/jwt/users/me/`; `email_verified` shows the state.',
        ...bearer,
        response: { 200: UserPublic, ...errorResponses(USER_ERRORS.getMe) },
      },
      preHandler: guards.requireUser,
    },
    async (request) => toUserPublic(currentUser(request)),
  );

  r.patch(
    '/api/v1/users/me',
    {
      schema: {
        tags: ['users'],
        summary: 'Change own username, e-mail or language',
        description:
          'A new e-mail address needs `current_password` and waits as `pending_email` until ' +
          'the link mailed to it is opened; `email` stays the address in use until then, and ' +
          'both addresses are told when it changes. The answer is the same whether or not the ' +
          'new address is taken. Limited per user and per client address (429).',
        ...bearer,
        body: UpdateMeBody,
        response: { 200: UserPublic, ...errorResponses(USER_ERRORS.updateMe) },
      },
      preHandler: guards.requireUser,
    },
    async (request) => {
      const user = currentUser(request);
      await account.limitProfileAction('profile', user, request.ip);
      return toUserPublic(await account.updateMe(user, request.body));
    },
  );

  r.delete(
    '/api/v1/users/me',
    {
      schema: {
        tags: ['users'],
        summary: 'Archive own account',
        description:
          'Needs `current_password`. The account becomes inactive and every session is revoked ' +
          'at once; only a superuser can restore it. The last active superuser cannot.',
        ...bearer,
        body: ArchiveMeBody,
        response: { 204: Type.Null(), ...errorResponses(USER_ERRORS.archiveMe) },
      },
      preHandler: guards.requireUser,
    },
    async (request, reply) => {
      await account.archiveMe(currentUser(request), request.body.current_password);
      return reply.status(204).send(null);
    },
  );

  r.post(
    '/api/v1/users/me/password',
    {
      schema: {
        tags: ['users'],
        summary: 'Change own password',
        description:
          'Revokes every refresh session of the user and answers with a fresh token pair ' +
          'for this client: the other sessions are signed out.',
        ...bearer,
        body: ChangePasswordBody,
        response: { 200: TokenPairSchema, ...errorResponses(USER_ERRORS.changePassword) },
      },
      preHandler: guards.requireUser,
    },
    async (request) =>
      account.changePassword(currentUser(request), request.body, {
        ip: request.ip,
        userAgent: request.headers['user-agent'],
      }),
  );

  // --- e-mail verification and password recovery

  r.post(
    '/api/v1/users/verify-email',
    {
      schema: {
        tags: ['users'],
        summary: 'Verify the e-mail address with the token from the mail',
        description:
          'The link in the verification mail opens `/verify-email#token=...` (the token in the ' +
          'fragment, never sent to a server); it works once and expires (EMAIL_VERIFICATION_TTL, ' +
          '24 h by default). A newer link or an e-mail change voids it. A second use is 400 ' +
          '`LINK_ALREADY_USED`; an unknown, expired or voided token 400 `Invalid or expired token`.',
        body: VerifyEmailBody,
        response: { 200: UserPublic, ...errorResponses(USER_ERRORS.verifyEmail) },
      },
      onRequest: accountMailLimit('verify-email'),
    },
    async (request) => toUserPublic(await account.verifyEmail(request.body.token)),
  );

  r.post(
    '/api/v1/users/verify-email/resend',
    {
      schema: {
        tags: ['users'],
        summary: 'Send the verification mail again',
        description:
          'To the pending new address when there is one, else to the unverified address. ' +
          'Rate-limited per user and per client address. Older links stop working.',
        ...bearer,
        response: { 202: Accepted, ...errorResponses(USER_ERRORS.resendVerification) },
      },
      onRequest: accountMailLimit('verify-email-resend'),
      preHandler: guards.requireUser,
    },
    async (request, reply) => {
      const user = currentUser(request);
      await account.limitProfileAction('verify-email-resend', user, request.ip);
      await account.resendVerification(user);
      return reply.status(202).send({ detail: 'Verification mail sent' });
    },
  );

  r.post(
    '/api/v1/users/password-recovery',
    {
      schema: {
        tags: ['users'],
        summary: 'Ask for a password reset link',
        description:
          'Always 202 with the same body, whether or not the address belongs to an account. ' +
          'An active account gets a mail with a single-use link valid one hour.',
        body: PasswordRecoveryBody,
        response: { 202: Accepted, ...errorResponses(USER_ERRORS.requestPasswordRecovery) },
      },
      onRequest: accountMailLimit('password-recovery'),
    },
    async (request, reply) => {
      await account.requestPasswordRecovery(request.body.email);
      return reply.status(202).send({ detail: RECOVERY_ACCEPTED });
    },
  );

  r.post(
    '/api/v1/users/reset-password',
    {
      schema: {
        tags: ['users'],
        summary: 'Set a new password with the token from the recovery mail',
        description:
          'The token (from `/reset-password#token=...`) works once: a second use is 400 ' +
          '`LINK_ALREADY_USED`. Every session of the user is revoked.',
        body: ResetPasswordBody,
        response: { 204: Type.Null(), ...errorResponses(USER_ERRORS.resetPassword) },
      },
      onRequest: accountMailLimit('reset-password'),
    },
    async (request, reply) => {
      await account.resetPassword(request.body);
      return reply.status(204).send(null);
    },
  );

  // --- one user by id

  r.get(
    '/api/v1/users/:id',
    {
      schema: {
        tags: ['users'],
        summary: 'One user (themself or a superuser)',
        description: 'Another user’s id is 404 for non-superusers, whether or not it exists.',
        ...bearer,
        params: UserIdParams,
        response: { 200: UserPublic, ...errorResponses(USER_ERRORS.get) },
      },
      preHandler: guards.requireUser,
    },
    async (request) => toUserPublic(await admin.get(currentUser(request), request.params.id)),
  );

  r.patch(
    '/api/v1/users/:id',
    {
      schema: {
        tags: ['users'],
        summary: 'Change a user (superuser)',
        description:
          'Username, e-mail, `is_active`, `is_superuser`. Archiving revokes the user’s ' +
          'sessions; a new address becomes unverified. The last active superuser can be ' +
          'neither demoted nor archived (409).',
        ...bearer,
        params: UserIdParams,
        body: AdminUpdateBody,
        response: { 200: UserPublic, ...errorResponses(USER_ERRORS.update) },
      },
      preHandler: guards.requireSuperuser,
    },
    async (request) => toUserPublic(await admin.update(request.params.id, request.body)),
  );

  r.delete(
    '/api/v1/users/:id',
    {
      schema: {
        tags: ['users'],
        summary: 'Archive a user (superuser)',
        description:
          'Soft delete: `is_active` becomes false and every session of the user is revoked at ' +
          'once. Idempotent. `POST /api/v1/users/{id}/restore` undoes it.',
        ...bearer,
        params: UserIdParams,
        response: { 204: Type.Null(), ...errorResponses(USER_ERRORS.archive) },
      },
      preHandler: guards.requireSuperuser,
    },
    async (request, reply) => {
      await admin.archive(request.params.id);
      return reply.status(204).send(null);
    },
  );

  r.post(
    '/api/v1/users/:id/restore',
    {
      schema: {
        tags: ['users'],
        summary: 'Restore an archived user (superuser)',
        description: 'The user can sign in again (old sessions stay revoked). Idempotent.',
        ...bearer,
        params: UserIdParams,
        response: { 200: UserPublic, ...errorResponses(USER_ERRORS.restore) },
      },
      preHandler: guards.requireSuperuser,
    },
    async (request) => toUserPublic(await admin.restore(request.params.id)),
  );
};

export default usersRoutes;
