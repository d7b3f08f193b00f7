import { ConfigError, type Config } from '../config.js';

/**
 * The embedded database lives inside one process (PGlite has no server and no folder lock:
 * ADR 0015), so the API or the worker started alone in development without DATABASE_URL
 * cannot share it; say what to do instead of opening a second copy.
 */
export function refuseEmbedded(config: Config, what: string): void {
  if (config.embedded.database) {
    throw new ConfigError([
      `DATABASE_URL is not set: the embedded development database runs only inside \`npm run dev\` (one process); to start ${what} on its own, set DATABASE_URL to a PostgreSQL server`,
    ]);
  }
}
