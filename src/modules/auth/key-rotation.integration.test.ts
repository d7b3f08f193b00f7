// Key rotation: tokens signed with a retired key still verify (its public key is listed in
// JWT_RETIRED_PUBLIC_KEY_PATHS and published in JWKS); new tokens use the new key's kid.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { decodeProtectedHeader } from 'jose';
import { buildApp } from '../../app.js';
import { createDatabase, type Database } from '../../db/client.js';
import { startTestApp, testConfig, testKeyPaths, type TestApp } from '../../../test/helpers/app.js';
import { login, register } from '../../../test/helpers/factories.js';
import { normalised, request } from '../../../test/helpers/http.js';
import { userBody } from '../../../test/helpers/normalise.js';
import { ensureKeyPair } from './keys.js';

let t: TestApp;
before(async () => {
  t = await startTestApp();
});
after(async () => {
  await t.close();
});

test('a token from the retired key verifies after rotation; new tokens carry the new kid', async () => {
  const u = await register(t.url);
  const old = await login(t.url, u.username, u.password);
  const oldKid = decodeProtectedHeader(old.access_token).kid;

  const dir = mkdtempSync(join(tmpdir(), 'ifd-rotated-'));
  const next = { privateKey: join(dir, 'new-private.pem'), publicKey: join(dir, 'new-public.pem') };
  ensureKeyPair(next.privateKey, next.publicKey);
  const config = testConfig(t.testDb.url, {
    JWT_PRIVATE_KEY_PATH: next.privateKey,
    JWT_PUBLIC_KEY_PATH: next.publicKey,
    JWT_RETIRED_PUBLIC_KEY_PATHS: testKeyPaths().publicKey,
  });
  const database: Database = createDatabase(t.testDb.url, 2);
  const app = await buildApp(config, { database, logStream: { write: () => true } });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const addr = app.server.address();
  const base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  try {
    const me = await request(base, 'GET', '/api/v1/jwt/users/me/', { token: old.access_token });
    assert.deepEqual([me.status, normalised(me.body, [])], [200, userBody(u)]);
    const fresh = await login(base, u.username, u.password);
    const newKid = decodeProtectedHeader(fresh.access_token).kid;
    assert.notEqual(newKid, oldKid);
    const jwks = await request<{ keys: { kid: string }[] }>(base, 'GET', '/.well-known/jwks.json');
    assert.deepEqual(
      jwks.body.keys.map((k) => k.kid),
      [newKid, oldKid],
    );
    // The old deployment, which knows only the old key, refuses the new key's tokens.
    const refused = await request(t.url, 'GET', '/api/v1/jwt/users/me/', {
      token: fresh.access_token,
    });
    assert.deepEqual([refused.status, refused.body], [401, { detail: 'Invalid token error.' }]);
  } finally {
    await app.close();
    await database.close();
  }
});
