import type { Db } from '../../db/client.js';
import { DomainError, validationError } from '../../lib/errors.js';
import { appendToOutbox } from '../outbox/outbox.writer.js';
import { hashPassword, isCommonPassword } from '../auth/passwords.js';
import { uniqueViolation, usersRepository } from './users.repository.js';
import type { UserRow } from './users.table.js';

export interface RegisterInput {
  username: string;
  email: string;
  password: string;
  password_confirm: string;
}

export class UsersService {
  constructor(private readonly db: Db) {}

  /**
   * v1 order of checks: username taken, e-mail taken, confirmation differs. The checks are
   * advisory; the unique indexes decide under concurrency, and their violations map to the
   * same 400s (never a 500).
   */
  async register(input: RegisterInput): Promise<UserRow> {
    if (isCommonPassword(input.password)) {
      throw validationError([
        {
          loc: ['body', 'password'],
          msg: 'This password is too common: it appears in lists of leaked passwords. Choose another one.',
          type: 'value_error.password_common',
        },
      ]);
    }
    const taken = await usersRepository.takenFlags(this.db, input.username, input.email);
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
          username: input.username,
          email: input.email,
          passwordHash,
        });
        await appendToOutbox(tx, {
          type: 'mail.welcome',
          payload: { v: 1, user_id: user.id, username: user.username, email: user.email },
        });
        return user;
      });
    } catch (err) {
      switch (uniqueViolation(err)) {
        case 'uq_users_username':
          throw new DomainError('username_taken');
        case 'uq_users_email':
          throw new DomainError('email_taken');
        default:
          throw err;
      }
    }
  }
}
