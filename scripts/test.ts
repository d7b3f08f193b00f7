// npm test: runs the web application's component tests (Vitest, web/**/*.spec.tsx) and every
// *.test.ts under src/ and test/ with node:test through tsx, side by side: Vitest's output is
// held back and printed after node:test's closing summary, followed by one line naming what
// failed; fails when either fails. With arguments only the named node:test files run
// (`npm test -- web` runs only Vitest, with its output as it comes).
// Node 20's --test does not expand globs, so the files are listed here (and run by
// scripts/test-runner.ts, in longest-first order). Extra arguments are
// passed through (e.g. `npm test -- src/modules/users` to run one folder).
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { setPriority, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { projectRoot } from '../src/lib/paths.js';

function findTests(dir: string, out: string[]): string[] {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) {
      continue;
    }
    const p = join(dir, name);
    if (statSync(p).isDirectory()) {
      findTests(p, out);
    } else if (name.endsWith('.test.ts')) {
      out.push(relative(projectRoot, p));
    }
  }
  return out;
}

function run(command: string, argv: string[], env: NodeJS.ProcessEnv = {}): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(command, argv, {
      stdio: 'inherit',
      cwd: projectRoot,
      env: { ...process.env, NODE_ENV: 'test', ...env },
    });
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

/**
 * Like run(), with the output held back (stdout and stderr in the order they came) so that it
 * can be printed after the node:test report instead of through it.
 */
function runHeld(command: string, argv: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const child = spawn(command, argv, {
      stdio: ['ignore', 'pipe', 'pipe'],
      cwd: projectRoot,
      // Colours as if it printed to this terminal itself.
      env: {
        ...process.env,
        NODE_ENV: 'test',
        ...(process.stdout.isTTY && process.env.NO_COLOR === undefined ? { FORCE_COLOR: '1' } : {}),
      },
    });
    // Below node:test's files: the 2-core machine is CPU-bound, and the files' deadlines
    // (restarts, refusals) matter more than Vitest finishing early; it uses the idle time.
    if (child.pid !== undefined) {
      try {
        setPriority(child.pid, 10);
      } catch {
        // Not allowed here: it runs at the same priority.
      }
    }
    child.stdout.on('data', (d: Buffer) => chunks.push(d));
    child.stderr.on('data', (d: Buffer) => chunks.push(d));
    child.on('close', (code, signal) =>
      resolve({ code: code ?? (signal ? 1 : 0), output: Buffer.concat(chunks).toString() }),
    );
  });
}

const VITEST = [
  join(projectRoot, 'node_modules/.bin/vitest'),
  ['run', '--config', 'web/vite.config.ts'],
] as const;

