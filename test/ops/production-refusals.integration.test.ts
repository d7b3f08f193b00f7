// R17: production refuses to start in states that lose data or let people in, each case in a
// child process started as operators start it (exit code and the message it prints), and the
// API refuses a database behind its migrations unless MIGRATE_ON_START applies them first.
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

describe('R17 production refusals (child process per case)', () => {
  test('a complete production configuration starts and is ready', async () => {
    const ready = await startsAndIsReady(productionEnv());
    assert.equal(ready.status, 200);
    assert.equal(ready.body.database, 'up');
  });

  test('no DATABASE_URL, AMQP_URL or SMTP_URL: refused, nothing embedded or defaulted', async () => {
    const out = await refused(
      productionEnv({ DATABASE_URL: undefined, AMQP_URL: undefined, SMTP_URL: undefined }),
    );
    assert.match(out, /DATABASE_URL must be set in production/);
    assert.match(out, /AMQP_URL must be set in production/);
    assert.match(out, /SMTP_URL must be set in production/);
  });

  test('RATE_LIMIT_ENABLED=false: refused', async () => {
    const out = await refused(productionEnv({ RATE_LIMIT_ENABLED: 'false' }));
    assert.match(out, /RATE_LIMIT_ENABLED=false switches throttling off: refused in production/);
  });

  test('PUBLIC_URL left at the development default: refused', async () => {
    for (const value of ['http://127.0.0.1:8000/']) {
      const out = await refused(productionEnv({ PUBLIC_URL: value }));
      assert.match(out, /PUBLIC_URL must be the public address of the service/, String(value));
    }
  });

  test('MAIL_FROM left at the development default (any case): refused', async () => {
    for (const value of ['Admin@Site.com']) {
      const out = await refused(productionEnv({ MAIL_FROM: value }));
      assert.match(out, /MAIL_FROM must be an address of your own domain/, String(value));
    }
  });

  test('plain-http PUBLIC_URL: refused unless PUBLIC_URL_ALLOW_HTTP=true', async () => {
    const out = await refused(productionEnv({ PUBLIC_URL: 'http://internships.example.com' }));
    assert.match(out, /PUBLIC_URL must use https in production/);
    assert.match(out, /PUBLIC_URL_ALLOW_HTTP=true/);
    const allowed = await startsAndIsReady(
      productionEnv({
        PUBLIC_URL: 'http://internships.example.com',
        PUBLIC_URL_ALLOW_HTTP: 'true',
      }),
    );
    assert.equal(allowed.status, 200);
  });

  test('every problem is listed at once, in one message', async () => {
    const out = await refused(
      productionEnv({
        DATABASE_URL: undefined,
        RATE_LIMIT_ENABLED: 'false',
        PUBLIC_URL: 'http://127.0.0.1:8000',
        MAIL_FROM: undefined,
        PORT: 'eighty',
      }),
    );
    const problems = out.split('\n').filter((l) => l.startsWith('  - '));
    assert.equal(problems.length, 5, out);
    assert.match(out, /^Invalid configuration:/m);
    for (const what of ['PORT', 'DATABASE_URL', 'RATE_LIMIT_ENABLED', 'PUBLIC_URL', 'MAIL_FROM']) {
      assert.ok(
        problems.some((p) => p.includes(what)),
        `${what} listed`,
      );
    }
  });

  test('the worker refuses the same configuration problems', async () => {
    const r = await runEntry('src/worker.ts', productionEnv({ RATE_LIMIT_ENABLED: 'false' }), {
      cwd,
    });
    assert.equal(r.code, 1, r.output);
    assert.match(r.output, /RATE_LIMIT_ENABLED=false switches throttling off/);
  });
});
