// Issue 8, S15/S17: the precomputed security headers (src/plugins/security-headers.ts) over
// real HTTP, with an http and an https PUBLIC_URL.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { request } from '../helpers/http.js';

/** Everything helmet sent before it was replaced, with its exact values. */
const KEPT: Record<string, string> = {
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'origin-agent-cluster': '?1',
  'referrer-policy': 'no-referrer',
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
  'x-content-type-options': 'nosniff',
  'x-dns-prefetch-control': 'off',
  'x-download-options': 'noopen',
  'x-frame-options': 'SAMEORIGIN',
  'x-permitted-cross-domain-policies': 'none',
  'x-xss-protection': '0',
};

const directives = (csp: string | null) =>
  new Map(
    (csp ?? '').split(';').map((d) => {
      const [name, ...values] = d.trim().split(/\s+/);
      return [name!, values.join(' ')] as const;
    }),
  );

let plain: TestApp;
let tls: TestApp;
before(async () => {
  plain = await startTestApp({ PUBLIC_URL: 'http://ifd.internal.test:8000' });
  tls = await startTestApp({ PUBLIC_URL: 'https://ifd.example.test' });
});
after(async () => {
  await plain.close();
  await tls.close();
});

describe('S15: the headers helmet sent are all kept', () => {
  test('on JSON, errors, Swagger UI and its assets', async () => {
    for (const path of ['/health', '/api/v1/nothing', '/docs', '/docs/static/swagger-ui.css']) {
      const res = await request(plain.url, 'GET', path);
      for (const [name, value] of Object.entries(KEPT)) {
        assert.equal(res.headers.get(name), value, `${path} ${name}`);
      }
      assert.ok(res.headers.get('content-security-policy'), path);
      assert.equal(res.headers.get('x-powered-by'), null);
    }
  });
});

describe('S17: the application CSP allows no inline script', () => {
  test('exact directives of the SPA policy (on API responses too)', async () => {
    const csp = directives(
      (await request(plain.url, 'GET', '/health')).headers.get('content-security-policy'),
    );
    assert.equal(csp.get('default-src'), "'self'");
    assert.equal(csp.get('script-src'), "'self'");
    assert.equal(csp.get('script-src-attr'), "'none'");
    assert.equal(csp.get('style-src'), "'self' 'unsafe-inline'");
    assert.equal(csp.get('img-src'), "'self' data:");
    assert.equal(csp.get('connect-src'), "'self'");
    assert.equal(csp.get('frame-ancestors'), "'none'");
    assert.equal(csp.get('base-uri'), "'self'");
    assert.equal(csp.get('form-action'), "'self'");
    assert.equal(csp.get('object-src'), "'none'");
  });
});

describe('upgrade-insecure-requests only over HTTPS (Swagger UI over plain HTTP)', () => {
  test('http PUBLIC_URL: absent from every policy, so /docs loads its scripts over http', async () => {
    for (const path of ['/health', '/docs', '/docs/', '/docs/static/swagger-ui-bundle.js']) {
      const res = await request(plain.url, 'GET', path);
      assert.equal(res.status, 200, path);
      const csp = directives(res.headers.get('content-security-policy'));
      assert.equal(csp.has('upgrade-insecure-requests'), false, path);
    }
  });

  test('https PUBLIC_URL: present in the application and the docs policies', async () => {
    for (const path of ['/health', '/docs']) {
      const csp = directives(
        (await request(tls.url, 'GET', path)).headers.get('content-security-policy'),
      );
      assert.equal(csp.has('upgrade-insecure-requests'), true, path);
    }
  });

  test('/docs keeps what Swagger UI needs: its own scripts and styles, the validator badge', async () => {
    const docs = await request(plain.url, 'GET', '/docs');
    const csp = directives(docs.headers.get('content-security-policy'));
    assert.match(csp.get('script-src') ?? '', /^'self'/);
    assert.match(csp.get('style-src') ?? '', /'unsafe-inline'/);
    assert.equal(csp.get('img-src'), "'self' data: validator.swagger.io");
    // Every script the page loads is same-origin, so 'self' covers it.
    const scripts = [...docs.text.matchAll(/<script src="([^"]+)"/g)].map((m) => m[1]!);
    assert.ok(scripts.length >= 3, docs.text);
    for (const src of scripts) {
      assert.doesNotMatch(src, /^(https?:)?\/\//, `${src} is same-origin`);
    }
  });
});
