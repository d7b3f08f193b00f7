import type { FastifyRequest } from 'fastify';
import { DomainError } from '../lib/errors.js';

/** The bearer token of the Authorization header, or "Not authenticated" (401). */
export function bearerToken(request: FastifyRequest): string {
  const header = request.headers.authorization;
  if (header === undefined) {
    throw new DomainError('not_authenticated');
  }
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match?.[1]) {
    throw new DomainError('not_authenticated');
  }
  return match[1];
}
