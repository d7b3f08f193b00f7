// Prometheus metrics of both processes (prom-client), in one registry per process: the API's
// HTTP durations, the outbox backlog, and what the publishers and consumers did. Producers
// call the small functions below with their own label (`publisher`, `consumer`); the label
// sets stay small and fixed (routes as templates, consumers and reasons from code), so the
// series count never grows with traffic. What each one means: docs/operations.md.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export const registry = new Registry();
collectDefaultMetrics({ register: registry });

const httpDuration = new Histogram({
  name: 'http_request_duration_seconds',
  help: 'API request durations by method, route template and status code',
  labelNames: ['method', 'route', 'status_code'] as const,
  // From a cached /health (sub-millisecond) to a password hash under load.
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  registers: [registry],
});

const published = new Counter({
  name: 'ifd_published_total',
  help: 'Messages the broker confirmed, per publisher',
  labelNames: ['publisher'] as const,
  registers: [registry],
});
const publishFailures = new Counter({
  name: 'ifd_publish_failures_total',
  help: 'Publishes without a positive confirm (nack, timeout, unroutable); the row stays pending',
  labelNames: ['publisher'] as const,
  registers: [registry],
});
const deliveries = new Counter({
  name: 'ifd_deliveries_total',
  help: 'Messages a consumer handled to the end (sent), per consumer',
  labelNames: ['consumer'] as const,
  registers: [registry],
});
const duplicates = new Counter({
  name: 'ifd_duplicates_total',
  help: 'Redelivered or duplicated messages acknowledged without acting twice, per consumer',
  labelNames: ['consumer'] as const,
  registers: [registry],
});
const retries = new Counter({
  name: 'ifd_retries_total',
  help: 'Messages scheduled for another attempt after a temporary failure, per consumer',
  labelNames: ['consumer'] as const,
  registers: [registry],
});
const deadLetters = new Counter({
  name: 'ifd_dead_letters_total',
  help: 'Messages moved to a dead-letter queue, per consumer and reason',
  labelNames: ['consumer', 'reason'] as const,
  registers: [registry],
});

export interface OutboxBacklog {
  /** Rows not yet published. */
  pending: number;
  /** Age in seconds of the oldest of them (0 when none). */
  oldestAgeSeconds: number;
}

let backlogSource: (() => Promise<OutboxBacklog>) | null = null;
let backlogRead: { at: number; value: Promise<OutboxBacklog | null> } | null = null;
/** One query per scrape: both gauges (collected concurrently) share its answer. */
function backlog(): Promise<OutboxBacklog | null> {
  const source = backlogSource;
  if (source === null) {
    return Promise.resolve(null);
  }
  if (backlogRead === null || Date.now() - backlogRead.at > 500) {
    backlogRead = { at: Date.now(), value: source().catch(() => null) };
  }
  return backlogRead.value;
}
new Gauge({
  name: 'ifd_outbox_pending',
  help: 'Outbox rows waiting to be published',
  registers: [registry],
  async collect() {
    this.set((await backlog())?.pending ?? 0);
  },
});
new Gauge({
  name: 'ifd_outbox_lag_seconds',
  help: 'Age of the oldest outbox row waiting to be published (0 when none)',
  registers: [registry],
  async collect() {
    this.set((await backlog())?.oldestAgeSeconds ?? 0);
  },
});

/** The process's way to read the outbox backlog (set by whoever owns the database pool). */
export function setOutboxBacklogSource(source: (() => Promise<OutboxBacklog>) | null): void {
  backlogSource = source;
  backlogRead = null;
}

export function observeHttpRequest(
  method: string,
  route: string,
  statusCode: number,
  seconds: number,
): void {
  httpDuration.observe({ method, route, status_code: String(statusCode) }, seconds);
}

export const publisherMetrics = {
  published(publisher: string, n = 1): void {
    if (n > 0) {
      published.inc({ publisher }, n);
    }
  },
  failed(publisher: string, n = 1): void {
    if (n > 0) {
      publishFailures.inc({ publisher }, n);
    }
  },
};

/** Any consumer's outcome: the mail consumer's MailOutcome fits, so will other consumers'. */
export interface ConsumerOutcome {
  status: 'sent' | 'done' | 'skipped' | 'deferred' | 'duplicate' | 'retry' | 'dead';
  reason?: string;
}

export function recordConsumerOutcome(consumer: string, outcome: ConsumerOutcome): void {
  switch (outcome.status) {
    case 'sent':
    case 'done':
      deliveries.inc({ consumer });
      break;
    case 'skipped':
    case 'deferred':
      break;
    case 'duplicate':
      duplicates.inc({ consumer });
      break;
    case 'retry':
      retries.inc({ consumer });
      break;
    case 'dead':
      deadLetters.inc({ consumer, reason: outcome.reason ?? 'unknown' });
      break;
  }
}

export const METRICS_CONTENT_TYPE = registry.contentType;
export const renderMetrics = (): Promise<string> => registry.metrics();

const conflictRetries = new Counter({
  name: 'ifd_db_conflict_retries_total',
  help: 'Transactions run again after a serialization failure (40001) or deadlock (40P01)',
  labelNames: ['sqlstate'] as const,
  registers: [registry],
});

/** Issue 12: one lock order should keep this at zero; a rise names a path that breaks it. */
export function countConflictRetry(sqlstate: string): void {
  conflictRetries.inc({ sqlstate });
}
