// The shared counter store (R18): every API process counts in the same Redis keys, so N
// processes allow the same attempts as one. rate-limiter-flexible keeps the fixed-window
// arithmetic atomic (one Lua script per hit); ioredis reconnects by itself, so the store
// recovers without a restart when Redis comes back.
import { Redis } from 'ioredis';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { Config } from '../config.js';
import { DomainError } from './errors.js';
import { MemoryRateLimitStore, type RateDecision, type RateLimitStore } from './rate-limiter.js';

export interface RedisStoreOptions {
  url: string;
  /** Every key starts with it: several deployments (or test runs) can share one Redis. */
  keyPrefix: string;
  onError?: (err: Error) => void;
}

// A sign-in waits at most this long for Redis before failing closed: a stalled Redis must not
// hold requests (and their sockets) open.
const COMMAND_TIMEOUT_MS = 1000;

function unavailable(): DomainError {
  return new DomainError(
    'service_unavailable',
    'Service temporarily unavailable. Try again later.',
    { retryAfterSeconds: 5 },
  );
}

export class RedisRateLimitStore implements RateLimitStore {
  readonly kind = 'redis';
  private readonly redis: Redis;
  private readonly limiters = new Map<string, RateLimiterRedis>();
  private readonly keyPrefix: string;

  constructor(options: RedisStoreOptions) {
    this.keyPrefix = `${options.keyPrefix}:rl`;
    this.redis = new Redis(options.url, {
      // Fail at once while disconnected instead of queueing sign-ins until Redis returns.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      commandTimeout: COMMAND_TIMEOUT_MS,
      connectTimeout: 2000,
      // Keep trying for ever, at most a second apart: recovery needs no restart.
      retryStrategy: (times) => Math.min(times * 100, 1000),
    });
    let down = false;
    this.redis.on('error', (err: Error) => {
      if (!down) {
        down = true;
        options.onError?.(err);
      }
    });
    this.redis.on('ready', () => {
      down = false;
    });
  }

  /** One limiter per (limit, window): the key's counter is the same whatever the limit. */
  private limiter(limit: number, windowSeconds: number): RateLimiterRedis {
    const id = `${limit}/${windowSeconds}`;
    let l = this.limiters.get(id);
    if (l === undefined) {
      l = new RateLimiterRedis({
        storeClient: this.redis,
        keyPrefix: this.keyPrefix,
        points: limit,
        duration: windowSeconds,
        rejectIfRedisNotReady: true,
      });
      this.limiters.set(id, l);
    }
    return l;
  }

  private static decision(res: RateLimiterRes, limit: number, allowed: boolean): RateDecision {
    return {
      allowed,
      remaining: Math.max(0, limit - res.consumedPoints),
      retryAfterSeconds: Math.max(1, Math.ceil(res.msBeforeNext / 1000)),
    };
  }

  async hit(key: string, limit: number, windowSeconds: number): Promise<RateDecision> {
    try {
      const res = await this.limiter(limit, windowSeconds).consume(key, 1);
      return RedisRateLimitStore.decision(res, limit, true);
    } catch (err) {
      if (err instanceof RateLimiterRes) {
        return RedisRateLimitStore.decision(err, limit, false);
      }
      throw unavailable();
    }
  }

  async peek(key: string, limit: number, windowSeconds: number): Promise<RateDecision> {
    let res: RateLimiterRes | null;
    try {
      res = await this.limiter(limit, windowSeconds).get(key);
    } catch {
      throw unavailable();
    }
    if (res === null) {
      return { allowed: true, remaining: limit, retryAfterSeconds: windowSeconds };
    }
    return RedisRateLimitStore.decision(res, limit, res.consumedPoints < limit);
  }

  async reset(key: string): Promise<void> {
    try {
      // Any limiter deletes the same key: the prefix is shared.
      await this.limiter(1, 1).delete(key);
    } catch {
      throw unavailable();
    }
  }

  async ping(): Promise<void> {
    await this.redis.ping();
  }

  async close(): Promise<void> {
    try {
      await this.redis.quit();
    } catch {
      this.redis.disconnect();
    }
  }
}

/** Redis when throttling is on and RATE_LIMIT_STORE=redis (production's default), else memory. */
export function createRateLimitStore(
  config: Config,
  onError: (err: Error) => void,
): RateLimitStore {
  if (config.rateLimit.enabled && config.rateLimit.store === 'redis') {
    return new RedisRateLimitStore({
      url: config.redis.url,
      keyPrefix: config.redis.keyPrefix,
      onError,
    });
  }
  return new MemoryRateLimitStore();
}
