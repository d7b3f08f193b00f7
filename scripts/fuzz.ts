// npm run fuzz [-- --requests 10000 --seed N --minutes 20 --no-record]
// The long fuzz run (issue 11): the schema-driven fuzzer of test/fuzz/ against the real app
// on a database of its own (loopback only), then a section appended to docs/benchmarks.md.
// Exits 1 when anything was found (a 5xx, a non-standard error body, SQL, a stack or a hash).
import { appendFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { projectRoot } from '../src/lib/paths.js';
import { startTestApp } from '../test/helpers/app.js';
import { fuzz } from '../test/fuzz/fuzzer.js';
import { fuzzStage } from '../test/fuzz/harness.js';

const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '10000' },
    seed: { type: 'string', default: String(Date.now() % 1_000_000) },
    minutes: { type: 'string', default: '20' },
    'no-record': { type: 'boolean', default: false },
  },
});
const seed = Number(values.seed);
const maxRequests = Number(values.requests);
const maxMs = Number(values.minutes) * 60_000;

const t = await startTestApp({ LOG_LEVEL: 'warn' });
let failed = false;
try {
  const options = await fuzzStage(t, { seed, maxRequests, maxMs });
  if (process.env.FUZZ_VERBOSE === '1') {
    options.onExchange = (request, status) => console.log(status, request);
  }
  console.log(
    `fuzzing ${t.url}: seed ${seed}, up to ${maxRequests} requests or ${values.minutes} min`,
  );
  const r = await fuzz(options);
  const statuses = Object.entries(r.byStatus)
    .sort(([a], [b]) => Number(a) - Number(b))
    .map(([s, n]) => `${s}: ${n}`)
    .join(', ');
  const rate = r.requests / (r.ms / 1000);
  console.log(
    `${r.requests} requests over ${r.operations} operations in ${(r.ms / 1000).toFixed(1)} s`,
  );
  console.log(`statuses: ${statuses}`);
  console.log(`findings: ${r.findings.length}`);
  for (const f of r.findings.slice(0, 30)) {
    console.log(`  ${f.status} ${f.request}: ${f.problem} ${f.body.slice(0, 120)}`);
  }
  failed = r.findings.length > 0;
  if (!values['no-record']) {
    const date = new Date().toISOString().slice(0, 16).replace('T', ' ');
    const findings =
      r.findings.length === 0
        ? 'none'
        : r.findings
            .slice(0, 10)
            .map((f) => `\`${f.status} ${f.request}\` (${f.problem})`)
            .join('; ');
    appendFileSync(
      join(projectRoot, 'docs/benchmarks.md'),
      `
## Fuzz run (\`npm run fuzz\`), ${date} UTC

Seed ${seed}: ${r.requests} requests over the ${r.operations} operations of \`/openapi.json\` in
${(r.ms / 1000).toFixed(0)} s (${rate.toFixed(0)} requests/s, one client, ${cpus().length} cores, load average ${loadavg()[0]!.toFixed(1)} at the end).
Statuses: ${statuses}. Findings (5xx, non-standard error bodies, SQL, stacks, hashes): ${findings}.
Replay with \`npm run fuzz -- --seed ${seed} --requests ${maxRequests}\`.
`,
    );
    console.log('recorded in docs/benchmarks.md');
  }
} finally {
  await t.close();
}
process.exit(failed ? 1 : 0);
