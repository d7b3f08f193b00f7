import type { FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from '../lib/errors.js';
import { throwing } from '../lib/schemas.js';
import type { RateLimitStore } from '../lib/rate-limiter.js';

export type RateLimitGuard = (request: FastifyRequest, reply: FastifyReply) => Promise<void>;

/**
 * A per-client-address limit as an onRequest hook. The address is the socket's unless
 * TRUST_PROXY names a proxy to trust (Fastify's trustProxy then fills request.ip).
 */
export function rateLimitGuard(
  store: RateLimitStore,
  name: string,
  limit: number,
  windowSeconds: number,
  enabled: boolean,
): RateLimitGuard {
  const guard: RateLimitGuard = async (request) => {
    if (!enabled) {
      return;
    }
    const d = await store.hit(`${name}:${request.ip}`, limit, windowSeconds);
    if (!d.allowed) {
      throw new DomainError('rate_limited', { retryAfterSeconds: d.retryAfterSeconds });
    }
  };
  // Documented whether or not limits are on: the document does not depend on configuration.
  return throwing(guard, ['rate_limited', 'limits_unavailable']);
}
