import { Type } from 'typebox';

// The OAuth2 password-flow form (Swagger UI's "Authorize" sends exactly this).
export const LoginForm = Type.Object(
  {
    username: Type.String({ minLength: 1, maxLength: 100, description: 'Username or e-mail' }),
    password: Type.String({ minLength: 1, maxLength: 128 }),
    grant_type: Type.Optional(Type.String({ pattern: '^password$' })),
    scope: Type.Optional(Type.String({ maxLength: 200 })),
    client_id: Type.Optional(Type.String({ maxLength: 200 })),
    client_secret: Type.Optional(Type.String({ maxLength: 200 })),
  },
  { additionalProperties: false },
);

export const TokenPairSchema = Type.Object(
  {
    access_token: Type.String(),
    refresh_token: Type.String(),
    token_type: Type.Literal('Bearer'),
    expires_in: Type.Integer({ description: 'Access token lifetime in seconds' }),
  },
  { title: 'TokenPair' },
);

export const Jwks = Type.Object({
  keys: Type.Array(
    Type.Object(
      {
        kty: Type.String(),
        kid: Type.String(),
        alg: Type.String(),
        use: Type.String(),
        n: Type.String(),
        e: Type.String(),
      },
      { additionalProperties: false },
    ),
  ),
});
