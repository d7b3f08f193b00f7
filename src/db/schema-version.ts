// Which migrations the database holds against the ones this code ships (R17, ADR 0016).
// drizzle's migrator records each applied migration's journal timestamp (`created_at`) in
// drizzle.__drizzle_migrations and applies every journal entry newer than the last one, so
// "applied" is the number of journal entries at or before the newest recorded timestamp.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { migrationsFolder } from '../lib/paths.js';
import { runMigrations } from './migrate.js';

export interface SchemaVersion {
  /** Migrations of this code's journal that the database has. */
  applied: number;
  /** Migrations this code ships. */
  expected: number;
  /** Tag of the newest applied migration known to this code (null: none). */
  current: string | null;
  /** Tag of the newest migration this code ships. */
  latest: string;
  /** The database has every migration this code needs. */
  upToDate: boolean;
}

interface Journal {
  entries: Array<{ idx: number; when: number; tag: string }>;
}

let journal: Journal | undefined;
function readJournal(): Journal {
  journal ??= JSON.parse(
    readFileSync(join(migrationsFolder, 'meta', '_journal.json'), 'utf8'),
  ) as Journal;
  return journal;
}

interface Queryable {
  query(text: string): Promise<{ rows: unknown[] }>;
}

export async function schemaVersion(db: Queryable): Promise<SchemaVersion> {
  const entries = [...readJournal().entries].sort((a, b) => a.when - b.when);
  let newest = -Infinity;
  try {
    const { rows } = await db.query(
      'SELECT max(created_at)::text AS newest FROM drizzle.__drizzle_migrations',
    );
    const value = (rows[0] as { newest: string | null } | undefined)?.newest;
    newest = value === null || value === undefined ? -Infinity : Number(value);
  } catch (err) {
    // 3F000 no schema "drizzle", 42P01 no table: nothing was ever migrated.
    const code = (err as { code?: string }).code;
    if (code !== '3F000' && code !== '42P01') {
      throw err;
    }
  }
  const applied = entries.filter((e) => e.when <= newest);
  return {
    applied: applied.length,
    expected: entries.length,
    current: applied.at(-1)?.tag ?? null,
    latest: entries.at(-1)?.tag ?? '',
    upToDate: applied.length === entries.length,
  };
}

export class SchemaBehindError extends Error {
  constructor(readonly version: SchemaVersion) {
    super(
      `The database schema is behind the code: ${version.applied} of ${version.expected} migrations applied ` +
        `(newest applied: ${version.current ?? 'none'}, needed: ${version.latest}). ` +
        'Run `npm run migrate` first, or set MIGRATE_ON_START=true to apply them at start-up.',
    );
    this.name = 'SchemaBehindError';
  }
}

/**
 * Start-up gate of the API: applies pending migrations when asked to, then refuses to run on
 * a database that lacks any (it would answer 500 to every request that touches a new column).
 */
export async function ensureSchema(url: string, migrateOnStart: boolean): Promise<SchemaVersion> {
  if (migrateOnStart) {
    await runMigrations(url);
  }
  const pool = new pg.Pool({ connectionString: url, max: 1, connectionTimeoutMillis: 5000 });
  try {
    const version = await schemaVersion(pool);
    if (!version.upToDate) {
      throw new SchemaBehindError(version);
    }
    return version;
  } finally {
    await pool.end();
  }
}
