// Security headers (S15, S17; ADR 0008). They replace @fastify/helmet: every header helmet
// sent is kept, but the sets are computed once at start and one hook (in app.ts) copies the
// right one onto each reply.

type Directives = Record<string, string[]>;

/** What the web application needs: its own scripts only, never inline ones (S17). */
const APP_DIRECTIVES: Directives = {
  'default-src': ["'self'"],
  'base-uri': ["'self'"],
  'script-src': ["'self'"],
  'script-src-attr': ["'none'"],
  // Mantine injects <style> elements at run time.
  'style-src': ["'self'", "'unsafe-inline'"],
  'img-src': ["'self'", 'data:'],
  'font-src': ["'self'", 'data:'],
  'connect-src': ["'self'"],
  'object-src': ["'none'"],
  'form-action': ["'self'"],
  'frame-ancestors': ["'none'"],
};

/** Swagger UI at /docs: what helmet allowed it before (its bundle and its validator badge). */
const DOCS_DIRECTIVES: Directives = {
  'default-src': ["'self'"],
  'base-uri': ["'self'"],
  'font-src': ["'self'", 'https:', 'data:'],
  'form-action': ["'self'"],
  'frame-ancestors': ["'self'"],
  'img-src': ["'self'", 'data:', 'validator.swagger.io'],
  'object-src': ["'none'"],
  'script-src': ["'self'", "'unsafe-inline'"],
  'script-src-attr': ["'none'"],
  'style-src': ["'self'", "'unsafe-inline'"],
};

export function contentSecurityPolicy(directives: Directives, https: boolean): string {
  const parts = Object.entries(directives).map(([name, values]) => `${name} ${values.join(' ')}`);
  // Over plain HTTP this directive makes browsers fetch every subresource over HTTPS, which
  // fails: that is why Swagger UI was a blank page on any host but localhost.
  if (https) {
    parts.push('upgrade-insecure-requests');
  }
  return parts.join('; ');
}

/** The headers helmet 8 sends by default besides its CSP; kept so no client sees fewer. */
const COMMON: Record<string, string> = {
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'origin-agent-cluster': '?1',
  // No page URL (and no fragment-derived state) ever leaves in a Referer (S18).
  'referrer-policy': 'no-referrer',
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
  'x-content-type-options': 'nosniff',
  'x-dns-prefetch-control': 'off',
  'x-download-options': 'noopen',
  'x-frame-options': 'SAMEORIGIN',
  'x-permitted-cross-domain-policies': 'none',
  'x-xss-protection': '0',
};

export interface SecurityHeaderSets {
  app: Readonly<Record<string, string>>;
  docs: Readonly<Record<string, string>>;
}

/** PUBLIC_URL decides `upgrade-insecure-requests`: only when the service is served over HTTPS. */
export function securityHeaderSets(publicUrl: string): SecurityHeaderSets {
  const https = new URL(publicUrl).protocol === 'https:';
  return {
    app: Object.freeze({
      ...COMMON,
      'content-security-policy': contentSecurityPolicy(APP_DIRECTIVES, https),
    }),
    docs: Object.freeze({
      ...COMMON,
      'content-security-policy': contentSecurityPolicy(DOCS_DIRECTIVES, https),
    }),
  };
}

function isDocs(url: string): boolean {
  return url === '/docs' || url.startsWith('/docs/') || url.startsWith('/docs?');
}

/**
 * The set a response to `url` carries: Swagger UI's for /docs, the application's for the rest.
 * app.ts copies it onto every reply from its one production onRequest hook (P9: one hook per
 * request for headers, request id and in-flight tracking; no per-request policy building).
 */
export function securityHeadersFor(
  sets: SecurityHeaderSets,
  url: string,
): Readonly<Record<string, string>> {
  return isDocs(url) ? sets.docs : sets.app;
}
