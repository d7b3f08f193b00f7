// The documented-statuses check (issue 14): every answer the fuzzer gets from an operation must
// carry a status that operation's OpenAPI document lists. Two kinds of answer belong to no
// operation and are left out: the router's own 404 `Not Found` (a mutated path that matches
// no route any more) and 405 (a mutant that sent another method).
import type { Exchange, FuzzOptions } from './fuzzer.js';

interface Doc {
  paths: Record<string, Record<string, { responses?: Record<string, unknown> }>>;
}

export interface StatusRecorder {
  onExchange: NonNullable<FuzzOptions['onExchange']>;
  /** `operation: status (request)` for every answer its document does not list. */
  undocumented(): string[];
  /** Operations of the document that got no answer the check could use. */
  unreached(): string[];
}

export async function statusRecorder(baseUrl: string): Promise<StatusRecorder> {
  const doc = (await (await fetch(`${baseUrl}/openapi.json`)).json()) as Doc;
  const documented = new Map<string, Set<string>>();
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      documented.set(`${method.toUpperCase()} ${path}`, new Set(Object.keys(op.responses ?? {})));
    }
  }
  const reached = new Set<string>();
  const bad = new Map<string, string>();
  return {
    onExchange: (request, status, e: Exchange) => {
      const notRouted = status === 404 && e.body === '{"detail":"Not Found"}';
      if (notRouted || status === 405 || e.method !== e.operation.split(' ')[0]) {
        return;
      }
      reached.add(e.operation);
      if (!documented.get(e.operation)?.has(String(status))) {
        bad.set(`${e.operation}: ${status}`, request);
      }
    },
    undocumented: () => [...bad].map(([what, request]) => `${what} (${request})`),
    unreached: () => [...documented.keys()].filter((op) => !reached.has(op)),
  };
}
