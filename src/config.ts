// The one place that reads the environment (style rule 3). Every variable is parsed once at
// start-up into a typed, frozen Config; all bad variables are reported together.
import { existsSync, readFileSync } from 'node:fs';
import { parse as parseDotenv } from 'dotenv';
import ipaddr from 'ipaddr.js';

function isCidr(value: string): boolean {
  try {
    ipaddr.parseCIDR(value);
    return true;
  } catch {
    return false;
  }
}

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
export type NodeEnv = 'development' | 'production' | 'test';

export interface Config {
  nodeEnv: NodeEnv;
  port: number;
  host: string;
  databaseUrl: string;
  databasePoolSize: number;
  jwt: {
    privateKeyPath: string;
    publicKeyPath: string;
    /** Public keys of retired signing keys: tokens they signed still verify until they expire. */
    retiredPublicKeyPaths: string[];
    issuer: string;
    audience: string;
    accessTokenTtl: number; // seconds
    refreshTokenTtl: number; // seconds: absolute lifetime of a login's refresh family
  };
  logLevel: LogLevel;
  logPretty: boolean;
  corsOrigins: string[];
  trustProxy: boolean | string;
  bodyLimit: number;
  rateLimit: {
    enabled: boolean;
    loginPerAccount: number;
    loginPerIp: number;
    loginWindowSeconds: number;
    registerPerIp: number;
    registerWindowSeconds: number;
    /** Routes that send account mails (verification resend, password recovery), per address. */
    accountMailPerIp: number;
    accountMailWindowSeconds: number;
    /** Issue 12 (S22): profile changes and verification resends, per user and per address. */
    profilePerUser: number;
    profilePerIp: number;
    profileWindowSeconds: number;
    /** Issue 12 (S22): applying and withdrawing, per user and per address. */
    applyPerUser: number;
    applyPerIp: number;
    applyWindowSeconds: number;
    /** Where counters live: redis is shared by every API process (R18); memory is one process's. */
    store: 'redis' | 'memory';
  };
  redis: { url: string; keyPrefix: string };
  /** API processes `npm start` runs (node:cluster); 1 = no primary process. */
  webConcurrency: number;
  amqpUrl: string;
  smtpUrl: string;
  mailFrom: string;
  /** The events pipeline (ADR 0009): one topic exchange every consumer binds its queue to. */
  events: {
    exchange: string;
  };
  mail: {
    queue: string;
    maxAttempts: number;
    retryBaseMs: number;
    prefetch: number;
    rateLimitPerSecond: number;
    /** Messages handled at once by one worker (each holds a database connection while sending). */
    concurrency: number;
    /** Pooled SMTP connections per worker. */
    smtpPoolSize: number;
    /** Most mails sharing one mail_deliveries transaction (group commit). */
    batchSize: number;
  };
  outbox: {
    /** The relay's poll when idle (ADR 0014: 10 ms while busy; commits wake it early). */
    pollMs: number;
    batchSize: number;
    /** First delay before re-publishing a row whose publish failed; doubles per attempt. */
    retryBaseMs: number;
    /** A publish without a broker confirm after this long counts as failed (R10). */
    publishTimeoutMs: number;
  };
  webhooks: {
    queue: string;
    /** Per-attempt timeout of a delivery (headers and the first KB of the body). */
    timeoutMs: number;
    /** Factor on the Standard Webhooks retry schedule (1 in production; tests use 0.001). */
    retryScale: number;
    /** Attempts of one delivery before it is dead (10: the whole Standard Webhooks schedule). */
    maxAttempts: number;
    allowHttp: boolean;
    /** CIDRs reachable although not public unicast (tests, development). */
    allowNetworks: string[];
    /** Seconds without a single success before a failing subscription is disabled. */
    disableAfter: number;
    /** Seconds the previous secret keeps signing after a rotation. */
    secretOverlap: number;
    prefetch: number;
    concurrency: number;
    /** Deliveries in flight at once to one subscription, per worker. */
    perSubscriptionConcurrency: number;
  };
  publicUrl: string;
  shutdownTimeoutMs: number;
  accountTokens: {
    emailVerificationTtl: number; // seconds
    passwordResetTtl: number; // seconds
  };
  /** Issue 12: a mentor gets at most one mail per applicant and project in this window. */
  mentorMailWindowSeconds: number;
  /** Browser sessions (issue 8): the refresh cookie carries `Secure` when true. */
  cookieSecure: boolean;
  /** The built web application served at `/` when this folder exists (relative: to the project root). */
  webDistDir: string;
  /** Created (or promoted) at start-up when all three are set; idempotent. */
  firstSuperuser: { username: string; email: string; password: string } | null;
  /** Apply pending migrations before the API starts (containers); otherwise refuse (R17). */
  migrateOnStart: boolean;
  /** Production accepts a plain-http PUBLIC_URL only with PUBLIC_URL_ALLOW_HTTP=true. */
  publicUrlAllowHttp: boolean;
  /** The worker's own /health, /health/ready and /metrics (port 0: any free port). */
  workerHealth: { host: string; port: number };
  /**
   * Development without DATABASE_URL / AMQP_URL / SMTP_URL: PGlite under `dataDir`, the
   * in-process transport (files under `dataDir/broker`, ADR 0021) and an in-process MailDev
   * (ADR 0015). Never in production, never in tests unless asked for.
   */
  embedded: {
    database: boolean;
    broker: boolean;
    smtp: boolean;
    dataDir: string;
    /** The in-process MailDev's SMTP and web ports. */
    smtpPort: number;
    mailWebPort: number;
  };
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

/** Reads `.env` (if present) under the real environment: real variables win. */
export function readEnv(processEnv: Env = process.env, dotenvPath = '.env'): Env {
  const fromFile = existsSync(dotenvPath) ? parseDotenv(readFileSync(dotenvPath)) : {};
  return { ...fromFile, ...processEnv };
}

export const DEV_PUBLIC_URL = 'http://127.0.0.1:8000';
export const DEV_MAIL_FROM = 'admin@site.com';

const DURATION = /^(\d+)\s*(ms|s|m|h|d)?$/;
const UNIT_SECONDS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400 };

