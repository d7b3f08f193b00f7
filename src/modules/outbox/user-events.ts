// Builders of the user.* domain events (issue 9): one snapshot shape, never a hash or token.
// Producers (users services) append them in the transaction of the change.
import type { UserRow } from '../users/users.table.js';
import type { OutboxMessage, UserSnapshotV1 } from './catalogue.js';

export function userSnapshot(u: UserRow): UserSnapshotV1 {
  return {
    id: u.id,
    username: u.username,
    email: u.email,
    is_active: u.isActive,
    is_superuser: u.isSuperuser,
    email_verified: u.emailVerifiedAt !== null,
    created_at: u.createdAt.toISOString(),
  };
}

const base = (u: UserRow, actorId: number | null) => ({
  v: 1 as const,
  user_id: u.id,
  actor_id: actorId,
  occurred_at: new Date().toISOString(),
  user: userSnapshot(u),
});

type Simple = 'user.created' | 'user.email_verified' | 'user.archived' | 'user.restored';

export function userEvent(type: Simple, u: UserRow, actorId: number | null): OutboxMessage {
  return { type, payload: base(u, actorId) };
}

/**
 * The events an update produced, comparing before and after: `user.updated` for username
 * and e-mail, `user.archived`/`user.restored` for is_active, `user.role_changed` for
 * is_superuser.
 */
export function userChangeEvents(
  before: UserRow,
  after: UserRow,
  actorId: number | null,
): OutboxMessage[] {
  const out: OutboxMessage[] = [];
  const changed = [
    ...(before.username !== after.username ? ['username'] : []),
    ...(before.email !== after.email ? ['email'] : []),
  ];
  if (changed.length > 0) {
    out.push({ type: 'user.updated', payload: { ...base(after, actorId), changed } });
  }
  if (before.isActive !== after.isActive) {
    out.push(userEvent(after.isActive ? 'user.restored' : 'user.archived', after, actorId));
  }
  if (before.isSuperuser !== after.isSuperuser) {
    const role = (su: boolean) => (su ? ('superuser' as const) : ('user' as const));
    out.push({
      type: 'user.role_changed',
      payload: {
        ...base(after, actorId),
        from: role(before.isSuperuser),
        to: role(after.isSuperuser),
      },
    });
  }
  return out;
}
