// The dispatcher webhook deliveries use (S16, ADR 0010): every connection goes through the
// SSRF guard's `lookup`. Apart from ssrf.ts so that the API, which only checks URLs when a
// subscription is created, does not load undici at start-up (P7: ~18 MB and ~140 ms of CPU).
import { Agent } from 'undici';
import type { SsrfGuard } from './ssrf.js';

export function guardedAgent(
  guard: SsrfGuard,
  opts: { connections: number; timeoutMs: number },
): Agent {
  return new Agent({
    connect: { lookup: guard.lookup, timeout: opts.timeoutMs },
    connections: opts.connections,
    headersTimeout: opts.timeoutMs,
    bodyTimeout: opts.timeoutMs,
    keepAliveTimeout: 30_000,
  });
}
