import type { Db, Executor } from '../../db/client.js';
import { transactionWithRetry } from '../../db/retry.js';
import { DomainError } from '../../lib/errors.js';
import { decodeCursor, toPage, type SortDirection } from '../../lib/pagination.js';
import { sessionsRepository } from '../auth/sessions.repository.js';
import { appendToOutbox } from '../outbox/outbox.writer.js';
import { userChangeEvents } from '../outbox/user-events.js';
import type { AccountMailer } from './account-mail.js';
import {
  usersRepository,
  type UserListRow,
  type UserOrderBy,
  type UserPatch,
} from './users.repository.js';
import type { UserRow } from './users.table.js';
import { rethrowUserUniqueViolation } from './users.service.js';

/**
 * Refuses a change that would leave no active superuser. Call inside the transaction that
 * makes the change: it locks every active superuser row (in id order) first, so of two
 * concurrent demotions of the last two superusers the second waits, re-reads and fails.
 */
export async function lockOutLastSuperuser(
  tx: Executor,
  userId: number,
  change: { isActive?: boolean; isSuperuser?: boolean },
): Promise<void> {
  if (change.isActive !== false && change.isSuperuser !== false) {
    return;
  }
  const superusers = await usersRepository.lockActiveSuperusers(tx);
  if (superusers.includes(userId) && superusers.length <= 1) {
    throw new DomainError(
      'conflict',
      'The last active superuser can be neither demoted nor archived',
    );
  }
}

const ISO_MICROS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

export interface ListUsersInput {
  limit: number;
  cursor?: string;
  order_by: UserOrderBy;
  direction: SortDirection;
  is_active?: boolean;
  is_superuser?: boolean;
  q?: string;
}

export interface AdminPatchInput {
  username?: string;
  email?: string;
  is_active?: boolean;
  is_superuser?: boolean;
}

/** Superuser operations on any account, and the object-level read rule for one user. */
export class UsersAdminService {
  constructor(
    private readonly db: Db,
    private readonly mailer: AccountMailer,
  ) {}

  async list(input: ListUsersInput): Promise<{ items: UserListRow[]; nextCursor: string | null }> {
    const order = `${input.order_by}:${input.direction}`;
    const cursor = input.cursor === undefined ? undefined : decodeCursor(input.cursor, order);
    // The key goes into SQL as a typed value: check its form here, so a crafted cursor is a
    // 422 rather than a database cast error.
    const keyOk =
      input.order_by === 'id'
        ? cursor?.k === cursor?.id
        : typeof cursor?.k === 'string' && ISO_MICROS.test(cursor.k);
    if (cursor !== undefined && !keyOk) {
      throw new DomainError('validation', 'Request data is not correct', {
        errors: [
          { loc: ['query', 'cursor'], msg: 'Cursor is not valid', type: 'value_error.cursor' },
        ],
      });
    }
    const rows = await usersRepository.list(this.db, {
      limit: input.limit,
      cursor,
      orderBy: input.order_by,
      direction: input.direction,
      isActive: input.is_active,
      isSuperuser: input.is_superuser,
      q: input.q,
    });
    return toPage(rows, input.limit, order, (r) => ({
      k: input.order_by === 'id' ? r.id : r.createdAtKey,
      id: r.id,
    }));
  }

  /**
   * S10: a user reads only themself; a superuser reads anyone (archived included). Another
   * user's id is a 404 whether or not it exists, so ids cannot be probed.
   */
  async get(viewer: UserRow, id: number): Promise<UserRow> {
    if (viewer.id === id) {
      return viewer;
    }
    const user = viewer.isSuperuser ? await usersRepository.findById(this.db, id) : undefined;
    if (user === undefined) {
      throw new DomainError('not_found', 'User not found');
    }
    return user;
  }

  async update(id: number, input: AdminPatchInput): Promise<UserRow> {
    try {
      return await transactionWithRetry(this.db, async (tx) => {
        await lockOutLastSuperuser(tx, id, {
          isActive: input.is_active,
          isSuperuser: input.is_superuser,
        });
        const current = await usersRepository.lockById(tx, id);
        if (current === undefined) {
          throw new DomainError('not_found', 'User not found');
        }
        const patch: UserPatch = {};
        if (input.username !== undefined && input.username !== current.username) {
          patch.username = input.username;
        }
        const newAddress =
          input.email !== undefined && input.email.toLowerCase() !== current.email.toLowerCase();
        if (input.email !== undefined && input.email !== current.email) {
          patch.email = input.email;
        }
        if (newAddress) {
          patch.emailVerifiedAt = null;
        }
        if (input.is_active !== undefined && input.is_active !== current.isActive) {
          patch.isActive = input.is_active;
        }
        if (input.is_superuser !== undefined && input.is_superuser !== current.isSuperuser) {
          patch.isSuperuser = input.is_superuser;
        }
        if (Object.keys(patch).length === 0) {
          return current;
        }
        const updated = await usersRepository.update(tx, id, patch);
        if (updated === undefined) {
          throw new DomainError('not_found', 'User not found');
        }
        if (patch.isActive === false) {
          await sessionsRepository.revokeAllForUser(tx, id);
        }
        if (newAddress && updated.isActive) {
          await this.mailer.sendVerification(tx, updated);
        }
        await appendToOutbox(tx, ...userChangeEvents(current, updated, null));
        return updated;
      });
    } catch (err) {
      rethrowUserUniqueViolation(err);
    }
  }

  /** Soft delete (is_active = false); the user's sessions are revoked at once (S9). */
  async archive(id: number): Promise<void> {
    await transactionWithRetry(this.db, async (tx) => {
      await lockOutLastSuperuser(tx, id, { isActive: false });
      const current = await usersRepository.lockById(tx, id);
      if (current === undefined) {
        throw new DomainError('not_found', 'User not found');
      }
      if (current.isActive) {
        const archived = await usersRepository.update(tx, id, { isActive: false });
        await appendToOutbox(tx, ...(archived ? userChangeEvents(current, archived, null) : []));
      }
      await sessionsRepository.revokeAllForUser(tx, id);
    });
  }

  async restore(id: number): Promise<UserRow> {
    return this.db.transaction(async (tx) => {
      const current = await usersRepository.lockById(tx, id);
      const updated = await usersRepository.update(tx, id, { isActive: true });
      if (current === undefined || updated === undefined) {
        throw new DomainError('not_found', 'User not found');
      }
      await appendToOutbox(tx, ...userChangeEvents(current, updated, null));
      return updated;
    });
  }
}
