import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { DestinationStream } from 'pino';
import Fastify, { type FastifyInstance } from 'fastify';
import cors from '@fastify/cors';
import { SerializerSelector, type SerializerFactory } from '@fastify/fast-json-stringify-compiler';
import type { Config } from './config.js';
import { createDatabase, type Database } from './db/client.js';
import type { RateLimitStore } from './lib/rate-limiter.js';
import { createRateLimitStore } from './lib/redis-rate-limit-store.js';
import errorsPlugin from './plugins/errors.js';
import { securityHeaderSets, securityHeadersFor } from './plugins/security-headers.js';
import { parseQueryString } from './lib/input-rules.js';
import { lazyChildLogger } from './lib/lazy-logger.js';
import { prettyTransport, REDACT } from './lib/logger.js';
import hardeningPlugin, { hardenedServerOptions, safeSerializers } from './plugins/hardening.js';
import metricsPlugin from './plugins/metrics.js';
import { rateLimitGuard } from './plugins/rate-limit.js';
import { OneLineRequestLog } from './plugins/request-log.js';
import swaggerPlugin from './plugins/swagger.js';
import webPlugin from './plugins/web.js';
import { authGuards } from './plugins/auth.js';
import { AuthService } from './modules/auth/auth.service.js';
import authRoutes from './modules/auth/auth.routes.js';
import browserSessionRoutes from './modules/auth/browser-session.routes.js';
import sessionsRoutes from './modules/auth/sessions.routes.js';
import { SessionsService } from './modules/auth/sessions.service.js';
import { loadSigningKeys } from './modules/auth/keys.js';
import { TokenService } from './modules/auth/tokens.js';
import { brokerCheck, embeddedBrokerCheck } from './modules/health/broker-check.js';
import healthRoutes from './modules/health/health.routes.js';
import usersRoutes from './modules/users/users.routes.js';
import { watchOutboxCommits } from './modules/outbox/outbox.signal.js';
import applicationsRoutes from './modules/projects/applications.routes.js';
import { ApplicationsService } from './modules/projects/applications.service.js';
import projectsRoutes from './modules/projects/projects.routes.js';
import { ProjectsService } from './modules/projects/projects.service.js';
import { UsersService } from './modules/users/users.service.js';
import { AccountMailer } from './modules/users/account-mail.js';
import { AccountService } from './modules/users/account.service.js';
import { UsersAdminService } from './modules/users/users.admin.service.js';
import { SsrfGuard } from './modules/webhooks/ssrf.js';
import webhooksRoutes from './modules/webhooks/webhooks.routes.js';
import { WebhooksService } from './modules/webhooks/webhooks.service.js';

export interface AppDeps {
  /** Share a database handle (tests); otherwise one is created from config and closed with the app. */
  database?: Database;
  /** Where logs go (tests capture them to check redaction, S14). */
  logStream?: DestinationStream;
  rateLimitStore?: RateLimitStore;
  /**
   * Only for the benchmark's comparison apps (P9), never set from the environment. false: no
   * security headers, request-id header, in-flight tracking or logging. 'security-headers':
   * the same with the security headers alone, the floor of what keeping them costs.
   */
  productionPlugins?: boolean | 'security-headers';
}

/**
 * Compiled serializers (fast-json-stringify) only for success responses, where the schema
 * also filters fields (no hash can leak, S11). Error bodies are built by the error handler
 * from fixed sentences and go through JSON.stringify: compiling one serializer per error
 * status per route doubled start-up time (P7). Each one is compiled on its first response,
 * not while the app starts (ADR 0028): most processes never answer most routes.
 */
const successOnlySerializers: SerializerFactory = (externalSchemas, options) => {
  const fast = SerializerSelector()(externalSchemas, options);
  return (route) => {
    if (Number(route.httpStatus) >= 400) {
      return (data: unknown) => JSON.stringify(data);
    }
    let compiled: ((data: unknown) => string) | undefined;
    return (data: unknown) => (compiled ??= fast(route))(data);
  };
};

