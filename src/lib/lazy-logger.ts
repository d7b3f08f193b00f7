// Fastify makes a child of the app's logger for every request (its `reqId` binding), whether
// or not the request logs anything. pino's child() serialises the bindings and sets up the
// redaction (S14) each time: on `/health`, whose routes log at warn and whose access line goes
// through the app's logger, that is work for nothing on every probe (P9, ADR 0028). This
// child is made on the first call that would write a line; calls below its level cost a
// comparison. Every line that is written goes through a real pino child, redaction included.
import type { FastifyBaseLogger } from 'fastify';
import { levels, type Bindings, type ChildLoggerOptions } from 'pino';

/** pino's own level numbers; `silent` writes nothing. */
const LEVELS: Readonly<Record<string, number>> = {
  ...levels.values,
  silent: Number.POSITIVE_INFINITY,
};

type Method = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';

class LazyChildLogger {
  private made: FastifyBaseLogger | undefined;
  private readonly threshold: number;

  constructor(
    private readonly parent: FastifyBaseLogger,
    private readonly bindings: Bindings,
    private readonly options: ChildLoggerOptions,
  ) {
    this.threshold = LEVELS[options.level ?? parent.level] ?? 0;
  }

  private real(): FastifyBaseLogger {
    return (this.made ??= this.parent.child(this.bindings, this.options));
  }

  private write(method: Method, args: unknown[]): void {
    if (this.made !== undefined || LEVELS[method]! >= this.threshold) {
      const child = this.real();
      Reflect.apply(child[method], child, args);
    }
  }

  get level(): string {
    return this.made?.level ?? this.options.level ?? this.parent.level;
  }

  set level(level: string) {
    this.real().level = level;
  }

  trace(...args: unknown[]): void {
    this.write('trace', args);
  }
  debug(...args: unknown[]): void {
    this.write('debug', args);
  }
  info(...args: unknown[]): void {
    this.write('info', args);
  }
  warn(...args: unknown[]): void {
    this.write('warn', args);
  }
  error(...args: unknown[]): void {
    this.write('error', args);
  }
  fatal(...args: unknown[]): void {
    this.write('fatal', args);
  }
  silent(): void {}

  child(bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    return this.real().child(bindings, options);
  }
}

/** Fastify's `childLoggerFactory`: the request's logger, made when it first writes. */
export function lazyChildLogger(
  logger: FastifyBaseLogger,
  bindings: Bindings,
  options: ChildLoggerOptions,
): FastifyBaseLogger {
  return new LazyChildLogger(logger, bindings, options);
}
