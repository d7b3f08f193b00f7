// The input rules every route gets without asking (R14, docs/hardening.md). They are applied
// to the schemas when Fastify compiles them (plugins/hardening.ts), so a route added later
// is covered the day it is registered; nothing here is written per route.
import { Ajv, type AnySchema, type ErrorObject, type ValidateFunction } from 'ajv';
import formatsPlugin from 'ajv-formats';

/** Mark a string schema `{ 'x-multiline': true }` to allow tab, line feed and carriage return. */
export const MULTILINE = 'x-multiline';

// C0 controls and DEL. Tab, LF and CR are allowed only in multi-line fields. Matching
// control characters is the point of these two expressions.
// eslint-disable-next-line no-control-regex
const SINGLE_LINE_BAD = /[\u0000-\u001f\u007f]/;
// eslint-disable-next-line no-control-regex
const MULTI_LINE_BAD = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Why a string is refused, or undefined when it is acceptable text. */
export function textProblem(value: string, multiline: boolean): ErrorObject | undefined {
  if ((multiline ? MULTI_LINE_BAD : SINGLE_LINE_BAD).test(value)) {
    return issue(
      'string_control_character',
      multiline
        ? 'must not contain control characters other than tab and line breaks'
        : 'must not contain control characters',
    );
  }
  if (LONE_SURROGATE.test(value)) {
    return issue('string_unpaired_surrogate', 'must not contain unpaired UTF-16 surrogates');
  }
  return undefined;
}

function issue(keyword: string, message: string, instancePath = ''): ErrorObject {
  return { keyword, message, params: {}, instancePath, schemaPath: '' };
}

/** Canonical decimal integers only: no sign but `-`, no leading zeros, blanks, hex or exponent. */
const CANONICAL_INTEGER = /^-?(?:0|[1-9][0-9]*)$/;
const CANONICAL_NUMBER = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?$/;

type Json = Record<string, unknown>;

function typesOf(schema: Json): string[] {
  const out: string[] = [];
  if (typeof schema.type === 'string') {
    out.push(schema.type);
  } else if (Array.isArray(schema.type)) {
    out.push(...(schema.type as string[]));
  }
  for (const key of ['anyOf', 'oneOf'] as const) {
    const list = schema[key];
    if (Array.isArray(list)) {
      for (const s of list as Json[]) {
        out.push(...typesOf(s));
      }
    }
  }
  return out;
}

/**
 * Returns a copy of the schema in which every string schema carries the `text` rule and
 * every integer is bounded to what a JavaScript number holds exactly (a bigger one would
 * have been altered by JSON.parse already). The route's own schema object is left as is, so
 * the OpenAPI document stays what the route declared.
 */
export function withInputRules(schema: unknown): unknown {
  if (Array.isArray(schema)) {
    return schema.map(withInputRules);
  }
  if (typeof schema !== 'object' || schema === null) {
    return schema;
  }
  const src = schema as Json;
  const out: Json = {};
  for (const [key, value] of Object.entries(src)) {
    // `default`, `examples`, `const` and `enum` are values, not schemas.
    out[key] =
      key === 'default' || key === 'examples' || key === 'const' || key === 'enum'
        ? value
        : withInputRules(value);
  }
  const types = typeof src.type === 'string' ? [src.type] : Array.isArray(src.type) ? src.type : [];
  if (types.includes('string')) {
    out.text = src[MULTILINE] === true ? 'multiline' : 'line';
  }
  if (types.includes('integer')) {
    if (typeof src.maximum !== 'number' || src.maximum > Number.MAX_SAFE_INTEGER) {
      out.maximum = Number.MAX_SAFE_INTEGER;
    }
    if (typeof src.minimum !== 'number' || src.minimum < Number.MIN_SAFE_INTEGER) {
      out.minimum = Number.MIN_SAFE_INTEGER;
    }
  }
  return out;
}

function addKeywords(ajv: Ajv): Ajv {
  ajv.addKeyword({ keyword: MULTILINE, schemaType: 'boolean' });
  const text = (
    mode: 'line' | 'multiline',
    data: unknown,
    _parent: unknown,
    cxt?: { instancePath: string },
  ): boolean => {
    if (typeof data !== 'string') {
      return true;
    }
    const problem = textProblem(data, mode === 'multiline');
    if (problem !== undefined) {
      text.errors = [{ ...problem, instancePath: cxt?.instancePath ?? '' }];
      return false;
    }
    return true;
  };
  text.errors = [] as ErrorObject[];
  ajv.addKeyword({ keyword: 'text', type: 'string', schemaType: 'string', validate: text });
  return ajv;
}

function newAjv(coerce: boolean): Ajv {
  const ajv = new Ajv({
    // JSON bodies are taken as sent: a number is not a string, "true" is not a boolean, a
    // scalar is not an array. Query strings and path parameters are text by nature, so
    // they are coerced, but only after the canonical-number check below.
    coerceTypes: coerce ? 'array' : false,
    useDefaults: true,
    removeAdditional: false,
    allErrors: true,
    strictNumbers: true,
    strict: false,
  });
  (formatsPlugin as unknown as (a: Ajv) => void)(ajv);
  return addKeywords(ajv);
}

let bodyAjv: Ajv | undefined;
let textAjv: Ajv | undefined;

/** What Fastify needs from a validator: Ajv's calling convention, with its errors. */
export type RouteValidator = ValidateFunction & { schemaEnv?: unknown };

