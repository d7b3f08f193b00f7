import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config.js';
import { createDatabase, type Database } from '../../src/db/client.js';
import { ensureKeyPair } from '../../src/modules/auth/keys.js';
import { createTestDatabase, type TestDatabase } from './database.js';

let keyDir: string | undefined;
/** One RSA key pair per test process, in a temporary folder. */
export function testKeyPaths(): { privateKey: string; publicKey: string } {
  keyDir ??= mkdtempSync(join(tmpdir(), 'ifd-keys-'));
  const paths = {
    privateKey: join(keyDir, 'jwt-private.pem'),
    publicKey: join(keyDir, 'jwt-public.pem'),
  };
  ensureKeyPair(paths.privateKey, paths.publicKey);
  return paths;
}

export function testConfig(databaseUrl: string, env: Record<string, string> = {}): Config {
  const keys = testKeyPaths();
  return loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: databaseUrl,
    JWT_PRIVATE_KEY_PATH: keys.privateKey,
    JWT_PUBLIC_KEY_PATH: keys.publicKey,
    LOG_LEVEL: 'info',
    RATE_LIMIT_ENABLED: 'false',
    ...env,
  });
}

export interface TestApp {
  app: FastifyInstance;
  /** Base URL of the real HTTP server, e.g. http://127.0.0.1:40123 */
  url: string;
  config: Config;
  database: Database;
  testDb: TestDatabase;
  /** Everything the app logged, as text (S14 checks). */
  logs(): string;
  close(): Promise<void>;
}

/**
 * Builds the real app on a fresh database and listens on a free port (or on `options.port`:
 * the browser tests need PUBLIC_URL, the page's origin, before the app starts).
 */
export async function startTestApp(
  env: Record<string, string> = {},
  options: { port?: number } = {},
): Promise<TestApp> {
  const testDb = await createTestDatabase();
  const config = testConfig(testDb.url, env);
  const database = createDatabase(testDb.url, 10);
  const chunks: string[] = [];
  const logStream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk.toString());
      cb();
    },
  });
  const app = await buildApp(config, { database, logStream });
  await app.listen({ port: options.port ?? 0, host: '127.0.0.1' });
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    app,
    url: `http://127.0.0.1:${port}`,
    config,
    database,
    testDb,
    logs: () => chunks.join(''),
    close: async () => {
      await app.close();
      await database.close();
      await testDb.drop();
    },
  };
}
