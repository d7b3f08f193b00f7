import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type pg from 'pg';
import { Type } from 'typebox';
import { schemaVersion } from '../../db/schema-version.js';
import type { RateLimitStore } from '../../lib/rate-limiter.js';
import { errors } from '../../lib/schemas.js';
import type { BrokerCheck } from './broker-check.js';

const Status = Type.Object({ status: Type.String() });
const Ready = Type.Object({
  status: Type.String(),
  database: Type.String({ description: 'up: the database answers' }),
  schema: Type.Object({
    applied: Type.Integer({ description: "migrations of this code's journal in the database" }),
    expected: Type.Integer({ description: 'migrations this code ships' }),
    current: Type.Union([Type.String(), Type.Null()]),
    latest: Type.String(),
  }),
  rate_limit_store: Type.String({ description: 'redis | memory: where throttling counters live' }),
  broker: Type.String({
    description:
      'up | down: RabbitMQ accepts a connection (checked at most every 10 s). Reported, not ' +
      'gating: the outbox holds mails while the broker is away (R1). embedded: the ' +
      'in-process transport of the development mode (no AMQP_URL).',
  }),
});

export interface HealthRoutesOptions {
  pool: pg.Pool;
  broker: BrokerCheck;
  rateLimitStore: RateLimitStore;
}

const healthRoutes: FastifyPluginAsync<HealthRoutesOptions> = async (
  app,
  { pool, broker, rateLimitStore },
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
        summary: 'Readiness: the database answers with the schema this code needs (R17)',
        response: { 200: Ready, ...errors(503) },
      },
      logLevel: 'warn',
    },
    async (request, reply) => {
      const brokerState = broker.state();
      let version;
      try {
        version = await schemaVersion(pool);
      } catch (err) {
        request.log.warn({ err }, 'readiness: database unavailable');
        reply.header('Retry-After', '5');
        return reply.status(503).send({ detail: 'Database unavailable' });
      }
      if (!version.upToDate) {
        reply.header('Retry-After', '5');
        return reply.status(503).send({
          detail: `Database schema is behind the code: ${version.applied} of ${version.expected} migrations applied`,
        });
      }
      // R18: without its counters sign-in answers 503, so this process is not ready either.
      try {
        await rateLimitStore.ping();
      } catch (err) {
        request.log.warn({ err }, 'readiness: rate-limit store unavailable');
        reply.header('Retry-After', '5');
        return reply.status(503).send({ detail: 'Rate-limit store unavailable' });
      }
      return {
        status: 'ok',
        database: 'up',
        rate_limit_store: rateLimitStore.kind,
        schema: {
          applied: version.applied,
          expected: version.expected,
          current: version.current,
          latest: version.latest,
        },
        broker: await brokerState,
      };
    },
  );
};

export default healthRoutes;