class Reader {
  readonly problems: string[] = [];
  constructor(private readonly env: Env) {}

  /** Whether the variable is set to something (a default is then not in use). */
  isSet(name: string): boolean {
    return this.raw(name) !== undefined;
  }

  private raw(name: string): string | undefined {
    const v = this.env[name];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  }

  string(name: string, fallback: string): string {
    return this.raw(name) ?? fallback;
  }

  int(name: string, fallback: number, min: number, max: number): number {
    const v = this.raw(name);
    if (v === undefined) {
      return fallback;
    }
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) {
      this.problems.push(`${name} must be an integer from ${min} to ${max} (got "${v}")`);
      return fallback;
    }
    return n;
  }

  bool(name: string, fallback: boolean): boolean {
    const v = this.raw(name)?.toLowerCase();
    if (v === undefined) {
      return fallback;
    }
    if (['true', '1', 'yes', 'on'].includes(v)) {
      return true;
    }
    if (['false', '0', 'no', 'off'].includes(v)) {
      return false;
    }
    this.problems.push(`${name} must be true or false (got "${v}")`);
    return fallback;
  }

  /** A duration in seconds: "900", "15m", "30d". */
  duration(name: string, fallback: number): number {
    const v = this.raw(name);
    if (v === undefined) {
      return fallback;
    }
    const m = DURATION.exec(v);
    const seconds = m ? Number(m[1]) * (UNIT_SECONDS[m[2] ?? 's'] ?? 1) : NaN;
    if (!m || seconds < 1) {
      this.problems.push(`${name} must be a duration such as 900, 15m, 12h or 30d (got "${v}")`);
      return fallback;
    }
    return Math.floor(seconds);
  }

  oneOf<T extends string>(name: string, fallback: T, allowed: readonly T[]): T {
    const v = this.raw(name);
    if (v === undefined) {
      return fallback;
    }
    if (!(allowed as readonly string[]).includes(v)) {
      this.problems.push(`${name} must be one of ${allowed.join(', ')} (got "${v}")`);
      return fallback;
    }
    return v as T;
  }

  url(name: string, fallback: string, protocols: string[]): string {
    const v = this.raw(name) ?? fallback;
    try {
      const u = new URL(v);
      if (!protocols.includes(u.protocol)) {
        this.problems.push(`${name} must use ${protocols.join(' or ')} (got "${u.protocol}")`);
      }
    } catch {
      this.problems.push(`${name} must be a URL (got a value that does not parse)`);
    }
    return v;
  }

  number(name: string, fallback: number, min: number, max: number): number {
    const v = this.raw(name);
    if (v === undefined) {
      return fallback;
    }
    const n = Number(v);
    if (!Number.isFinite(n) || n < min || n > max) {
      this.problems.push(`${name} must be a number from ${min} to ${max} (got "${v}")`);
      return fallback;
    }
    return n;
  }

  list(name: string, fallback: string[]): string[] {
    const v = this.raw(name);
    if (v === undefined) {
      return fallback;
    }
    return v
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
  }
}

