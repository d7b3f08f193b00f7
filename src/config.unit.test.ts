import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, loadConfig } from './config.js';

test('defaults match the documented ones', () => {
  const c = loadConfig({});
  assert.equal(c.port, 8000);
  assert.equal(c.host, '127.0.0.1');
  assert.equal(c.jwt.privateKeyPath, 'certs/jwt-private.pem');
  assert.equal(c.jwt.publicKeyPath, 'certs/jwt-public.pem');
  assert.equal(c.jwt.accessTokenTtl, 900);
  assert.equal(c.jwt.refreshTokenTtl, 30 * 86400);
  assert.equal(c.rateLimit.enabled, true);
  assert.equal(c.mailFrom, 'admin@site.com');
  assert.deepEqual(c.corsOrigins, []);
});

test('durations, lists and booleans are parsed', () => {
  const c = loadConfig({
    ACCESS_TOKEN_TTL: '5m',
    REFRESH_TOKEN_TTL: '7d',
    CORS_ORIGINS: 'https://a.test, https://b.test',
    RATE_LIMIT_ENABLED: 'false',
  });
  assert.equal(c.jwt.accessTokenTtl, 300);
  assert.equal(c.jwt.refreshTokenTtl, 7 * 86400);
  assert.deepEqual(c.corsOrigins, ['https://a.test', 'https://b.test']);
  assert.equal(c.rateLimit.enabled, false);
});

test('every bad variable is reported at once', () => {
  try {
    loadConfig({
      PORT: 'eighty',
      DATABASE_URL: 'mysql://x',
      LOG_LEVEL: 'loud',
      ACCESS_TOKEN_TTL: 'soon',
      RATE_LIMIT_ENABLED: 'maybe',
    });
    assert.fail('should have thrown');
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    assert.equal(err.problems.length, 5, err.message);
    for (const name of [
      'PORT',
      'DATABASE_URL',
      'LOG_LEVEL',
      'ACCESS_TOKEN_TTL',
      'RATE_LIMIT_ENABLED',
    ]) {
      assert.ok(err.message.includes(name), name);
    }
  }
});

test('the config is frozen', () => {
  const c = loadConfig({});
  assert.throws(() => {
    (c as { port: number }).port = 1;
  });
});

/** A production configuration that passes every R17 refusal. */
const PRODUCTION = {
  NODE_ENV: 'production',
  DATABASE_URL: 'postgres://u@db:5432/x',
  AMQP_URL: 'amqp://u:p@mq:5672',
  SMTP_URL: 'smtp://mx:25',
  PUBLIC_URL: 'https://internships.example.com',
  MAIL_FROM: 'noreply@internships.example.com',
};

test('issue 8: the refresh cookie is Secure by default in production only; WEB_DIST_DIR', () => {
  assert.equal(loadConfig(PRODUCTION).cookieSecure, true);
  assert.equal(loadConfig({ NODE_ENV: 'development' }).cookieSecure, false);
  assert.equal(loadConfig({ NODE_ENV: 'test' }).cookieSecure, false);
  assert.equal(loadConfig({ NODE_ENV: 'development', COOKIE_SECURE: 'true' }).cookieSecure, true);
  assert.equal(loadConfig({}).webDistDir, 'dist/web');
  assert.equal(loadConfig({ WEB_DIST_DIR: '/srv/web' }).webDistDir, '/srv/web');
  assert.throws(
    () => loadConfig({ COOKIE_SECURE: 'maybe' }),
    /COOKIE_SECURE must be true or false/,
  );
});

test('development without DATABASE_URL, AMQP_URL or SMTP_URL embeds them; tests and production never do (ADR 0015, 0021)', () => {
  const dev = loadConfig({});
  assert.deepEqual(
    [dev.embedded.database, dev.embedded.broker, dev.embedded.smtp, dev.embedded.dataDir],
    [true, true, true, '.data'],
  );
  const real = loadConfig({
    DATABASE_URL: 'postgres://u@db:5432/x',
    AMQP_URL: 'amqp://u:p@mq:5672',
    SMTP_URL: 'smtp://mx:25',
  });
  assert.deepEqual(
    [real.embedded.database, real.embedded.broker, real.embedded.smtp],
    [false, false, false],
  );
  const t = loadConfig({ NODE_ENV: 'test' });
  assert.deepEqual(
    [t.embedded.database, t.embedded.broker, t.embedded.smtp],
    [false, false, false],
  );
  assert.equal(t.workerHealth.port, 0, 'tests: any free port');
  assert.equal(dev.workerHealth.port, 8001);
});

test('R17 production: a complete configuration loads; each unsafe setting is refused, all at once', () => {
  const ok = {
    NODE_ENV: 'production',
    DATABASE_URL: 'postgres://u@db:5432/x',
    AMQP_URL: 'amqp://u:p@mq:5672',
    SMTP_URL: 'smtp://mx:25',
    PUBLIC_URL: 'https://internships.example.com',
    MAIL_FROM: 'noreply@internships.example.com',
  };
  assert.equal(loadConfig(ok).embedded.database, false);
  assert.equal(loadConfig(ok).embedded.broker, false, 'production never embeds the transport');
  try {
    loadConfig({ NODE_ENV: 'production', RATE_LIMIT_ENABLED: 'false' });
    assert.fail('should have thrown');
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    assert.equal(err.problems.length, 6, err.message);
  }
});

test('PUBLIC_URL is normalised once: no trailing slash, so links are `${publicUrl}/path`', () => {
  assert.equal(
    loadConfig({ PUBLIC_URL: 'https://app.example.test//' }).publicUrl,
    'https://app.example.test',
  );
  assert.equal(
    loadConfig({ PUBLIC_URL: 'https://app.example.test/base/' }).publicUrl,
    'https://app.example.test/base',
  );
  assert.equal(loadConfig({}).publicUrl, 'http://127.0.0.1:8000');
});
