import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import fastifyStatic from '@fastify/static';
import { projectRoot } from '../lib/paths.js';

// Serves the built web application (issue 8; docs/web-server.md). Vite names every file
// under /assets/ by its content hash, so those are cached for a year; index.html is what
// changes between releases, so browsers revalidate it on every load. Client routes
// (/projects/42, /me...) get index.html; the service's own prefixes keep their JSON 404s.

export interface WebOptions {
  /** WEB_DIST_DIR: relative paths are taken from the project root. */
  distDir: string;
}

const IMMUTABLE = 'public, max-age=31536000, immutable';
const REVALIDATE = 'no-cache';
/** Never answered with the application: these are the API's, and a 404 there is JSON. */
const RESERVED = /^\/(?:api|docs|health|\.well-known|openapi\.json)(?:[/?#.]|$)/;
/** A missing hashed file is a 404, never a page (a stale tab asking for an old chunk). */
const ASSETS = /^\/assets(?:[/?]|$)/;

export function resolveDistDir(distDir: string): string {
  return isAbsolute(distDir) ? distDir : join(projectRoot, distDir);
}

// Browsers navigating say text/html; fetch() and API clients (any type, JSON) get the 404.
function acceptsHtml(accept: string | undefined): boolean {
  return accept !== undefined && /(?:^|,)\s*text\/html/.test(accept);
}

/** Registers nothing when the folder (or its index.html) is missing: an API-only process. */
export default async function webPlugin(app: FastifyInstance, opts: WebOptions): Promise<void> {
  const root = resolveDistDir(opts.distDir);
  const indexPath = join(root, 'index.html');
  if (!existsSync(indexPath)) {
    app.log.debug({ root }, 'no built web application: not serving /');
    return;
  }
  // Read once: the built index.html does not change while the process runs.
  const indexHtml = readFileSync(indexPath);

  await app.register(fastifyStatic, {
    root,
    prefix: '/',
    // One route per built file, found at start: unknown paths fall through to the
    // client-route handler below instead of a static 404.
    wildcard: false,
    index: false,
    cacheControl: false,
    etag: true,
    lastModified: true,
    setHeaders: (reply, path) => {
      const rel = path.slice(root.length).replace(/\\/g, '/');
      reply.header('cache-control', rel.startsWith('/assets/') ? IMMUTABLE : REVALIDATE);
    },
  });

  app.get('/*', { schema: { hide: true } }, async (request, reply) => {
    const path = request.url;
    if (RESERVED.test(path) || ASSETS.test(path) || !acceptsHtml(request.headers.accept)) {
      return reply.callNotFound();
    }
    return reply
      .header('cache-control', REVALIDATE)
      .header('content-type', 'text/html; charset=utf-8')
      .send(indexHtml);
  });
}
