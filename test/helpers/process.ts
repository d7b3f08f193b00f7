// An entry point (src/server.ts, src/worker.ts, ...) run as operators run it: a child process
// with exactly the given environment (plus PATH), its output collected, its exit awaited.
import { spawn, type ChildProcess } from 'node:child_process';
import { projectRoot } from '../../src/lib/paths.js';
import { entryArgs } from './entry.js';

export interface Started {
  child: ChildProcess;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves with the first match of `pattern` in the output; rejects if the process exits first. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function startEntry(
  entry: string,
  env: Record<string, string>,
  opts: { cwd?: string; args?: string[] } = {},
): Started {
  const child = spawn(
    process.execPath,
    // entryArgs resolves tsx itself, so that `cwd` may be a folder without node_modules (and
    // without .env).
    [...entryArgs(entry), ...(opts.args ?? [])],
    {
      cwd: opts.cwd ?? projectRoot,
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  const waiters = new Set<() => void>();
  const onData = (d: Buffer) => {
    out += d.toString();
    for (const w of waiters) {
      w();
    }
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      for (const w of waiters) {
        w();
      }
      resolve({ code, signal });
    }),
  );
  return {
    child,
    output: () => out,
    exited,
    waitFor(pattern, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const m = pattern.exec(out);
          if (m) {
            done();
            resolve(m);
          } else if (child.exitCode !== null || child.signalCode !== null) {
            done();
            reject(new Error(`${entry} exited before printing ${pattern}:\n${out}`));
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`${entry} did not print ${pattern} within ${timeoutMs} ms:\n${out}`));
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill(signal);
      }
      return exited;
    },
  };
}

/** Runs an entry point to its end (a refusal) and returns its exit code and output. */
export async function runEntry(
  entry: string,
  env: Record<string, string>,
  opts: { cwd?: string; args?: string[]; timeoutMs?: number } = {},
): Promise<{ code: number | null; output: string }> {
  const s = startEntry(entry, env, opts);
  const timer = setTimeout(() => s.child.kill('SIGKILL'), opts.timeoutMs ?? 30_000);
  const { code } = await s.exited;
  clearTimeout(timer);
  return { code, output: s.output() };
}
