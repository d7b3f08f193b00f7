import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { STATUS_CODES } from 'node:http';
import { isDatabaseUnavailable } from '../db/client.js';
import { DomainError, ERROR_HTTP, type FieldError, type HttpAnswer } from '../lib/errors.js';
import { httpForSqlState } from '../lib/sqlstate.js';
import { documentGenericErrors } from '../lib/schemas.js';

// The one boundary between domain errors and HTTP (style rule 5): status, `detail` and `loc`
// of every code come from ERROR_HTTP (src/lib/errors.ts), framework errors included. The body
// always has the FastAPI shape { detail, errors? }; a 5xx never reveals SQL, stacks or driver
// messages (S13).

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

/**
 * RFC 6750 §3 (issue 12): a request without credentials gets the bare challenge; a refused
 * token gets error="invalid_token" with a description (ERROR_HTTP) that tells an expired token
 * (refresh it) from a bad or revoked one (sign in again). The v1 `detail` stays as it was.
 */
function send(
  reply: FastifyReply,
  status: number,
  body: Record<string, unknown>,
  invalidToken?: string,
) {
  if (status === 401) {
    reply.header(
      'WWW-Authenticate',
      invalidToken === undefined
        ? 'Bearer'
        : `Bearer error="invalid_token", error_description="${invalidToken}"`,
    );
  }
  return reply.status(status).send(body);
}

function answer(reply: FastifyReply, a: HttpAnswer) {
  if (a.retryAfterSeconds !== undefined) {
    reply.header('Retry-After', String(a.retryAfterSeconds));
  }
  return send(
    reply,
    a.status,
    a.errors ? { detail: a.detail, errors: a.errors } : { detail: a.detail },
    a.invalidToken,
  );
}

async function errorsPlugin(app: FastifyInstance) {
  // Every route's document lists the statuses any route of its kind can answer (issue 14):
  // 422 (its params, query or body refused), 413/415 where it takes a body, 503 (the database
  // or the limits store down), and what its guards answer (401/403, 429); the operation's own
  // codes are added by the route (errorResponses). Registered before swagger reads the routes.
  app.addHook('onRoute', (route) => documentGenericErrors(route));

  app.setErrorHandler((error: FastifyError | DomainError, request: FastifyRequest, reply) => {
    if (error instanceof DomainError) {
      return answer(reply, error.http);
    }
    if (error.validation) {
      return answer(
        reply,
        ERROR_HTTP.validation({
          errors: toFieldErrors(error.validationContext ?? 'body', error.validation),
        }),
      );
    }
    switch (error.code) {
      case 'FST_ERR_CTP_INVALID_JSON_BODY':
      case 'FST_ERR_CTP_EMPTY_JSON_BODY':
        return answer(
          reply,
          ERROR_HTTP.validation({
            errors: [{ loc: ['body'], msg: 'JSON decode error', type: 'json_invalid' }],
          }),
        );
      case 'FST_ERR_CTP_BODY_TOO_LARGE':
        return answer(reply, ERROR_HTTP.body_too_large(undefined));
      case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
        return answer(reply, ERROR_HTTP.unsupported_media_type(undefined));
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
      return answer(reply, ERROR_HTTP.database_unavailable(undefined));
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
    // A route of this very method has this path, so only a parameter over maxParamLength
    // can have kept the router from it: with the web application's `/*` route registered,
    // find-my-way falls back to that route instead of raising FST_ERR_MAX_PARAM_LENGTH, and
    // the path reaches here. It is the same 414 as in a process without the web app (R14).
    if (allow.includes(request.method) && hasLongSegment(request)) {
      const { status, detail } = ERROR_HTTP.param_too_long(undefined);
      return send(reply, status, { detail });
    }
    if (allow.length > 0) {
      reply.header('Allow', allow.join(', '));
      return send(reply, 405, { detail: 'Method Not Allowed' });
    }
    return send(reply, 404, { detail: 'Not Found' });
  });
}

function hasLongSegment(request: FastifyRequest): boolean {
  const max = request.server.initialConfig.maxParamLength ?? 100;
  const path = request.url.split('?', 1)[0] ?? '';
  return path.split('/').some((segment) => segment.length > max);
}

function safeClientMessage(error: FastifyError): string {
  // Fastify's own 4xx messages may repeat the request (a URL, a header): never echo them.
  return STATUS_CODES[error.statusCode ?? 400] ?? 'Bad request';
}

export default fp(errorsPlugin, { name: 'errors', fastify: '5.x' });
