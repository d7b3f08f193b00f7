import { Type, type Static } from 'typebox';
import type { SessionView } from './sessions.service.js';

const dateTime = (description: string) => Type.String({ format: 'date-time', description });

export const SessionSchema = Type.Object(
  {
    id: Type.String({ format: 'uuid', description: 'The login (refresh-token family)' }),
    created_at: dateTime('When the login started'),
    last_used_at: dateTime('The last refresh of the login (its start if never refreshed)'),
    expires_at: dateTime('Absolute end of the login'),
    ip: Type.Union([Type.String(), Type.Null()], {
      description: 'Client address of the last sign-in or refresh',
    }),
    user_agent: Type.Union([Type.String(), Type.Null()], {
      description: 'User-Agent of the last sign-in or refresh (first 512 characters)',
    }),
    current: Type.Boolean({ description: 'true for the login of the token that asks' }),
  },
  { title: 'Session' },
);

export const SessionList = Type.Object(
  { items: Type.Array(SessionSchema) },
  { title: 'SessionList' },
);

export const SessionIdParams = Type.Object(
  { sessionId: Type.String({ format: 'uuid' }) },
  { additionalProperties: false },
);

export const UserSessionParams = Type.Object(
  {
    id: Type.Integer({ minimum: 1, maximum: 2147483647, examples: [42] }),
    sessionId: Type.String({ format: 'uuid' }),
  },
  { additionalProperties: false },
);

export const RevokedCount = Type.Object(
  { revoked: Type.Integer({ minimum: 0, description: 'How many logins ended' }) },
  { title: 'RevokedCount' },
);

export function toSession(s: SessionView): Static<typeof SessionSchema> {
  return {
    id: s.id,
    created_at: s.startedAt.toISOString(),
    last_used_at: s.lastUsedAt.toISOString(),
    expires_at: s.expiresAt.toISOString(),
    ip: s.ip,
    user_agent: s.userAgent,
    current: s.current,
  };
}
