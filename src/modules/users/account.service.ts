import type { Db, Executor } from '../../db/client.js';
import { transactionWithRetry } from '../../db/retry.js';
import { DomainError } from '../../lib/errors.js';
import type { Locale } from '../../lib/locale.js';
import type { RateLimitStore } from '../../lib/rate-limiter.js';
import {
  accountTokensRepository,
  looksLikeAccountToken,
  newAccountToken,
} from './account-tokens.repository.js';
import type { AccountTokenPurpose } from './account-tokens.table.js';
import {
  accountKey,
  hitActionLimit,
  type ActionLimit,
  type PasswordThrottle,
} from '../auth/account-throttle.js';
import type { SessionStarter, TokenPair } from '../auth/auth.service.js';
import { burnPasswordCheck, hashPassword, verifyPassword } from '../auth/passwords.js';
import { sessionsRepository, type ClientInfo } from '../auth/sessions.repository.js';
import { hashToken } from '../auth/tokens.js';
import { appendToOutbox } from '../outbox/outbox.writer.js';
import { userChangeEvents, userEvent } from '../outbox/user-events.js';
import { notifySessionsRevoked, securityNotice, type AccountMailer } from './account-mail.js';
import { lockOutLastSuperuser } from './users.admin.service.js';
import { uniqueViolation, usersRepository, type UserPatch } from './users.repository.js';
import type { UserRow } from './users.table.js';
import { newUsername, refuseCommonPassword, rethrowUserUniqueViolation } from './users.service.js';

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
  return new DomainError('current_password_wrong');
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
    private readonly passwords: PasswordThrottle,
    private readonly profileLimit: ActionLimit,
  ) {}

  /**
   * `current_password` (issue 12, S22): counted against the account's sign-in limit before
   * the hash runs; a correct one clears the counter as a sign-in does.
   */
  private async requirePassword(user: UserRow, password: string | undefined): Promise<void> {
    if (password === undefined) {
      throw new DomainError('current_password_missing');
    }
    await this.passwords.passwordCheck(user.id);
    const check = await verifyPassword(user.passwordHash, password);
    if (!check.ok) {
      throw wrongCurrentPassword();
    }
    await this.passwords.succeeded(accountKey(user.id));
  }

  /** Per-user and per-address limit of PATCH /me and resend verification (issue 12). */
  async limitProfileAction(name: string, user: UserRow, ip: string): Promise<void> {
    await hitActionLimit(this.limitStore, name, this.profileLimit, user.id, ip);
  }

  /** A verification link for `address` of `user`, the same statement for a taken address. */
  private async issueVerification(tx: Executor, user: UserRow, address: string): Promise<void> {
    const { token, tokenHash } = newAccountToken();
    await accountTokensRepository.issueVerification(tx, {
      userId: user.id,
      address,
      tokenHash,
      expiresAt: this.mailer.expiryOf('verify_email'),
      link: this.mailer.link('verify_email', token),
      allowed: await this.withinAddressLimit('verify_email', address),
    });
  }

  /**
   * Own username, e-mail and language. A new address needs the current password and waits
   * as `pending_email` until the link mailed to it is opened (issue 12): the address in use
   * stays until then, so a taken address gets the same answer as a free one (and no mail).
   * A change of letter case only is not a new address.
   */
  async updateMe(user: UserRow, input: UpdateMeInput): Promise<UserRow> {
    const patch: UserPatch = {};
    if (input.username !== undefined && input.username !== user.username) {
      const name = newUsername(input.username);
      const taken = await usersRepository.takenFlags(
        this.db,
        name.username,
        '',
        name.usernameFold,
        user.id,
      );
      if (taken.username) {
        throw new DomainError('username_taken');
      }
      Object.assign(patch, name);
    }
    if (input.locale !== undefined && input.locale !== user.locale) {
      patch.locale = input.locale;
    }
    let newAddress: string | undefined;
    if (input.email !== undefined && input.email !== user.email) {
      await this.requirePassword(user, input.current_password);
      if (input.email.toLowerCase() === user.email.toLowerCase()) {
        patch.email = input.email;
        patch.pendingEmail = null;
      } else {
        newAddress = input.email;
        patch.pendingEmail = input.email;
      }
    }
    if (Object.keys(patch).length === 0) {
      return user;
    }
    try {
      return await this.db.transaction(async (tx) => {
        const updated = await usersRepository.update(tx, user.id, patch);
        if (updated === undefined) {
          throw new DomainError('user_not_found');
        }
        if (newAddress !== undefined) {
          await this.issueVerification(tx, updated, newAddress);
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
      await accountTokensRepository.invalidateEverything(tx, user.id);
      await appendToOutbox(tx, securityNotice(user, 'password_changed'));
      await notifySessionsRevoked(tx, user);
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
      await accountTokensRepository.invalidateEverything(tx, user.id);
      await appendToOutbox(tx, ...(archived ? userChangeEvents(user, archived, user.id) : []));
    });
  }

  /** Consumes a verification token: the address it was sent to becomes verified. */
  async verifyEmail(token: string): Promise<UserRow> {
    if (!looksLikeAccountToken(token)) {
      throw new DomainError('invalid_account_token');
    }
    const tokenHash = hashToken(token);
    const verified = await this.verifyInTransaction(tokenHash);
    if (verified === undefined) {
      throw await this.refusedLink('verify_email', tokenHash);
    }
    return verified;
  }

  private async verifyInTransaction(tokenHash: string): Promise<UserRow | undefined> {
    try {
      return await this.verifyTransaction(tokenHash);
    } catch (err) {
      // The pending address was taken by another account meanwhile: the link cannot apply.
      if (uniqueViolation(err) !== undefined) {
        throw new DomainError('invalid_account_token');
      }
      throw err;
    }
  }

  private verifyTransaction(tokenHash: string): Promise<UserRow | undefined> {
    return this.db.transaction(async (tx) => {
      const spent = await accountTokensRepository.consume(tx, 'verify_email', tokenHash);
      if (spent === undefined) {
        return undefined;
      }
      // The address must still be the user's, or still the pending new one (an e-mail change
      // voids older links), and the user active (archived users are refused everywhere).
      const before = await usersRepository.lockById(tx, spent.userId);
      const pending =
        before?.pendingEmail !== undefined &&
        before.pendingEmail !== null &&
        before.pendingEmail.toLowerCase() === spent.email.toLowerCase();
      const user = pending
        ? await usersRepository.applyPendingEmail(tx, spent.userId, spent.email)
        : await usersRepository.markEmailVerified(tx, spent.userId, spent.email);
      if (user === undefined || before === undefined) {
        throw new DomainError('invalid_account_token');
      }
      if (pending) {
        // The address changed: every older link is void; both addresses are told (S19).
        await accountTokensRepository.invalidateEverything(tx, user.id);
        await appendToOutbox(
          tx,
          securityNotice(user, 'email_changed', { to: before.email, newEmail: user.email }),
          securityNotice(user, 'email_changed', { newEmail: user.email }),
          ...userChangeEvents(before, user, user.id),
        );
      }
      await appendToOutbox(tx, userEvent('user.email_verified', user, user.id));
      return user;
    });
  }

  /**
   * Why a link was refused: opened a second time (the page says "already used") or
   * unknown, expired or voided by a newer link (the v1-era detail).
   */
  private async refusedLink(
    purpose: AccountTokenPurpose,
    tokenHash: string,
    db: Executor = this.db,
  ): Promise<DomainError> {
    return (await accountTokensRepository.wasConsumed(db, purpose, tokenHash))
      ? new DomainError('link_already_used')
      : new DomainError('invalid_account_token');
  }

  /** A new verification mail for the signed-in user's current address. */
  async resendVerification(user: UserRow): Promise<void> {
    const address = user.pendingEmail ?? (user.emailVerifiedAt === null ? user.email : null);
    if (address === null) {
      throw new DomainError('email_already_verified');
    }
    await this.issueVerification(this.db, user, address);
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
   * Always the same answer (202), whatever the address, and the same work (issue 12): a token
   * is generated and hashed, the per-address counter hit, and one statement runs on both
   * branches; only an active user's address gets a token and a mail (written by that
   * statement).
   */
  async requestPasswordRecovery(email: string): Promise<void> {
    const { token, tokenHash } = newAccountToken();
    await accountTokensRepository.issueResetForEmail(this.db, {
      email,
      tokenHash,
      expiresAt: this.mailer.expiryOf('password_reset'),
      link: this.mailer.link('password_reset', token),
      allowed: await this.withinAddressLimit('password_reset', email),
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
      if (spent === undefined) {
        // Live a moment ago, spent now: a concurrent use of the same link won the row (its
        // update committed before ours found nothing). Refused as a second use is.
        throw await this.refusedLink('password_reset', tokenHash, tx);
      }
      const user = await usersRepository.lockById(tx, spent.userId);
      // Issue 12 (S21): valid only for the address it was sent to while that is still the
      // account's address.
      if (
        user === undefined ||
        !user.isActive ||
        user.email.toLowerCase() !== spent.email.toLowerCase()
      ) {
        throw new DomainError('invalid_account_token');
      }
      const patch: UserPatch = { passwordHash };
      // The link reached this address, which is still the user's: it is proven.
      if (user.emailVerifiedAt === null) {
        patch.emailVerifiedAt = new Date();
      }
      await usersRepository.update(tx, user.id, patch);
      await sessionsRepository.revokeAllForUser(tx, user.id);
      await accountTokensRepository.invalidateEverything(tx, user.id);
      await appendToOutbox(tx, securityNotice(user, 'password_changed'));
      await notifySessionsRevoked(tx, user);
    });
  }
}