/**
 * Compiles the validator of one part of a request. `body` is validated without coercion;
 * `querystring`, `params` and `headers` are coerced from text after their numbers were
 * checked to be canonical decimals and their text to be valid UTF-8.
 */
export function compileValidator(schema: AnySchema, httpPart: string | undefined): RouteValidator {
  const ruled = withInputRules(schema) as AnySchema;
  if (httpPart === 'body' || httpPart === undefined) {
    bodyAjv ??= newAjv(false);
    return bodyAjv.compile(ruled);
  }
  textAjv ??= newAjv(true);
  const inner = textAjv.compile(ruled);
  const numeric = numericProperties(schema);
  const wrapped = ((data: unknown, ctx?: unknown) => {
    const problems = textualProblems(data, numeric);
    if (problems.length > 0) {
      wrapped.errors = problems;
      return false;
    }
    const ok = (inner as (d: unknown, c?: unknown) => boolean)(data, ctx);
    wrapped.errors = inner.errors ?? null;
    return ok;
  }) as RouteValidator;
  wrapped.errors = null;
  // Fastify hands Ajv functions their parent so that defaults can be applied at the root.
  wrapped.schemaEnv = (inner as RouteValidator).schemaEnv;
  return wrapped;
}

/** Top-level properties declared as integers or numbers (query strings are flat). */
function numericProperties(schema: unknown): Map<string, 'integer' | 'number'> {
  const out = new Map<string, 'integer' | 'number'>();
  const props = (schema as Json | null)?.properties;
  if (typeof props !== 'object' || props === null) {
    return out;
  }
  for (const [name, s] of Object.entries(props as Record<string, Json>)) {
    const types = typesOf(s);
    if (types.includes('string')) {
      continue;
    }
    if (types.includes('integer')) {
      out.set(name, 'integer');
    } else if (types.includes('number')) {
      out.set(name, 'number');
    }
  }
  return out;
}

/** Marks a query-string value whose percent-encoding is not valid UTF-8. */
export class UndecodableValue {
  constructor(readonly raw: string) {}
}

function textualProblems(data: unknown, numeric: Map<string, 'integer' | 'number'>) {
  const problems: ErrorObject[] = [];
  if (typeof data !== 'object' || data === null) {
    return problems;
  }
  for (const [name, value] of Object.entries(data as Json)) {
    const path = '/' + name.replace(/~/g, '~0').replace(/\//g, '~1');
    for (const v of Array.isArray(value) ? (value as unknown[]) : [value]) {
      if (v instanceof UndecodableValue) {
        problems.push(issue('utf8_invalid', 'is not valid UTF-8', path));
        break;
      }
      const kind = numeric.get(name);
      if (kind !== undefined && typeof v === 'string') {
        const ok = (kind === 'integer' ? CANONICAL_INTEGER : CANONICAL_NUMBER).test(v);
        if (!ok) {
          problems.push(
            issue(
              kind === 'integer' ? 'int_parsing' : 'float_parsing',
              kind === 'integer'
                ? 'must be an integer in plain decimal digits'
                : 'must be a number in plain decimal notation',
              path,
            ),
          );
          break;
        }
      }
    }
  }
  return problems;
}

/**
 * A strict `application/x-www-form-urlencoded` / query-string decoder: `+` is a space,
 * percent-escapes must form valid UTF-8 (anything else becomes an UndecodableValue, refused
 * by validation naming the field), a repeated name gives an array.
 */
/** Fastify's query-string parser (routerOptions.querystringParser): the same strict decoding. */
export function parseQueryString(text: string): Record<string, unknown> {
  return parseUrlEncoded(text);
}

export function parseUrlEncoded(text: string): Record<string, unknown> {
  const out: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  if (text === '') {
    return out;
  }
  for (const pair of text.split('&')) {
    if (pair === '') {
      continue;
    }
    const eq = pair.indexOf('=');
    const rawKey = eq === -1 ? pair : pair.slice(0, eq);
    const rawValue = eq === -1 ? '' : pair.slice(eq + 1);
    const key = strictDecode(rawKey);
    if (key instanceof UndecodableValue) {
      // A name that cannot be read cannot be named in an error either: keep it visible.
      out['[undecodable name]'] = key;
      continue;
    }
    const value = strictDecode(rawValue);
    const prev = out[key];
    if (prev === undefined) {
      out[key] = value;
    } else if (Array.isArray(prev)) {
      prev.push(value);
    } else {
      out[key] = [prev, value];
    }
  }
  return out;
}

function strictDecode(raw: string): string | UndecodableValue {
  const spaced = raw.replace(/\+/g, ' ');
  if (!spaced.includes('%')) {
    return spaced;
  }
  try {
    return decodeURIComponent(spaced);
  } catch {
    return new UndecodableValue(raw);
  }
}

/** Which strings in a parsed body hold U+FFFD: where invalid UTF-8 was replaced. */
export function fieldsWithReplacement(value: unknown, path: (string | number)[] = []) {
  const found: (string | number)[][] = [];
  if (typeof value === 'string') {
    if (value.includes('\ufffd')) {
      found.push(path);
    }
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => found.push(...fieldsWithReplacement(v, [...path, i])));
  } else if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value as Json)) {
      found.push(...fieldsWithReplacement(v, [...path, k]));
    }
  }
  return found;
}
