// npm run create-superuser -- --username NAME --email ADDRESS [--promote]
// The password comes from SUPERUSER_PASSWORD or a prompt without echo; weak and common
// passwords are refused. An existing account is made a superuser only with --promote.
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { loadConfig, ConfigError } from '../src/config.js';
import { createDatabase } from '../src/db/client.js';
import { DomainError } from '../src/lib/errors.js';
import { AccountMailer } from '../src/modules/users/account-mail.js';
import { UsersService } from '../src/modules/users/users.service.js';

function usage(msg: string): never {
  console.error(
    `${msg}\nUsage: npm run create-superuser -- --username NAME --email ADDRESS [--promote]`,
  );
  process.exit(2);
}

/** Asks each question in turn without echoing the answers (a TTY), or reads lines from a pipe. */
async function promptHidden(questions: string[]): Promise<string[]> {
  let muted = false;
  const output = new Writable({
    write(chunk: Buffer, _enc, cb) {
      if (!muted) {
        process.stdout.write(chunk);
      }
      cb();
    },
  });
  const rl = createInterface({ input: process.stdin, output, terminal: process.stdin.isTTY });
  const lines = rl[Symbol.asyncIterator]();
  const answers: string[] = [];
  try {
    for (const q of questions) {
      muted = false;
      process.stdout.write(q);
      muted = true;
      const next = await lines.next();
      process.stdout.write('\n');
      if (next.done === true) {
        throw new Error('No password given (stdin closed)');
      }
      answers.push(String(next.value));
    }
  } finally {
    rl.close();
  }
  return answers;
}

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        username: { type: 'string' },
        email: { type: 'string' },
        promote: { type: 'boolean', default: false },
      },
      strict: true,
    }));
  } catch (err) {
    usage(err instanceof Error ? err.message : String(err));
  }
  const { username, email, promote } = values;
  if (!username || !/^.{3,50}$/u.test(username)) {
    usage('--username is required (3 to 50 characters)');
  }
  if (!email || email.length > 100 || !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) {
    usage('--email is required (a valid address, at most 100 characters)');
  }
  const config = loadConfig();
  let password = process.env.SUPERUSER_PASSWORD ?? '';
  if (password === '') {
    const [first = '', again = ''] = await promptHidden(['Password: ', 'Password (again): ']);
    password = first;
    if (password !== again) {
      console.error('Passwords do not match');
      process.exit(1);
    }
  }
  const database = createDatabase(config.databaseUrl, 1);
  try {
    const users = new UsersService(
      database.db,
      new AccountMailer({
        publicUrl: config.publicUrl,
        emailVerificationTtl: config.accountTokens.emailVerificationTtl,
        passwordResetTtl: config.accountTokens.passwordResetTtl,
      }),
    );
    const outcome = await users.ensureSuperuser({ username, email, password }, promote ?? false);
    const said = {
      created: `Superuser "${username}" created.`,
      promoted: `User "${username}" is now a superuser (password unchanged).`,
      already_superuser: `User "${username}" is already a superuser; nothing changed.`,
    }[outcome];
    console.log(said);
  } catch (err) {
    if (err instanceof DomainError) {
      const detail = err.message;
      console.error(`Refused: ${detail}`);
      process.exitCode = 1;
      return;
    }
    throw err;
  } finally {
    await database.close();
  }
}

main().catch((err: unknown) => {
  console.error(
    err instanceof ConfigError ? err.message : err instanceof Error ? err.message : err,
  );
  process.exit(1);
});
