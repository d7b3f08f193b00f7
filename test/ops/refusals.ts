// Shared by the R17 refusal tests: a migrated database, an empty working folder (no .env),
// a complete production configuration to vary, and the two ways a start can end.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { testKeyPaths } from '../helpers/app.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { runEntry, startEntry } from '../helpers/process.js';
import { TEST_AMQP_URL } from '../helpers/worker.js';

export interface Refusals {
  /** The migrated database the production configuration points at. */
  migrated: () => TestDatabase;
  /** The working folder of every child process (no .env there). */
  cwd: () => string;
  productionEnv: (overrides?: Record<string, string | undefined>) => Record<string, string>;
  refused: (env: Record<string, string>) => Promise<string>;
  startsAndIsReady: (
    env: Record<string, string>,
  ) => Promise<{ status: number; body: Record<string, unknown> }>;
}

/** Call at the top level of a test file: registers its before/after hooks. */
export function useRefusals(): Refusals {
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
  function productionEnv(
    overrides: Record<string, string | undefined> = {},
  ): Record<string, string> {
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
  return {
    migrated: () => migrated,
    cwd: () => cwd,
    productionEnv,
    refused,
    startsAndIsReady,
  };
}
