import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type pg from 'pg';
import { Type } from 'typebox';
import { schemaVersion } from '../../db/schema-version.js';
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
  broker: Type.String({
    description:
      'up | down: RabbitMQ accepts a connection (checked at most every 10 s). Reported, not ' +
      'gating: the outbox holds mails while the broker is away (R1).',
  }),
});

export interface HealthRoutesOptions {
  pool: pg.Pool;
  broker: BrokerCheck;
}

const healthRoutes: FastifyPluginAsync<HealthRoutesOptions> = async (app, { pool, broker }) => {
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
      return {
        status: 'ok',
        database: 'up',
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
