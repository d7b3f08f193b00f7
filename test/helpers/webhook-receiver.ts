// A real HTTP receiver on loopback for webhook tests and the bench: records every request
// (headers and raw body) and answers as each path's behaviour says.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  path: string;
  headers: Record<string, string>;
  body: string;
  at: number;
}

export interface Answer {
  status: number;
  headers?: Record<string, string>;
  body?: string;
  /** Wait this long before answering. */
  delayMs?: number;
}

/** `n` is how many requests this path had before this one. */
export type Behaviour = (n: number, req: Received) => Answer;

export interface Receiver {
  port: number;
  url(path: string): string;
  received: Received[];
  on(path: string, b: Behaviour): void;
  to(path: string): Received[];
  connections(): number;
  close(): Promise<void>;
}

function headersOf(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) {
    out[k] = Array.isArray(v) ? v.join(', ') : (v ?? '');
  }
  return out;
}

export async function startReceiver(host = '127.0.0.1', port = 0): Promise<Receiver> {
  const received: Received[] = [];
  const behaviours = new Map<string, Behaviour>();
  const counts = new Map<string, number>();
  let connections = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = (req.url ?? '/').split('?')[0]!;
      const r: Received = {
        path,
        headers: headersOf(req),
        body: Buffer.concat(chunks).toString('utf8'),
        at: Date.now(),
      };
      received.push(r);
      const n = counts.get(path) ?? 0;
      counts.set(path, n + 1);
      const a: Answer = (behaviours.get(path) ?? (() => ({ status: 204 })))(n, r);
      const send = () => {
        if (res.destroyed) {
          return;
        }
        res.writeHead(a.status, a.headers);
        res.end(a.body ?? '');
      };
      if (a.delayMs !== undefined) {
        setTimeout(send, a.delayMs).unref();
      } else {
        send();
      }
    });
  });
  server.on('connection', () => (connections += 1));
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const actual = (server.address() as AddressInfo).port;
  const h = host.includes(':') ? `[${host}]` : host;
  return {
    port: actual,
    url: (path) => `http://${h}:${actual}${path}`,
    received,
    on: (path, b) => behaviours.set(path, b),
    to: (path) => received.filter((r) => r.path === path),
    connections: () => connections,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
