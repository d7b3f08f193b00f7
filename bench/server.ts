// The benchmark's comparison server (P9): the same app as src/server.ts with the
// per-request production plugins switched off (security headers, request-id header,
// in-flight tracking, logging), so `npm run bench` can report what they cost in one run, or
// (BENCH_PLUGINS=security-headers) with the security headers alone. Not for deployment.
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';

const config = loadConfig();
// BENCH_PLUGINS=security-headers: the floor control, the security headers alone.
const app = await buildApp(config, {
  productionPlugins: process.env.BENCH_PLUGINS === 'security-headers' ? 'security-headers' : false,
});
await app.listen({ port: config.port, host: config.host });
process.on('SIGTERM', () => {
  void app.close().then(() => process.exit(0));
});
