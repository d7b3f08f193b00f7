import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { STATUS_CODES } from 'node:http';
import { isDatabaseUnavailable } from '../db/client.js';
import { DomainError, type BearerProblem, type ErrorCode, type FieldError } from '../lib/errors.js';
import { httpForSqlState } from '../lib/sqlstate.js';

// The one boundary between domain errors and HTTP (style rule 5). The body always has the
// FastAPI shape { detail, errors? }; a 5xx never reveals SQL, stacks or driver messages (S13).

interface HttpError {
  status: number;
  detail: string;
}

export function httpErrorFor(err: DomainError): HttpError {
  const code: ErrorCode = err.code;
  switch (code) {
    case 'validation':
      return { status: 422, detail: 'Request data is not correct' };
    case 'username_taken':
      return { status: 400, detail: 'Username already exists' };
    case 'email_taken':
      return { status: 400, detail: 'Email already exists' };
    case 'passwords_mismatch':
      return { status: 400, detail: 'Passwords do not match' };
    case 'invalid_credentials':
      return { status: 401, detail: 'Invalid username or password' };
    case 'user_inactive':
      return { status: 403, detail: 'User inactive' };
    case 'not_authenticated':
      return { status: 401, detail: 'Not authenticated' };
    case 'invalid_token':
      return { status: 401, detail: 'Invalid token error.' };
    case 'expected_refresh_token':
      return { status: 401, detail: 'Invalid token type. Expected refresh token.' };
    case 'expected_access_token':
      return { status: 401, detail: 'Invalid token type. Expected access' };
    case 'rate_limited':
      return { status: 429, detail: err.message };
    case 'forbidden':
      return { status: 403, detail: err.message === code ? 'Forbidden' : err.message };
    case 'not_found':
      return { status: 404, detail: err.message === code ? 'Not found' : err.message };
    case 'conflict':
      return { status: 409, detail: err.message };
    case 'invalid_account_token':
      return { status: 400, detail: 'Invalid or expired token' };
    case 'service_unavailable':
      return { status: 503, detail: err.message === code ? 'Service unavailable' : err.message };
    case 'login_bad_credentials':
      return { status: 400, detail: 'LOGIN_BAD_CREDENTIALS' };
    case 'session_expired':
      return { status: 401, detail: 'Session expired' };
    case 'link_already_used':
      return { status: 400, detail: 'LINK_ALREADY_USED' };
  }
}

const AJV_TYPES: Record<string, string> = {
  required: 'missing',
  additionalProperties: 'extra_forbidden',
  minLength: 'string_too_short',
  maxLength: 'string_too_long',
  format: 'value_error',
  type: 'type_error',
  minimum: 'greater_than_equal',
  maximum: 'less_than_equal',
  enum: 'enum',
  pattern: 'string_pattern_mismatch',
};

interface AjvIssue {
  keyword: string;
  instancePath: string;
  message?: string;
  params: Record<string, unknown>;
}

function toFieldErrors(context: string, issues: AjvIssue[]): FieldError[] {
  return issues.map((v) => {
    const loc: (string | number)[] = [context === 'querystring' ? 'query' : context];
    for (const part of v.instancePath.split('/').slice(1)) {
      loc.push(/^\d+$/.test(part) ? Number(part) : part.replace(/~1/g, '/').replace(/~0/g, '~'));
    }
    let msg = v.message ?? 'is not valid';
    if (v.keyword === 'required' && typeof v.params.missingProperty === 'string') {
      loc.push(v.params.missingProperty);
      msg = 'Field required';
    } else if (
      v.keyword === 'additionalProperties' &&
      typeof v.params.additionalProperty === 'string'
    ) {
      loc.push(v.params.additionalProperty);
      msg = 'Extra inputs are not permitted';
    }
    return { loc, msg, type: AJV_TYPES[v.keyword] ?? v.keyword };
  });
}

const BEARER_DESCRIPTIONS: Record<BearerProblem, string> = {
  expired: 'The token expired',
  invalid: 'The token is not valid',
  revoked: 'The session was revoked',
};

