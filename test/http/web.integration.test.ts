// Issue 8: the API process serves the built web application (src/plugins/web.ts) from a
// temporary dist folder: hashed assets cached for a year, index.html for client routes, and
// never for the service's own prefixes (JSON 404s there). S15/S17: the page's CSP.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { request } from '../helpers/http.js';

const INDEX =
  '<!doctype html><html><head><script type="module" src="/assets/index-3f9a1c.js"></script></head><body><div id="root"></div></body></html>';
const SCRIPT = 'console.log("app");';
const HTML = { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' };

let dist: string;
let t: TestApp;
before(async () => {
  dist = mkdtempSync(join(tmpdir(), 'ifd-web-dist-'));
  mkdirSync(join(dist, 'assets'));
  writeFileSync(join(dist, 'index.html'), INDEX);
  writeFileSync(join(dist, 'assets', 'index-3f9a1c.js'), SCRIPT);
  writeFileSync(join(dist, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  t = await startTestApp({ WEB_DIST_DIR: dist });
});
after(async () => {
  await t.close();
  rmSync(dist, { recursive: true, force: true });
});

describe('serving the built web application', () => {
  test('hashed assets: the file, immutable for a year, a JavaScript type', async () => {
    const res = await request(t.url, 'GET', '/assets/index-3f9a1c.js');
    assert.equal(res.status, 200);
    assert.equal(res.text, SCRIPT);
    assert.equal(res.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    assert.match(res.headers.get('content-type') ?? '', /javascript/);
  });

  test('index.html for every client route, revalidated on each load (GET and HEAD)', async () => {
    for (const path of [
      '/',
      '/projects/42',
      '/projects/42/applications',
      '/verify-email',
      '/me',
      '/admin/users?q=ab',
    ]) {
      const res = await request(t.url, 'GET', path, { headers: HTML });
      assert.equal(res.status, 200, path);
      assert.equal(res.text, INDEX, path);
      assert.equal(res.headers.get('cache-control'), 'no-cache', path);
      assert.match(res.headers.get('content-type') ?? '', /^text\/html/, path);
    }
    const head = await request(t.url, 'HEAD', '/projects/42', { headers: HTML });
    assert.equal(head.status, 200);
    assert.equal(head.text, '');
    assert.equal(head.headers.get('cache-control'), 'no-cache');
    assert.equal(head.headers.get('content-length'), String(Buffer.byteLength(INDEX)));
  });

  test('other top-level files are served and revalidated', async () => {
    const res = await request(t.url, 'GET', '/favicon.svg');
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('cache-control'), 'no-cache');
  });

  test('never for /api, /docs, /health, /.well-known: their JSON 404s and own answers stay', async () => {
    for (const path of [
      '/api/v1/nothing-here',
      '/api',
      '/health/nope',
      '/.well-known/nothing',
      '/docs/nothing-here.html',
    ]) {
      const res = await request(t.url, 'GET', path, { headers: HTML });
      assert.equal(res.status, 404, path);
      assert.deepEqual(res.body, { detail: 'Not Found' }, path);
    }
    const health = await request(t.url, 'GET', '/health', { headers: HTML });
    assert.equal(health.status, 200);
    assert.match(health.headers.get('content-type') ?? '', /json/);
    const jwks = await request(t.url, 'GET', '/.well-known/jwks.json', { headers: HTML });
    assert.equal(jwks.status, 200);
    const docs = await request(t.url, 'GET', '/docs', { headers: HTML });
    assert.match(docs.text, /swagger/i);
  });

  test('a missing asset and a request that does not accept HTML are JSON 404s, not the page', async () => {
    const asset = await request(t.url, 'GET', '/assets/index-old.js', { headers: HTML });
    assert.deepEqual([asset.status, asset.body], [404, { detail: 'Not Found' }]);
    const api = await request(t.url, 'GET', '/projects/42', {
      headers: { accept: 'application/json' },
    });
    assert.deepEqual([api.status, api.body], [404, { detail: 'Not Found' }]);
    const post = await request(t.url, 'POST', '/projects/42', { headers: HTML, json: {} });
    assert.deepEqual([post.status, post.body], [404, { detail: 'Not Found' }]);
  });

  test('R14 with the web app on: a path parameter over 200 characters is 414, a known path with another method 405', async () => {
    // The client-route handler's `/*` must not turn the API's refusals into others: the
    // router falls back to it for a parameter over maxParamLength instead of refusing.
    const long = `/api/v1/projects/${'7'.repeat(201)}`;
    for (const headers of [HTML, { accept: 'application/json' }]) {
      const res = await request(t.url, 'GET', long, { headers });
      assert.deepEqual([res.status, res.body], [414, { detail: 'A path segment is too long' }]);
    }
    const atLimit = await request(t.url, 'GET', `/api/v1/projects/${'7'.repeat(200)}`);
    assert.deepEqual(
      [atLimit.status, atLimit.body],
      [
        422,
        {
          detail: 'Request data is not correct',
          errors: [
            { loc: ['params', 'id'], msg: 'must be <= 2147483647', type: 'less_than_equal' },
          ],
        },
      ],
    );
    const put = await request(t.url, 'PUT', '/api/v1/projects/42', { json: {} });
    assert.deepEqual([put.status, put.body], [405, { detail: 'Method Not Allowed' }]);
    assert.equal(put.headers.get('allow'), 'DELETE, GET, HEAD, PATCH');
  });

  test('S17: the page carries the SPA CSP: no inline script, no framing', async () => {
    const res = await request(t.url, 'GET', '/projects/42', { headers: HTML });
    const csp = res.headers.get('content-security-policy') ?? '';
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.doesNotMatch(csp, /script-src[^;]*unsafe-inline/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.equal(res.headers.get('referrer-policy'), 'no-referrer');
  });
});

describe('without a built application', () => {
  test('/ and client routes are the JSON 404 (API-only process)', async () => {
    const bare = await startTestApp({ WEB_DIST_DIR: join(dist, 'missing') });
    try {
      for (const path of ['/', '/projects/1']) {
        const res = await request(bare.url, 'GET', path, { headers: HTML });
        assert.deepEqual([res.status, res.body], [404, { detail: 'Not Found' }], path);
      }
    } finally {
      await bare.close();
    }
  });
});
