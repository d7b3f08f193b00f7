// R14, S13: the schema-driven fuzzer (test/fuzz/fuzzer.ts) on a short budget in `npm test`;
// `npm run fuzz` runs the long one (10,000+ requests) and records it in docs/benchmarks.md.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, test } from 'node:test';
import { buildApp } from '../../src/app.js';
import { startTestApp, testConfig, type TestApp } from '../helpers/app.js';
import { check, fuzz, prng } from './fuzzer.js';
import { fuzzStage } from './harness.js';
import { statusRecorder } from './statuses.js';

const SEED = Number(process.env.FUZZ_SEED ?? 20261201);
let t: TestApp;
before(async () => {
  t = await startTestApp();
});
after(async () => {
  await t.close();
});

test(`R14/S13: every OpenAPI operation and its mutations: no 5xx, only standard error bodies, no SQL, stack or hash, no status the operation's document does not list (seed ${SEED})`, async () => {
  const options = await fuzzStage(t, { seed: SEED, maxRequests: 1500, maxMs: 25_000 });
  const statuses = await statusRecorder(t.url);
  const result = await fuzz({ ...options, onExchange: statuses.onExchange });
  assert.deepEqual(statuses.undocumented(), [], 'answers whose status the document does not list');
  assert.deepEqual(statuses.unreached(), [], 'operations the walk did not reach');
  assert.ok(result.operations >= 30, `operations in the document: ${result.operations}`);
  assert.ok(
    result.requests >= Math.min(600, result.operations * 10),
    `requests sent: ${result.requests}`,
  );
  assert.deepEqual(
    result.findings.slice(0, 10),
    [],
    `${result.findings.length} findings (seed ${SEED})`,
  );
  for (const s of Object.keys(result.byStatus)) {
    assert.ok(Number(s) < 500, `status ${s}`);
  }
});

test('issue 14: with the database down and limits of one request, every answer is documented (503, 429)', async () => {
  const options = await fuzzStage(t, { seed: SEED, maxRequests: 400, maxMs: 10_000 });
  // The same keys, so the stage's tokens are valid here; nothing answers on port 1.
  const down = await buildApp(
    testConfig('postgres://postgres@127.0.0.1:1/unreachable', {
      RATE_LIMIT_ENABLED: 'true',
      LOGIN_RATE_PER_IP: '1',
      REGISTER_RATE_PER_IP: '1',
      ACCOUNT_MAIL_RATE_PER_IP: '1',
    }),
    // Every request logs the refused connection: keep it out of the test output.
    { logStream: new Writable({ write: (_chunk, _enc, done) => done() }) },
  );
  try {
    await down.listen({ port: 0, host: '127.0.0.1' });
    const address = down.server.address();
    const url = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
    const statuses = await statusRecorder(url);
    const result = await fuzz({ ...options, baseUrl: url, onExchange: statuses.onExchange });
    assert.deepEqual(
      statuses.undocumented(),
      [],
      'answers whose status the document does not list',
    );
    assert.ok((result.byStatus[503] ?? 0) > 0, `statuses: ${JSON.stringify(result.byStatus)}`);
    assert.ok((result.byStatus[429] ?? 0) > 0, `statuses: ${JSON.stringify(result.byStatus)}`);
  } finally {
    await down.close();
  }
});

test('R14/S13: the fuzzer flags what it must (so that its run can fail)', () => {
  const json = 'application/json; charset=utf-8';
  assert.equal(check(500, '{"detail":"Internal server error"}', json), 'status 500');
  assert.equal(check(503, '{"detail":"Service unavailable"}', json), 'status 503');
  assert.equal(
    check(400, '{"error":"Bad Request","message":"x","statusCode":400}', json),
    'error body is not { detail, errors? }',
  );
  assert.equal(check(431, '', null), 'error body of type null');
  assert.equal(
    check(422, '{"detail":"duplicate key value violates unique constraint \\"x\\""}', json),
    'SQL in the error body',
  );
  assert.equal(
    check(200, '{"h":"$argon2id$v=19$m=19456,t=2,p=1$abc"}', json),
    'a hash in the response',
  );
  assert.equal(
    check(404, '{"detail":"Error\\n    at foo (/app/src/x.ts:1:2)"}', json),
    'a stack trace in the response',
  );
  assert.equal(
    check(400, '{"detail":"Bad request","errors":[]}', json),
    '`errors` outside a 422 or not a list',
  );
  assert.equal(
    check(
      422,
      '{"detail":"Request data is not correct","errors":[{"loc":["body"],"msg":"m","type":"t"}]}',
      json,
    ),
    undefined,
  );
  assert.equal(check(201, '{"id":1}', json), undefined);
  const a = prng(7);
  const b = prng(7);
  assert.deepEqual([a(), a(), a()], [b(), b(), b()], 'seeded: the same seed, the same run');
});
