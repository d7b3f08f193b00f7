// npm test: runs the web application's component tests (Vitest, web/**/*.spec.tsx) first, then
// every *.test.ts under src/ and test/ with node:test through tsx (its closing summary is
// what CI reads); fails when either fails. With arguments only the named node:test files run
// (`npm test -- web` runs only Vitest).
// Node 20's --test does not expand globs, so the files are listed here (and run by
// scripts/test-runner.ts, in longest-first order). Extra arguments are
// passed through (e.g. `npm test -- src/modules/users` to run one folder).
import { spawn } from 'node:child_process';
import { readdirSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
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

const args = process.argv.slice(2);
let vitestCode = 0;
if (args.length === 0 || args.includes('web')) {
  vitestCode = await run(join(projectRoot, 'node_modules/.bin/vitest'), [
    'run',
    '--config',
    'web/vite.config.ts',
  ]);
  if (vitestCode !== 0) {
    console.error('npm test: the web component tests (Vitest) failed');
  }
}
const nodeArgs = args.filter((a) => a !== 'web');
if (args.length > 0 && nodeArgs.length === 0) {
  process.exit(vitestCode);
}
const roots = nodeArgs.length > 0 ? nodeArgs : ['src', 'test'];
const files = roots.flatMap((r) =>
  statSync(join(projectRoot, r)).isDirectory() ? findTests(join(projectRoot, r), []) : [r],
);
// Longest first: scripts/test-runner.ts starts files in the order given, three at a time, so a long file
// started last keeps one slot busy after everything else has finished. The order below is
// the measured ranking (docs/testing.md); a file not listed keeps its place after them, and
// the unit files (milliseconds each) go last to fill the gaps. Only the order depends on this
// list, never which files run.
const LONGEST_FIRST = [
  'src/modules/auth/revocation-race.integration.test.ts',
  'test/ops/embedded.integration.test.ts',
  'test/http/cluster.integration.test.ts',
  'test/e2e/intern.test.ts',
  'test/e2e/account.test.ts',
  'src/modules/mail/mail.integration.test.ts',
  'test/ops/schema-refusal.integration.test.ts',
  'test/fuzz/fuzz.test.ts',
  'test/e2e/language.test.ts',
  'test/ops/production-refusals.integration.test.ts',
  'test/ops/embedded-restart.integration.test.ts',
  'test/cli/scripts.integration.test.ts',
  'src/modules/users/account-security.integration.test.ts',
  'src/modules/users/namespace.integration.test.ts',
  'test/ops/bundle.integration.test.ts',
  'test/ops/worker-health.integration.test.ts',
  'src/modules/webhooks/webhooks-crash.integration.test.ts',
  'src/modules/users/account-mail.integration.test.ts',
  'src/modules/webhooks/webhooks.integration.test.ts',
  'src/modules/users/admin.integration.test.ts',
  'test/e2e/webhooks.test.ts',
  'test/http/shared-limits.integration.test.ts',
  'test/http/throttles.integration.test.ts',
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
// The end-to-end files serve a production build of web/: made once here for all of them
// (test/e2e/browser.ts webDist) instead of once per file.
let webDist: string | undefined;
if (process.env.IFD_TEST_WEB_DIST === undefined && files.some((f) => f.startsWith('test/e2e/'))) {
  const { buildWeb } = await import('../test/e2e/browser.js');
  webDist = await buildWeb();
}
const nodeCode = await run(
  process.execPath,
  // scripts/test-runner.ts: node:test three files at a time (TEST_CONCURRENCY), each with a 300 s timeout, in the
  // order of `files` (the node --test command line would sort them by name).
  [
    '--import',
    'tsx',
    join(projectRoot, 'scripts/test-runner.ts'),
    ...files.map((f) => join(projectRoot, f)),
  ],
  webDist === undefined ? {} : { IFD_TEST_WEB_DIST: webDist },
);
if (webDist !== undefined) {
  rmSync(webDist, { recursive: true, force: true });
}
process.exit(nodeCode !== 0 ? nodeCode : vitestCode);