/**
 * RFC 6750 §3: a request without credentials gets the bare challenge; a refused token gets
 * error="invalid_token" with a description that tells an expired token (refresh it) from a
 * bad or revoked one (sign in again). The v1 `detail` stays as it was.
 */
function bearerChallenge(err: DomainError | undefined): string {
  if (err === undefined) {
    return 'Bearer';
  }
  switch (err.code) {
    case 'invalid_token':
      return `Bearer error="invalid_token", error_description="${BEARER_DESCRIPTIONS[err.extra.bearer ?? 'invalid']}"`;
    case 'expected_access_token':
    case 'expected_refresh_token':
      return 'Bearer error="invalid_token", error_description="The token is of the wrong type"';
    default:
      return 'Bearer';
  }
}

function send(
  reply: FastifyReply,
  status: number,
  body: Record<string, unknown>,
  err?: DomainError,
) {
  if (status === 401) {
    reply.header('WWW-Authenticate', bearerChallenge(err));
  }
  return reply.status(status).send(body);
}

async function errorsPlugin(app: FastifyInstance) {
  app.setErrorHandler((error: FastifyError | DomainError, request: FastifyRequest, reply) => {
    if (error instanceof DomainError) {
      const { status, detail } = httpErrorFor(error);
      if (error.extra.retryAfterSeconds !== undefined) {
        reply.header('Retry-After', String(error.extra.retryAfterSeconds));
      }
      const body: Record<string, unknown> = { detail };
      if (error.extra.errors) {
        body.errors = error.extra.errors;
      }
      return send(reply, status, body, error);
    }
    if (error.validation) {
      return send(reply, 422, {
        detail: 'Request data is not correct',
        errors: toFieldErrors(error.validationContext ?? 'body', error.validation),
      });
    }
    switch (error.code) {
      case 'FST_ERR_CTP_INVALID_JSON_BODY':
      case 'FST_ERR_CTP_EMPTY_JSON_BODY':
        return send(reply, 422, {
          detail: 'Request data is not correct',
          errors: [{ loc: ['body'], msg: 'JSON decode error', type: 'json_invalid' }],
        });
      case 'FST_ERR_CTP_BODY_TOO_LARGE':
        return send(reply, 413, { detail: 'Request body is too large' });
      case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
        return send(reply, 415, { detail: 'Unsupported media type' });
      default:
        break;
    }
    const refused = httpForSqlState(error);
    if (refused) {
      // Input the schemas let through but the database refused (R14): a 4xx, logged without
      // the statement's parameters (the logger's err serializer drops them).
      request.log.warn({ err: error }, 'database refused the input');
      return send(reply, refused.status, { detail: refused.detail });
    }
    if (isDatabaseUnavailable(error)) {
      request.log.error({ err: error }, 'database unavailable');
      reply.header('Retry-After', '5');
      return send(reply, 503, { detail: 'Service temporarily unavailable' });
    }
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      // Framework 4xx (bad header, unsupported method...): safe to name, never internals.
      return send(reply, status, { detail: safeClientMessage(error) });
    }
    request.log.error({ err: error }, 'unhandled error');
    return send(reply, 500, { detail: 'Internal server error' });
  });

  app.setNotFoundHandler((request, reply) => {
    // R14: a known path with another method is a 405 naming the methods it has.
    const allow = request.server.allowedMethods?.(request.url) ?? [];
    if (allow.length > 0) {
      reply.header('Allow', allow.join(', '));
      return send(reply, 405, { detail: 'Method Not Allowed' });
    }
    return send(reply, 404, { detail: 'Not Found' });
  });
}

function safeClientMessage(error: FastifyError): string {
  // Fastify's own 4xx messages may repeat the request (a URL, a header): never echo them.
  return STATUS_CODES[error.statusCode ?? 400] ?? 'Bad request';
}

export default fp(errorsPlugin, { name: 'errors', fastify: '5.x' });
