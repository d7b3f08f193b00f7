// The benchmark's comparison server (P9): the same app as src/server.ts with the
// per-request production plugins switched off (security headers, request-id header,
// in-flight tracking, logging), so `npm run bench` can report what they cost in one run. Not for deployment.
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';

const config = loadConfig();
const app = await buildApp(config, { productionPlugins: false });
await app.listen({ port: config.port, host: config.host });
process.on('SIGTERM', () => {
  void app.close().then(() => process.exit(0));
});
