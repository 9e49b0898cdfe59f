/**
 * A ready fastify server around {@link flowspecRest}: pino logging (keys
 * redacted, requests logged at debug), the JSON:API 404 for unknown routes,
 * and a 503 for requests that arrive while it closes.
 */
import Fastify, { LogController } from 'fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { pino } from 'pino';
import type { Logger } from 'pino';
import { contentTypeForUrl } from './context.js';
import { toRestError } from './errors.js';
import { DEFAULT_BODY_LIMIT, flowspecRest, routeNotFound, SECRET_HEADERS, sendRestError } from './plugin.js';
import type { FlowspecRestOptions } from './plugin.js';

/** Options of {@link createServer}. */
export interface ServerOptions extends FlowspecRestOptions {
  /** The pino logger to use. @default createLogger(logLevel) */
  readonly logger?: Logger;
  /** pino level of the default logger. @default 'info' */
  readonly logLevel?: string;
}

/**
 * A pino logger for the server. Key headers are redacted wherever they could
 * appear; the server never logs request headers in the first place.
 */
export function createLogger(level = 'info', destination?: pino.DestinationStream): Logger {
  const paths = SECRET_HEADERS.flatMap((h) => [`req.headers["${h}"]`, `headers["${h}"]`, `request.headers["${h}"]`]);
  const options = { level, redact: { paths, censor: '[redacted]' } };
  return destination ? pino(options, destination) : pino(options);
}

/**
 * Requests are logged at debug, one line when answered: a line per request at
 * info costs more than serving it at thousands per second. Failures (5xx) are
 * logged at error by the error handlers. LOG_LEVEL=debug shows every request.
 */
class RequestLog extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (error) {
      reply.log.error({ err: error, method: request.method, url: request.url }, 'request errored');
    } else if ((reply.log as Logger).isLevelEnabled('debug')) {
      reply.log.debug(
        { method: request.method, url: request.url, status: reply.statusCode, ms: reply.elapsedTime },
        'request completed',
      );
    }
  }
}

/**
 * Build the server (not yet listening). Call `listen({ port, host })` on it,
 * and `close()` to stop accepting requests and let running ones finish.
 */
export async function createServer(options: ServerOptions): Promise<FastifyInstance> {
  const logger = options.logger ?? createLogger(options.logLevel ?? 'info');
  const bodyLimit = options.bodyLimit ?? DEFAULT_BODY_LIMIT;
  const app = Fastify({
    loggerInstance: logger,
    logController: new RequestLog(),
    bodyLimit,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    routerOptions: { ignoreTrailingSlash: true },
  }) as unknown as FastifyInstance;

  app.setNotFoundHandler((request, reply) =>
    sendRestError(reply, routeNotFound(request.method, request.url), contentTypeForUrl(request.url)),
  );
  app.setErrorHandler((error, request, reply) => {
    const restError = toRestError(error);
    if (restError.statusCode >= 500) request.log.error({ err: error }, 'request failed');
    return sendRestError(reply, restError, contentTypeForUrl(request.url));
  });
  // Only the plugin's own options: fastify reads `logLevel`/`prefix` of register options itself.
  await app.register(flowspecRest, {
    engine: options.engine,
    keys: options.keys,
    bodyLimit,
  });
  return app;
}