const args = process.argv.slice(2);
const withVitest = args.length === 0 || args.includes('web');
const nodeArgs = args.filter((a) => a !== 'web');
if (args.length > 0 && nodeArgs.length === 0) {
  // `npm test -- web`: Vitest alone, its output as it comes.
  const code = await run(VITEST[0], [...VITEST[1]]);
  if (code !== 0) {
    console.error('npm test: the web component tests (Vitest) failed');
  }
  process.exit(code);
}
const roots = nodeArgs.length > 0 ? nodeArgs : ['src', 'test'];
const files = roots.flatMap((r) =>
  statSync(join(projectRoot, r)).isDirectory() ? findTests(join(projectRoot, r), []) : [r],
);
// Longest first: scripts/test-runner.ts starts files in the order given, four at a time, so a long file
// started last keeps one slot busy after everything else has finished. The order below is
// the measured ranking (docs/testing.md); a file not listed keeps its place after them, and
// the unit files (milliseconds each) go last to fill the gaps. Only the order depends on this
// list, never which files run.
const LONGEST_FIRST = [
  'src/modules/auth/revocation-race.integration.test.ts',
  'test/e2e/account.test.ts',
  'test/e2e/intern.test.ts',
  'test/http/cluster.integration.test.ts',
  'test/ops/embedded.integration.test.ts',
  'test/ops/production-refusals.integration.test.ts',
  'src/modules/webhooks/webhooks.integration.test.ts',
  'src/modules/mail/broker-restart.integration.test.ts',
  'src/modules/mail/mail.integration.test.ts',
  'src/modules/users/account-security.integration.test.ts',
  'src/modules/users/account-mail.integration.test.ts',
  'test/fuzz/fuzz.test.ts',
  'test/ops/bundle.integration.test.ts',
  'src/modules/outbox/outbox.integration.test.ts',
  'test/http/shutdown.integration.test.ts',
  'test/e2e/language.test.ts',
  'test/ops/embedded-restart.integration.test.ts',
  'test/cli/scripts.integration.test.ts',
  'test/e2e/webhooks.test.ts',
  'src/modules/events/embedded-broker.integration.test.ts',
  'src/modules/webhooks/webhooks-crash.integration.test.ts',
  'src/modules/auth/sessions.integration.test.ts',
  'src/modules/projects/projects-mail.integration.test.ts',
  'test/http/v1-contract.integration.test.ts',
  'test/ops/schema-refusal.integration.test.ts',
  'src/modules/users/namespace.integration.test.ts',
  'test/ops/worker-health.integration.test.ts',
  'src/modules/users/locale.integration.test.ts',
  'test/http/log-secrets.integration.test.ts',
  'test/http/shared-limits.integration.test.ts',
  'src/modules/auth/auth.integration.test.ts',
  'src/modules/auth/browser-session.integration.test.ts',
  'test/http/security.integration.test.ts',
  'src/modules/users/admin.integration.test.ts',
  'src/modules/outbox/outbox.wake.integration.test.ts',
  'src/modules/projects/projects.integration.test.ts',
  'test/http/throttles.integration.test.ts',
  'src/modules/auth/key-rotation.integration.test.ts',
  'src/modules/projects/applications.integration.test.ts',
];
const rank = (f: string) => {
  const i = LONGEST_FIRST.indexOf(f);
  return i >= 0 ? i : f.includes('.unit.test.') ? LONGEST_FIRST.length + 1 : LONGEST_FIRST.length;
};
files.sort((a, b) => rank(a) - rank(b)); // stable: the rest keep the folder order
if (files.length === 0) {
  console.error('No test files found');
  process.exit(1);
}
// Vitest starts now and runs beside the web build and the node:test files (docs/testing.md:
// on two cores the node:test part leaves CPU idle while its files wait on services).
const vitest = withVitest ? runHeld(VITEST[0], [...VITEST[1]]) : undefined;
// The end-to-end files serve a production build of web/: made once here for all of them
// (test/e2e/browser.ts webDist) instead of once per file.
let webDist: string | undefined;
if (process.env.IFD_TEST_WEB_DIST === undefined && files.some((f) => f.startsWith('test/e2e/'))) {
  const { buildWeb } = await import('../test/e2e/browser.js');
  webDist = await buildWeb();
}
// The entry points the tests start as children (the API, the worker, the scripts) run from one
// transpiled copy of src/ and scripts/ made here (test/helpers/entry.ts): ~0.7 s less CPU per
// child than starting each through tsx. IFD_TEST_BUILD= (empty) keeps tsx for them.
let testBuild: string | undefined;
if (process.env.IFD_TEST_BUILD === undefined) {
  const { buildSources, removeStaleBuilds } = await import('../test/helpers/entry.js');
  removeStaleBuilds(join(projectRoot, 'dist')); // of runs that were interrupted
  testBuild = join(projectRoot, 'dist', `test-build-${process.pid}`);
  await buildSources(testBuild);
}
// The unit files (*.unit.test.ts: no database, no broker, no child process; 160 tests in
// milliseconds) run in one process instead of one each: a process costs 0.3–1.2 s of CPU to
// start tsx and load its modules, 17 of them 11.7 s against 2.4 s for one (docs/testing.md,
// 2026-12-01 20:20). Each file is imported in turn; one that fails to load is reported as a
// failed test of its own and the others still run. TEST_UNITS_TOGETHER=0: one process each.
const units = files.filter((f) => f.includes('.unit.test.'));
let unitsDir: string | undefined;
let runFiles = files.map((f) => join(projectRoot, f));
if (units.length > 1 && process.env.TEST_UNITS_TOGETHER !== '0') {
  unitsDir = mkdtempSync(join(tmpdir(), 'ifd-unit-files-'));
  const together = join(unitsDir, 'unit-files.test.mjs');
  writeFileSync(
    together,
    [
      '// Written by scripts/test.ts: the unit files of this run, imported in turn in one process.',
      "import { test } from 'node:test';",
      `for (const file of ${JSON.stringify(units.map((f) => pathToFileURL(join(projectRoot, f)).href))}) {`,
      '  try {',
      '    await import(file);',
      '  } catch (err) {',
      '    test(`${file} loads`, () => {',
      '      throw err;',
      '    });',
      '  }',
      '}',
      '',
    ].join('\n'),
  );
  runFiles = [
    ...files.filter((f) => !units.includes(f)).map((f) => join(projectRoot, f)),
    together,
  ];
}
const nodeCode = await run(
  process.execPath,
  // scripts/test-runner.ts: node:test four files at a time (TEST_CONCURRENCY), each with a
  // 300 s timeout, in the order of `files` (the node --test command line would sort them).
  ['--import', 'tsx', join(projectRoot, 'scripts/test-runner.ts'), ...runFiles],
  {
    ...(webDist === undefined ? {} : { IFD_TEST_WEB_DIST: webDist }),
    ...(testBuild === undefined ? {} : { IFD_TEST_BUILD: testBuild }),
  },
);
for (const made of [testBuild, webDist, unitsDir]) {
  if (made !== undefined) {
    rmSync(made, { recursive: true, force: true });
  }
}
if (vitest === undefined) {
  process.exit(nodeCode);
}
const { code: vitestCode, output } = await vitest;
console.log('\n── web component tests (Vitest, web/; ran beside the node:test files) ──');
process.stdout.write(output.endsWith('\n') ? output : `${output}\n`);
const verdict = (code: number) => (code === 0 ? 'passed' : `FAILED (exit code ${code})`);
const summary = `npm test: node:test files ${verdict(nodeCode)}; web component tests (Vitest) ${verdict(vitestCode)}`;
if (nodeCode !== 0 || vitestCode !== 0) {
  console.error(summary);
} else {
  console.log(summary);
}
process.exit(nodeCode !== 0 ? nodeCode : vitestCode);