/** The composition root: infrastructure plugins, then services, then routes (style rule 1). */
export async function buildApp(config: Config, deps: AppDeps = {}): Promise<FastifyInstance> {
  const full = deps.productionPlugins === undefined || deps.productionPlugins === true;
  const app = Fastify({
    logController: new OneLineRequestLog(),
    childLoggerFactory: lazyChildLogger,
    logger: {
      level: full ? config.logLevel : 'silent',
      redact: REDACT,
      serializers: safeSerializers,
      ...(deps.logStream ? { stream: deps.logStream } : prettyTransport(config.logPretty)),
    },
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && /^[\w.-]{1,64}$/.test(given) ? given : randomUUID();
    },
    requestIdHeader: false,
    trustProxy: config.trustProxy,
    bodyLimit: config.bodyLimit,
    routerOptions: {
      ignoreTrailingSlash: true,
      maxParamLength: 200,
      querystringParser: parseQueryString,
    },
    // Validators (no coercion of JSON bodies), body parsers, 405s, framework errors: R14.
    ...hardenedServerOptions,
    // A request that reaches a closing process is answered normally, with Connection: close
    // (Fastify adds it while closing): under a rolling restart the request on a connection
    // handed over just before listening stopped must not get a 503 (ADR 0027).
    return503OnClosing: false,
    schemaController: { compilersFactory: { buildSerializer: successOnlySerializers } },
  });

  // --- infrastructure
  const database =
    deps.database ??
    createDatabase(config.databaseUrl, config.databasePoolSize, (err) =>
      app.log.warn({ err }, 'idle database client error'),
    );
  // ADR 0014: relays hear of this process's outbox commits after each commit (in-process, and
  // by NOTIFY for other processes; the embedded mode's relay is in this process).
  const outboxWatch = watchOutboxCommits(database.pool, { notify: !config.embedded.database });
  // R13: close() stops accepting; requests already in flight finish before the pool closes.
  // One callback-style onRequest hook does every per-request job of the production plugins
  // (request-id header, security headers, in-flight tracking): every hook and every promise is
  // paid by every request (P9, ADR 0028). A response leaves the in-flight count when it
  // closes, answered or aborted: one listener without a closure, instead of an onResponse and
  // an onRequestAbort hook (the latter cost every request a 'close' listener of its own
  // anyway). A count, not a set of responses: adding an object to a Set gives it an identity
  // hash, which cost /health about 3% of its CPU (docs/benchmarks.md, 2026-12-01 19:36).
  let inFlight = 0;
  // A client that went away after sending its whole request closes the response while its
  // handler still runs (a sign-in hashing): the handler has finished once it has ended the
  // response, written or not (ADR 0027). Those few wait here; each later close sweeps the
  // ended ones, so the set holds only handlers still running.
  const abandoned = new Set<ServerResponse>();
  function settled(this: ServerResponse) {
    inFlight -= 1;
    if (!this.writableEnded) {
      abandoned.add(this);
    }
    if (abandoned.size === 0) {
      return;
    }
    for (const res of abandoned) {
      if (res.writableEnded) {
        abandoned.delete(res);
      }
    }
  }
  const headers = securityHeaderSets(config.publicUrl);
  if (full) {
    app.addHook('onRequest', (request, reply, done) => {
      reply.header('x-request-id', request.id);
      reply.headers(securityHeadersFor(headers, request.url));
      inFlight += 1;
      reply.raw.on('close', settled);
      done();
    });
  } else if (deps.productionPlugins === 'security-headers') {
    app.addHook('onRequest', (request, reply, done) => {
      reply.headers(securityHeadersFor(headers, request.url));
      done();
    });
  }
  const rateStore =
    deps.rateLimitStore ??
    createRateLimitStore(config, (err) =>
      app.log.warn({ err }, 'rate-limit store (Redis) unavailable'),
    );
  app.addHook('onClose', async () => {
    const deadline = Date.now() + config.shutdownTimeoutMs;
    const handling = () => inFlight > 0 || [...abandoned].some((res) => !res.writableEnded);
    while (handling() && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 10));
    }
    outboxWatch.stop();
    if (!deps.database) {
      await database.close();
    }
    if (!deps.rateLimitStore) {
      await rateStore.close();
    }
  });
  await app.register(errorsPlugin);
  await app.register(metricsPlugin, { pool: database.pool });
  await app.register(cors, {
    origin: config.corsOrigins.length > 0 ? config.corsOrigins : false,
    credentials: false,
    methods: ['GET', 'POST', 'PATCH', 'DELETE'],
  });
  // JSON and the OAuth2 form only, valid UTF-8, each route only the types it declares.
  await app.register(hardeningPlugin, { bodyLimit: config.bodyLimit });
  await app.register(swaggerPlugin);

  // --- services
  const keys = await loadSigningKeys(
    config.jwt.privateKeyPath,
    config.jwt.publicKeyPath,
    config.jwt.retiredPublicKeyPaths,
  );
  const tokens = new TokenService(keys, config.jwt);
  const auth = new AuthService(database.db, tokens, rateStore, {
    enabled: config.rateLimit.enabled,
    perAccount: config.rateLimit.loginPerAccount,
    perIp: config.rateLimit.loginPerIp,
    windowSeconds: config.rateLimit.loginWindowSeconds,
  });
  const accountMailer = new AccountMailer({
    publicUrl: config.publicUrl,
    emailVerificationTtl: config.accountTokens.emailVerificationTtl,
    passwordResetTtl: config.accountTokens.passwordResetTtl,
  });
  const users = new UsersService(database.db, accountMailer);
  const account = new AccountService(
    database.db,
    accountMailer,
    auth,
    rateStore,
    {
      enabled: config.rateLimit.enabled,
      perAddress: config.rateLimit.accountMailPerIp,
      windowSeconds: config.rateLimit.accountMailWindowSeconds,
    },
    auth.passwordThrottle,
    {
      enabled: config.rateLimit.enabled,
      perUser: config.rateLimit.profilePerUser,
      perIp: config.rateLimit.profilePerIp,
      windowSeconds: config.rateLimit.profileWindowSeconds,
    },
  );
  const usersAdmin = new UsersAdminService(database.db, accountMailer);
  if (config.firstSuperuser) {
    await users.bootstrapSuperuser(config.firstSuperuser, app.log);
  }

  const projects = new ProjectsService(database.db);
  const applications = new ApplicationsService(database.db, {
    store: rateStore,
    actions: {
      enabled: config.rateLimit.enabled,
      perUser: config.rateLimit.applyPerUser,
      perIp: config.rateLimit.applyPerIp,
      windowSeconds: config.rateLimit.applyWindowSeconds,
    },
    mentorMailWindowSeconds: config.mentorMailWindowSeconds,
  });

  // --- routes
  const rl = config.rateLimit;
  await app.register(healthRoutes, {
    pool: database.pool,
    broker: config.embedded.broker ? embeddedBrokerCheck : brokerCheck(config.amqpUrl),
    rateLimitStore: rateStore,
  });
  await app.register(authRoutes, { auth, tokens });
  await app.register(browserSessionRoutes, {
    auth,
    publicUrl: config.publicUrl,
    corsOrigins: config.corsOrigins,
    secure: config.cookieSecure,
  });
  await app.register(usersRoutes, {
    users,
    auth,
    registerLimit: rateLimitGuard(
      rateStore,
      'register',
      rl.registerPerIp,
      rl.registerWindowSeconds,
      rl.enabled,
    ),
    account,
    admin: usersAdmin,
    accountMailLimit: (name: string) =>
      rateLimitGuard(rateStore, name, rl.accountMailPerIp, rl.accountMailWindowSeconds, rl.enabled),
  });
  const guards = authGuards(auth);
  await app.register(sessionsRoutes, {
    sessions: new SessionsService(database.db, auth.sessionStates),
    guards,
  });
  await app.register(projectsRoutes, { projects, guards });
  await app.register(applicationsRoutes, { applications, guards });
  const webhooks = new WebhooksService(database.db, new SsrfGuard(config.webhooks), {
    secretOverlapSeconds: config.webhooks.secretOverlap,
  });
  await app.register(webhooksRoutes, { webhooks, guards });
  // Last: the application's client routes answer only what no API route claimed.
  await app.register(webPlugin, { distDir: config.webDistDir });
  return app;
}
