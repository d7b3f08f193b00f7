// R17: production refuses to start in states that lose data or let people in, each case in a
// child process started as operators start it (exit code and the message it prints), and the
// API refuses a database behind its migrations unless MIGRATE_ON_START applies them first.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { readyBody } from '../helpers/normalise.js';
import { runEntry } from '../helpers/process.js';
import { useRefusals } from './refusals.js';

const { productionEnv, refused, startsAndIsReady, cwd } = useRefusals();

// The cases are independent (each child listens on a port of its own, PORT=0, and only reads
// the shared database), so they run side by side: their time is the children starting. Two
// at a time: a start is CPU-bound (tsx compiling and loading the app), so more than the
// machine's two cores gains nothing, and all eight at once next to another test file took
// over the 30 s a refusal is given on a loaded machine.
describe('R17 production refusals (child process per case)', { concurrency: 2 }, () => {
  test('a complete production configuration starts and is ready', async () => {
    const ready = await startsAndIsReady(productionEnv());
    assert.deepEqual(ready, { status: 200, body: readyBody({ rate_limit_store: 'redis' }) });
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
    assert.deepEqual(allowed, { status: 200, body: readyBody({ rate_limit_store: 'redis' }) });
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
      cwd: cwd(),
    });
    assert.equal(r.code, 1, r.output);
    assert.match(r.output, /RATE_LIMIT_ENABLED=false switches throttling off/);
  });
});
