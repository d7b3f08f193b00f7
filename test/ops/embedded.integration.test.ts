// Embedded development mode (ADR 0015): `src/embedded/main.ts` (what `npm run dev` runs
// without DATABASE_URL) as a child process on a temporary DATA_DIR: it starts with PGlite and
// an in-process MailDev, a registration's welcome mail reaches that MailDev, a second process
// on the same folder is refused (the restart: embedded-restart.integration.test.ts). The mail path still goes
// through the real RabbitMQ (AMQP_URL): the in-process transport does not exist yet.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { testConfig, testKeyPaths } from '../helpers/app.js';
import { register } from '../helpers/factories.js';
import { freePort } from '../helpers/maildev.js';
import { runEntry, startEntry, type Started } from '../helpers/process.js';
import { deleteTestTopology, eventually, mailTestEnv } from '../helpers/worker.js';

const START_MS = 110_000; // PGlite's first start (initdb + migrations) is slow on a busy 2-core machine

let cwd: string;
let env: Record<string, string>;
let api: string;
let mailWeb: string;
before(async () => {
  cwd = mkdtempSync(join(tmpdir(), 'ifd-embedded-'));
  const keys = testKeyPaths();
  const [port, health, smtp, web] = [
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  api = `http://127.0.0.1:${port}`;
  mailWeb = `http://127.0.0.1:${web}`;
  env = {
    ...mailTestEnv(), // the run's own exchange and queues on the real RabbitMQ
    NODE_ENV: 'development', // no DATABASE_URL, no SMTP_URL: both embedded
    LOG_LEVEL: 'info',
    DATA_DIR: join(cwd, '.data'),
    PORT: String(port),
    WORKER_HEALTH_PORT: String(health),
    EMBEDDED_SMTP_PORT: String(smtp),
    EMBEDDED_MAIL_WEB_PORT: String(web),
    JWT_PRIVATE_KEY_PATH: keys.privateKey,
    JWT_PUBLIC_KEY_PATH: keys.publicKey,
  };
});
after(async () => {
  await deleteTestTopology(testConfig('postgres://unused@127.0.0.1/unused', env)).catch(() => {});
  rmSync(cwd, { recursive: true, force: true });
});

async function start(): Promise<Started> {
  const p = startEntry('src/embedded/main.ts', env, { cwd });
  await p.waitFor(/"msg":"ready"/, START_MS);
  return p;
}

describe('embedded development mode (PGlite + in-process MailDev, one process)', () => {
  const user = { username: `emb_${process.pid}`, password: 'correct horse embedded staple' };

  test(
    'starts with a banner naming the embedded parts; registration → welcome mail in its MailDev',
    { timeout: START_MS + 60_000 },
    async () => {
      const p = await start();
      try {
        const out = p.output();
        assert.match(
          out,
          /PostgreSQL {3}embedded \(PGlite\) in .*\.data\/pglite; for a real server set DATABASE_URL=/,
        );
        assert.match(out, /Mail {9}embedded MailDev: every mail at http:\/\/127\.0\.0\.1:\d+/);
        assert.match(out, /RabbitMQ .*not embedded yet/);
        assert.ok(existsSync(join(env.DATA_DIR!, 'pglite.lock')));

        const ready = await fetch(`${api}/health/ready`);
        assert.equal(ready.status, 200);
        const body = (await ready.json()) as { schema: { applied: number; expected: number } };
        assert.equal(body.schema.applied, body.schema.expected, 'the same migrations applied');

        const reg = await register(api, { ...user, email: `${user.username}@example.com` });
        const mail = await eventually(async () => {
          const res = await fetch(`${mailWeb}/api/email`);
          const all = (await res.json()) as Array<{ subject: string; to: { address: string }[] }>;
          return all.find((m) => m.to.some((t) => t.address === reg.email));
        }, 30_000);
        assert.equal(mail.subject, 'Welcome to Internship for developers! ⛵');

        // A second process on the same folder would corrupt it: refused, naming the holder.
        const second = await runEntry('src/embedded/main.ts', env, { cwd, timeoutMs: 60_000 });
        assert.equal(second.code, 1, second.output);
        assert.match(
          second.output,
          new RegExp(`in use by another process \\(PID ${p.child.pid}\\)`),
        );
      } finally {
        assert.equal((await p.stop()).code, 0, 'SIGTERM closes everything and exits 0');
      }
      assert.ok(!existsSync(join(env.DATA_DIR!, 'pglite.lock')), 'the lock is released');
    },
  );
});
