// One mechanism for the input rules of every route (R14, docs/hardening.md, ADR 0011):
// strict validators, strict body parsers, strict content types, 405 with Allow, literal
// segments that never fall into a parameter route, a Host check, and the framework's and
// Node's own errors answered with the standard body. Routes declare schemas and nothing more;
// whatever is registered after this plugin gets the same rules.
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type {
  FastifyError,
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  RouteOptions,
} from 'fastify';
import { errorCodes } from 'fastify';
import fp from 'fastify-plugin';
import { ERROR_HTTP, validationError } from '../lib/errors.js';
import {
  UndecodableValue,
  compileValidator,
  type RouteValidator,
  fieldsWithReplacement,
  parseUrlEncoded,
} from '../lib/input-rules.js';
import {
  safeErrorSerializer,
  safeRequestSerializer,
  type SerializedError,
} from '../lib/log-safety.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** Methods served for the path of `url` (empty when no route has that path): 405's Allow. */
    allowedMethods(url: string): string[];
  }
}

const FORM = 'application/x-www-form-urlencoded';
const JSON_TYPE = 'application/json';

/** Answers for requests Node refuses before Fastify sees them (bad request line, huge headers). */
function clientErrorHandler(this: FastifyInstance, err: NodeJS.ErrnoException, socket: Socket) {
  if (err.code === 'ECONNRESET' || socket.destroyed) {
    return;
  }
  let status = 400;
  let detail = 'Bad request';
  if (err.code === 'HPE_HEADER_OVERFLOW') {
    status = 431;
    detail = 'Request line or headers too large';
  } else if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    status = 408;
    detail = 'Request timeout';
  } else if (err.code === 'HPE_INVALID_METHOD') {
    detail = 'Unknown method';
  }
  // Only the code: err.rawPacket would put the request, tokens and all, in the log.
  this.log.debug({ code: err.code }, 'client error');
  if (socket.writable) {
    const body = JSON.stringify({ detail });
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}

function frameworkErrors(error: FastifyError, _request: FastifyRequest, reply: FastifyReply) {
  // FST_ERR_BAD_URL (bad percent-encoding), FST_ERR_MAX_PARAM_LENGTH, FST_ERR_ASYNC_CONSTRAINT:
  // the default bodies repeat the URL; ours never do.
  if (error.code === 'FST_ERR_MAX_PARAM_LENGTH' || error.code === 'FST_ERR_BAD_URL') {
    const { status, detail } =
      ERROR_HTTP[error.code === 'FST_ERR_BAD_URL' ? 'bad_url' : 'param_too_long'](undefined);
    return reply.status(status).send({ detail });
  }
  return reply.status(400).send({ detail: 'Bad request' });
}

/**
 * Fastify constructor options this plugin relies on (spread into `Fastify({...})` in app.ts).
 * Node's own Host check is off because it answers with an empty body; the plugin checks it.
 */
export const hardenedServerOptions = {
  frameworkErrors,
  clientErrorHandler,
  http: { requireHostHeader: false },
};

/** Logger serializers that keep secrets out (S14, S18): spread into the logger options. */
export const safeSerializers = {
  req: safeRequestSerializer,
  err: (err: FastifyError) => safeErrorSerializer(err) as SerializedError,
};

// --- the route table: 405 with Allow, and literal segments never taken as a parameter

interface KnownRoute {
  method: string;
  segments: string[];
}

function segmentsOf(path: string): string[] {
  const q = path.indexOf('?');
  const bare = (q === -1 ? path : path.slice(0, q)).replace(/\/+$/, '');
  return bare.split('/').slice(1);
}

const isParam = (segment: string) => segment.startsWith(':');

class RouteTable {
  private readonly routes: KnownRoute[] = [];
  // Per route and segment index; routes are all known before the first request.
  private readonly literals = new WeakMap<KnownRoute, Map<number, Set<string>>>();

  add(method: string, url: string) {
    if (url.includes('*')) {
      return; // wildcards (CORS preflight, static files) answer every path
    }
    this.routes.push({ method, segments: segmentsOf(url) });
  }

