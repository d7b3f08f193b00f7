// A schema-driven HTTP fuzzer of our own (issue 11, R14/S13): it reads the live service's
// /openapi.json and, for every operation, sends the schema's valid request and mutations of
// each field: control characters, surrogates, edge numbers, wrong types, huge and deep
// values, unknown fields, broken envelopes and tokens. Seeded (the same seed sends the same
// requests), bounded in count and time, loopback only. A finding is any 5xx, any error body
// that is not `{ detail, errors? }`, and any response carrying SQL, a stack or a hash.

export interface FuzzOptions {
  baseUrl: string;
  seed: number;
  maxRequests: number;
  maxMs: number;
  /** Bearer tokens to use on secured operations: an ordinary user's and a superuser's. */
  tokens: { user: string; admin: string; refresh: string };
  /** Ids that exist, so that some requests go past the 404 (projects, users, applications). */
  ids: number[];
  /**
   * Called for every exchange (debugging a run: `FUZZ_VERBOSE=1 npm run fuzz`; the documented
   * statuses test compares each answer with the operation's document).
   */
  onExchange?: (request: string, status: number, exchange: Exchange) => void;
}

export interface Exchange {
  /** The operation as the document names it: `GET /api/v1/projects/{id}`. */
  operation: string;
  /** The method sent (a mutant may send another one than the operation's). */
  method: string;
  body: string;
}

export interface Finding {
  request: string;
  status: number;
  problem: string;
  body: string;
}

export interface FuzzResult {
  requests: number;
  operations: number;
  byStatus: Record<string, number>;
  findings: Finding[];
  ms: number;
}

type Schema = Record<string, unknown> & {
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  anyOf?: Schema[];
  oneOf?: Schema[];
  enum?: unknown[];
  const?: unknown;
  examples?: unknown[];
  default?: unknown;
};

interface Operation {
  method: string;
  path: string;
  params: { name: string; in: 'path' | 'query'; schema: Schema; required: boolean }[];
  body?: { type: string; schema: Schema };
  secured: boolean;
}

