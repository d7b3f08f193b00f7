// Fixed-window counters behind a small interface, so that a shared store (Redis) can replace
// the in-memory one when the API runs as several processes.

export interface RateDecision {
  allowed: boolean;
  remaining: number;
  retryAfterSeconds: number;
}

export interface RateLimitStore {
  /** Counts one hit against `key` and says whether it is within `limit` per `windowSeconds`. */
  hit(key: string, limit: number, windowSeconds: number): RateDecision;
  /** Looks without counting. */
  peek(key: string, limit: number, windowSeconds: number): RateDecision;
  reset(key: string): void;
}

interface Window {
  count: number;
  resetAt: number;
}

export class MemoryRateLimitStore implements RateLimitStore {
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

  hit(key: string, limit: number, windowSeconds: number): RateDecision {
    const w = this.current(key, windowSeconds);
    w.count += 1;
    return this.decide(w, limit);
  }

  peek(key: string, limit: number, windowSeconds: number): RateDecision {
    const w = this.current(key, windowSeconds);
    return { ...this.decide(w, limit), allowed: w.count < limit };
  }

  reset(key: string): void {
    this.windows.delete(key);
  }

  private sweep(): void {
    const t = this.now();
    for (const [k, w] of this.windows) {
      if (w.resetAt <= t) {
        this.windows.delete(k);
      }
    }
  }

  close(): void {
    clearInterval(this.sweeper);
  }
}
