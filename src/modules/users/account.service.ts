import type { Db } from '../../db/client.js';
import { transactionWithRetry } from '../../db/retry.js';
import { DomainError, validationError } from '../../lib/errors.js';
import type { Locale } from '../../lib/locale.js';
import type { RateLimitStore } from '../../lib/rate-limiter.js';
import {
  accountTokensRepository,
  looksLikeAccountToken,
  newAccountToken,
} from '../auth/account-tokens.repository.js';
import type { AccountTokenPurpose } from '../auth/account-tokens.table.js';
import type { SessionStarter, TokenPair } from '../auth/auth.service.js';
import { burnPasswordCheck, hashPassword, verifyPassword } from '../auth/passwords.js';
import { sessionsRepository, type ClientInfo } from '../auth/sessions.repository.js';
import { hashToken } from '../auth/tokens.js';
import { appendToOutbox } from '../outbox/outbox.writer.js';
import { userChangeEvents, userEvent } from '../outbox/user-events.js';
import type { AccountMailer } from './account-mail.js';
import { lockOutLastSuperuser } from './users.admin.service.js';
import { usersRepository, type UserPatch } from './users.repository.js';
import type { UserRow } from './users.table.js';
import { refuseCommonPassword, rethrowUserUniqueViolation } from './users.service.js';

export interface AccountMailLimit {
  enabled: boolean;
  /** Mails of one kind to one address per window (silently not sent beyond: no oracle). */
  perAddress: number;
  windowSeconds: number;
}

export interface UpdateMeInput {
  username?: string;
  email?: string;
  current_password?: string;
  locale?: Locale;
}

export interface NewPasswordInput {
  new_password: string;
  new_password_confirm: string;
}

function wrongCurrentPassword(): DomainError {
  return validationError([
    {
      loc: ['body', 'current_password'],
      msg: 'Current password is not correct',
      type: 'value_error.current_password',
    },
  ]);
}

function checkNewPassword(input: NewPasswordInput): void {
  refuseCommonPassword(input.new_password, 'new_password');
  if (input.new_password !== input.new_password_confirm) {
    throw new DomainError('passwords_mismatch');
  }
}

/** Self-service account operations and the two mailed flows (verification, recovery). */
export class AccountService {
  constructor(
    private readonly db: Db,
    private readonly mailer: AccountMailer,
    private readonly sessions: SessionStarter,
    private readonly limitStore: RateLimitStore,
    private readonly limit: AccountMailLimit,
  ) {}

  private async requirePassword(user: UserRow, password: string | undefined): Promise<void> {
    if (password === undefined) {
      throw validationError([
        { loc: ['body', 'current_password'], msg: 'Field required', type: 'missing' },
      ]);
    }
    const check = await verifyPassword(user.passwordHash, password);
    if (!check.ok) {
      throw wrongCurrentPassword();
    }
  }

  /**
   * Own username and e-mail. A new address needs the current password, becomes unverified
   * and gets a verification mail; a change of letter case only is not a new address.
   */
  async updateMe(user: UserRow, input: UpdateMeInput): Promise<UserRow> {
    const patch: UserPatch = {};
    if (input.username !== undefined && input.username !== user.username) {
      patch.username = input.username;
    }
    if (input.locale !== undefined && input.locale !== user.locale) {
      patch.locale = input.locale;
    }
    let newAddress = false;
    if (input.email !== undefined && input.email !== user.email) {
      await this.requirePassword(user, input.current_password);
      patch.email = input.email;
      newAddress = input.email.toLowerCase() !== user.email.toLowerCase();
      if (newAddress) {
        patch.emailVerifiedAt = null;
      }
    }
    if (Object.keys(patch).length === 0) {
      return user;
    }
    try {
      return await this.db.transaction(async (tx) => {
        const updated = await usersRepository.update(tx, user.id, patch);
        if (updated === undefined) {
          throw new DomainError('not_found', 'User not found');
        }
        if (newAddress) {
          await this.mailer.sendVerification(tx, updated);
        }
        await appendToOutbox(tx, ...userChangeEvents(user, updated, user.id));
        return updated;
      });
    } catch (err) {
      rethrowUserUniqueViolation(err);
    }
  }

  /**
   * S9: every refresh session of the user is revoked; the caller gets a fresh session, so
   * "the other sessions" are the ones that stop working.
   */
  async changePassword(
    user: UserRow,
    input: NewPasswordInput & { current_password: string },
    client?: ClientInfo,
  ): Promise<TokenPair> {
    await this.requirePassword(user, input.current_password);
    checkNewPassword(input);
    const passwordHash = await hashPassword(input.new_password);
    await transactionWithRetry(this.db, async (tx) => {
      await usersRepository.updatePasswordHash(tx, user.id, passwordHash);
      await sessionsRepository.revokeAllForUser(tx, user.id);
      await accountTokensRepository.invalidateAll(tx, user.id, 'password_reset');
    });
    return this.sessions.startSession(user, client);
  }

