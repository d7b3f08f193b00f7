// ADR 0015: the embedded database keeps its data in DATA_DIR across a close and a reopen
// (what a restart of `npm run dev` does), and its lock file is released on close.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { openEmbeddedDatabase } from '../../src/db/embedded.js';
import { schemaVersion } from '../../src/db/schema-version.js';

const dir = mkdtempSync(join(tmpdir(), 'ifd-embedded-restart-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('a restart keeps the data in DATA_DIR; the lock is released on close', async () => {
  const first = await openEmbeddedDatabase(dir);
  assert.ok(existsSync(join(dir, 'pglite.lock')));
  await first.pool.query(
    "INSERT INTO users (username, email, password_hash) VALUES ('kept_user', 'kept@example.com', 'x')",
  );
  await first.close();
  assert.ok(!existsSync(join(dir, 'pglite.lock')), 'released');

  const second = await openEmbeddedDatabase(dir);
  try {
    const { rows } = await second.pool.query<{ email: string }>(
      "SELECT email FROM users WHERE username = 'kept_user'",
    );
    assert.deepEqual(rows, [{ email: 'kept@example.com' }]);
    const v = await schemaVersion(second.pool);
    assert.equal(v.applied, v.expected, 'migrations not re-run into a conflict');
  } finally {
    await second.close();
  }
});
