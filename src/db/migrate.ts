import pg from 'pg';
import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import { migrationsFolder } from '../lib/paths.js';

/** Creates the database named in `url` if it does not exist (development and tests). */
export async function ensureDatabase(url: string): Promise<boolean> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.slice(1));
  if (!/^[A-Za-z0-9_]+$/.test(name)) {
    throw new Error('Database name must be letters, digits and underscores');
  }
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount === 0) {
      await client.query(`CREATE DATABASE "${name}"`);
      return true;
    }
    return false;
  } finally {
    await client.end();
  }
}

/** Any constant shared by every migrating process: `pg_advisory_lock` key. */
const MIGRATION_LOCK = 4_210_015;

/**
 * Applies pending migrations; throws on failure (a failed migration must never look green).
 * Several processes may call it at once (API replicas with MIGRATE_ON_START): a session
 * advisory lock lets one migrate while the others wait, then find nothing left to do.
 */
export async function runMigrations(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    await migrate(drizzle(client), { migrationsFolder });
  } finally {
    await client.end();
  }
}

/** Applies pending migrations through an existing pool (the embedded database, ADR 0015). */
export async function runMigrationsOn(pool: pg.Pool): Promise<void> {
  await migrate(drizzle(pool), { migrationsFolder });
}
