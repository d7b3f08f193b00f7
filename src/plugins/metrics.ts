// Prometheus on the API: every response's duration by method, route template (never the raw
// URL: ids would make a series each) and status, and GET /metrics in the text format. The
// outbox gauges are read through this app's pool at scrape time.
import type { FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';
import type pg from 'pg';
import {
  METRICS_CONTENT_TYPE,
  observeHttpRequest,
  renderMetrics,
  setOutboxBacklogSource,
} from '../lib/metrics.js';
import { outboxRepository } from '../modules/outbox/outbox.repository.js';

const metricsPlugin: FastifyPluginAsync<{ pool: pg.Pool }> = async (app, { pool }) => {
  const source = () => outboxRepository.backlog(pool);
  setOutboxBacklogSource(source);
  app.addHook('onClose', async () => setOutboxBacklogSource(null));
  app.addHook('onResponse', async (request, reply) => {
    // Unmatched paths (404s) share one label: a scanner's URLs must not become series.
    const route = request.routeOptions.url ?? 'unmatched';
    observeHttpRequest(request.method, route, reply.statusCode, reply.elapsedTime / 1000);
  });
  app.get(
    '/metrics',
    {
      schema: { tags: ['health'], summary: 'Prometheus metrics (text format)', hide: true },
      logLevel: 'warn',
    },
    async (_request, reply) => {
      const body = await renderMetrics();
      return reply.header('content-type', METRICS_CONTENT_TYPE).send(body);
    },
  );
};

export default fp(metricsPlugin, { name: 'metrics', fastify: '5.x' });
