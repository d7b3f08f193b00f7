// R17: the API refuses a database behind its migrations unless MIGRATE_ON_START applies them
// first, and src/server.ts alone refuses the embedded database; child processes as operators
// start them (exit code and message). Production settings: production-refusals.*.test.ts.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { testKeyPaths } from '../helpers/app.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { runEntry, startEntry } from '../helpers/process.js';
import { TEST_AMQP_URL } from '../helpers/worker.js';

let migrated: TestDatabase;
let cwd: string; // no .env there: only the variables each case names
before(async () => {
  migrated = await createTestDatabase();
  cwd = mkdtempSync(join(tmpdir(), 'ifd-refusals-'));
});
after(async () => {
  await migrated.drop();
  rmSync(cwd, { recursive: true, force: true });
});

/** A complete, acceptable production configuration. */
function productionEnv(overrides: Record<string, string | undefined> = {}): Record<string, string> {
  const keys = testKeyPaths();
  const env: Record<string, string | undefined> = {
    NODE_ENV: 'production',
    PORT: '0',
    LOG_LEVEL: 'info',
    DATABASE_URL: migrated.url,
    AMQP_URL: TEST_AMQP_URL,
    SMTP_URL: 'smtp://127.0.0.1:1025',
    PUBLIC_URL: 'https://internships.example.com',
    MAIL_FROM: 'noreply@internships.example.com',
    JWT_PRIVATE_KEY_PATH: keys.privateKey,
    JWT_PUBLIC_KEY_PATH: keys.publicKey,
    ...overrides,
  };
  return Object.fromEntries(
    Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined),
  );
}

async function refused(env: Record<string, string>): Promise<string> {
  const r = await runEntry('src/server.ts', env, { cwd });
  assert.equal(r.code, 1, r.output);
  assert.doesNotMatch(r.output, /Server listening/);
  return r.output;
}

/** Starts the API, reads its port from the listening line, returns /health/ready, stops it. */
async function startsAndIsReady(env: Record<string, string>) {
  const api = startEntry('src/server.ts', env, { cwd });
  try {
    const m = await api.waitFor(/Server listening at (http:\/\/127\.0\.0\.1:\d+)/);
    const res = await fetch(`${m[1]}/health/ready`);
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  } finally {
    const { code } = await api.stop();
    assert.equal(code, 0, 'SIGTERM ends it cleanly');
  }
}

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
      assert.equal(ready.status, 200);
      const schema = ready.body.schema as { applied: number; expected: number };
      assert.ok(schema.expected >= 5);
      assert.equal(schema.applied, schema.expected);
    } finally {
      await empty.drop();
    }
  });

  test('development without DATABASE_URL: src/server.ts alone refuses (the embedded database lives in npm run dev)', async () => {
    const r = await runEntry('src/server.ts', { NODE_ENV: 'development', PORT: '0' }, { cwd });
    assert.equal(r.code, 1, r.output);
    assert.match(r.output, /embedded development database runs only inside `npm run dev`/);
  });
});
