import cluster from 'node:cluster';
import type { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.js';
import { ConfigError, loadConfig } from './config.js';
import { refuseEmbedded } from './embedded/refuse.js';
import { ensureSchema } from './db/schema-version.js';
import { closeOnSignals } from './lib/shutdown.js';
import { HANDOFFS_DONE, LISTENING_CLOSED } from './lib/cluster-messages.js';

// Entry point: load config → build app → listen; SIGTERM/SIGINT close gracefully (R13).
async function main(): Promise<void> {
  const started = performance.now();
  const config = loadConfig();
  refuseEmbedded(config, 'the API');
  await ensureSchema(config.databaseUrl, config.migrateOnStart); // R17: never on an old schema
  const app = await buildApp(config);
  drainOnClose(app, Math.min(KEEP_ALIVE_GRACE_MS, config.shutdownTimeoutMs / 4));
  await app.listen({ port: config.port, host: config.host });
  app.log.info({ ms: Math.round(performance.now() - started) }, 'ready');

  closeOnSignals({
    log: app.log,
    what: 'finishing in-flight requests',
    timeoutMs: config.shutdownTimeoutMs,
    close: async () => {
      await app.close();
      if (cluster.isWorker) {
        await primaryStoppedHandingOver();
      }
    },
  });
}

/**
 * How long a stopping process keeps serving before it stops listening, while connections
 * are open: a keep-alive client sends its next request, is answered with Connection: close
 * and moves to a new connection instead of having its idle connection closed under it.
 */
const KEEP_ALIVE_GRACE_MS = 1000;
/** After listening stops, a connection that has not sent a byte for this long is closed. */
const SILENT_CONNECTION_MS = 1000;

/**
 * ADR 0027: what app.close() does to connections. Once Fastify is closing, every response
 * says Connection: close (return503OnClosing is off in app.ts: a request that reached us is
 * answered normally). This preClose hook runs before Fastify's server.close(): it keeps
 * listening for the grace while connections are open, then lets server.close() stop
 * listening (node:cluster's primary then hands new connections to the other workers) and
 * close the connections idle after a response. Node's closeIdleConnections() leaves
 * connections that never sent a request alone — right for one the primary handed over just
 * before listening stopped, whose request is on its way — so those that stay silent are
 * closed here after SILENT_CONNECTION_MS, or server.close() would wait for the client.
 */
function drainOnClose(app: FastifyInstance, graceMs: number): void {
  const sockets = new Set<Socket>();
  app.server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  app.addHook('preClose', async () => {
    const until = Date.now() + graceMs;
    while (sockets.size > 0 && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 20));
    }
    // Connections whose in-flight response went out before closing began go idle without
    // Connection: close: close them as they go idle.
    setInterval(() => app.server.closeIdleConnections(), 50).unref();
    setTimeout(() => {
      for (const socket of sockets) {
        if (socket.bytesRead === 0) {
          socket.destroy();
        }
      }
    }, SILENT_CONNECTION_MS).unref();
  });
}

/**
 * A worker's server.close() tells the primary (asynchronously) to stop handing it
 * connections; one the primary sent before it heard that is still on its way, and exiting
 * now would lose it (the client waits forever). Messages on the IPC channel keep their
 * order both ways, so once the primary answers this message, every hand-off it sent
 * before has reached us — and was refused (listening is closed), so the primary gave it to
 * another worker. Bounded: a primary that never answers costs a second.
 */
function primaryStoppedHandingOver(): Promise<void> {
  return new Promise((resolve) => {
    const finish = () => {
      clearTimeout(timer);
      process.off('message', onMessage);
      resolve();
    };
    const onMessage = (msg: unknown) => {
      if ((msg as { ifd?: string } | null)?.ifd === HANDOFFS_DONE) {
        finish();
      }
    };
    const timer = setTimeout(finish, 1000);
    process.on('message', onMessage);
    process.send?.({ ifd: LISTENING_CLOSED });
  });
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError) {
    console.error(err.message);
  } else {
    console.error('Failed to start:', err instanceof Error ? err.message : err);
  }
  process.exit(1);
});
