// The worker's own health signals on WORKER_HEALTH_PORT (ADR 0016): /health (the process
// answers), /health/ready (broker connected, every consumer of this process consuming, the
// database answering; the outbox lag reported) and /metrics (Prometheus). A tiny Fastify of
// its own: the worker serves no API, and orchestrators probe it like the API.
import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import type pg from 'pg';
import type { Logger } from 'pino';
import { METRICS_CONTENT_TYPE, renderMetrics, setOutboxBacklogSource } from '../../lib/metrics.js';
import { outboxRepository } from '../outbox/outbox.repository.js';

export interface WorkerHealthSources {
  /** The broker connection is up. */
  broker(): boolean;
  /** Consumer name → consuming now. */
  consumers(): Record<string, boolean>;
  pool: pg.Pool;
}

export interface WorkerHealth {
  url: string;
  close(): Promise<void>;
}

export async function startWorkerHealth(
  at: { host: string; port: number },
  sources: WorkerHealthSources,
  log: Logger,
): Promise<WorkerHealth> {
  const backlog = () => outboxRepository.backlog(sources.pool);
  setOutboxBacklogSource(backlog);
  const app = Fastify({ logger: false });

  app.get('/health', async () => ({ status: 'ok' }));

  app.get('/health/ready', async (_request, reply) => {
    const consumers = Object.fromEntries(
      Object.entries(sources.consumers()).map(([name, up]) => [name, up ? 'running' : 'stopped']),
    );
    const broker = sources.broker() ? 'up' : 'down';
    let database = 'up';
    let outbox: { pending: number; lag_seconds: number } | null = null;
    try {
      const b = await backlog();
      outbox = { pending: b.pending, lag_seconds: Math.round(b.oldestAgeSeconds * 1000) / 1000 };
    } catch (err) {
      database = 'down';
      log.warn({ err }, 'worker readiness: database unavailable');
    }
    const problems = [
      ...(broker === 'down' ? ['broker not connected'] : []),
      ...Object.entries(consumers)
        .filter(([, s]) => s !== 'running')
        .map(([name]) => `consumer ${name} not running`),
      ...(database === 'down' ? ['database unavailable'] : []),
    ];
    const body = { broker, consumers, database, outbox };
    if (problems.length > 0) {
      reply.header('Retry-After', '5');
      return reply.status(503).send({ detail: `Not ready: ${problems.join(', ')}`, ...body });
    }
    return { status: 'ok', ...body };
  });

  app.get('/metrics', async (_request, reply) =>
    reply.header('content-type', METRICS_CONTENT_TYPE).send(await renderMetrics()),
  );

  await app.listen({ host: at.host, port: at.port });
  const port = (app.server.address() as AddressInfo).port;
  const url = `http://${at.host}:${port}`;
  log.info({ url }, `worker health on ${url}`);
  return {
    url,
    close: async () => {
      setOutboxBacklogSource(null);
      await app.close();
    },
  };
}
