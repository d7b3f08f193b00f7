// Fixed-window counters behind a small interface: Redis (redis-rate-limit-store.ts) when the
// API runs as several processes (R18), this in-memory one for embedded mode and tests.

export interface RateDecision {
  allowed: boolean;
  remaining: number;
  retryAfterSeconds: number;
}

export interface RateLimitStore {
  /**
   * Counts one hit against `key` and says whether it is within `limit` per `windowSeconds`.
   * Rejects with DomainError('service_unavailable') when the store cannot be reached: callers
   * fail closed (R18).
   */
  hit(key: string, limit: number, windowSeconds: number): Promise<RateDecision>;
  /** Looks without counting. */
  peek(key: string, limit: number, windowSeconds: number): Promise<RateDecision>;
  reset(key: string): Promise<void>;
  /** For readiness: resolves when the store answers, rejects otherwise. */
  ping(): Promise<void>;
  /** Its name in the readiness answer. */
  readonly kind: 'memory' | 'redis';
  close(): Promise<void>;
}

interface Window {
  count: number;
  resetAt: number;
}

export class MemoryRateLimitStore implements RateLimitStore {
  readonly kind = 'memory';
  private readonly windows = new Map<string, Window>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly now: () => number = Date.now,
    maxKeys = 100_000,
  ) {
    this.maxKeys = maxKeys;
    this.sweeper = setInterval(() => this.sweep(), 60_000);
    this.sweeper.unref();
  }

  private readonly maxKeys: number;

  private current(key: string, windowSeconds: number): Window {
    const t = this.now();
    let w = this.windows.get(key);
    if (w === undefined || w.resetAt <= t) {
      if (this.windows.size >= this.maxKeys) {
        this.sweep();
      }
      w = { count: 0, resetAt: t + windowSeconds * 1000 };
      this.windows.set(key, w);
    }
    return w;
  }

  private decide(w: Window, limit: number): RateDecision {
    return {
      allowed: w.count <= limit,
      remaining: Math.max(0, limit - w.count),
      retryAfterSeconds: Math.max(1, Math.ceil((w.resetAt - this.now()) / 1000)),
    };
  }

  hit(key: string, limit: number, windowSeconds: number): Promise<RateDecision> {
    const w = this.current(key, windowSeconds);
    w.count += 1;
    return Promise.resolve(this.decide(w, limit));
  }

  peek(key: string, limit: number, windowSeconds: number): Promise<RateDecision> {
    const w = this.current(key, windowSeconds);
    return Promise.resolve({ ...this.decide(w, limit), allowed: w.count < limit });
  }

  reset(key: string): Promise<void> {
    this.windows.delete(key);
    return Promise.resolve();
  }

  ping(): Promise<void> {
    return Promise.resolve();
  }

  private sweep(): void {
    const t = this.now();
    for (const [k, w] of this.windows) {
      if (w.resetAt <= t) {
        this.windows.delete(k);
      }
    }
  }

  close(): Promise<void> {
    clearInterval(this.sweeper);
    return Promise.resolve();
  }
}
