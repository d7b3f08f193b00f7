// The node:test part of `npm test` (scripts/test.ts starts it with tsx): node:test's run()
// with the files in the order given. `node --test file…` sorts its files by name, so the
// longest files (test/ops, test/e2e) would start last and keep one slot busy long after the
// rest has finished; run() keeps scripts/test.ts's longest-first order. The report
// is node's default one (TAP when piped, as CI reads it, spec on a terminal) and the exit code
// is 1 when any test failed.
import { run } from 'node:test';
import { spec, tap } from 'node:test/reporters';

const files = process.argv.slice(2);
let failed = false;
// Four files at a time on two cores: a file spends much of its time waiting on PostgreSQL,
// RabbitMQ, MailDev or a child process, so with two the cores sat idle about a third of the
// run; the run's CPU is the same with 2, 3 and 4 (docs/testing.md, ADR 0030).
// TEST_CONCURRENCY overrides it (1 to read one file's output in order).
const concurrency = Number(process.env.TEST_CONCURRENCY ?? 4);
if (!Number.isInteger(concurrency) || concurrency < 1) {
  console.error(`TEST_CONCURRENCY must be a whole number ≥ 1, not ${process.env.TEST_CONCURRENCY}`);
  process.exit(2);
}
const stream = run({ files, concurrency, timeout: 300_000 });
stream.on('test:fail', () => {
  failed = true;
});
stream.on('end', () => {
  process.exitCode = failed ? 1 : 0;
});
const report = stream.compose(process.stdout.isTTY ? new spec() : tap) as NodeJS.ReadableStream;
report.pipe(process.stdout);
