import type { Db, Executor } from '../../db/client.js';
import { transactionWithRetry } from '../../db/retry.js';
import { DomainError } from '../../lib/errors.js';
import { decodeCursor, toPage, type SortDirection } from '../../lib/pagination.js';
import { sessionsRepository } from '../auth/sessions.repository.js';
import { appendToOutbox } from '../outbox/outbox.writer.js';
import { userChangeEvents } from '../outbox/user-events.js';
import { accountTokensRepository } from './account-tokens.repository.js';
import type { OutboxMessage } from '../outbox/catalogue.js';
import { securityNotice, type AccountMailer } from './account-mail.js';
import {
  usersRepository,
  type UserListRow,
  type UserOrderBy,
  type UserPatch,
} from './users.repository.js';
import type { UserRow } from './users.table.js';
import { newUsername, rethrowUserUniqueViolation } from './users.service.js';

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
    throw new DomainError('last_superuser');
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
      throw new DomainError('invalid_cursor', { reason: 'malformed' });
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
      throw new DomainError('user_not_found');
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
          throw new DomainError('user_not_found');
        }
        const patch: UserPatch = {};
        if (input.username !== undefined && input.username !== current.username) {
          Object.assign(patch, newUsername(input.username));
        }
        const newAddress =
          input.email !== undefined && input.email.toLowerCase() !== current.email.toLowerCase();
        if (input.email !== undefined && input.email !== current.email) {
          patch.email = input.email;
          patch.pendingEmail = null;
        }
        if (newAddress) {
          patch.emailVerifiedAt = null;
        }
        // One namespace (S21): no look-alike username, no address equal to another's username.
        const taken = await usersRepository.takenFlags(
          tx,
          patch.username ?? '',
          newAddress ? (input.email ?? '') : '',
          patch.usernameFold ?? '',
          id,
        );
        if (taken.username && patch.username !== undefined) {
          throw new DomainError('username_taken');
        }
        if (taken.email && newAddress) {
          throw new DomainError('email_taken');
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
          throw new DomainError('user_not_found');
        }
        if (patch.isActive === false) {
          await sessionsRepository.revokeAllForUser(tx, id);
        }
        const notices: OutboxMessage[] = [];
        if (newAddress || patch.isActive !== undefined) {
          // A link is bound to its moment: archival, restore and a new address void them all.
          await accountTokensRepository.invalidateEverything(tx, id);
        }
        if (patch.isActive !== undefined) {
          notices.push(
            securityNotice(updated, patch.isActive ? 'account_restored' : 'account_archived'),
          );
        }
        if (newAddress) {
          notices.push(
            securityNotice(updated, 'email_changed', {
              to: current.email,
              newEmail: updated.email,
            }),
            securityNotice(updated, 'email_changed', { newEmail: updated.email }),
          );
        }
        if (newAddress && updated.isActive) {
          await this.mailer.sendVerification(tx, updated);
        }
        await appendToOutbox(tx, ...notices, ...userChangeEvents(current, updated, null));
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
        throw new DomainError('user_not_found');
      }
      if (current.isActive) {
        const archived = await usersRepository.update(tx, id, { isActive: false });
        await appendToOutbox(
          tx,
          securityNotice(current, 'account_archived'),
          ...(archived ? userChangeEvents(current, archived, null) : []),
        );
      }
      await sessionsRepository.revokeAllForUser(tx, id);
      await accountTokensRepository.invalidateEverything(tx, id);
    });
  }

  async restore(id: number): Promise<UserRow> {
    return this.db.transaction(async (tx) => {
      const current = await usersRepository.lockById(tx, id);
      const updated = await usersRepository.update(tx, id, { isActive: true });
      if (current === undefined || updated === undefined) {
        throw new DomainError('user_not_found');
      }
      // Links issued before the archival stay void after the restore (issue 12).
      await accountTokensRepository.invalidateEverything(tx, id);
      await appendToOutbox(
        tx,
        ...(current.isActive ? [] : [securityNotice(updated, 'account_restored')]),
        ...userChangeEvents(current, updated, null),
      );
      return updated;
    });
  }
}
