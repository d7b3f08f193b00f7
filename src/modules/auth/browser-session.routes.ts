import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import cookie from '@fastify/cookie';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { decodeJwt } from 'jose';
import { Type } from 'typebox';
import { DomainError } from '../../lib/errors.js';
import { errorResponses, throwing } from '../../lib/schemas.js';
import { AUTH_ERRORS } from './auth.errors.js';
import type { AuthService, TokenPair } from './auth.service.js';

// Browser sessions (issue 8, S17, ADR 0007), after the IETF's "OAuth 2.0 for Browser-Based
// Applications": the access token goes to the page (which keeps it in memory only); the
// refresh token never does, it lives in an HttpOnly, SameSite=Strict cookie limited to these
// routes. Every token operation is AuthService's, exactly as the v1 routes use it.

export const REFRESH_COOKIE = 'ifd_refresh';
export const BROWSER_AUTH_PREFIX = '/api/v1/auth/browser';
export const CSRF_HEADER = 'x-csrf-protection';

export interface BrowserSessionOptions {
  auth: AuthService;
  /** PUBLIC_URL: its origin is the application's own. */
  publicUrl: string;
  /** CORS_ORIGINS: other origins allowed to use the session routes. */
  corsOrigins: string[];
  /** COOKIE_SECURE */
  secure: boolean;
}

const BrowserLoginBody = Type.Object(
  {
    username: Type.String({ minLength: 1, maxLength: 100, description: 'Username or e-mail' }),
    password: Type.String({ minLength: 1, maxLength: 128 }),
  },
  { additionalProperties: false },
);

const AccessTokenSchema = Type.Object(
  {
    access_token: Type.String(),
    token_type: Type.Literal('bearer'),
    expires_in: Type.Integer({ description: 'Access token lifetime in seconds' }),
  },
  { title: 'BrowserAccessToken' },
);

const csrfHeaderDoc = Type.Object({
  [CSRF_HEADER]: Type.Literal('1', { description: 'Required: forces a CORS preflight.' }),
});

const browserSessionRoutes: FastifyPluginAsync<BrowserSessionOptions> = async (app, opts) => {
  // Encapsulated: cookies are parsed for these routes only.
  await app.register(cookie);
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const { auth } = opts;
  const allowedOrigins = new Set([new URL(opts.publicUrl).origin, ...opts.corsOrigins]);
  const cookieBase = {
    httpOnly: true,
    sameSite: 'strict' as const,
    path: BROWSER_AUTH_PREFIX,
    secure: opts.secure,
  };

  /**
   * A custom header cannot be sent cross-site without a CORS preflight, which only the
   * allow-listed origins pass; a present Origin must be one of them as well.
   */
  const csrfCheck = throwing(
    async (request: FastifyRequest) => {
      const origin = request.headers.origin;
      if (
        request.headers[CSRF_HEADER] !== '1' ||
        (origin !== undefined && !allowedOrigins.has(origin))
      ) {
        throw new DomainError('csrf_failed');
      }
    },
    ['csrf_failed'],
  );

  const clear = (reply: FastifyReply) => reply.clearCookie(REFRESH_COOKIE, cookieBase);

  const issue = (reply: FastifyReply, pair: TokenPair) => {
    // The family's absolute expiry (S8) bounds the cookie too: rotation never extends it.
    const exp = decodeJwt(pair.refresh_token).exp ?? 0;
    const maxAge = Math.max(0, exp - Math.floor(Date.now() / 1000));
    reply.setCookie(REFRESH_COOKIE, pair.refresh_token, { ...cookieBase, maxAge });
    reply.header('cache-control', 'no-store');
    return {
      access_token: pair.access_token,
      token_type: 'bearer' as const,
      expires_in: pair.expires_in,
    };
  };

  r.post(
    `${BROWSER_AUTH_PREFIX}/login`,
    {
      schema: {
        tags: ['auth'],
        summary: 'Sign in from the web application (refresh token in an HttpOnly cookie)',
        description:
          'JSON `username` (or e-mail) and `password`. Needs the header `X-CSRF-Protection: 1`. ' +
          'Answers the access token; the refresh token is set as the `ifd_refresh` cookie ' +
          '(HttpOnly, SameSite=Strict, Path=/api/v1/auth/browser). Throttled as v1 login.',
        headers: csrfHeaderDoc,
        body: BrowserLoginBody,
        response: { 200: AccessTokenSchema, ...errorResponses(AUTH_ERRORS.browserLogin) },
      },
      onRequest: csrfCheck,
    },
    async (request, reply) => {
      try {
        const pair = await auth.login(
          request.body.username,
          request.body.password,
          request.ip,
          request.headers['user-agent'],
        );
        return issue(reply, pair);
      } catch (err) {
        if (err instanceof DomainError && err.code === 'invalid_credentials') {
          throw new DomainError('login_bad_credentials');
        }
        throw err;
      }
    },
  );

  r.post(
    `${BROWSER_AUTH_PREFIX}/refresh`,
    {
      schema: {
        tags: ['auth'],
        summary: 'Restore or extend the browser session (rotates the cookie)',
        description:
          'No body. Reads the `ifd_refresh` cookie; needs `X-CSRF-Protection: 1`. Each cookie ' +
          'value works once; reusing a spent one revokes the whole login (as v1 refresh). ' +
          '401 "Session expired" and 403 "User inactive" clear the cookie.',
        headers: csrfHeaderDoc,
        response: { 200: AccessTokenSchema, ...errorResponses(AUTH_ERRORS.browserRefresh) },
      },
      onRequest: csrfCheck,
    },
    async (request, reply) => {
      const token = request.cookies[REFRESH_COOKIE];
      try {
        if (token === undefined || token === '') {
          throw new DomainError('session_expired');
        }
        return issue(
          reply,
          await auth.refreshOrExplain(token, {
            ip: request.ip,
            userAgent: request.headers['user-agent'],
          }),
        );
      } catch (err) {
        clear(reply);
        if (
          err instanceof DomainError &&
          (err.code === 'invalid_token' || err.code === 'expected_refresh_token')
        ) {
          throw new DomainError('session_expired');
        }
        throw err;
      }
    },
  );

  r.post(
    `${BROWSER_AUTH_PREFIX}/logout`,
    {
      schema: {
        tags: ['auth'],
        summary: 'Sign out of the browser session: revoke its login, clear the cookie',
        description: 'No body; needs `X-CSRF-Protection: 1`. 204 even without a cookie.',
        headers: csrfHeaderDoc,
        response: { 204: Type.Null(), ...errorResponses(AUTH_ERRORS.browserLogout) },
      },
      onRequest: csrfCheck,
    },
    async (request, reply) => {
      const token = request.cookies[REFRESH_COOKIE];
      if (token !== undefined && token !== '') {
        try {
          await auth.logout(token);
        } catch (err) {
          // A bad or expired cookie has no session left to revoke: signing out still succeeds.
          if (!(err instanceof DomainError)) {
            throw err;
          }
        }
      }
      clear(reply);
      return reply.status(204).send(null);
    },
  );
};

export default browserSessionRoutes;
