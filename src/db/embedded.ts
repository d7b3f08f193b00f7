// The embedded development database (ADR 0015): PGlite (PostgreSQL compiled to WebAssembly)
// persisted under DATA_DIR, reached through the same `pg` API and Drizzle code as a real
// server. Its limits shape this file: one connection (a pool of one: PGlite runs one
// transaction at a time across all its connections anyway), LISTEN only through the
// instance itself, and no lock of its own on the folder, so a lock file with our PID keeps a
// second process from opening (and corrupting) it.
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { createPgConfig } from '@electric-sql/pglite/node-postgres';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate } from 'drizzle-orm/pglite/migrator';
import { drizzle } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import { migrationsFolder } from '../lib/paths.js';
import type { Database } from './client.js';
import * as schema from './schema.js';

export interface EmbeddedDatabase extends Database {
  /** The PGlite instance (its `listen` is the only LISTEN that works). */
  lite: PGlite;
  dir: string;
}

export class DataDirLocked extends Error {
  constructor(
    readonly dir: string,
    readonly pid: number,
  ) {
    super(
      `${dir} is in use by another process (PID ${pid}): PGlite has no lock of its own and two ` +
        'processes would corrupt it. Stop that process, or set DATA_DIR to another folder.',
    );
    this.name = 'DataDirLocked';
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by someone else
  }
}

/** Takes `<dir>/pglite.lock` (O_EXCL), replacing a lock whose process is gone. */
function takeLock(dir: string): string {
  const path = join(dir, 'pglite.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return path;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw err;
      }
      const pid = Number(readFileSync(path, 'utf8').trim());
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) {
        throw new DataDirLocked(dir, pid);
      }
      rmSync(path, { force: true }); // stale: its process ended without removing it
    }
  }
  throw new Error(`could not take the lock ${path}`);
}

/** Opens (creating on first use) and migrates the embedded database under `dataDir`. */
export async function openEmbeddedDatabase(
  dataDir: string,
  onError: (err: Error) => void = () => {},
): Promise<EmbeddedDatabase> {
  mkdirSync(dataDir, { recursive: true });
  const lock = takeLock(dataDir);
  const dir = join(dataDir, 'pglite');
  let lite: PGlite | undefined;
  try {
    lite = await PGlite.create(dir, { extensions: { pg_trgm } });
    // The same SQL files and journal table as `npm run migrate`; drizzle's node-postgres
    // migrator stalls on PGlite's pg adapter, its PGlite migrator does not.
    await migrate(drizzlePglite(lite), { migrationsFolder });
  } catch (err) {
    await lite?.close().catch(() => {});
    rmSync(lock, { force: true });
    throw err;
  }
  const pgConfig = createPgConfig(lite);
  // Drizzle hands pg its own type parsers as `types` (an object), which pg's Parse message
  // ignores but PGlite's adapter iterates as a list of parameter type oids: give it none.
  const connection = pgConfig.connection;
  const parse = connection.parse.bind(connection);
  connection.parse = (query: { types?: unknown }) =>
    parse({ ...query, types: Array.isArray(query.types) ? query.types : undefined });
  const pool = new pg.Pool({ ...pgConfig, max: 1, idleTimeoutMillis: 0 });
  pool.on('error', onError);
  const db = drizzle(pool, { schema });
  const opened = lite;
  let closing: Promise<void> | null = null;
  return {
    db,
    pool,
    lite: opened,
    dir,
    close: () => {
      closing ??= (async () => {
        await pool.end().catch(() => {});
        await opened.close();
        rmSync(lock, { force: true });
      })();
      return closing;
    },
  };
}
