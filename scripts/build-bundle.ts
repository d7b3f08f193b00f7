// npm run build:bundle: the API as one file instead of ~1,000 files under dist/src (P7, ADR 0013
// and 0028). esbuild comes with tsx. It writes, in dist/bundle/:
// - server.cjs: the API (src/server.ts and everything it imports) as one CommonJS file;
// - server.js: what `node dist/bundle/server.js` runs: server.cjs through a V8 code cache
//   (scripts/bundle-loader.ts; the cache is written by the first start after a build);
// - cluster.js: `npm run start:bundle` (src/cluster.ts), which runs or forks server.js.
// Left outside the bundle, loaded from node_modules: the native argon2 binding, packages
// that find their own files through __dirname (Swagger UI's assets), optional drivers, and
// the Redis and AMQP libraries, which are imported only on first use anyway.
import { build, type Plugin } from 'esbuild';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../src/lib/paths.js';

const outdir = join(projectRoot, 'dist/bundle');
const external = [
  '@node-rs/argon2',
  '@fastify/swagger-ui',
  'pino-pretty',
  'pg-native',
  'ioredis',
  'rate-limiter-flexible',
  'rabbitmq-client', // the readiness probe's, loaded on its first use
];

/** Replaces text in one dependency's file; fails the build when the text is gone (an upgrade). */
function patch(name: string, file: RegExp, from: string, to: string): Plugin {
  return {
    name,
    setup(b) {
      b.onLoad({ filter: file }, (args) => {
        const source = readFileSync(args.path, 'utf8');
        if (!source.includes(from)) {
          throw new Error(`${name}: "${from}" not found in ${args.path}; re-measure and update`);
        }
        return { contents: source.replace(from, to), loader: 'js' };
      });
    },
  };
}

const startUpPatches: Plugin[] = [
  // pg asks whether it runs in a Cloudflare Worker by constructing a fetch Response, which
  // loads Node's whole fetch implementation at start-up (~50 ms of CPU, ~4 MB). This bundle
  // runs on Node only.
  patch(
    'pg-not-cloudflare',
    /pg[\\/]lib[\\/]stream\.js$/,
    "typeof Response === 'function'",
    'false',
  ),
  {
    // @fastify/swagger needs `yaml` only for a YAML document (Swagger UI's /docs/yaml): it is
    // loaded from node_modules then, as swagger itself would resolve it (~250 KB of the
    // bundle, ~5 MB of memory otherwise).
    name: 'yaml-on-first-use',
    setup(b) {
      b.onResolve({ filter: /^yaml$/ }, (args) =>
        /@fastify[\\/]swagger[\\/]/.test(args.importer)
          ? { path: 'yaml', namespace: 'yaml-on-first-use' }
          : undefined,
      );
      b.onLoad({ filter: /.*/, namespace: 'yaml-on-first-use' }, () => ({
        contents:
          "const { createRequire } = require('node:module');\n" +
          'const from = require.resolve;\n' + // at run time: node_modules/@fastify/swagger
          'let yaml;\n' +
          "const load = () => (yaml ??= createRequire(from('@fastify/swagger'))('yaml'));\n" +
          'module.exports = { stringify: (...args) => load().stringify(...args) };\n',
        loader: 'js',
      }));
    },
  },
];

const common = {
  absWorkingDir: projectRoot,
  outdir,
  bundle: true,
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  metafile: true,
  logLevel: 'warning',
  external,
} as const;

const api = await build({
  ...common,
  entryPoints: { server: 'src/server.ts' },
  format: 'cjs',
  outExtension: { '.js': '.cjs' },
  // import() of what is loaded on first use becomes require(): code compiled by vm.Script
  // cannot import() without an experimental flag, and those packages are CommonJS.
  supported: { 'dynamic-import': false },
  plugins: startUpPatches,
  // The sources are ES modules: import.meta.url is this file's URL.
  define: { 'import.meta.url': '__bundleUrl' },
  banner: { js: "const __bundleUrl = require('node:url').pathToFileURL(__filename).href;" },
});
const hash = createHash('sha256')
  .update(readFileSync(join(outdir, 'server.cjs')))
  .digest('hex')
  .slice(0, 16);
for (const file of readdirSync(outdir)) {
  if (/^server\.[0-9a-f]{16}\.[0-9a-f]{8}\.cache$/.test(file)) {
    rmSync(join(outdir, file)); // the code caches of earlier builds
  }
}
const entries = await build({
  ...common,
  entryPoints: { server: 'scripts/bundle-loader.ts', cluster: 'src/cluster.ts' },
  format: 'esm',
  define: { BUNDLE_HASH: JSON.stringify(hash) },
  plugins: [
    {
      // cluster.js runs (or forks) the loader next to it, not a second copy of the API.
      name: 'server-next-to-cluster',
      setup(b) {
        b.onResolve({ filter: /^\.\/server\.js$/ }, (args) =>
          args.importer.endsWith('cluster.ts')
            ? { path: './server.js', external: true }
            : undefined,
        );
      },
    },
  ],
  // CommonJS dependencies call require(); an ES-module bundle has to provide it.
  banner: {
    js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
  },
});
for (const result of [api, entries]) {
  for (const [file, out] of Object.entries(result.metafile.outputs)) {
    if (/\.c?js$/.test(file)) {
      console.log(`${file}: ${(out.bytes / 1024).toFixed(0)} KiB`);
    }
  }
}
