// Operator scripts run as operators run them (a child process, exit codes, real database):
// create-superuser (issue 4), seed:bulk (P6), migrate.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { projectRoot } from '../../src/lib/paths.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { entryArgs } from '../helpers/entry.js';

let db: TestDatabase;
let pool: pg.Pool;
before(async () => {
  db = await createTestDatabase();
  pool = new pg.Pool({ connectionString: db.url, max: 2 });
  // The database is dropped WITH (FORCE) at the end: a client the pool still holds then is
  // terminated by the server, which is expected, not a failure of the scripts under test.
  pool.on('error', () => {});
});
after(async () => {
  await pool.end();
  await db.drop();
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runScript(
  script: string,
  args: string[],
  env: Record<string, string>,
  stdin?: string,
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...entryArgs(`scripts/${script}`), ...args], {
      cwd: projectRoot,
      env: { PATH: process.env.PATH ?? '', DATABASE_URL: db.url, LOG_LEVEL: 'warn', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin ?? '');
  });
}

async function userRow(username: string) {
  const { rows } = await pool.query<{
    is_superuser: boolean;
    is_active: boolean;
    password_hash: string;
    verified: boolean;
  }>(
    'SELECT is_superuser, is_active, password_hash, email_verified_at IS NOT NULL AS verified FROM users WHERE username = $1',
    [username],
  );
  return rows[0];
}

// Each test works on usernames of its own, so they run side by side: most of their time is
// the child processes starting (tsx), not the scripts' work (issue 14: suite under 3 minutes).
describe('npm run create-superuser', { concurrency: true }, () => {
  test('creates a verified superuser from SUPERUSER_PASSWORD; a second run changes nothing', async () => {
    const args = ['--username', 'root_admin', '--email', 'root_admin@example.com'];
    const first = await runScript('create-superuser.ts', args, {
      SUPERUSER_PASSWORD: 'a long admin passphrase',
    });
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /created/);
    const row = await userRow('root_admin');
    assert.equal(row?.is_superuser, true);
    assert.equal(row?.verified, true);
    assert.match(row?.password_hash ?? '', /^\$argon2id\$/);
    const again = await runScript('create-superuser.ts', args, {
      SUPERUSER_PASSWORD: 'another long passphrase',
    });
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /already a superuser/);
    assert.equal(
      (await userRow('root_admin'))?.password_hash,
      row?.password_hash,
      'password unchanged',
    );
  });

  test('reads the password from standard input when SUPERUSER_PASSWORD is not set', async () => {
    const r = await runScript(
      'create-superuser.ts',
      ['--username', 'piped_admin', '--email', 'piped_admin@example.com'],
      {},
      'piped admin passphrase\npiped admin passphrase\n',
    );
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await userRow('piped_admin'))?.is_superuser, true);
    assert.ok(!r.stdout.includes('piped admin passphrase'), 'the password is not echoed');
  });

  test('refuses a common or short password with exit code 1 and creates nothing', async () => {
    for (const password of ['password123', 'short']) {
      const r = await runScript(
        'create-superuser.ts',
        ['--username', 'weak_admin', '--email', 'weak@example.com'],
        {
          SUPERUSER_PASSWORD: password,
        },
      );
      assert.equal(r.code, 1, `${password}: ${r.stdout}`);
      assert.match(r.stderr, /Refused/);
    }
    assert.equal(await userRow('weak_admin'), undefined);
  });

  test('an existing ordinary account is promoted only with --promote', async () => {
    await pool.query(
      `INSERT INTO users (username, email, password_hash) VALUES ('plain_user', 'plain@example.com', 'x')`,
    );
    const args = ['--username', 'plain_user', '--email', 'plain@example.com'];
    const refused = await runScript('create-superuser.ts', args, {
      SUPERUSER_PASSWORD: 'a long admin passphrase',
    });
    assert.equal(refused.code, 1);
    assert.equal((await userRow('plain_user'))?.is_superuser, false);
    const promoted = await runScript('create-superuser.ts', [...args, '--promote'], {
      SUPERUSER_PASSWORD: 'a long admin passphrase',
    });
    assert.equal(promoted.code, 0, promoted.stderr);
    assert.equal((await userRow('plain_user'))?.is_superuser, true);
  });

  test('missing arguments: usage and exit code 2', async () => {
    const r = await runScript('create-superuser.ts', ['--username', 'x'], {
      SUPERUSER_PASSWORD: 'a long admin passphrase',
    });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /Usage/);
  });
});

describe('npm run seed:bulk and npm run migrate', () => {
  test('seeds users, then projects with members and applications', async () => {
    const r = await runScript('seed-bulk.ts', ['--users', '500', '--projects', '40'], {});
    assert.equal(r.code, 0, r.stderr);
    const { rows } = await pool.query<{
      users: number;
      projects: number;
      members: number;
      applications: number;
    }>(
      `SELECT (SELECT count(*)::int FROM users WHERE username LIKE '%\\_%') AS users,
              (SELECT count(*)::int FROM projects) AS projects,
              (SELECT count(*)::int FROM project_members) AS members,
              (SELECT count(*)::int FROM applications) AS applications`,
    );
    assert.ok(rows[0]!.users >= 500);
    assert.equal(rows[0]!.projects, 40);
    assert.ok(rows[0]!.members >= 40, 'at least a mentor per project');
    assert.ok(rows[0]!.applications > 0);
  });

  test('seed:bulk without counts: usage, exit code 2', async () => {
    const r = await runScript('seed-bulk.ts', [], {});
    assert.equal(r.code, 2);
  });

  test('migrate on an up-to-date database exits 0; on an unreachable one exits non-zero', async () => {
    const ok = await runScript('migrate.ts', [], {});
    assert.equal(ok.code, 0, ok.stderr);
    const bad = await runScript('migrate.ts', [], {
      DATABASE_URL: 'postgres://postgres@127.0.0.1:1/nowhere',
    });
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /Migration failed/);
  });
});