  /** Archives oneself (needs the password); the last active superuser cannot. */
  async archiveMe(user: UserRow, currentPassword: string): Promise<void> {
    await this.requirePassword(user, currentPassword);
    await transactionWithRetry(this.db, async (tx) => {
      await lockOutLastSuperuser(tx, user.id, { isActive: false });
      const archived = await usersRepository.update(tx, user.id, { isActive: false });
      await sessionsRepository.revokeAllForUser(tx, user.id);
      await appendToOutbox(tx, ...(archived ? userChangeEvents(user, archived, user.id) : []));
    });
  }

  /** Consumes a verification token: the address it was sent to becomes verified. */
  async verifyEmail(token: string): Promise<UserRow> {
    if (!looksLikeAccountToken(token)) {
      throw new DomainError('invalid_account_token');
    }
    const tokenHash = hashToken(token);
    const verified = await this.db.transaction(async (tx) => {
      const spent = await accountTokensRepository.consume(tx, 'verify_email', tokenHash);
      // The address must still be the user's (an e-mail change voids older links) and the
      // user active (archived users are refused everywhere).
      const user =
        spent && (await usersRepository.markEmailVerified(tx, spent.userId, spent.email));
      if (spent !== undefined && user === undefined) {
        throw new DomainError('invalid_account_token');
      }
      if (user !== undefined) {
        await appendToOutbox(tx, userEvent('user.email_verified', user, user.id));
      }
      return user;
    });
    if (verified === undefined) {
      throw await this.refusedLink('verify_email', tokenHash);
    }
    return verified;
  }

  /**
   * Why a link was refused: opened a second time (the page says "already used") or
   * unknown, expired or voided by a newer link (the v1-era detail).
   */
  private async refusedLink(purpose: AccountTokenPurpose, tokenHash: string): Promise<DomainError> {
    return (await accountTokensRepository.wasConsumed(this.db, purpose, tokenHash))
      ? new DomainError('link_already_used')
      : new DomainError('invalid_account_token');
  }

  /** A new verification mail for the signed-in user's current address. */
  async resendVerification(user: UserRow): Promise<void> {
    if (user.emailVerifiedAt !== null) {
      throw new DomainError('conflict', 'E-mail address is already verified');
    }
    await this.db.transaction((tx) => this.mailer.sendVerification(tx, user));
  }

  private async withinAddressLimit(kind: string, email: string): Promise<boolean> {
    if (!this.limit.enabled) {
      return true;
    }
    const key = `account-mail:${kind}:${email.toLowerCase()}`;
    return (await this.limitStore.hit(key, this.limit.perAddress, this.limit.windowSeconds))
      .allowed;
  }

  /**
   * Always the same answer (202), whatever the address. Both branches generate and hash a
   * token and run the same statement; only an active user's address gets a token and a mail.
   */
  async requestPasswordRecovery(email: string): Promise<void> {
    const { token, tokenHash } = newAccountToken();
    const expiresAt = this.mailer.expiryOf('password_reset');
    const allowed = await this.withinAddressLimit('password_reset', email);
    await this.db.transaction(async (tx) => {
      const user = await accountTokensRepository.insertForEmail(
        tx,
        email,
        'password_reset',
        tokenHash,
        expiresAt,
        allowed,
      );
      if (user !== undefined) {
        await this.mailer.sendPasswordReset(tx, user, token, expiresAt);
      }
    });
  }

  /**
   * Sets a new password from a recovery link: the token is checked before the (costly)
   * hash and spent atomically after it; every session of the user is revoked.
   */
  async resetPassword(input: NewPasswordInput & { token: string }): Promise<void> {
    checkNewPassword(input);
    const tokenHash = looksLikeAccountToken(input.token) ? hashToken(input.token) : undefined;
    if (
      tokenHash === undefined ||
      !(await accountTokensRepository.isLive(this.db, 'password_reset', tokenHash))
    ) {
      // Same cost as a valid link, so timing does not tell live tokens apart.
      await burnPasswordCheck(input.new_password);
      throw tokenHash === undefined
        ? new DomainError('invalid_account_token')
        : await this.refusedLink('password_reset', tokenHash);
    }
    const passwordHash = await hashPassword(input.new_password);
    await transactionWithRetry(this.db, async (tx) => {
      const spent = await accountTokensRepository.consume(tx, 'password_reset', tokenHash);
      const user = spent && (await usersRepository.lockById(tx, spent.userId));
      if (user === undefined || !user.isActive) {
        throw new DomainError('invalid_account_token');
      }
      const patch: UserPatch = { passwordHash };
      // The link reached this address: it is proven, if it is still the user's.
      if (
        user.emailVerifiedAt === null &&
        user.email.toLowerCase() === spent?.email.toLowerCase()
      ) {
        patch.emailVerifiedAt = new Date();
      }
      await usersRepository.update(tx, user.id, patch);
      await sessionsRepository.revokeAllForUser(tx, user.id);
      await accountTokensRepository.invalidateAll(tx, user.id, 'password_reset');
    });
  }
}
