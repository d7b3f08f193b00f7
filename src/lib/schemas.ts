import type { FastifySchema, RouteOptions } from 'fastify';
import { Type } from 'typebox';
import { statusesOf, type ErrorCode } from './errors.js';

/** The standard error body (api-v1.md): detail, plus errors on validation failures. */
export const ErrorBody = Type.Object(
  {
    detail: Type.String(),
    errors: Type.Optional(
      Type.Array(
        Type.Object({
          loc: Type.Array(Type.Union([Type.String(), Type.Integer()])),
          msg: Type.String(),
          type: Type.String(),
        }),
      ),
    ),
  },
  { title: 'ErrorBody' },
);

/** Response schemas for the usual error statuses of a route. */
export function errors<const S extends number>(...statuses: S[]): { [K in S]: typeof ErrorBody } {
  return Object.fromEntries(statuses.map((s) => [s, ErrorBody])) as { [K in S]: typeof ErrorBody };
}

/** OpenAPI security of routes that need a signed-in user (the scheme is in plugins/swagger.ts). */
export const signedIn = [{ OAuth2PasswordBearer: [] as string[] }];

// --- error responses derived from error codes (issue 14)

const THROWS = Symbol.for('ifd.throws');

/** Marks a hook (a guard) with the codes it can throw: routes using it document them. */
export function throwing<F extends object>(hook: F, codes: readonly ErrorCode[]): F {
  (hook as Record<symbol, unknown>)[THROWS] = codes;
  return hook;
}

/** Response schemas for the statuses an operation's codes answer (see errors.ts). */
export function errorResponses(
  ...codeLists: (readonly ErrorCode[])[]
): Record<number, typeof ErrorBody> {
  return errors(...statusesOf(codeLists.flat()));
}

const hooksOf = (h: unknown): unknown[] => (Array.isArray(h) ? h : h === undefined ? [] : [h]);

/**
 * The statuses every route of a kind can answer, added to its response schemas (onRoute, before
 * the OpenAPI document is read): 422 where it takes input, 400/414 where it has path parameters
 * (bad encoding, too long), 413/415 where it takes a body, 503
 * (the database or a dependency down, or the process closing), and its guards' codes.
 */
export function documentGenericErrors(route: RouteOptions): void {
  const schema: (FastifySchema & { hide?: boolean }) | undefined = route.schema;
  if (schema === undefined || schema.hide === true) {
    return;
  }
  const codes: ErrorCode[] = ['database_unavailable'];
  if (schema.params !== undefined || schema.querystring !== undefined || schema.body) {
    codes.push('validation');
  }
  if (schema.params !== undefined) {
    codes.push('bad_url', 'param_too_long');
  }
  if (schema.body !== undefined) {
    codes.push('body_too_large', 'unsupported_media_type');
  }
  for (const hook of [route.onRequest, route.preValidation, route.preHandler].flatMap(hooksOf)) {
    const thrown = (hook as Record<symbol, unknown> | null)?.[THROWS];
    if (Array.isArray(thrown)) {
      codes.push(...(thrown as ErrorCode[]));
    }
  }
  const response = (schema.response ??= {}) as Record<string, unknown>;
  for (const status of statusesOf(codes)) {
    response[status] ??= ErrorBody;
  }
}
