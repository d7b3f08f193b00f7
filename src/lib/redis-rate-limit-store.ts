// The shared counter store (R18): every API process counts in the same Redis keys, so N
// processes allow the same attempts as one. rate-limiter-flexible keeps the fixed-window
// arithmetic atomic (one Lua script per hit); ioredis reconnects by itself, so the store
// recovers without a restart when Redis comes back.
// Both libraries are imported on first use, not at start-up: together they cost ~250 ms of
// CPU and ~28 MB of memory to load, which cold start and idle RSS (P7) should not pay.
import type { Redis } from 'ioredis';
import type { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
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
  return new DomainError('limits_unavailable');
}

interface Loaded {
  redis: Redis;
  Limiter: typeof RateLimiterRedis;
}

export class RedisRateLimitStore implements RateLimitStore {
  readonly kind = 'redis';
  private loaded: Promise<Loaded> | undefined;
  private readonly limiters = new Map<string, RateLimiterRedis>();
  private readonly keyPrefix: string;

  constructor(private readonly options: RedisStoreOptions) {
    this.keyPrefix = `${options.keyPrefix}:rl`;
  }

  private load(): Promise<Loaded> {
    this.loaded ??= Promise.all([import('ioredis'), import('rate-limiter-flexible')]).then(
      async ([io, rlf]) => {
        const redis = this.connect(io.Redis);
        // The first request waits for the first connection (commands fail fast without one).
        await new Promise<void>((resolve) => {
          const done = () => {
            clearTimeout(timer);
            redis.off('ready', done);
            redis.off('error', done);
            resolve();
          };
          const timer = setTimeout(done, COMMAND_TIMEOUT_MS);
          redis.once('ready', done);
          redis.once('error', done);
        });
        return { redis, Limiter: rlf.RateLimiterRedis };
      },
    );
    return this.loaded;
  }

  private connect(RedisClient: typeof Redis): Redis {
    const options = this.options;
    const redis = new RedisClient(options.url, {
      // Fail at once while disconnected instead of queueing sign-ins until Redis returns.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      commandTimeout: COMMAND_TIMEOUT_MS,
      connectTimeout: 2000,
      // Keep trying for ever, at most a second apart: recovery needs no restart.
      retryStrategy: (times) => Math.min(times * 100, 1000),
    });
    let down = false;
    redis.on('error', (err: Error) => {
      if (!down) {
        down = true;
        options.onError?.(err);
      }
    });
    redis.on('ready', () => {
      down = false;
    });
    return redis;
  }

  /** One limiter per (limit, window): the key's counter is the same whatever the limit. */
  private async limiter(limit: number, windowSeconds: number): Promise<RateLimiterRedis> {
    const { redis, Limiter } = await this.load();
    const id = `${limit}/${windowSeconds}`;
    let l = this.limiters.get(id);
    if (l === undefined) {
      l = new Limiter({
        storeClient: redis,
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
      const res = await (await this.limiter(limit, windowSeconds)).consume(key, 1);
      return RedisRateLimitStore.decision(res, limit, true);
    } catch (err) {
      // Over the limit, the library rejects with its result object; anything else is Redis.
      if (err instanceof Error || typeof err !== 'object' || err === null) {
        throw unavailable();
      }
      return RedisRateLimitStore.decision(err as RateLimiterRes, limit, false);
    }
  }

  async peek(key: string, limit: number, windowSeconds: number): Promise<RateDecision> {
    let res: RateLimiterRes | null;
    try {
      res = await (await this.limiter(limit, windowSeconds)).get(key);
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
      await (await this.limiter(1, 1)).delete(key);
    } catch {
      throw unavailable();
    }
  }

  async ping(): Promise<void> {
    const { redis } = await this.load();
    await redis.ping();
  }

  async close(): Promise<void> {
    if (this.loaded === undefined) {
      return;
    }
    const { redis } = await this.loaded;
    try {
      await redis.quit();
    } catch {
      redis.disconnect();
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
