// How a test starts one of the project's entry points (src/server.ts, src/worker.ts, a script)
// in a child process. Under `npm test`, scripts/test.ts transpiles src/ and scripts/ once per
// run (esbuild, file by file, as tsx would: no bundling, no type check) into a folder it names
// in IFD_TEST_BUILD, and children run that JavaScript with plain node: tsx costs each child
// ~0.7 s of CPU more to start (its loader hooks run on a thread of their own in Node 20), and
// the suite starts ~50 children (docs/testing.md, ADR 0030). A test file run on its own
// (`node --import tsx --test file`) has no IFD_TEST_BUILD and starts the sources through tsx.
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { build } from 'esbuild';
import { projectRoot } from '../../src/lib/paths.js';

/**
 * The node arguments that run `entry` (a path under the project root, e.g. 'src/worker.ts'):
 * for a TypeScript entry the run's transpiled copy when there is one, else the source through
 * tsx (resolved here, so that a child's cwd may be a folder without node_modules); a built
 * JavaScript entry (dist/bundle/server.js) as it is.
 */
export function entryArgs(entry: string): string[] {
  if (!entry.endsWith('.ts')) {
    return [join(projectRoot, entry)];
  }
  const built = process.env.IFD_TEST_BUILD;
  if (built !== undefined && built !== '') {
    return [join(built, entry.replace(/\.ts$/, '.js'))];
  }
  return ['--import', import.meta.resolve('tsx'), join(projectRoot, entry)];
}

/** The TypeScript modules under `dir` (not tests, not declarations), as absolute paths. */
function sources(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !f.endsWith('.d.ts'))
    .map((f) => join(dir, f));
}

/**
 * Transpiles src/ and scripts/ into `outdir`, keeping the tree (outdir/src/server.js, ...).
 * `outdir` must lie below the project root, outside any folder named `dist` at its end
 * (src/lib/paths.ts finds the root from a module's own location), e.g. dist/test-build-PID.
 */
export async function buildSources(outdir: string): Promise<void> {
  if (relative(projectRoot, outdir).startsWith('..')) {
    throw new Error(`${outdir} is outside the project root`);
  }
  const entryPoints = ['src', 'scripts'].flatMap((d) => sources(join(projectRoot, d)));
  await build({
    entryPoints,
    outdir,
    outbase: projectRoot,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    bundle: false,
    // No source maps: a child's stack trace names the copy's .js file; run the test file on
    // its own to see the sources' lines (tsx).
    logLevel: 'warning',
  });
}

/** Removes the copies (`test-build-PID`) in `dir` whose run's process is gone. */
export function removeStaleBuilds(dir: string): void {
  if (!existsSync(dir)) {
    return;
  }
  for (const name of readdirSync(dir)) {
    const pid = /^test-build-(\d+)$/.exec(name)?.[1];
    if (pid === undefined) {
      continue;
    }
    try {
      process.kill(Number(pid), 0); // still running: another npm test of this checkout
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ESRCH') {
        rmSync(join(dir, name), { recursive: true, force: true });
      }
    }
  }
}
