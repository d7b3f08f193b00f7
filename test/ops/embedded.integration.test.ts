// Embedded development mode (ADR 0015, 0021): `src/embedded/main.ts` (what `npm run dev` runs
// without DATABASE_URL, AMQP_URL and SMTP_URL) as a child process on a temporary DATA_DIR: it
// starts with PGlite, the in-process transport and an in-process MailDev; the v1 contract walk
// (the same as on the real services, test/http/v1-contract.integration.test.ts) passes through
// it with its mails read from that MailDev; `npm run dlq` works on its transport while it
// runs; a second process on the same folder is refused; Ctrl-C closes PGlite (the restart:
// embedded-restart.integration.test.ts).
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { testKeyPaths } from '../helpers/app.js';
import { freePort } from '../helpers/maildev.js';
import { runEntry, startEntry, type Started } from '../helpers/process.js';
import { walkV1Contract } from '../helpers/v1-contract.js';
import { eventually } from '../helpers/worker.js';

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
    NODE_ENV: 'development', // no DATABASE_URL, AMQP_URL, SMTP_URL: all three embedded
    LOG_LEVEL: 'info',
    PUBLIC_URL: 'http://127.0.0.1:5173',
    MAIL_RETRY_BASE_MS: '200',
    DATA_DIR: join(cwd, '.data'),
    PORT: String(port),
    WORKER_HEALTH_PORT: String(health),
    EMBEDDED_SMTP_PORT: String(smtp),
    EMBEDDED_MAIL_WEB_PORT: String(web),
    JWT_PRIVATE_KEY_PATH: keys.privateKey,
    JWT_PUBLIC_KEY_PATH: keys.publicKey,
  };
});
after(() => {
  rmSync(cwd, { recursive: true, force: true });
});

async function start(): Promise<Started> {
  const p = startEntry('src/embedded/main.ts', env, { cwd });
  // A failed start must not leave the child running (its pipes would keep the file alive).
  await p.waitFor(/"msg":"ready"/, START_MS).catch(async (err: unknown) => {
    await p.stop('SIGKILL');
    throw err;
  });
  return p;
}

interface MailDevMail {
  subject: string;
  text?: string;
  to: { address: string }[];
}

describe('embedded development mode (PGlite, in-process transport and MailDev, one process)', () => {
  test(
    'starts with a banner naming the embedded parts; the v1 contract walk passes through it',
    { timeout: START_MS + 90_000 },
    async () => {
      const p = await start();
      try {
        const out = p.output();
        assert.match(
          out,
          /PostgreSQL {3}embedded \(PGlite\) in .*\.data\/pglite; for a real server set DATABASE_URL=/,
        );
        assert.match(
          out,
          /RabbitMQ {5}embedded \(in-process transport\) in .*\.data\/broker, dead letters: npm run dlq -- list; for a real broker set AMQP_URL=/,
        );
        assert.match(out, /Mail {9}embedded MailDev: every mail at http:\/\/127\.0\.0\.1:\d+/);
        assert.ok(existsSync(join(env.DATA_DIR!, 'pglite.lock')));

        const ready = await fetch(`${api}/health/ready`);
        assert.equal(ready.status, 200);
        const body = (await ready.json()) as {
          broker: string;
          schema: { applied: number; expected: number };
        };
        assert.equal(body.schema.applied, body.schema.expected, 'the same migrations applied');
        assert.equal(body.broker, 'embedded');

        await walkV1Contract(
          api,
          {
            waitFor: async (to, subject) => {
              const mail = await eventually(async () => {
                const res = await fetch(`${mailWeb}/api/email`);
                const all = (await res.json()) as MailDevMail[];
                return all.find((m) => m.subject === subject && m.to.some((t) => t.address === to));
              }, 30_000);
              return mail.text ?? '';
            },
          },
          env.PUBLIC_URL!,
        );

        // The operator's tool reaches the running process's transport (its files).
        const dlq = await runEntry('scripts/dlq.ts', env, {
          cwd,
          args: ['list'],
          timeoutMs: 60_000,
        });
        assert.equal(dlq.code, 0, dlq.output);
        assert.match(dlq.output, /ifd\.mail\.dead: 0 dead letter\(s\)/);

        // A second process on the same folder would corrupt it: refused, naming the holder.
        const second = await runEntry('src/embedded/main.ts', env, { cwd, timeoutMs: 60_000 });
        assert.equal(second.code, 1, second.output);
        assert.match(
          second.output,
          new RegExp(`in use by another process \\(PID ${p.child.pid}\\)`),
        );
      } finally {
        // Ctrl-C: everything stops, PGlite is closed (not left for recovery at the next start).
        assert.equal((await p.stop('SIGINT')).code, 0, `SIGINT exits 0:\n${p.output()}`);
      }
      assert.match(p.output(), /"msg":"stopped"/);
      assert.ok(!existsSync(join(env.DATA_DIR!, 'pglite.lock')), 'the lock is released');
    },
  );
});
