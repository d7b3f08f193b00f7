// npm run dev: the whole service for development in one command. Creates the JWT keys and
// the development database if missing, applies migrations, then runs the API in watch mode
// with pretty logs. Child processes are listed in `children` and stopped together.
//
// The children that hold state (the API, the worker, the embedded process) run in process
// groups of their own (`detached`): Ctrl-C reaches only this script, which passes exactly one
// signal on, once (the `tsx` running this script relays the terminal's SIGINT to it too).
// Otherwise `tsx watch` gets two signals, takes the second for impatience and SIGKILLs its
// child: PGlite then is never closed, the worker never drains.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, readEnv } from '../src/config.js';
import { ensureDatabase, runMigrations } from '../src/db/migrate.js';
import { redactUrl } from '../src/lib/redact.js';
import { ensureKeyPair } from '../src/modules/auth/keys.js';

const env: Record<string, string> = { LOG_PRETTY: 'true', ...readEnv() };
// The web application's dev server (Vite, hot reload) is the page people open: mail links
// point at it unless PUBLIC_URL is set (docs/web.md).
const webDevPort = Number(env.WEB_DEV_PORT ?? 5173);
env.PUBLIC_URL ??= `http://127.0.0.1:${webDevPort}`;
const config = loadConfig(env);

if (ensureKeyPair(config.jwt.privateKeyPath, config.jwt.publicKeyPath)) {
  console.log(`dev: wrote JWT keys to ${config.jwt.privateKeyPath}`);
}
if (config.embedded.database || config.embedded.broker) {
  // No DATABASE_URL or no AMQP_URL: one process holds the embedded database and/or the
  // in-process transport, the API and the worker (and MailDev unless SMTP_URL is set). See
  // ADR 0015 and 0021; its start-up banner says what is embedded.
  const child = spawn(
    'node_modules/.bin/tsx',
    ['watch', '--clear-screen=false', 'src/embedded/main.ts'],
    { stdio: 'inherit', env: { ...process.env, ...env }, detached: true },
  );
  // The web application beside it, as in the real-services mode: the page mail links open.
  const apiHost = config.host === '0.0.0.0' ? '127.0.0.1' : config.host;
  const web = spawn('node_modules/.bin/vite', ['--config', 'web/vite.config.ts'], {
    stdio: 'inherit',
    env: {
      ...process.env,
      ...env,
      WEB_API_URL: `http://${apiHost}:${config.port}`,
      WEB_DEV_PORT: String(webDevPort),
    },
  });
  console.log(
    `dev: web application on http://127.0.0.1:${webDevPort} (hot reload; proxies the API)`,
  );
  // Once: `tsx` (which runs this script) relays the terminal's SIGINT to us as well.
  let forwarded = false;
  const forward = (signal: NodeJS.Signals) => () => {
    if (forwarded) {
      return;
    }
    forwarded = true;
    child.kill(signal);
    web.kill(signal);
  };
  process.on('SIGINT', forward('SIGINT'));
  process.on('SIGTERM', forward('SIGTERM'));
  child.on('exit', (code) => {
    web.kill('SIGTERM');
    process.exit(code ?? 0);
  });
  await new Promise<never>(() => {}); // the rest of this script is the real-services mode
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
  const child = spawn(command, args, {
    stdio: 'inherit',
    env: { ...process.env, ...env },
    detached: true,
  });
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
  if (stopping) {
    return; // once: a second signal makes `tsx watch` SIGKILL its child
  }
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

// Mail: MailDev catches every mail unless SMTP_URL points at another server (docs/mail.md).
const smtp = new URL(config.smtpUrl);
const localMailDev =
  ['127.0.0.1', 'localhost'].includes(smtp.hostname) && (smtp.port || '25') === '1025';
const portInUse = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
if (localMailDev && !(await portInUse(1025))) {
  const mailDir = join(tmpdir(), 'ifd-dev-maildev');
  mkdirSync(mailDir, { recursive: true });
  run('maildev', 'node_modules/.bin/maildev', [
    '--smtp',
    '1025',
    '--web',
    '1080',
    '--ip',
    '127.0.0.1',
    '--web-ip',
    '127.0.0.1',
    '--mail-directory',
    mailDir,
    '--silent',
  ]);
  console.log(
    'dev: MailDev on http://127.0.0.1:1080 (SMTP 127.0.0.1:1025): every mail lands there',
  );
} else if (localMailDev) {
  console.log('dev: something already listens on 127.0.0.1:1025; using it as the SMTP server');
}
run('worker', tsx, ['watch', '--clear-screen=false', 'src/worker.ts']);
env.WEB_API_URL = `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${config.port}`;
env.WEB_DEV_PORT = String(webDevPort);
run('web', 'node_modules/.bin/vite', ['--config', 'web/vite.config.ts']);
console.log(`dev: web application on http://127.0.0.1:${webDevPort} (hot reload; proxies the API)`);
console.log('dev: worker (outbox relay + consumers) running; RabbitMQ must answer at AMQP_URL');
