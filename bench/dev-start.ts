// npm run bench:dev-start [-- --reuse-node-modules] — issue 10 point 8: how long `npm run dev`
// takes from a fresh clone with no services at all (no DATABASE_URL, AMQP_URL or SMTP_URL:
// PGlite, the in-process transport and MailDev inside) to the first 200 on /health, and the
// embedded process's memory. Clones the committed HEAD into a temporary folder, runs `npm ci`
// there (or links this checkout's node_modules with --reuse-node-modules), starts `npm run dev`
// twice (the first start initialises .data/, the second reuses it), stops each with SIGINT as
// Ctrl-C would, and prints a Markdown table for docs/benchmarks.md. Free ports are chosen so
// that it can run beside another development server.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../test/helpers/maildev.js';
import { projectRoot } from '../src/lib/paths.js';

const reuse = process.argv.includes('--reuse-node-modules');
const clone = mkdtempSync(join(tmpdir(), 'ifd-dev-start-'));
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

function sh(cmd: string, args: string[], cwd: string): number {
  const t0 = performance.now();
  execFileSync(cmd, args, { cwd, stdio: ['ignore', 'ignore', 'inherit'] });
  return performance.now() - t0;
}

/** Every descendant of `pid` with its command line and RSS (from /proc). */
function tree(pid: number): Array<{ pid: number; cmd: string; rssKb: number }> {
  const parent = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    const p = Number(name);
    if (Number.isInteger(p)) {
      try {
        const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
        parent.set(p, Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
      } catch {
        // gone meanwhile
      }
    }
  }
  const out: Array<{ pid: number; cmd: string; rssKb: number }> = [];
  const visit = (p: number) => {
    try {
      const cmd = readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0').join(' ').trim();
      const rss = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${p}/status`, 'utf8'));
      out.push({ pid: p, cmd, rssKb: Number(rss?.[1] ?? 0) });
    } catch {
      return;
    }
    for (const [child, par] of parent) {
      if (par === p) {
        visit(child);
      }
    }
  };
  visit(pid);
  return out;
}

async function firstHealth(url: string, child: ChildProcess, out: () => string): Promise<void> {
  for (;;) {
    if (child.exitCode !== null) {
      throw new Error(`npm run dev exited (${child.exitCode}):\n${out()}`);
    }
    const ok = await fetch(url)
      .then((r) => r.status === 200)
      .catch(() => false);
    if (ok) {
      return;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface Run {
  toHealthMs: number;
  embeddedRssMb: number;
  treeRssMb: number;
  stopMs: number;
  stoppedCleanly: boolean;
}

async function runDev(env: Record<string, string>, port: number): Promise<Run> {
  const t0 = performance.now();
  // Its own process group: the SIGINT below reaches it the way a terminal's Ctrl-C does.
  const child = spawn('npm', ['run', 'dev'], {
    cwd: clone,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  await firstHealth(`http://127.0.0.1:${port}/health`, child, () => out);
  const toHealthMs = performance.now() - t0;
  await new Promise((r) => setTimeout(r, 10_000)); // settle: idle RSS, not start-up peaks
  const procs = tree(child.pid!);
  const embedded = procs.find(
    (p) => p.cmd.includes('src/embedded/main.ts') && !p.cmd.includes(' watch '),
  );
  const t1 = performance.now();
  process.kill(-child.pid!, 'SIGINT');
  await exited;
  // The embedded process is in a group of its own (scripts/dev.ts): wait for it too.
  while (embedded && tree(embedded.pid).length > 0) {
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    toHealthMs,
    embeddedRssMb: Math.round((embedded?.rssKb ?? 0) / 1024),
    treeRssMb: Math.round(procs.reduce((s, p) => s + p.rssKb, 0) / 1024),
    stopMs: performance.now() - t1,
    // The embedded process logs "stopped" after closing PGlite; tsx watch prints "Force
    // killing" when it SIGKILLs a child (a second signal, or no exit within 5 s).
    stoppedCleanly: /\): stopped|"msg":"stopped"/.test(out) && !/Force killing/.test(out),
  };
}

try {
  const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: projectRoot })
    .toString()
    .trim();
  sh('git', ['clone', '--quiet', projectRoot, clone], tmpdir());
  let npmCiMs: number | null = null;
  if (reuse) {
    symlinkSync(join(projectRoot, 'node_modules'), join(clone, 'node_modules'));
  } else {
    npmCiMs = sh('npm', ['ci', '--no-audit', '--no-fund'], clone);
  }
  const [port, health, smtp, web, vite] = await Promise.all([
    freePort(),
    freePort(),
    freePort(),
    freePort(),
    freePort(),
  ]);
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !['DATABASE_URL', 'AMQP_URL', 'SMTP_URL', 'NODE_ENV'].includes(k)) {
      env[k] = v;
    }
  }
  Object.assign(env, {
    PORT: String(port),
    WORKER_HEALTH_PORT: String(health),
    EMBEDDED_SMTP_PORT: String(smtp),
    EMBEDDED_MAIL_WEB_PORT: String(web),
    WEB_DEV_PORT: String(vite),
  });
  const load = loadavg()[0]!.toFixed(1);
  const first = await runDev(env, port);
  const second = await runDev(env, port);
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? '?'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
  console.log(`
Fresh clone of ${head}, no services; ${machine}; load average ${load} at the start (shared machine).

| step | measured |
| --- | --- |
| \`npm ci\` | ${npmCiMs === null ? 'not run (--reuse-node-modules)' : seconds(npmCiMs)} |
| first \`npm run dev\` (JWT keys, initdb + migrations in .data/) to first \`/health\` 200 | ${seconds(first.toHealthMs)} |
| \`npm run dev\` again on the same .data/ to first \`/health\` 200 | ${seconds(second.toHealthMs)} |
| RSS of the embedded process (API + relay + consumers + PGlite + transport + MailDev), first start | ${first.embeddedRssMb} MB |
| the same after the restart | ${second.embeddedRssMb} MB |
| RSS of everything \`npm run dev\` runs (npm, dev.ts, tsx watch, the embedded process, Vite) | ${first.treeRssMb} MB / ${second.treeRssMb} MB |
| Ctrl-C (SIGINT to the group) to every process gone; PGlite closed, no force-kill | ${seconds(first.stopMs)} ${first.stoppedCleanly ? 'yes' : 'NO'} / ${seconds(second.stopMs)} ${second.stoppedCleanly ? 'yes' : 'NO'} |
`);
} finally {
  rmSync(clone, { recursive: true, force: true });
}
