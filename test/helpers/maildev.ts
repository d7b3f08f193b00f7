// A MailDev of its own for a test file or benchmark: free ports, its own mail directory (its
// DELETE /api/email/all empties the whole folder), started from node_modules/.bin (killing an
// npx wrapper would leave the child listening), read through the REST API.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../../src/lib/paths.js';

export interface MailAddress {
  address: string;
  name: string;
}

export interface StoredMail {
  id: string;
  subject: string;
  from: MailAddress[];
  to: MailAddress[];
  text?: string;
  html?: string;
  messageId?: string;
  headers: Record<string, string | string[]>;
  time: string;
}

export interface MailSummary {
  id: string;
  subject: string;
  from: MailAddress[];
  to: MailAddress[];
  time: string;
}

export interface MailDev {
  smtpPort: number;
  webPort: number;
  smtpUrl: string;
  webUrl: string;
  /** MailDev's own mail directory: one `<id>.eml` file per stored mail (benchmarks read it). */
  dir: string;
  /** Process id of MailDev (benchmarks account its CPU time). */
  pid: number | undefined;
  all(): Promise<StoredMail[]>;
  /** Total stored and the newest summaries (cheap: no bodies). */
  summary(limit?: number): Promise<{ total: number; items: MailSummary[] }>;
  count(): Promise<number>;
  /** Mails sent to `address` (exact). */
  to(address: string): Promise<StoredMail[]>;
  waitForMail(predicate: (m: StoredMail) => boolean, timeoutMs?: number): Promise<StoredMail>;
  waitForCount(n: number, timeoutMs?: number): Promise<void>;
  clear(): Promise<void>;
  close(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a !== null ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface MailDevPorts {
  smtpPort: number;
  webPort: number;
  smtpUrl: string;
}

/**
 * The ports of a MailDev not started yet: the app can be built (its database created and
 * migrated) while MailDev boots, `Promise.all([startMailDev(ports), startTestApp(...)])`
 * instead of one after the other (MailDev's start is seconds of CPU of its own).
 */
export async function mailDevPorts(): Promise<MailDevPorts> {
  const smtpPort = await freePort();
  const webPort = await freePort();
  return { smtpPort, webPort, smtpUrl: `smtp://127.0.0.1:${smtpPort}` };
}

export async function startMailDev(ports?: MailDevPorts): Promise<MailDev> {
  const { smtpPort, webPort } = ports ?? (await mailDevPorts());
  const dir = mkdtempSync(join(tmpdir(), 'ifd-maildev-'));
  const child: ChildProcess = spawn(
    join(projectRoot, 'node_modules/.bin/maildev'),
    [
      '--smtp',
      String(smtpPort),
      '--web',
      String(webPort),
      '--ip',
      '127.0.0.1',
      '--web-ip',
      '127.0.0.1',
      '--mail-directory',
      dir,
      '--silent',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, TMPDIR: dir } },
  );
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const webUrl = `http://127.0.0.1:${webPort}`;

  const get = async <T>(path: string): Promise<T> => {
    const res = await fetch(webUrl + path);
    if (!res.ok) {
      throw new Error(`MailDev ${path}: ${res.status}`);
    }
    return (await res.json()) as T;
  };

  const close = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([exited, sleep(3000)]);
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };

  // Generous: on a loaded 2-core machine MailDev's start alone has taken over 15 s.
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) {
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`MailDev exited at start: ${stderr}`);
    }
    try {
      await get('/api/healthz');
      break;
    } catch {
      if (Date.now() > deadline) {
        await close();
        throw new Error(`MailDev did not answer on ${webUrl}: ${stderr}`);
      }
      await sleep(100);
    }
  }

  const all = () => get<StoredMail[]>('/api/email');
  const summary = async (limit = 1) => {
    const r = await get<{ total: number; items: MailSummary[] }>(
      `/api/email/summary?limit=${limit}`,
    );
    return { total: r.total, items: r.items };
  };
  const count = async () => (await summary(1)).total;
  const md: MailDev = {
    smtpPort,
    webPort,
    smtpUrl: `smtp://127.0.0.1:${smtpPort}`,
    webUrl,
    dir,
    pid: child.pid,
    all,
    summary,
    count,
    to: async (address) =>
      (await all()).filter((m) =>
        m.to.some((t) => t.address.toLowerCase() === address.toLowerCase()),
      ),
    async waitForMail(predicate, timeoutMs = 15_000) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const found = (await all()).find(predicate);
        if (found) {
          return found;
        }
        if (Date.now() > until) {
          throw new Error(`no matching mail within ${timeoutMs} ms`);
        }
        await sleep(150); // poll gently: back-to-back polling slows MailDev's receiving
      }
    },
    async waitForCount(n, timeoutMs = 30_000) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const c = await count();
        if (c >= n) {
          return;
        }
        if (Date.now() > until) {
          throw new Error(`MailDev holds ${c} mails, expected ${n} within ${timeoutMs} ms`);
        }
        await sleep(150);
      }
    },
    async clear() {
      await fetch(`${webUrl}/api/email/all`, { method: 'DELETE' });
    },
    close,
  };
  return md;
}

/** What the reader of a mail sees, to compare whole (issue 14): see `mailView`. */
export interface MailView {
  from: string[];
  to: string[];
  subject: string;
  text: string;
}

/**
 * A mail as its reader sees it: sender and recipient addresses, subject and the text part,
 * each single-use token of a link (`#token=…`, `?token=…`) as "<token>". A test compares this
 * whole; one that uses the token reads it from the mail itself.
 */
export function mailView(m: StoredMail): MailView {
  return {
    from: m.from.map((a) => a.address),
    to: m.to.map((a) => a.address),
    subject: m.subject,
    text: (m.text ?? '').replace(/([#?&]token=)[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])/g, '$1<token>'),
  };
}
