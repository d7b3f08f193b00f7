// The bundle's entry (dist/bundle/server.js, written by scripts/build-bundle.ts): runs the API,
// bundled as one CommonJS file next to it (server.cjs), through a V8 code cache (ADR 0028).
// Node 20 parses and compiles a 3.5 MB bundle on every start; with the cache V8 takes the
// compiled code of everything the last start ran from one file instead. The cache is written
// once, by the first start after a build (when it exits, or a few seconds after it started),
// and only used for the exact bundle it was made from: its name holds the bundle's hash (V8
// itself checks only the source's length). A build removes the caches of earlier builds.
import { createHash } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire, Module } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';

/** Set by build-bundle.ts (esbuild `define`): the first 16 hex digits of server.cjs's SHA-256. */
declare const BUNDLE_HASH: string;

const dir = dirname(fileURLToPath(import.meta.url));
const filename = join(dir, 'server.cjs');
// V8 also refuses a cache made under other flags or by another Node version: one file each.
const variant = createHash('sha256')
  .update([process.version, ...process.execArgv, process.env.NODE_OPTIONS ?? ''].join('\n'))
  .digest('hex')
  .slice(0, 8);
const cacheFile = join(dir, `server.${BUNDLE_HASH}.${variant}.cache`);

function readCache(): Buffer | undefined {
  try {
    return readFileSync(cacheFile);
  } catch {
    return undefined; // the first start after a build, or a folder the process cannot write
  }
}
/** Compiles the bundle; the cache's buffer is not kept (V8 has taken what it needs). */
function compile(): { script: vm.Script; cached: boolean } {
  const cachedData = readCache();
  const script = new vm.Script(Module.wrap(readFileSync(filename, 'utf8')), {
    filename,
    cachedData,
  });
  return { script, cached: cachedData !== undefined && script.cachedDataRejected !== true };
}
const { script, cached } = compile();

if (!cached) {
  let written = false;
  const write = () => {
    if (written) {
      return;
    }
    written = true;
    try {
      const tmp = `${cacheFile}.${process.pid}`;
      writeFileSync(tmp, script.createCachedData());
      renameSync(tmp, cacheFile); // atomic: cluster workers may write at the same time
    } catch {
      // A read-only folder: every start compiles, as without the cache.
    }
  };
  // Late enough that the start-up code has run (and is in the cache); at exit for short runs.
  setTimeout(write, 5000).unref();
  process.once('exit', write);
}

const module = { exports: {} };
const run = script.runInThisContext() as (
  exports: unknown,
  require: NodeJS.Require,
  module: unknown,
  filename: string,
  dirname: string,
) => void;
run(module.exports, createRequire(filename), module, filename, dir);