/** mulberry32: small, fast, good enough to pick mutations reproducibly. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

function operationsOf(doc: {
  paths: Record<string, Record<string, Record<string, unknown>>>;
}): Operation[] {
  const ops: Operation[] = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const params = ((op.parameters as Operation['params'] | undefined) ?? []).map((p) => ({
        name: p.name,
        in: p.in,
        schema: p.schema,
        required: p.required === true,
      }));
      const content = (op.requestBody as { content?: Record<string, { schema: Schema }> })?.content;
      const bodyType = content ? Object.keys(content)[0] : undefined;
      ops.push({
        method: method.toUpperCase(),
        path,
        params,
        ...(bodyType && content
          ? { body: { type: bodyType, schema: content[bodyType]!.schema } }
          : {}),
        secured: Array.isArray(op.security) && op.security.length > 0,
      });
    }
  }
  return ops;
}

// --- valid values from a schema

function typeOf(s: Schema): string | undefined {
  if (Array.isArray(s.type)) {
    return s.type.find((t) => t !== 'null');
  }
  return s.type;
}

function validValue(s: Schema, rnd: () => number, ids: number[], name = ''): unknown {
  if (s.const !== undefined) {
    return s.const;
  }
  if (Array.isArray(s.enum)) {
    return s.enum[Math.floor(rnd() * s.enum.length)];
  }
  const variants = s.anyOf ?? s.oneOf;
  if (variants) {
    const nonNull = variants.filter((v) => v.type !== 'null');
    return validValue(nonNull[0] ?? variants[0]!, rnd, ids, name);
  }
  if (Array.isArray(s.examples) && s.examples.length > 0 && rnd() < 0.7) {
    return s.examples[0];
  }
  switch (typeOf(s)) {
    case 'integer': {
      if (/id$/.test(name) && ids.length > 0) {
        return ids[Math.floor(rnd() * ids.length)];
      }
      const min = typeof s.minimum === 'number' ? s.minimum : 0;
      const max = typeof s.maximum === 'number' ? Math.min(s.maximum, min + 20) : min + 20;
      return min + Math.floor(rnd() * (max - min + 1));
    }
    case 'number':
      return 1.5;
    case 'boolean':
      return rnd() < 0.5;
    case 'array':
      return s.items ? [validValue(s.items, rnd, ids, name)] : [];
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(s.properties ?? {})) {
        if ((s.required ?? []).includes(k) || rnd() < 0.5) {
          out[k] = validValue(v, rnd, ids, k);
        }
      }
      return out;
    }
    case 'string':
    default:
      return validString(s, rnd, name);
  }
}

let unique = 0;
function validString(s: Schema, rnd: () => number, name: string): string {
  unique += 1;
  const tag = `${unique.toString(36)}${Math.floor(rnd() * 1e6).toString(36)}`;
  switch (s.format) {
    case 'email':
      return `fuzz_${tag}@example.com`;
    case 'uri':
      return `https://example.com/${tag}`;
    case 'date':
      return '2027-02-01';
    case 'date-time':
      return '2027-02-01T10:00:00Z';
    default:
      break;
  }
  if (/password/.test(name)) {
    return `a fuzzing passphrase ${tag}`;
  }
  if (s.pattern === '^password$') {
    return 'password';
  }
  const min = typeof s.minLength === 'number' ? s.minLength : 1;
  const max = typeof s.maxLength === 'number' ? s.maxLength : 50;
  let out = `fz_${tag}`;
  while (out.length < min) {
    out += 'x';
  }
  return out.slice(0, Math.max(min, Math.min(max, out.length)));
}

// --- mutations

const STRING_MUTANTS: unknown[] = [
  'ali\u0000ce',
  'a\u0001b',
  'tab\there',
  'line\nbreak',
  '\u001b[31mred',
  'del\u007f',
  '\ud800',
  'x\udc00y',
  '🚀 emoji',
  `x'); DROP TABLE users;--`,
  '<script>alert(1)</script>',
  '',
  ' ',
  'x'.repeat(100_000),
  '%00',
  '\u202eright-to-left',
  '\ufeffbom',
];
const NUMBER_MUTANTS: unknown[] = [
  0,
  -1,
  2147483647,
  2147483648,
  -2147483649,
  9007199254740992,
  1.5,
  '1',
  '0x1',
  ' 1',
  '1e0',
  true,
  null,
];
const TYPE_MUTANTS: unknown[] = [null, true, 1, -1, 'text', [], [1, 2], {}, { $ne: null }];
const QUERY_MUTANTS = [
  '0x1',
  '1e0',
  '%201',
  '0001',
  'Infinity',
  '1e309',
  '-0',
  '9223372036854775808',
  '2147483648',
  '',
  '%00',
  '%FF',
  '%ED%A0%80',
  'true',
  'x'.repeat(600),
  "'; SELECT 1;--",
];
const RAW_NUMBERS = ['1e309', '-1e309', '9007199254740993', '1.0', '-0', '1E2', '0.0000001'];

function pick<T>(list: readonly T[], rnd: () => number): T {
  return list[Math.floor(rnd() * list.length)]!;
}

function deep(depth: number): unknown {
  let v: unknown = 'bottom';
  for (let i = 0; i < depth; i++) {
    v = rnd2(i) ? [v] : { a: v };
  }
  return v;
}
const rnd2 = (i: number) => i % 2 === 0;

interface Mutant {
  label: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  body?: string | Buffer;
}

function encodeBody(type: string, value: unknown): string {
  if (type === 'application/x-www-form-urlencoded') {
    const form = new URLSearchParams();
    for (const [k, v] of Object.entries((value ?? {}) as Record<string, unknown>)) {
      form.append(k, typeof v === 'string' ? v : JSON.stringify(v));
    }
    return form.toString();
  }
  return JSON.stringify(value);
}

function forgedTokens(real: string): string[] {
  const [h, p] = real.split('.');
  const none = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
  const hs = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');
  return [
    `${none}.${p}.`,
    `${hs}.${p}.c2lnbmF0dXJl`,
    `${h}.${p}.AAAA`,
    `${h}.${p}`,
    'not-a-jwt',
    '',
    `${h}.${Buffer.from('{"sub":"1\'--","type":"access"}').toString('base64url')}.x`,
    'a'.repeat(5000),
  ];
}

function buildPath(op: Operation, values: Record<string, string>): string {
  return op.path.replace(/\{(\w+)\}/g, (_m, name: string) => values[name] ?? '1');
}

function mutantsOf(op: Operation, rnd: () => number, o: FuzzOptions): Mutant[] {
  const pathValues: Record<string, string> = {};
  const query: Record<string, string> = {};
  for (const p of op.params) {
    const v = validValue(p.schema, rnd, o.ids, p.name);
    if (p.in === 'path') {
      pathValues[p.name] = String(v);
    } else if (p.required || rnd() < 0.3) {
      query[p.name] = String(v);
    }
  }
  const token =
    op.path.includes('refresh') || op.path.includes('logout')
      ? o.tokens.refresh
      : rnd() < 0.5
        ? o.tokens.admin
        : o.tokens.user;
  const auth: Record<string, string> = op.secured ? { authorization: `Bearer ${token}` } : {};
  const bodyValue = op.body
    ? (validValue(op.body.schema, rnd, o.ids) as Record<string, unknown>)
    : undefined;
  const ct: Record<string, string> = op.body ? { 'content-type': op.body.type } : {};
  const base = (): Mutant => ({
    label: 'valid',
    path: buildPath(op, pathValues),
    query: { ...query },
    headers: { ...auth, ...ct },
    ...(op.body ? { body: encodeBody(op.body.type, bodyValue) } : {}),
  });
  const out: Mutant[] = [base()];

  // Body fields
  if (op.body && bodyValue !== undefined) {
    const props = op.body.schema.properties ?? {};
    for (const [field, schema] of Object.entries(props)) {
      const kind = typeOf(schema) ?? typeOf((schema.anyOf ?? [])[0] ?? {});
      const list =
        kind === 'integer' || kind === 'number'
          ? NUMBER_MUTANTS
          : kind === 'string'
            ? STRING_MUTANTS
            : TYPE_MUTANTS;
      for (const value of [pick(list, rnd), pick(list, rnd), pick(TYPE_MUTANTS, rnd)]) {
        const m = base();
        m.label = `body.${field}=${JSON.stringify(value).slice(0, 40)}`;
        m.body = encodeBody(op.body.type, { ...bodyValue, [field]: value });
        out.push(m);
      }
      if (op.body.type === 'application/json' && (kind === 'integer' || kind === 'number')) {
        const raw = pick(RAW_NUMBERS, rnd);
        const m = base();
        m.label = `body.${field}=${raw} (raw)`;
        m.body = JSON.stringify({ ...bodyValue, [field]: 0 }).replace(
          `"${field}":0`,
          `"${field}":${raw}`,
        );
        out.push(m);
      }
    }
    const extras: [string, () => string | Buffer][] = [
      [
        'unknown field',
        () => encodeBody(op.body!.type, { ...bodyValue, is_superuser: true, zz: 1 }),
      ],
      ['deep', () => JSON.stringify({ ...bodyValue, deep: deep(2000) })],
      ['truncated', () => encodeBody(op.body!.type, bodyValue).slice(0, 7)],
      ['array envelope', () => JSON.stringify([bodyValue])],
      ['scalar envelope', () => pick(['42', '"x"', 'null', 'true'], rnd)],
      ['empty', () => ''],
      [
        'invalid utf-8',
        () =>
          Buffer.concat([
            Buffer.from(encodeBody(op.body!.type, bodyValue).slice(0, -2)),
            Buffer.from([0xff, 0xc3]),
            Buffer.from('"}'),
          ]),
      ],
      ['proto', () => '{"__proto__":{"x":1},"constructor":{"prototype":{"y":1}}}'],
    ];
    for (const [label, make] of extras) {
      const m = base();
      m.label = label;
      m.body = make();
      out.push(m);
    }
    for (const type of [
      'text/plain',
      'application/json; charset=latin1',
      'application/xml',
      op.body.type === 'application/json'
        ? 'application/x-www-form-urlencoded'
        : 'application/json',
    ]) {
      const m = base();
      m.label = `content-type ${type}`;
      m.headers['content-type'] = type;
      out.push(m);
    }
  }
  // Path and query parameters
  for (const p of op.params) {
    for (const value of [pick(QUERY_MUTANTS, rnd), pick(QUERY_MUTANTS, rnd)]) {
      const m = base();
      m.label = `${p.in}.${p.name}=${value.slice(0, 30)}`;
      if (p.in === 'path') {
        m.path = buildPath(op, { ...pathValues, [p.name]: value });
      } else {
        m.query[p.name] = value;
      }
      out.push(m);
    }
  }
  // Envelope: unknown query parameters, a forged cursor, tokens
  {
    const m = base();
    m.label = 'unknown query';
    m.query.zz = '1';
    m.query['a[b]'] = 'c';
    out.push(m);
  }
  if (op.params.some((p) => p.name === 'cursor')) {
    for (const c of [
      { o: 'id:desc', k: 2 ** 31, id: 2 ** 31 },
      { o: 'x', k: '2026-13-45', id: 1 },
      { o: 'created_at:asc', k: '2026-13-45T00:00:00Z', id: 1 },
      { o: 'id:asc', k: 'a\u0000', id: -1 },
    ]) {
      const m = base();
      m.label = `cursor ${JSON.stringify(c)}`;
      m.query.cursor = Buffer.from(JSON.stringify(c)).toString('base64url');
      out.push(m);
    }
  }
  if (op.secured) {
    for (const forged of forgedTokens(o.tokens.user)) {
      const m = base();
      m.label = `token ${forged.slice(0, 20)}`;
      m.headers.authorization = `Bearer ${forged}`;
      out.push(m);
    }
    const swapped = base();
    swapped.label = 'the other token type';
    swapped.headers.authorization = `Bearer ${token === o.tokens.refresh ? o.tokens.user : o.tokens.refresh}`;
    out.push(swapped);
  }
  {
    const m = base();
    m.label = 'method PUT';
    out.push({ ...m, headers: { ...m.headers, 'x-method': 'PUT' } });
  }
  return out;
}

// --- checks

const SQL =
  /\b(select|insert|update|delete)\b[\s\S]{0,80}\b(from|into|set|where)\b|syntax error at or near|violates .* constraint|relation "|column "|SQLSTATE|duplicate key/i;
const STACK = /\n\s+at .+[:(]\d+|node_modules|\.ts:\d+|\.js:\d+:\d+/;
const HASH = /\$argon2(id|i|d)\$|\$2[aby]\$\d\d\$|password_hash|token_hash/;

/** What is wrong with one response, or undefined. */
export function check(
  status: number,
  text: string,
  contentType: string | null,
): string | undefined {
  if (status >= 500) {
    return `status ${status}`;
  }
  if (HASH.test(text)) {
    return 'a hash in the response';
  }
  if (STACK.test(text)) {
    return 'a stack trace in the response';
  }
  if (status < 400) {
    return undefined;
  }
  if (SQL.test(text)) {
    return 'SQL in the error body';
  }
  if (!contentType?.startsWith('application/json')) {
    return `error body of type ${contentType}`;
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return 'error body is not JSON';
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return 'error body is not an object';
  }
  const b = body as Record<string, unknown>;
  if (
    typeof b.detail !== 'string' ||
    Object.keys(b).some((k) => k !== 'detail' && k !== 'errors')
  ) {
    return 'error body is not { detail, errors? }';
  }
  if (b.errors !== undefined) {
    if (status !== 422 || !Array.isArray(b.errors)) {
      return '`errors` outside a 422 or not a list';
    }
    for (const e of b.errors as Record<string, unknown>[]) {
      if (!Array.isArray(e.loc) || typeof e.msg !== 'string' || typeof e.type !== 'string') {
        return 'an `errors` entry without loc, msg, type';
      }
    }
  }
  return undefined;
}

