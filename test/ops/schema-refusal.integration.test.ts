// R17: the API refuses a database behind its migrations unless MIGRATE_ON_START applies them
// first, and src/server.ts alone refuses the embedded database; child processes as operators
// start them (exit code and message). Production settings: production-refusals.*.test.ts.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createTestDatabase } from '../helpers/database.js';
import { readyBody } from '../helpers/normalise.js';
import { runEntry } from '../helpers/process.js';
import { useRefusals } from './refusals.js';

const { productionEnv, refused, startsAndIsReady, cwd } = useRefusals();

describe('R17 the API and the schema version', () => {
  test('a database behind the migrations: the API refuses to start and says how to fix it', async () => {
    const empty = await createTestDatabase({ migrate: false });
    try {
      const out = await refused(productionEnv({ DATABASE_URL: empty.url }));
      assert.match(out, /database schema is behind the code: 0 of \d+ migrations applied/);
      assert.match(out, /npm run migrate/);
      assert.match(out, /MIGRATE_ON_START=true/);
    } finally {
      await empty.drop();
    }
  });

  test('MIGRATE_ON_START=true applies the migrations first, then serves and is ready', async () => {
    const empty = await createTestDatabase({ migrate: false });
    try {
      const ready = await startsAndIsReady(
        productionEnv({ DATABASE_URL: empty.url, MIGRATE_ON_START: 'true' }),
      );
      assert.deepEqual(ready, { status: 200, body: readyBody({ rate_limit_store: 'redis' }) });
    } finally {
      await empty.drop();
    }
  });

  test('development without DATABASE_URL: src/server.ts alone refuses (the embedded database lives in npm run dev)', async () => {
    const r = await runEntry(
      'src/server.ts',
      { NODE_ENV: 'development', PORT: '0' },
      { cwd: cwd() },
    );
    assert.equal(r.code, 1, r.output);
    assert.match(r.output, /embedded development database runs only inside `npm run dev`/);
  });

  test('development without AMQP_URL: src/worker.ts alone refuses (the in-process transport lives in npm run dev)', async () => {
    const r = await runEntry(
      'src/worker.ts',
      { NODE_ENV: 'development', DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/unused' },
      { cwd: cwd() },
    );
    assert.equal(r.code, 1, r.output);
    assert.match(
      r.output,
      /AMQP_URL is not set: the in-process transport runs only inside `npm run dev` \(one process\)/,
    );
  });
});
