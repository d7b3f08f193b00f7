import type { FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from '../lib/errors.js';
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
  return async (request) => {
    if (!enabled) {
      return;
    }
    const d = await store.hit(`${name}:${request.ip}`, limit, windowSeconds);
    if (!d.allowed) {
      throw new DomainError('rate_limited', 'Too many requests. Try again later.', {
        retryAfterSeconds: d.retryAfterSeconds,
      });
    }
  };
}