  /** Literal segments that sit where `route` has a parameter, in routes sharing its prefix. */
  private literalsAt(route: KnownRoute, index: number): Set<string> {
    let byIndex = this.literals.get(route);
    if (byIndex === undefined) {
      byIndex = new Map();
      this.literals.set(route, byIndex);
    }
    const cached = byIndex.get(index);
    if (cached !== undefined) {
      return cached;
    }
    const out = new Set<string>();
    byIndex.set(index, out);
    for (const other of this.routes) {
      const seg = other.segments[index];
      if (seg === undefined || isParam(seg)) {
        continue;
      }
      let samePrefix = true;
      for (let i = 0; i < index; i++) {
        const a = route.segments[i]!;
        const b = other.segments[i];
        if (b === undefined || (isParam(a) ? !isParam(b) : a !== b)) {
          samePrefix = false;
          break;
        }
      }
      if (samePrefix) {
        out.add(seg);
      }
    }
    return out;
  }

  matches(route: KnownRoute, segments: string[]): boolean {
    if (route.segments.length !== segments.length) {
      return false;
    }
    return route.segments.every((seg, i) =>
      isParam(seg) ? !this.literalsAt(route, i).has(segments[i]!) : seg === segments[i],
    );
  }

  allowed(url: string): string[] {
    const segments = segmentsOf(url);
    const methods = new Set<string>();
    for (const r of this.routes) {
      if (this.matches(r, segments)) {
        methods.add(r.method);
      }
    }
    return [...methods].sort();
  }

  /** Whether a request Fastify routed to `routeUrl` really belongs to that route. */
  belongs(method: string, routeUrl: string, url: string): boolean {
    const route = this.routes.find(
      (r) => r.method === method && r.segments.join('/') === segmentsOf(routeUrl).join('/'),
    );
    return route === undefined || this.matches(route, segmentsOf(url));
  }
}