// --- the run

export async function fuzz(o: FuzzOptions): Promise<FuzzResult> {
  const started = Date.now();
  const rnd = prng(o.seed);
  const doc = (await (await fetch(`${o.baseUrl}/openapi.json`)).json()) as Parameters<
    typeof operationsOf
  >[0];
  // Sign-out and token rotation end sessions: within each round they are sent last.
  const ops = operationsOf(doc).sort((a, b) => Number(isDestructive(a)) - Number(isDestructive(b)));
  const result: FuzzResult = {
    requests: 0,
    operations: ops.length,
    byStatus: {},
    findings: [],
    ms: 0,
  };
  // Round-robin over the operations, so that a small budget still reaches every one: the
  // first rounds send each operation's planned mutants, later ones freshly generated ones.
  const planned = ops.map((op) => mutantsOf(op, rnd, o));
  const exhausted = () => result.requests >= o.maxRequests || Date.now() - started >= o.maxMs;
  for (let round = 0; !exhausted(); round++) {
    for (let i = 0; i < ops.length && !exhausted(); i++) {
      const list = planned[i]!;
      const m = round < list.length ? list[round]! : pick(mutantsOf(ops[i]!, rnd, o), rnd);
      await send(o, ops[i]!, m, result);
    }
  }
  result.ms = Date.now() - started;
  return result;
}