export function loadConfig(env: Env = readEnv()): Config {
  const r = new Reader(env);
  const nodeEnv = r.oneOf<NodeEnv>('NODE_ENV', 'development', [
    'development',
    'production',
    'test',
  ]);
  const trustProxyRaw = r.string('TRUST_PROXY', 'false');
  const config: Config = {
    nodeEnv,
    port: r.int('PORT', 8000, 0, 65535),
    host: r.string('HOST', '127.0.0.1'),
    databaseUrl: r.url('DATABASE_URL', 'postgres://postgres@127.0.0.1:5432/internships_dev', [
      'postgres:',
      'postgresql:',
    ]),
    databasePoolSize: r.int('DATABASE_POOL_SIZE', 10, 1, 200),
    jwt: {
      privateKeyPath: r.string('JWT_PRIVATE_KEY_PATH', 'certs/jwt-private.pem'),
      publicKeyPath: r.string('JWT_PUBLIC_KEY_PATH', 'certs/jwt-public.pem'),
      retiredPublicKeyPaths: r.list('JWT_RETIRED_PUBLIC_KEY_PATHS', []),
      issuer: r.string('JWT_ISSUER', 'internships-for-developers'),
      audience: r.string('JWT_AUDIENCE', 'internships-for-developers'),
      accessTokenTtl: r.duration('ACCESS_TOKEN_TTL', 15 * 60),
      refreshTokenTtl: r.duration('REFRESH_TOKEN_TTL', 30 * 86400),
    },
    logLevel: r.oneOf<LogLevel>('LOG_LEVEL', 'info', [
      'fatal',
      'error',
      'warn',
      'info',
      'debug',
      'trace',
      'silent',
    ]),
    logPretty: r.bool('LOG_PRETTY', false),
    corsOrigins: r.list('CORS_ORIGINS', []),
    trustProxy: trustProxyRaw === 'true' ? true : trustProxyRaw === 'false' ? false : trustProxyRaw,
    bodyLimit: r.int('BODY_LIMIT', 64 * 1024, 1024, 10 * 1024 * 1024),
    rateLimit: {
      enabled: r.bool('RATE_LIMIT_ENABLED', true),
      loginPerAccount: r.int('LOGIN_RATE_PER_ACCOUNT', 10, 1, 1_000_000),
      loginPerIp: r.int('LOGIN_RATE_PER_IP', 30, 1, 1_000_000),
      loginWindowSeconds: r.duration('LOGIN_RATE_WINDOW', 15 * 60),
      registerPerIp: r.int('REGISTER_RATE_PER_IP', 20, 1, 1_000_000),
      registerWindowSeconds: r.duration('REGISTER_RATE_WINDOW', 60 * 60),
      accountMailPerIp: r.int('ACCOUNT_MAIL_RATE_PER_IP', 5, 1, 1_000_000),
      accountMailWindowSeconds: r.duration('ACCOUNT_MAIL_RATE_WINDOW', 15 * 60),
      profilePerUser: r.int('PROFILE_RATE_PER_USER', 10, 1, 1_000_000),
      profilePerIp: r.int('PROFILE_RATE_PER_IP', 30, 1, 1_000_000),
      profileWindowSeconds: r.duration('PROFILE_RATE_WINDOW', 15 * 60),
      applyPerUser: r.int('APPLY_RATE_PER_USER', 20, 1, 1_000_000),
      applyPerIp: r.int('APPLY_RATE_PER_IP', 60, 1, 1_000_000),
      applyWindowSeconds: r.duration('APPLY_RATE_WINDOW', 60 * 60),
      store: r.oneOf('RATE_LIMIT_STORE', nodeEnv === 'production' ? 'redis' : 'memory', [
        'redis',
        'memory',
      ]),
    },
    redis: {
      url: r.url('REDIS_URL', 'redis://127.0.0.1:6379', ['redis:', 'rediss:']),
      keyPrefix: r.string('REDIS_KEY_PREFIX', 'ifd'),
    },
    webConcurrency: r.int('WEB_CONCURRENCY', 1, 1, 64),
    amqpUrl: r.url('AMQP_URL', 'amqp://guest:guest@127.0.0.1:5672', ['amqp:', 'amqps:']),
    smtpUrl: r.url('SMTP_URL', 'smtp://127.0.0.1:1025', ['smtp:', 'smtps:']),
    mailFrom: r.string('MAIL_FROM', DEV_MAIL_FROM),
    events: {
      // MAIL_EXCHANGE: the name this exchange had while mail was its only consumer.
      exchange: r.string('EVENTS_EXCHANGE', r.string('MAIL_EXCHANGE', 'ifd.events')),
    },
    mail: {
      queue: r.string('MAIL_QUEUE', 'ifd.mail'),
      maxAttempts: r.int('MAIL_MAX_ATTEMPTS', 8, 1, 100),
      retryBaseMs: r.int('MAIL_RETRY_BASE_MS', 1000, 10, 3_600_000),
      prefetch: r.int('MAIL_PREFETCH', 50, 1, 10_000),
      rateLimitPerSecond: r.int('MAIL_RATE_PER_SECOND', 1000, 1, 100_000),
      concurrency: r.int('MAIL_CONCURRENCY', 16, 1, 1000),
      smtpPoolSize: r.int('SMTP_POOL_SIZE', 5, 1, 100),
      batchSize: r.int('MAIL_BATCH_SIZE', 50, 1, 1000),
    },
    outbox: {
      pollMs: r.int('OUTBOX_POLL_MS', 1000, 10, 600_000),
      batchSize: r.int('OUTBOX_BATCH_SIZE', 200, 1, 10_000),
      retryBaseMs: r.int('OUTBOX_RETRY_BASE_MS', 1000, 10, 3_600_000),
      publishTimeoutMs: r.int('OUTBOX_PUBLISH_TIMEOUT_MS', 5000, 100, 600_000),
    },
    webhooks: {
      queue: r.string('WEBHOOK_QUEUE', 'ifd.webhooks'),
      timeoutMs: r.int('WEBHOOK_TIMEOUT_MS', 15_000, 100, 300_000),
      retryScale: r.number('WEBHOOK_RETRY_SCALE', 1, 0.0001, 100),
      maxAttempts: r.int('WEBHOOK_MAX_ATTEMPTS', 10, 1, 10),
      allowHttp: r.bool('WEBHOOK_ALLOW_HTTP', false),
      allowNetworks: r.list('WEBHOOK_ALLOW_NETWORKS', []),
      disableAfter: r.duration('WEBHOOK_DISABLE_AFTER', 5 * 86400),
      secretOverlap: r.duration('WEBHOOK_SECRET_OVERLAP', 24 * 3600),
      prefetch: r.int('WEBHOOK_PREFETCH', 200, 1, 10_000),
      concurrency: r.int('WEBHOOK_CONCURRENCY', 100, 1, 5000),
      perSubscriptionConcurrency: r.int('WEBHOOK_PER_SUBSCRIPTION_CONCURRENCY', 10, 1, 1000),
    },
    // Normalised once, here: no trailing slash, so every link is `${publicUrl}/path`.
    publicUrl: r.url('PUBLIC_URL', DEV_PUBLIC_URL, ['http:', 'https:']).replace(/\/+$/, ''),
    shutdownTimeoutMs: r.int('SHUTDOWN_TIMEOUT_MS', 10_000, 100, 600_000),
    accountTokens: {
      emailVerificationTtl: r.duration('EMAIL_VERIFICATION_TTL', 24 * 3600),
      passwordResetTtl: r.duration('PASSWORD_RESET_TTL', 3600),
    },
    mentorMailWindowSeconds: r.duration('MENTOR_MAIL_WINDOW_SECONDS', 24 * 3600),
    cookieSecure: r.bool('COOKIE_SECURE', nodeEnv === 'production'),
    webDistDir: r.string('WEB_DIST_DIR', 'dist/web'),
    firstSuperuser: null,
    migrateOnStart: r.bool('MIGRATE_ON_START', false),
    publicUrlAllowHttp: r.bool('PUBLIC_URL_ALLOW_HTTP', false),
    workerHealth: {
      host: r.string('WORKER_HEALTH_HOST', r.string('HOST', '127.0.0.1')),
      // Tests run many workers side by side: any free port unless one is asked for.
      port: r.int('WORKER_HEALTH_PORT', nodeEnv === 'test' ? 0 : 8001, 0, 65535),
    },
    embedded: {
      database: nodeEnv === 'development' && !r.isSet('DATABASE_URL'),
      broker: nodeEnv === 'development' && !r.isSet('AMQP_URL'),
      smtp: nodeEnv === 'development' && !r.isSet('SMTP_URL'),
      dataDir: r.string('DATA_DIR', '.data'),
      smtpPort: r.int('EMBEDDED_SMTP_PORT', 1025, 1, 65535),
      mailWebPort: r.int('EMBEDDED_MAIL_WEB_PORT', 1080, 1, 65535),
    },
  };
  const su = {
    username: r.string('FIRST_SUPERUSER_USERNAME', ''),
    email: r.string('FIRST_SUPERUSER_EMAIL', ''),
    password: env.FIRST_SUPERUSER_PASSWORD ?? '', // as typed: passwords are never trimmed (S2)
  };
  const suSet = [su.username, su.email, su.password].filter((v) => v !== '').length;
  if (suSet === 3) {
    config.firstSuperuser = su;
  } else if (suSet > 0) {
    r.problems.push(
      'FIRST_SUPERUSER_USERNAME, FIRST_SUPERUSER_EMAIL and FIRST_SUPERUSER_PASSWORD must be set together',
    );
  }
  for (const cidr of config.webhooks.allowNetworks) {
    if (!isCidr(cidr)) {
      r.problems.push(`WEBHOOK_ALLOW_NETWORKS: "${cidr}" is not a CIDR such as 127.0.0.1/32`);
    }
  }
  if (config.jwt.accessTokenTtl >= config.jwt.refreshTokenTtl) {
    r.problems.push('ACCESS_TOKEN_TTL must be shorter than REFRESH_TOKEN_TTL');
  }
  if (nodeEnv === 'production') {
    r.problems.push(...productionProblems(config, r));
  }
  if (r.problems.length > 0) {
    throw new ConfigError(r.problems);
  }
  return Object.freeze(config);
}

