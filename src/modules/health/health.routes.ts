import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { sql } from 'drizzle-orm';
import { Type } from 'typebox';
import type { Db } from '../../db/client.js';
import type { RateLimitStore } from '../../lib/rate-limiter.js';
import { errors } from '../../lib/schemas.js';

const Status = Type.Object({
  status: Type.String(),
  database: Type.Optional(Type.String()),
  rate_limit_store: Type.Optional(Type.String()),
});

const healthRoutes: FastifyPluginAsync<{ db: Db; rateLimitStore: RateLimitStore }> = async (
  app,
  { db, rateLimitStore },
) => {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();

  r.get(
    '/health',
    {
      schema: { tags: ['health'], summary: 'Liveness', response: { 200: Status } },
      logLevel: 'warn',
    },
    async () => ({ status: 'ok' }),
  );

  r.get(
    '/health/ready',
    {
      schema: {
        tags: ['health'],
        summary: 'Readiness: the database answers',
        response: { 200: Status, ...errors(503) },
      },
      logLevel: 'warn',
    },
    async (request, reply) => {
      try {
        await db.execute(sql`SELECT 1`);
      } catch (err) {
        request.log.warn({ err }, 'readiness: database unavailable');
        reply.header('Retry-After', '5');
        return reply.status(503).send({ detail: 'Database unavailable' });
      }
      // R18: without its counters sign-in answers 503, so this process is not ready either.
      try {
        await rateLimitStore.ping();
      } catch (err) {
        request.log.warn({ err }, 'readiness: rate-limit store unavailable');
        reply.header('Retry-After', '5');
        return reply.status(503).send({ detail: 'Rate-limit store unavailable' });
      }
      return { status: 'ok', database: 'up', rate_limit_store: rateLimitStore.kind };
    },
  );
};

export default healthRoutes;
