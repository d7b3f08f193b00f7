import { randomUUID } from 'node:crypto';
import type { Db } from '../../db/client.js';
import { retryOnConflict } from '../../db/retry.js';
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
import { SessionStateCache } from './session-cache.js';
import { sessionsRepository, type ClientInfo } from './sessions.repository.js';
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
  startSession(user: UserRow, client?: ClientInfo): Promise<TokenPair>;
}

/** A verified access token: its user and its login (undefined for pre-issue-12 tokens). */
export interface AuthenticatedSession {
  user: UserRow;
  sessionId: string | undefined;
}

export class AuthService implements SessionStarter {
  /** Sign-in and `current_password` checks share its per-account counters (issue 12). */
  readonly passwordThrottle: PasswordThrottle;
  /** Revoked logins this process knows of (ADR 0018); SessionsService writes here too. */
  readonly sessionStates = new SessionStateCache();

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
  async login(login: string, password: string, ip: string, userAgent?: string): Promise<TokenPair> {
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
    return this.startSession(user, { ip, userAgent });
  }

  async startSession(user: UserRow, client: ClientInfo = {}): Promise<TokenPair> {
    const familyExp = this.tokens.newFamilyExpiry();
    const familyId = randomUUID();
    const refresh = await this.tokens.signRefresh(user.id, familyExp);
    // The generation is read in the insert itself, not taken from `user`: a caller that has
    // just revoked every session (password change) gets a session of the new generation.
    const counters = await sessionsRepository.create(
      this.db,
      {
        userId: user.id,
        familyId,
        tokenHash: hashToken(refresh),
        expiresAt: new Date(familyExp * 1000),
      },
      client,
    );
    if (counters === undefined) {
      throw new DomainError('invalid_token');
    }
    const access = await this.tokens.signAccess(user, { id: familyId, ...counters });
    return this.pair(access, refresh);
  }

  /** Rotation (S8): the presented token is spent; reuse of a spent one revokes its family. */
  async refresh(refreshToken: string, client: ClientInfo = {}): Promise<TokenPair> {
    const claims = await this.tokens.verify(refreshToken, 'refresh');
    const successor = await this.tokens.signRefresh(Number(claims.sub), claims.exp);
    const presentedHash = hashToken(refreshToken);
    const user = await retryOnConflict(() =>
      sessionsRepository.rotate(this.db, presentedHash, hashToken(successor), client),
    );
    if (user === undefined) {
      // Spent, revoked, expired or unknown. If it was spent, this is a replay: the family is
      // compromised and every token descended from that login stops working — including a
      // successor that a rotation in flight is inserting right now (the lock order sees it).
      const expired = await this.revokeFamilyOf(presentedHash);
      throw new DomainError('invalid_token', {
        bearer: expired ? 'expired' : 'revoked',
      });
    }
    if (!user.isActive) {
      throw new DomainError('user_inactive');
    }
    const access = await this.tokens.signAccess(user, {
      id: user.familyId,
      generation: user.generation,
      revision: user.revision,
    });
    return this.pair(access, successor);
  }

  /** Ends the login of a token's row; true when that login had reached its absolute expiry. */
  private async revokeFamilyOf(tokenHash: string): Promise<boolean> {
    const owner = await sessionsRepository.ownerOf(this.db, tokenHash);
    if (owner === undefined) {
      return false;
    }
    const ended = await retryOnConflict(() =>
      this.db.transaction((tx) =>
        sessionsRepository.revokeFamilies(tx, owner.userId, { only: owner.familyId }),
      ),
    );
    for (const id of ended) {
      this.sessionStates.markRevoked(id);
    }
    return owner.expiresAt.getTime() <= Date.now();
  }

  /**
   * Browser sessions (issue 8): the same rotation, but when the token is refused because its
   * user was archived (archival revokes the sessions) the answer says so, so the page signs
   * the person out with the reason. v1's refresh keeps its "Invalid token error.".
   */
  async refreshOrExplain(refreshToken: string, client: ClientInfo = {}): Promise<TokenPair> {
    try {
      return await this.refresh(refreshToken, client);
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
    await this.revokeFamilyOf(hashToken(refreshToken));
  }

  /** Resource routes: a valid access token of an existing, active user. */
  async authenticate(accessToken: string): Promise<UserRow> {
    return (await this.authenticateSession(accessToken)).user;
  }

  /**
   * The user and the login of an access token (ADR 0017). The user row is read anyway (P1);
   * it carries the counters: a token of an older generation was revoked with all sessions,
   * a token of an older revision may belong to a session revoked alone, which the cache
   * answers (the database once per login and revision). No extra read in the common case.
   */
  async authenticateSession(accessToken: string): Promise<AuthenticatedSession> {
    const claims = await this.tokens.verify(accessToken, 'access');
    const user = await usersRepository.findByIdPrepared(this.db, Number(claims.sub));
    if (user === undefined) {
      throw new DomainError('invalid_token');
    }
    if (!user.isActive) {
      throw new DomainError('user_inactive');
    }
    const revoked = new DomainError('invalid_token', { bearer: 'revoked' });
    if ((claims.gen ?? 0) !== user.sessionGeneration) {
      throw revoked;
    }
    const sessionId = typeof claims.sid === 'string' ? claims.sid : undefined;
    if ((claims.rev ?? 0) !== user.sessionRevision) {
      if (sessionId === undefined || (await this.isSessionRevoked(sessionId, user))) {
        throw revoked;
      }
    }
    return { user, sessionId };
  }

  private async isSessionRevoked(sessionId: string, user: UserRow): Promise<boolean> {
    const known = this.sessionStates.revokedAsOf(sessionId, user.sessionRevision);
    if (known !== undefined) {
      return known;
    }
    const live = await sessionsRepository.isFamilyLive(this.db, sessionId);
    if (live) {
      this.sessionStates.markLive(sessionId, user.sessionRevision);
    } else {
      this.sessionStates.markRevoked(sessionId);
    }
    return !live;
  }
}
