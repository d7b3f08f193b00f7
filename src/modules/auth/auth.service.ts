import { randomUUID } from 'node:crypto';
import type { Db } from '../../db/client.js';
import { DomainError } from '../../lib/errors.js';
import type { RateLimitStore } from '../../lib/rate-limiter.js';
import { usersRepository } from '../users/users.repository.js';
import type { UserRow } from '../users/users.table.js';
import { burnPasswordCheck, hashPassword, verifyPassword } from './passwords.js';
import {
  accountKey,
  PasswordThrottle,
  unknownLoginKey,
  type LoginThrottleSettings,
} from './account-throttle.js';
import { sessionsRepository } from './sessions.repository.js';
import { hashToken, type TokenService } from './tokens.js';

export interface TokenPair {
  access_token: string;
  refresh_token: string;
  token_type: 'Bearer';
  expires_in: number;
}

export type { LoginThrottleSettings };

/** Starts a new login (token pair + refresh family) for a user already authenticated. */
export interface SessionStarter {
  startSession(user: UserRow): Promise<TokenPair>;
}

export class AuthService implements SessionStarter {
  /** Sign-in and `current_password` checks share its per-account counters (issue 12). */
  readonly passwordThrottle: PasswordThrottle;

  constructor(
    private readonly db: Db,
    private readonly tokens: TokenService,
    throttleStore: RateLimitStore,
    throttle: LoginThrottleSettings,
  ) {
    this.passwordThrottle = new PasswordThrottle(throttleStore, throttle);
  }

  private pair(access: string, refresh: string): TokenPair {
    return {
      access_token: access,
      refresh_token: refresh,
      token_type: 'Bearer',
      expires_in: this.tokens.settings.accessTokenTtl,
    };
  }

  /**
   * S5/S22 (issue 12): the attempt is counted before the password is checked, against the
   * client address and the resolved account (one counter for every alias of a login); a
   * correct password clears the account's counter.
   */
  async login(login: string, password: string, ip: string): Promise<TokenPair> {
    const [user, folded] = await Promise.all([
      usersRepository.findByLogin(this.db, login),
      usersRepository.foldLogin(this.db, login),
    ]);
    const key = user === undefined ? unknownLoginKey(folded) : accountKey(user.id);
    await this.passwordThrottle.attempt(key, ip);
    if (user === undefined) {
      await burnPasswordCheck(password);
      throw new DomainError('invalid_credentials');
    }
    const check = await verifyPassword(user.passwordHash, password);
    if (!check.ok) {
      throw new DomainError('invalid_credentials');
    }
    await this.passwordThrottle.succeeded(key);
    if (!user.isActive) {
      throw new DomainError('user_inactive');
    }
    if (check.needsRehash) {
      await usersRepository.updatePasswordHash(this.db, user.id, await hashPassword(password));
    }
    return this.startSession(user);
  }

  async startSession(user: UserRow): Promise<TokenPair> {
    const familyExp = this.tokens.newFamilyExpiry();
    const [access, refresh] = await Promise.all([
      this.tokens.signAccess(user),
      this.tokens.signRefresh(user.id, familyExp),
    ]);
    await sessionsRepository.create(this.db, {
      userId: user.id,
      familyId: randomUUID(),
      tokenHash: hashToken(refresh),
      expiresAt: new Date(familyExp * 1000),
    });
    return this.pair(access, refresh);
  }

  /** Rotation (S8): the presented token is spent; reuse of a spent one revokes its family. */
  async refresh(refreshToken: string): Promise<TokenPair> {
    const claims = await this.tokens.verify(refreshToken, 'refresh');
    const successor = await this.tokens.signRefresh(Number(claims.sub), claims.exp);
    const presentedHash = hashToken(refreshToken);
    const user = await sessionsRepository.rotate(this.db, presentedHash, hashToken(successor));
    if (user === undefined) {
      // Spent, revoked, expired or unknown. If it was spent, this is a replay: the family is
      // compromised and every token descended from that login stops working.
      await sessionsRepository.revokeFamilyOf(this.db, presentedHash);
      throw new DomainError('invalid_token');
    }
    if (!user.isActive) {
      throw new DomainError('user_inactive');
    }
    return this.pair(await this.tokens.signAccess(user), successor);
  }

  /**
   * Browser sessions (issue 8): the same rotation, but when the token is refused because its
   * user was archived (archival revokes the sessions) the answer says so, so the page signs
   * the person out with the reason. v1's refresh keeps its "Invalid token error.".
   */
  async refreshOrExplain(refreshToken: string): Promise<TokenPair> {
    try {
      return await this.refresh(refreshToken);
    } catch (err) {
      if (err instanceof DomainError && err.code === 'invalid_token') {
        const claims = await this.tokens.verify(refreshToken, 'refresh').catch(() => undefined);
        const user =
          claims && (await usersRepository.findByIdPrepared(this.db, Number(claims.sub)));
        if (user && !user.isActive) {
          throw new DomainError('user_inactive');
        }
      }
      throw err;
    }
  }

  /** S9: logout revokes the presented refresh token's whole family. */
  async logout(refreshToken: string): Promise<void> {
    await this.tokens.verify(refreshToken, 'refresh');
    await sessionsRepository.revokeFamilyOf(this.db, hashToken(refreshToken));
  }

  /** Resource routes: a valid access token of an existing, active user. */
  async authenticate(accessToken: string): Promise<UserRow> {
    const claims = await this.tokens.verify(accessToken, 'access');
    const user = await usersRepository.findByIdPrepared(this.db, Number(claims.sub));
    if (user === undefined) {
      throw new DomainError('invalid_token');
    }
    if (!user.isActive) {
      throw new DomainError('user_inactive');
    }
    return user;
  }
}
