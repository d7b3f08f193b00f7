// The one logger set-up (pino) of every process: the same redaction list (S14), the same safe
// error serializer (no SQL parameters, S13) and the same pretty output in development. The API
// hands these options to Fastify; the worker, the embedded mode and the cluster primary call
// createLogger.
import pino, { type Logger, type LoggerOptions } from 'pino';
import type { Config } from '../config.js';
import { safeErrorSerializer } from './log-safety.js';

/** S14: secrets never reach the log. */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  '*.password',
  '*.password_confirm',
  '*.new_password',
  '*.current_password',
  '*.access_token',
  '*.refresh_token',
  '*.token',
  '*.secret',
  '*.databaseUrl',
  '*.smtpUrl',
  '*.amqpUrl',
];

export const REDACT: LoggerOptions['redact'] = { paths: REDACT_PATHS, censor: '[redacted]' };

/** Human-readable lines in development (LOG_PRETTY), JSON lines otherwise. */
export function prettyTransport(pretty: boolean): Pick<LoggerOptions, 'transport'> {
  return pretty
    ? { transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss' } } }
    : {};
}

export function createLogger(config: Pick<Config, 'logLevel' | 'logPretty'>, name: string): Logger {
  return pino({
    level: config.logLevel,
    name,
    redact: REDACT,
    serializers: { err: (err: unknown) => safeErrorSerializer(err) },
    ...prettyTransport(config.logPretty),
  });
}
