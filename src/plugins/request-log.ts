import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';

/**
 * One access-log line per request instead of Fastify's two ("incoming request" and
 * "request completed"): the completed line carries the request too (P9: half the log
 * writes). Errors and everything else keep Fastify's own lines.
 */
function isProbe(url: string): boolean {
  return url === '/health' || url.startsWith('/health/') || url.startsWith('/health?');
}

export class OneLineRequestLog extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(
    error: Error | null | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
  ): void {
    if (isProbe(request.url)) {
      // Health probes at debug, so a load balancer's polling does not fill the log. The app's
      // logger, not the request's: the probe routes' own level (warn) would hide the line.
      request.server.log.debug(
        { reqId: request.id, req: request, res: reply, responseTime: reply.elapsedTime },
        'probe completed',
      );
      return;
    }
    if (error) {
      reply.log.error(
        { req: request, res: reply, err: error, responseTime: reply.elapsedTime },
        'request errored',
      );
    } else {
      reply.log.info(
        { req: request, res: reply, responseTime: reply.elapsedTime },
        'request completed',
      );
    }
  }
}
