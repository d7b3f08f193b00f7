// P7: Swagger UI is built on the first /docs request, not at start-up; it still serves the
// page, its assets and this app's OpenAPI document, under the app's security headers.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { request } from '../helpers/http.js';

let t: TestApp;
before(async () => {
  t = await startTestApp();
});
after(async () => {
  await t.close();
});

test('P7: /docs, its assets and /docs/json answer from the lazily built Swagger UI', async () => {
  const page = await request(t.url, 'GET', '/docs');
  assert.equal(page.status, 200);
  assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
  assert.match(page.text, /swagger-ui/);
  assert.ok(page.headers.get('content-security-policy'), 'the app-wide headers still apply');
  assert.ok(page.headers.get('x-request-id'));

  const css = await request(t.url, 'GET', '/docs/static/swagger-ui.css');
  assert.equal(css.status, 200);
  assert.match(css.headers.get('content-type') ?? '', /^text\/css/);
  assert.ok(css.text.length > 10_000, 'the real stylesheet');

  const spec = await request<{ openapi: string; paths: Record<string, unknown> }>(
    t.url,
    'GET',
    '/docs/json',
  );
  assert.equal(spec.status, 200);
  assert.equal(spec.body.openapi, '3.1.0');
  assert.ok(spec.body.paths['/api/v1/jwt/login/'], 'the app’s own routes');
  // The whole document: the one /openapi.json serves.
  const openapi = await request(t.url, 'GET', '/openapi.json');
  assert.deepEqual([openapi.status, openapi.body], [200, spec.body]);

  const missing = await request(t.url, 'GET', '/docs/static/no-such-file.js');
  assert.deepEqual([missing.status, missing.body], [404, { detail: 'Not Found' }]);
});
