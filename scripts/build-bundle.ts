// npm run build:bundle: the API as two ES-module files (dist/bundle/server.js and cluster.js,
// what `npm run start:bundle` runs) instead of ~1,000 files under dist/src. Loading one file
// is what the bundle saves at start-up (P7, ADR 0013). esbuild comes with tsx.
// Left outside the bundle, loaded from node_modules: the native argon2 binding, packages
// that find their own files through __dirname (Swagger UI's assets), optional drivers, and
// the Redis libraries, which are imported only on first use anyway.
import { build } from 'esbuild';
import { join } from 'node:path';
import { projectRoot } from '../src/lib/paths.js';

const result = await build({
  absWorkingDir: projectRoot,
  entryPoints: ['src/server.ts', 'src/cluster.ts'],
  outdir: join(projectRoot, 'dist/bundle'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: true,
  metafile: true,
  logLevel: 'warning',
  external: [
    '@node-rs/argon2',
    '@fastify/swagger-ui',
    'pino-pretty',
    'pg-native',
    'ioredis',
    'rate-limiter-flexible',
    'rabbitmq-client', // the readiness probe's, loaded on its first use
  ],
  // CommonJS dependencies call require(); an ES-module bundle has to provide it.
  banner: {
    js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
  },
});
for (const [file, out] of Object.entries(result.metafile.outputs)) {
  if (file.endsWith('.js')) {
    console.log(`${file}: ${(out.bytes / 1024).toFixed(0)} KiB`);
  }
}
