// `npm run accounts:names` (issue 12, S21; ADR 0019): reports sign-in names that collide
// and, on request, resolves them. Nothing changes without `resolve`, except filling the
// confusable fold of usernames that have none yet (a derived column, not user data).
import type { Db } from '../../db/client.js';
import { signInNamesRepository, type ConflictRow } from './sign-in-names.repository.js';
import { usernameFold } from './usernames.js';

export interface NamesReport {
  /** Usernames whose fold was filled in this run. */
  folded: number;
  conflicts: ConflictRow[];
}

export interface Renamed {
  userId: number;
  from: string;
  to: string;
}

/**
 * Records usernames equal to another account's address, fills missing folds and records
 * look-alikes (the later account of two with one fold keeps no fold until resolved).
 */
export async function reportSignInNames(db: Db): Promise<NamesReport> {
  await signInNamesRepository.recordUsernameIsEmail(db);
  let folded = 0;
  for (const u of await signInNamesRepository.withoutFold(db)) {
    const fold = usernameFold(u.username);
    const holder = await signInNamesRepository.holderOfFold(db, fold);
    if (holder !== undefined && holder !== u.id) {
      await signInNamesRepository.record(db, {
        userId: u.id,
        otherUserId: holder,
        kind: 'username_confusable',
        username: u.username,
      });
      continue;
    }
    await signInNamesRepository.setFold(db, u.id, fold);
    folded += 1;
  }
  return { folded, conflicts: await signInNamesRepository.unresolved(db) };
}

/**
 * Renames the username of every account an open conflict names to `user<id>` (or
 * `user<id>-<n>` when that is taken). The account keeps signing in with its e-mail address;
 * the operator tells its owner the new name.
 */
export async function resolveSignInNames(db: Db): Promise<Renamed[]> {
  const { conflicts } = await reportSignInNames(db);
  const renamed: Renamed[] = [];
  const done = new Set<number>();
  for (const c of conflicts) {
    if (done.has(c.userId)) {
      continue;
    }
    done.add(c.userId);
    let to = `user${c.userId}`;
    for (let n = 2; await signInNamesRepository.nameTaken(db, to, usernameFold(to)); n += 1) {
      to = `user${c.userId}-${n}`;
    }
    await db.transaction((tx) => signInNamesRepository.rename(tx, c.userId, to, usernameFold(to)));
    renamed.push({ userId: c.userId, from: c.username, to });
  }
  return renamed;
}
