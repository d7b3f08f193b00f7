// Small HTTP client for integration tests: real requests over TCP to the running app.

export interface Res<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

export async function request<T = Record<string, unknown>>(
  base: string,
  method: string,
  path: string,
  opts: {
    json?: unknown;
    form?: Record<string, string>;
    token?: string;
    headers?: Record<string, string>;
    raw?: string | Buffer;
  } = {},
): Promise<Res<T>> {
  const headers: Record<string, string> = { ...opts.headers };
  let body: string | Buffer | undefined;
  if (opts.json !== undefined) {
    headers['content-type'] ??= 'application/json';
    body = JSON.stringify(opts.json);
  } else if (opts.form !== undefined) {
    headers['content-type'] ??= 'application/x-www-form-urlencoded';
    body = new URLSearchParams(opts.form).toString();
  } else if (opts.raw !== undefined) {
    body = opts.raw;
  }
  if (opts.token !== undefined) {
    headers.authorization = `Bearer ${opts.token}`;
  }
  const res = await fetch(base + path, { method, headers, body });
  const text = await res.text();
  let parsed: unknown = undefined;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: res.status, headers: res.headers, body: parsed as T, text };
}

const ISO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/;
/** A compact JWS (header.payload.signature, base64url, the header a JSON object). */
const JWT = /^eyJ[\w-]*\.[\w-]+\.[\w-]+$/;

/**
 * A response body with what differs between runs replaced, so a test compares the whole body
 * (issue 14) instead of picking fields: date-times become "<time>", JWTs "<jwt>" (a test that
 * cares about a token's claims decodes it), and the values of the keys named in `ids` (default
 * `id`) become "<id>". Other ids stay: a test knows them and checks them.
 */
export function normalised(value: unknown, ids: readonly string[] = ['id']): unknown {
  if (Array.isArray(value)) {
    return value.map((v) => normalised(v, ids));
  }
  if (typeof value === 'string') {
    return ISO_TIME.test(value) ? '<time>' : JWT.test(value) ? '<jwt>' : value;
  }
  if (value === null || typeof value !== 'object') {
    return value;
  }
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [
      k,
      ids.includes(k) && typeof v === 'number' ? '<id>' : normalised(v, ids),
    ]),
  );
}