function isDestructive(op: Operation): boolean {
  return op.path.includes('logout') || op.path.includes('refresh');
}

async function send(o: FuzzOptions, op: Operation, m: Mutant, result: FuzzResult) {
  let raw = '';
  for (const [k, v] of Object.entries(m.query)) {
    // Mutants are already percent-encoded text (e.g. %FF); others are encoded here.
    raw += `${raw === '' ? '' : '&'}${encodeURIComponent(k)}=${/%[0-9A-F]{2}/i.test(v) ? v : encodeURIComponent(v)}`;
  }
  const method = m.headers['x-method'] ?? op.method;
  const headers = { ...m.headers };
  delete headers['x-method'];
  const url = `${o.baseUrl}${m.path}${raw === '' ? '' : `?${raw}`}`;
  const label = `${method} ${m.path} [${m.label}]`;
  result.requests += 1;
  let status = 0;
  let text = '';
  let type: string | null = null;
  try {
    const res = await fetch(url, {
      method,
      headers,
      ...(m.body !== undefined && method !== 'GET' && method !== 'HEAD' ? { body: m.body } : {}),
      signal: AbortSignal.timeout(15_000),
    });
    status = res.status;
    type = res.headers.get('content-type');
    text = await res.text();
  } catch (err) {
    result.findings.push({
      request: label,
      status: 0,
      problem: `no answer: ${String(err)}`,
      body: '',
    });
    return;
  }
  result.byStatus[status] = (result.byStatus[status] ?? 0) + 1;
  o.onExchange?.(label, status, { operation: `${op.method} ${op.path}`, method, body: text });
  const problem = check(status, text, type);
  if (problem) {
    result.findings.push({ request: label, status, problem, body: text.slice(0, 300) });
  }
}
