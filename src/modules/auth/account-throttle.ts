// Throttles that hold under concurrency and aliases (issue 12, S5/S22; ADR 0020).
//
// Every password check is paid for before it runs: the counter is hit first (one atomic
// increment in Redis), and only an attempt within the limit reaches the hash. So a burst of N
// parallel wrong passwords gets at most `perAccount` checks, whatever the interleaving.
// The per-account key is the resolved account id, so the username, the e-mail address and
// every case form of either share one counter; an unknown name is keyed by a hash of the
// login as PostgreSQL folds it (lower() in SQL, never JavaScript's toLowerCase: `İ`).
import { createHash } from 'node:crypto';
import { DomainError } from '../../lib/errors.js';
import type { RateLimitStore } from '../../lib/rate-limiter.js';

export interface LoginThrottleSettings {
  enabled: boolean;
  perAccount: number;
  perIp: number;
  windowSeconds: number;
}

/** The per-account counter of a known account: sign-in and `current_password` share it. */
export function accountKey(userId: number): string {
  return `login:account:id:${userId}`;
}

/** The per-account counter of a name no account has (folded by the database). */
export function unknownLoginKey(foldedLogin: string): string {
  return `login:account:name:${createHash('sha256').update(foldedLogin).digest('base64url')}`;
}

function limited(retryAfterSeconds: number, code: 'login_throttled' | 'rate_limited'): DomainError {
  return new DomainError(code, { retryAfterSeconds });
}

export class PasswordThrottle {
  constructor(
    private readonly store: RateLimitStore,
    private readonly settings: LoginThrottleSettings,
  ) {}

  /**
   * One sign-in attempt: counts against the client address and the account at once, before
   * the password is checked; 429 when either is over its limit.
   */
  async attempt(key: string, ip: string): Promise<void> {
    if (!this.settings.enabled) {
      return;
    }
    const { perAccount, perIp, windowSeconds } = this.settings;
    const [byIp, byAccount] = await Promise.all([
      this.store.hit(`login:ip:${ip}`, perIp, windowSeconds),
      this.store.hit(key, perAccount, windowSeconds),
    ]);
    for (const d of [byIp, byAccount]) {
      if (!d.allowed) {
        throw limited(d.retryAfterSeconds, 'login_throttled');
      }
    }
  }

  /**
   * A `current_password` check on password change, PATCH /me or DELETE /me: the same
   * account counter as sign-in, so a stolen access token is no unthrottled password oracle.
   */
  async passwordCheck(userId: number): Promise<void> {
    if (!this.settings.enabled) {
      return;
    }
    const d = await this.store.hit(
      accountKey(userId),
      this.settings.perAccount,
      this.settings.windowSeconds,
    );
    if (!d.allowed) {
      throw limited(d.retryAfterSeconds, 'login_throttled');
    }
  }

  /** The policy: a correct password clears the account's counter (its owner is not locked out). */
  async succeeded(key: string): Promise<void> {
    if (this.settings.enabled) {
      await this.store.reset(key);
    }
  }
}

export interface ActionLimit {
  enabled: boolean;
  perUser: number;
  perIp: number;
  windowSeconds: number;
}

/**
 * Per-user and per-address limits of an action a signed-in user repeats (PATCH /me,
 * resend verification, apply, withdraw): both counters are hit before the action runs.
 */
export async function hitActionLimit(
  store: RateLimitStore,
  name: string,
  limit: ActionLimit,
  userId: number,
  ip: string,
): Promise<void> {
  if (!limit.enabled) {
    return;
  }
  const [byUser, byIp] = await Promise.all([
    store.hit(`${name}:user:${userId}`, limit.perUser, limit.windowSeconds),
    store.hit(`${name}:ip:${ip}`, limit.perIp, limit.windowSeconds),
  ]);
  for (const d of [byUser, byIp]) {
    if (!d.allowed) {
      throw limited(d.retryAfterSeconds, 'rate_limited');
    }
  }
}