function mediaTypeOf(header: string | undefined): { type: string; charset?: string } | undefined {
  if (header === undefined || header.trim() === '') {
    return undefined;
  }
  const [type, ...params] = header.split(';');
  const out: { type: string; charset?: string } = { type: type!.trim().toLowerCase() };
  for (const p of params) {
    const [k, v] = p.split('=');
    if (k?.trim().toLowerCase() === 'charset' && v !== undefined) {
      out.charset = v
        .trim()
        .replace(/^"(.*)"$/, '$1')
        .toLowerCase();
    }
  }
  return out;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const lenientUtf8 = new TextDecoder('utf-8');

function decodeBody(body: Buffer, parse: (text: string) => unknown): unknown {
  try {
    return parse(utf8.decode(body));
  } catch (err) {
    if (!(err instanceof TypeError)) {
      throw err;
    }
  }
  // Invalid UTF-8: name the fields it sits in when the rest of the body can be read.
  let fields: (string | number)[][] = [];
  try {
    fields = fieldsWithReplacement(parse(lenientUtf8.decode(body)));
  } catch {
    fields = [];
  }
  const locs = fields.length > 0 ? fields : [[]];
  throw validationError(
    locs.map((loc) => ({ loc: ['body', ...loc], msg: 'is not valid UTF-8', type: 'utf8_invalid' })),
  );
}

/**
 * A validator that compiles its schema on its first call (P7, ADR 0028). Fastify asks for every
 * route's validators (and again for each GET's HEAD twin) while the app starts; compiling them
 * all there was about half of the start-up CPU and a good part of the idle memory, for routes
 * a given process may never serve. The first request of each route pays its compilation once
 * (~100-180 ms for the process's first body, which also builds the Ajv instance; ~10 ms for a
 * later route's first); the rules and the answers are the compiled validator's own.
 */
function compiledOnFirstUse(compile: () => RouteValidator): RouteValidator {
  let compiled: RouteValidator | undefined;
  const validate = ((data: unknown, ctx?: unknown) => {
    compiled ??= compile();
    const ok = (compiled as (d: unknown, c?: unknown) => boolean)(data, ctx);
    validate.errors = compiled.errors ?? null;
    return ok;
  }) as RouteValidator;
  validate.errors = null;
  // Fastify hands a validator with a schemaEnv its parent (for defaults at the root); every Ajv
  // function has one, so the lazy one says so before it knows its Ajv function.
  (validate as { schemaEnv?: unknown }).schemaEnv = true;
  return validate;
}

async function hardeningPlugin(app: FastifyInstance, opts: { bodyLimit: number }) {
  app.setValidatorCompiler(({ schema, httpPart }) =>
    compiledOnFirstUse(() => compileValidator(schema, httpPart)),
  );

  const table = new RouteTable();
  app.decorate('allowedMethods', (url: string) => table.allowed(url));
  // Content types each route takes: those its schema lists (`consumes`), JSON by default.
  const accepts = new Map<string, Set<string>>();
  const routeKey = (request: FastifyRequest) => `${request.method} ${request.routeOptions.url}`;

  // Body parsers: only JSON and the OAuth2 form exist; both must be valid UTF-8.
  app.removeAllContentTypeParsers();
  const jsonParse = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser(
    JSON_TYPE,
    { parseAs: 'buffer', bodyLimit: opts.bodyLimit },
    (request, body, done) => {
      // A route without a body ignores an empty one, whatever fetch() put in Content-Type.
      if ((body as Buffer).length === 0 && !accepts.has(routeKey(request))) {
        done(null, undefined);
        return;
      }
      try {
        const parseJson = (text: string): unknown => {
          let result: { err: Error | null; value?: unknown } = { err: null };
          // The default parser answers synchronously (secure-json-parse, no I/O).
          void jsonParse(request, text, (err, value) => {
            result = { err, value };
          });
          if (result.err) {
            throw result.err;
          }
          return result.value;
        };
        done(null, decodeBody(body as Buffer, parseJson));
      } catch (err) {
        done(err as Error, undefined);
      }
    },
  );
  app.addContentTypeParser(
    FORM,
    { parseAs: 'buffer', bodyLimit: opts.bodyLimit },
    (_request, body, done) => {
      try {
        const form = decodeBody(body as Buffer, parseUrlEncoded) as Record<string, unknown>;
        const bad = Object.entries(form).filter(([, v]) =>
          (Array.isArray(v) ? v : [v]).some((x) => x instanceof UndecodableValue),
        );
        if (bad.length > 0) {
          throw validationError(
            bad.map(([name]) => ({
              loc: ['body', name],
              msg: 'is not valid UTF-8',
              type: 'utf8_invalid',
            })),
          );
        }
        done(null, form);
      } catch (err) {
        done(err as Error, undefined);
      }
    },
  );

  app.addHook('onRoute', (route: RouteOptions) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const m of methods) {
      table.add(m, route.url);
      const schema = route.schema as { body?: unknown; consumes?: string[] } | undefined;
      if (schema?.body !== undefined) {
        accepts.set(
          `${m} ${route.url}`,
          new Set((schema.consumes ?? [JSON_TYPE]).map((t) => t.toLowerCase())),
        );
      }
    }
  });

  app.addHook('onRequest', async (request, reply) => {
    if (request.raw.httpVersion === '1.1' && !request.headers.host) {
      return reply.status(400).send({ detail: 'Missing Host header' });
    }
    const routeUrl = request.routeOptions.url;
    if (routeUrl?.includes(':') && !table.belongs(request.method, routeUrl, request.url)) {
      const allow = table.allowed(request.url);
      if (allow.length > 0) {
        reply.header('Allow', allow.join(', '));
        return reply.status(405).send({ detail: 'Method Not Allowed' });
      }
      return reply.status(404).send({ detail: 'Not Found' });
    }
    return undefined;
  });

  app.addHook('preParsing', async (request, _reply, payload) => {
    const allowed = accepts.get(routeKey(request));
    if (allowed === undefined) {
      return payload;
    }
    const media = mediaTypeOf(request.headers['content-type']);
    if (media === undefined) {
      const hasBody =
        request.headers['transfer-encoding'] !== undefined ||
        (request.headers['content-length'] ?? '0') !== '0';
      if (hasBody) {
        throw new errorCodes.FST_ERR_CTP_INVALID_MEDIA_TYPE('none');
      }
      return payload;
    }
    if (
      !allowed.has(media.type) ||
      (media.charset !== undefined && media.charset !== 'utf-8' && media.charset !== 'utf8')
    ) {
      throw new errorCodes.FST_ERR_CTP_INVALID_MEDIA_TYPE(media.type);
    }
    return payload;
  });
}

export default fp(hardeningPlugin, { name: 'hardening', fastify: '5.x', dependencies: ['errors'] });
