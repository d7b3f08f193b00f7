// R13: SIGTERM to the API process: requests in flight finish, the process exits 0 in time.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { after, before, test } from 'node:test';
import bcrypt from 'bcryptjs';
import pg from 'pg';
import { projectRoot } from '../../src/lib/paths.js';
import { testKeyPaths } from '../helpers/app.js';
import { startApiProcess } from '../helpers/api-process.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { newUser } from '../helpers/factories.js';
import { normalised, request, type Res } from '../helpers/http.js';
import { userBody } from '../helpers/normalise.js';
import { entryArgs } from '../helpers/entry.js';

let db: TestDatabase;
before(async () => {
  db = await createTestDatabase();
});
after(async () => {
  await db.drop();
});

test('R13: in-flight registrations complete after SIGTERM and the API exits 0', async () => {
  const keys = testKeyPaths();
  // Below the range the kernel hands out for outgoing connections and port-0 listeners
  // (32768–60999 on Linux): 39638, drawn from 20000–40000, was once in use (EADDRINUSE).
  const port = 20000 + Math.floor(Math.random() * 12000);
  const child = spawn(process.execPath, entryArgs('src/server.ts'), {
    cwd: projectRoot,
    env: {
      ...process.env,
      NODE_ENV: 'test',
      PORT: String(port),
      DATABASE_URL: db.url,
      JWT_PRIVATE_KEY_PATH: keys.privateKey,
      JWT_PUBLIC_KEY_PATH: keys.publicKey,
      RATE_LIMIT_ENABLED: 'false',
      LOG_LEVEL: 'warn',
      SHUTDOWN_TIMEOUT_MS: '8000',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const exited = once(child, 'exit') as Promise<[number | null, string | null]>;
  const base = `http://127.0.0.1:${port}`;
  try {
    for (let i = 0; ; i++) {
      const ok = await fetch(`${base}/health`).then(
        (r) => r.status === 200,
        () => false,
      );
      if (ok) {
        break;
      }
      assert.ok(i < 300, 'server did not start');
      await new Promise((r) => setTimeout(r, 50));
    }
    // Registrations take a password hash each (~10+ ms, four at a time on the thread pool):
    // once the first has answered, the others are still in the server when SIGTERM lands.
    const bodies = Array.from({ length: 24 }, () => newUser());
    let answered = 0;
    const inflight = bodies.map((b) =>
      request(base, 'POST', '/api/v1/users/', { json: b }).finally(() => (answered += 1)),
    );
    await Promise.race(inflight);
    const answeredBeforeSigterm = answered;
    child.kill('SIGTERM');
    const results = await Promise.allSettled(inflight);
    const [code] = await exited;
    assert.equal(code, 0, 'exit code 0');
    const statuses = results.map((r) => (r.status === 'fulfilled' ? r.value.status : 'refused'));
    // Every request the server accepted got its real answer, the whole 201 of its
    // registration; one that reached a closed socket was refused (a connection error).
    // Nothing else: no 500, no 503 (return503OnClosing is off, app.ts).
    results.forEach((r, i) => {
      if (r.status === 'fulfilled') {
        const res = r.value as Res<{ id: number }>;
        assert.deepEqual(
          [res.status, normalised(res.body, [])],
          [201, userBody({ ...bodies[i]!, id: res.body.id })],
          statuses.join(','),
        );
      } else {
        assert.ok(r.reason instanceof TypeError, `refused, not failed: ${String(r.reason)}`);
      }
    });
    const created = statuses.filter((s) => s === 201).length;
    assert.ok(
      created > answeredBeforeSigterm,
      `registrations in flight at SIGTERM completed: ${answeredBeforeSigterm} before, ${statuses.join(',')}`,
    );
    // Whatever answered 201 is really in the database (nothing half-done).
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    const { rows } = await client.query<{ n: string }>('SELECT count(*) AS n FROM users');
    await client.end();
    assert.equal(Number(rows[0]!.n), created);
  } finally {
    if (child.exitCode === null) {
      child.kill('SIGKILL');
    }
  }
});

test('R13: a client that gave up on a slow sign-in does not hold up SIGTERM; the sign-in still completes', async () => {
  // A v1 account whose bcrypt hash (cost 13) takes a second or more to check; signing in
  // replaces it by argon2id. The client sends the whole form, gives up while the hash runs,
  // and SIGTERM follows: Fastify fires neither onResponse nor onRequestAbort for such a
  // request, which once kept the in-flight wait (and the exit) until the shutdown deadline.
  const password = 'slow legacy passphrase';
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    const hash = bcrypt.hashSync(password, 13).replace(/^\$2a\$/, '$2b$');
    const { rows } = await client.query<{ id: number }>(
      `INSERT INTO users (username, email, password_hash) VALUES ('slow_v1', 'slow_v1@example.com', $1) RETURNING id`,
      [hash],
    );
    const api = await startApiProcess('src/server.ts', db.url, {
      RATE_LIMIT_ENABLED: 'false',
      SHUTDOWN_TIMEOUT_MS: '20000',
    });
    try {
      const gaveUp = new AbortController();
      const signIn = fetch(`${api.url}/api/v1/jwt/login/`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ username: 'slow_v1', password }).toString(),
        signal: gaveUp.signal,
      }).then(
        () => 'answered',
        (err: Error) => err.name,
      );
      await new Promise((r) => setTimeout(r, 150));
      gaveUp.abort();
      assert.equal(await signIn, 'AbortError');
      await new Promise((r) => setTimeout(r, 50));
      api.child.kill('SIGTERM');
      // Exit 0 is within the deadline: at SHUTDOWN_TIMEOUT_MS it would have been exit 1.
      assert.deepEqual(await api.exited, { code: 0, signal: null });
      assert.doesNotMatch(api.output(), /shutdown timed out/);
    } finally {
      await api.stop('SIGKILL');
    }
    // The handler ran to its end before the pool closed: the hash was replaced.
    const after = await client.query<{ password_hash: string }>(
      'SELECT password_hash FROM users WHERE id = $1',
      [rows[0]!.id],
    );
    assert.match(after.rows[0]!.password_hash, /^\$argon2id\$/);
  } finally {
    await client.end();
  }
});