/**
 * R17: production refuses the states that lose data or let people in, all listed at once
 * (ADR 0016). Each service must be named: in production a missing URL is never read as
 * "use the development default" nor as "embed it".
 */
function productionProblems(config: Config, r: Reader): string[] {
  const problems: string[] = [];
  for (const name of ['DATABASE_URL', 'AMQP_URL', 'SMTP_URL']) {
    if (!r.isSet(name)) {
      problems.push(`${name} must be set in production (no embedded or default service)`);
    }
  }
  if (!config.rateLimit.enabled) {
    problems.push('RATE_LIMIT_ENABLED=false switches throttling off: refused in production');
  }
  if (!r.isSet('PUBLIC_URL') || config.publicUrl === DEV_PUBLIC_URL) {
    problems.push(
      `PUBLIC_URL must be the public address of the service (${DEV_PUBLIC_URL} is the development default)`,
    );
  } else if (config.publicUrl.startsWith('http:') && !config.publicUrlAllowHttp) {
    problems.push(
      'PUBLIC_URL must use https in production (set PUBLIC_URL_ALLOW_HTTP=true to allow plain http)',
    );
  }
  if (!r.isSet('MAIL_FROM') || config.mailFrom.toLowerCase() === DEV_MAIL_FROM) {
    problems.push(
      `MAIL_FROM must be an address of your own domain (${DEV_MAIL_FROM} is the development default)`,
    );
  }
  return problems;
}
