import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { ensureDatabase, runMigrations } from '../../src/db/migrate.js';

// Every test file gets a database of its own, made and migrated here and dropped afterwards;
// the development database is never touched.
export const TEST_PG_BASE =
  process.env.TEST_DATABASE_BASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

/** `migrate: false` leaves the database empty (readiness and start-up refusal tests, R17). */
export async function createTestDatabase({ migrate = true } = {}): Promise<TestDatabase> {
  const name = `ifd_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  const u = new URL(TEST_PG_BASE);
  u.pathname = `/${name}`;
  const url = u.toString();
  await ensureDatabase(url);
  if (migrate) {
    await runMigrations(url);
  }
  return {
    url,
    name,
    drop: async () => {
      const admin = new pg.Client({ connectionString: TEST_PG_BASE });
      await admin.connect();
      try {
        await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await admin.end();
      }
    },
  };
}
