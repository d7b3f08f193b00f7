// npm run accounts:names [-- report|resolve]  (issue 12, docs/security.md)
// report (default): lists sign-in names that collide (a username equal to another account's
// e-mail address, look-alike usernames) and fills the confusable fold of older usernames;
// exits 1 while any conflict is open, so a deploy step can check it.
// resolve: renames each listed username to user<ID> and prints what changed.
import { ConfigError, loadConfig } from '../src/config.js';
import { createDatabase } from '../src/db/client.js';
import {
  reportSignInNames,
  resolveSignInNames,
} from '../src/modules/users/sign-in-names.service.js';

async function main(): Promise<void> {
  const command = process.argv[2] ?? 'report';
  if (command !== 'report' && command !== 'resolve') {
    console.error('Usage: npm run accounts:names [-- report|resolve]');
    process.exit(2);
  }
  const config = loadConfig();
  const database = createDatabase(config.databaseUrl, 1);
  try {
    if (command === 'resolve') {
      const renamed = await resolveSignInNames(database.db);
      for (const r of renamed) {
        console.log(`user ${r.userId}: username "${r.from}" renamed to "${r.to}"`);
      }
      console.log(`${renamed.length} username(s) renamed; no conflict is open.`);
      return;
    }
    const report = await reportSignInNames(database.db);
    console.log(`${report.folded} username(s) given their confusable fold.`);
    for (const c of report.conflicts) {
      const what =
        c.kind === 'username_is_email'
          ? `equals the e-mail address of user ${c.otherUserId}`
          : `looks like the username of user ${c.otherUserId}`;
      console.log(`conflict: user ${c.userId}, username "${c.username}" ${what}`);
    }
    console.log(
      report.conflicts.length === 0
        ? 'No open conflict.'
        : `${report.conflicts.length} open conflict(s): run \`npm run accounts:names -- resolve\`.`,
    );
    if (report.conflicts.length > 0) {
      process.exitCode = 1;
    }
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
