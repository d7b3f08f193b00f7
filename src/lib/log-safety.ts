// What may reach a log line (S14, S18): no query-string secret, no query parameter values,
// no driver detail that repeats a row. Used by the API's and the worker's loggers.
import type { FastifyRequest } from 'fastify';

/** Query-string names whose values are secrets (single-use tokens, codes, keys). */
const SECRET_PARAM =
  /token|secret|password|passw|pwd|signature|sig$|^sig|code|key|auth|session|jwt|otp|nonce|hash/i;

/** The URL with the values of token-like query parameters replaced by `[redacted]`. */
export function redactQuery(url: string): string {
  const q = url.indexOf('?');
  if (q === -1) {
    return url;
  }
  const parts = url
    .slice(q + 1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      if (eq === -1) {
        return pair;
      }
      let name = pair.slice(0, eq);
      try {
        name = decodeURIComponent(name.replace(/\+/g, ' '));
      } catch {
        return `${pair.slice(0, eq)}=[redacted]`;
      }
      return SECRET_PARAM.test(name) ? `${pair.slice(0, eq)}=[redacted]` : pair;
    });
  return `${url.slice(0, q)}?${parts.join('&')}`;
}

/** Fastify's request serializer, with the query string redacted. */
export function safeRequestSerializer(req: FastifyRequest) {
  return {
    method: req.method,
    url: redactQuery(req.url),
    host: req.host,
    remoteAddress: req.ip,
    remotePort: req.socket?.remotePort,
  };
}

export interface SerializedError {
  type: string;
  message: string;
  stack: string;
  code?: string;
  [key: string]: unknown;
}

// Fields of a pg error that repeat the values of a row or of the statement's parameters.
const DRIVER_FIELDS = ['code', 'constraint', 'table', 'column', 'schema', 'routine', 'severity'];

function withoutParams(text: string): string {
  // Drizzle's "Failed query: <sql>\nparams: <values>" keeps the statement, drops the values.
  return text.replace(/\nparams: [\s\S]*?(?=\n {4}at |$)/, '\nparams: [redacted]');
}

/**
 * pino's error serializer, minus what would put data in the log: Drizzle's `params`, and a
 * pg error's `detail` / `where` (e.g. "Key (email)=(…) already exists").
 */
export function safeErrorSerializer(err: unknown, depth = 0): unknown {
  if (!(err instanceof Error)) {
    return err;
  }
  const e = err as Error & Record<string, unknown>;
  const out: SerializedError = {
    type: e.constructor?.name ?? 'Error',
    message: withoutParams(e.message),
    stack: typeof e.stack === 'string' ? withoutParams(e.stack) : '',
  };
  for (const field of DRIVER_FIELDS) {
    if (typeof e[field] === 'string' || typeof e[field] === 'number') {
      out[field] = e[field];
    }
  }
  if (typeof e.query === 'string') {
    out.query = e.query;
  }
  if (typeof e.statusCode === 'number') {
    out.statusCode = e.statusCode;
  }
  if (e.cause !== undefined && depth < 3) {
    out.cause = safeErrorSerializer(e.cause, depth + 1);
  }
  return out;
}
