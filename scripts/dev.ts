// npm run dev: the whole service for development in one command. Creates the JWT keys and
// the development database if missing, applies migrations, then runs the API in watch mode
// with pretty logs. Child processes are listed in `children` and stopped together.
import { spawn, type ChildProcess } from 'node:child_process';
import { loadConfig, readEnv } from '../src/config.js';
import { ensureDatabase, runMigrations } from '../src/db/migrate.js';
import { redactUrl } from '../src/lib/redact.js';
import { ensureKeyPair } from '../src/modules/auth/keys.js';

const env = { LOG_PRETTY: 'true', ...readEnv() };
const config = loadConfig(env);

if (ensureKeyPair(config.jwt.privateKeyPath, config.jwt.publicKeyPath)) {
  console.log(`dev: wrote JWT keys to ${config.jwt.privateKeyPath}`);
}
try {
  if (await ensureDatabase(config.databaseUrl)) {
    console.log(`dev: created database ${redactUrl(config.databaseUrl)}`);
  }
  await runMigrations(config.databaseUrl);
} catch (err) {
  console.error(
    `dev: PostgreSQL at ${redactUrl(config.databaseUrl)} is not usable: ${err instanceof Error ? err.message : String(err)}`,
  );
  console.error('dev: start PostgreSQL or set DATABASE_URL (see README.md).');
  process.exit(1);
}

const children: ChildProcess[] = [];
function run(name: string, command: string, args: string[]): ChildProcess {
  const child = spawn(command, args, { stdio: 'inherit', env: { ...process.env, ...env } });
  child.on('exit', (code, signal) => {
    if (!stopping) {
      console.error(`dev: ${name} exited (${signal ?? code}); stopping`);
      stop(1);
    }
  });
  children.push(child);
  return child;
}

let stopping = false;
function stop(code: number): void {
  stopping = true;
  for (const c of children) {
    c.kill('SIGTERM');
  }
  setTimeout(() => process.exit(code), 3000).unref();
  Promise.all(
    children.map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.on('exit', r)))),
  ).then(
    () => process.exit(code),
    () => process.exit(code),
  );
}
process.on('SIGINT', () => stop(0));
process.on('SIGTERM', () => stop(0));

const tsx = 'node_modules/.bin/tsx';
run('api', tsx, ['watch', '--clear-screen=false', 'src/server.ts']);
console.log(`dev: API on http://${config.host}:${config.port} (docs: /docs)`);
