import { Type } from 'typebox';

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
