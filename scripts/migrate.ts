// npm run migrate: applies pending migrations; exits non-zero when one fails.
import { loadConfig } from '../src/config.js';
import { runMigrations } from '../src/db/migrate.js';
import { redactUrl } from '../src/lib/redact.js';

const config = loadConfig();
if (config.embedded.database) {
  console.log(
    'DATABASE_URL is not set: the embedded database migrates itself when `npm run dev` starts',
  );
  process.exit(0);
}
try {
  await runMigrations(config.databaseUrl);
  console.log(`Migrations applied to ${redactUrl(config.databaseUrl)}`);
} catch (err) {
  console.error(
    `Migration failed on ${redactUrl(config.databaseUrl)}:`,
    err instanceof Error ? err.message : err,
  );
  process.exit(1);
}
