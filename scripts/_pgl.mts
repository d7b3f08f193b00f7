import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { createPgConfig } from '@electric-sql/pglite/node-postgres';
import pg from 'pg';
import { sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
const lite = await PGlite.create('/tmp/opsdbg/pgl', { extensions: { pg_trgm } });
const keep = setInterval(() => {}, 1000);
setTimeout(() => {
  console.log('timeout');
  process.exit(2);
}, 20000);
const pool = new pg.Pool({ ...createPgConfig(lite), max: 1, idleTimeoutMillis: 0 });
const db = drizzle(pool);
console.log('a', (await db.execute(sql`select 1 as x`)).rows);
const r = await db.transaction(async (tx) => {
  const a = await tx.execute(sql`select 2 as x`);
  return a.rows;
});
console.log('b', r);
try {
  await db.transaction(async (tx) => {
    await tx.execute(sql`select 3 as x`);
    throw new Error('boom');
  });
} catch (e) {
  console.log('c', (e as Error).message);
}
console.log('d', (await db.execute(sql`select 4 as x`)).rows);
clearInterval(keep);
process.exit(0);
