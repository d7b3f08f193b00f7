import type { Db } from '../../db/client.js';
import { DomainError } from '../../lib/errors.js';
import { DEFAULT_LOCALE, type Locale } from '../../lib/locale.js';
import { appendToOutbox } from '../outbox/outbox.writer.js';
import { userChangeEvents, userEvent } from '../outbox/user-events.js';
import { hashPassword, isCommonPassword } from '../auth/passwords.js';
import { uniqueViolation, usersRepository } from './users.repository.js';
import type { UserRow } from './users.table.js';
import type { AccountMailer } from './account-mail.js';
import { assertSafeUsername, normaliseUsername, usernameFold } from './usernames.js';

/** A new username as stored (NFKC) and its fold, or a 422 outside the safe set (S21). */
export function newUsername(typed: string): { username: string; usernameFold: string } {
  const username = normaliseUsername(typed);
  assertSafeUsername(username);
  return { username, usernameFold: usernameFold(username) };
}

export interface RegisterInput {
  username: string;
  email: string;
  password: string;
  password_confirm: string;
  locale?: Locale;
}

/** S3: a common password is a 422 on the named field. */
export function refuseCommonPassword(
  password: string,
  field: 'password' | 'new_password' = 'password',
): void {
  if (isCommonPassword(password)) {
    throw new DomainError('password_common', { field });
  }
}

/** Maps a unique violation of users to the v1 400s; anything else is rethrown. */
export function rethrowUserUniqueViolation(err: unknown): never {
  switch (uniqueViolation(err)) {
    case 'uq_users_username':
    case 'uq_users_username_fold':
      throw new DomainError('username_taken');
    case 'uq_users_email':
      throw new DomainError('email_taken');
    default:
      throw err;
  }
}

export interface SuperuserInput {
  username: string;
  email: string;
  password: string;
}

export type SuperuserOutcome = 'created' | 'promoted' | 'already_superuser';

export class UsersService {
  constructor(
    private readonly db: Db,
    private readonly mailer: AccountMailer,
  ) {}

  /**
   * v1 order of checks: username taken, e-mail taken, confirmation differs. The checks are
   * advisory; the unique indexes decide under concurrency, and their violations map to the
   * same 400s (never a 500).
   */
  async register(input: RegisterInput): Promise<UserRow> {
    const name = newUsername(input.username);
    refuseCommonPassword(input.password);
    const taken = await usersRepository.takenFlags(
      this.db,
      name.username,
      input.email,
      name.usernameFold,
    );
    if (taken.username) {
      throw new DomainError('username_taken');
    }
    if (taken.email) {
      throw new DomainError('email_taken');
    }
    if (input.password !== input.password_confirm) {
      throw new DomainError('passwords_mismatch');
    }
    const passwordHash = await hashPassword(input.password);
    try {
      return await this.db.transaction(async (tx) => {
        const user = await usersRepository.insert(tx, {
          ...name,
          email: input.email,
          passwordHash,
          locale: input.locale ?? DEFAULT_LOCALE,
        });
        await appendToOutbox(tx, {
          type: 'mail.welcome',
          payload: {
            v: 1,
            user_id: user.id,
            username: user.username,
            email: user.email,
            locale: user.locale,
          },
        });
        // A mail of its own (issue 4): the welcome mail stays exactly as v1 had it.
        await this.mailer.sendVerification(tx, user);
        await appendToOutbox(tx, userEvent('user.created', user, user.id));
        return user;
      });
    } catch (err) {
      rethrowUserUniqueViolation(err);
    }
  }

  /**
   * Creates a superuser, or (with `promote`) makes an existing account one. The existing
   * account must match both the username and the e-mail; its password is left unchanged.
   * Operator-created accounts have their address marked verified.
   */
  async ensureSuperuser(input: SuperuserInput, promote: boolean): Promise<SuperuserOutcome> {
    if (input.password.length < 8 || input.password.length > 128) {
      throw new DomainError('password_length');
    }
    refuseCommonPassword(input.password);
    const byName = await usersRepository.findByLogin(this.db, input.username);
    const byEmail = await usersRepository.findByLogin(this.db, input.email);
    const existing = byName ?? byEmail;
    if (existing !== undefined) {
      if (byName?.id !== byEmail?.id) {
        throw new DomainError('superuser_accounts_differ');
      }
      if (existing.isSuperuser && existing.isActive) {
        return 'already_superuser';
      }
      if (!promote) {
        throw new DomainError('superuser_not_promotable', { username: existing.username });
      }
      await this.db.transaction(async (tx) => {
        const after = await usersRepository.update(tx, existing.id, {
          isSuperuser: true,
          isActive: true,
        });
        await appendToOutbox(tx, ...(after ? userChangeEvents(existing, after, null) : []));
      });
      return 'promoted';
    }
    const name = newUsername(input.username);
    const passwordHash = await hashPassword(input.password);
    try {
      await this.db.transaction(async (tx) => {
        const created = await usersRepository.insert(tx, {
          ...name,
          email: input.email,
          passwordHash,
          isSuperuser: true,
          emailVerifiedAt: new Date(),
        });
        await appendToOutbox(tx, userEvent('user.created', created, null));
      });
    } catch (err) {
      // Two API processes bootstrapping at once: the other one created it.
      if (uniqueViolation(err) !== undefined) {
        return this.ensureSuperuser(input, false);
      }
      throw err;
    }
    return 'created';
  }

  /**
   * FIRST_SUPERUSER_* at start-up: idempotent, never promotes an existing ordinary account
   * (someone could have registered that name first) and never resets a password.
   */
  async bootstrapSuperuser(
    input: SuperuserInput,
    log: { info(msg: string): void; warn(msg: string): void },
  ): Promise<void> {
    try {
      const outcome = await this.ensureSuperuser(input, false);
      log.info(`first superuser "${input.username}": ${outcome.replace('_', ' ')}`);
    } catch (err) {
      if (err instanceof DomainError) {
        log.warn(`first superuser "${input.username}" not created: ${err.message}`);
        return;
      }
      throw err;
    }
  }
}
