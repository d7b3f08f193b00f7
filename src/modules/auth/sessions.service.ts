import type { Db } from '../../db/client.js';
import { transactionWithRetry } from '../../db/retry.js';
import { DomainError } from '../../lib/errors.js';
import { notifySessionsRevoked } from '../users/account-mail.js';
import { usersRepository } from '../users/users.repository.js';
import type { UserRow } from '../users/users.table.js';
import type { SessionStateCache } from './session-cache.js';
import { sessionsRepository, type SessionListRow } from './sessions.repository.js';

export interface SessionView extends SessionListRow {
  current: boolean;
}

/** The nil UUID: no login has it, so "all but this one" with no current login is "all". */
const NO_SESSION = '00000000-0000-0000-0000-000000000000';

/** The logins (refresh families) a user can see and end (issue 12). */
export class SessionsService {
  constructor(
    private readonly db: Db,
    private readonly states: SessionStateCache,
  ) {}

  /** The user's live logins; `current` marks the caller's own (by the access token's sid). */
  async list(userId: number, currentSessionId: string | undefined): Promise<SessionView[]> {
    const rows = await sessionsRepository.listLive(this.db, userId);
    return rows.map((r) => ({ ...r, current: r.id === currentSessionId }));
  }

  /** A superuser's view of any user's logins: 404 "User not found" for an unknown id. */
  async listFor(userId: number, viewerSessionId: string | undefined): Promise<SessionView[]> {
    await this.requireUser(userId);
    return this.list(userId, viewerSessionId);
  }

  /** Ends one login of the user: its refresh chain and its access tokens, at once. */
  async revoke(userId: number, sessionId: string): Promise<void> {
    const ended = await transactionWithRetry(this.db, (tx) =>
      sessionsRepository.revokeFamilies(tx, userId, { only: sessionId }),
    );
    if (ended.length === 0) {
      throw new DomainError('session_not_found');
    }
    this.forget(ended);
  }

  async revokeFor(userId: number, sessionId: string): Promise<void> {
    await this.requireUser(userId);
    await this.revoke(userId, sessionId);
  }

  /**
   * Ends every login of the user but the caller's; returns how many ended. When any ended,
   * the user is told by mail (S19), in the same transaction.
   */
  async revokeOthers(user: UserRow, currentSessionId: string | undefined): Promise<number> {
    // The signed-in user's row is the one the guard read: no second read for the notice.
    const ended = await transactionWithRetry(this.db, async (tx) => {
      const families = await sessionsRepository.revokeFamilies(tx, user.id, {
        keep: currentSessionId ?? NO_SESSION,
      });
      if (families.length > 0) {
        await notifySessionsRevoked(tx, user);
      }
      return families;
    });
    this.forget(ended);
    return ended.length;
  }

  /** A superuser ends every login of a user (the generation moves on). */
  async revokeAllFor(userId: number): Promise<number> {
    const user = await this.requireUser(userId);
    return transactionWithRetry(this.db, async (tx) => {
      const n = await sessionsRepository.revokeAllForUser(tx, userId);
      await notifySessionsRevoked(tx, user); // S19: the user learns they were signed out
      return n;
    });
  }

  private forget(ended: string[]): void {
    for (const id of ended) {
      this.states.markRevoked(id);
    }
  }

  private async requireUser(userId: number): Promise<UserRow> {
    const user = await usersRepository.findById(this.db, userId);
    if (user === undefined) {
      throw new DomainError('user_not_found');
    }
    return user;
  }
}
