/**
 * The fastify plugin: every route of REST.md over one engine. It receives an
 * Engine and never builds a store (STYLE.md layout). Everything it sets up
 * (JSON parsing, auth, errors, the OpenAPI generator) stays inside its own
 * encapsulation context, so an embedding application's other routes are not
 * affected.
 */
import swagger from '@fastify/swagger';
import type { Engine } from '@flowspec/engine';
import type { FastifyError, FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { createKeyring, forbiddenKeys, KeyHeaders, missingScope, presentedKeys } from './auth.js';
import type { ApiKeyEntry, Keyring } from './auth.js';
import { contentTypeForUrl, contentTypes, RestContext } from './context.js';
import type { RouteSettings } from './context.js';
import { RestError, toRestError } from './errors.js';
import { registerDomoRoutes } from './routes/domo.js';
import { registerInstanceRoutes } from './routes/instances.js';
import { registerServiceRoutes } from './routes/service.js';
import { registerWorkflowRoutes } from './routes/workflows.js';

/** The default request body limit: 5 MiB. */
export const DEFAULT_BODY_LIMIT = 5 * 1024 * 1024;

/** Options of {@link flowspecRest}. */
export interface FlowspecRestOptions {
  /** The engine to serve; build it with `strictActions: true` so unknown actionIds are refused at create. */
  readonly engine: Engine;
  /** Key pairs allowed in (checked in constant time), or a keyring built with createKeyring. */
  readonly keys: readonly ApiKeyEntry[] | Keyring;
  /** Largest request body in bytes; a bigger one is refused with 413. @default 5 MiB */
  readonly bodyLimit?: number;
}

function isKeyring(keys: FlowspecRestOptions['keys']): keys is Keyring {
  return !Array.isArray(keys);
}

/** The settings of the route serving a request (undefined for a request no route matched). */
function settingsOf(request: FastifyRequest): RouteSettings | undefined {
  const config = request.routeOptions.config as Partial<RouteSettings> | undefined;
  return config?.family === undefined ? undefined : (config as RouteSettings);
}

/** Send a RestError as a JSON:API error body with the right content type. */
export function sendRestError(reply: FastifyReply, error: RestError, contentType: string): FastifyReply {
  for (const [name, value] of Object.entries(error.headers)) reply.header(name, value);
  return reply.code(error.statusCode).type(contentType).send(JSON.stringify(error.body()));
}

/** A 404 body for a route that does not exist. */
export function routeNotFound(method: string, url: string): RestError {
  const path = url.split('?')[0] ?? url;
  return new RestError(
    404,
    'ROUTE_NOT_FOUND',
    `No route ${method} ${path}; see GET /api/v2/openapi.json for the routes.`,
  );
}

/**
 * Serve the Datadog Workflow Automation v2 routes, the Domo-style routes,
 * `GET /healthz` and `GET /api/v2/openapi.json` over `engine`.
 */
export const flowspecRest: FastifyPluginAsync<FlowspecRestOptions> = async (app, options) => {
  if (!options || !options.engine) throw new Error('flowspecRest needs { engine, keys }.');
  const keyring = isKeyring(options.keys) ? options.keys : createKeyring(options.keys);
  const bodyLimit = options.bodyLimit ?? DEFAULT_BODY_LIMIT;
  if (!Number.isSafeInteger(bodyLimit) || bodyLimit < 1)
    throw new Error(`bodyLimit must be a positive integer, got ${bodyLimit}.`);
  const ctx = new RestContext(options.engine, keyring);

  // Bodies: JSON only (anything else is a 415). An empty body reads as undefined (cancel
  // routes take none); prototype-poisoning keys are refused as fastify does by default.
  app.removeAllContentTypeParsers();
  const secureParse = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser(
    ['application/json', 'application/vnd.api+json'],
    { parseAs: 'string', bodyLimit },
    (request, body, done) => {
      const text = body as string;
      if (text.trim() === '') {
        done(null, undefined);
        return;
      }
      secureParse(request, text, (err: Error | null, value?: unknown) => {
        if (!err) {
          done(null, value);
          return;
        }
        let why = 'a "__proto__" or "constructor.prototype" key, which is refused';
        try {
          JSON.parse(text);
        } catch (syntax) {
          why = (syntax as Error).message;
        }
        done(
          new RestError(400, 'INVALID_JSON', `The request body is not valid JSON: ${why}.`, {
            source: { pointer: '' },
          }),
          undefined,
        );
      });
    },
  );

  // Requests are checked by hand (every problem at once, with pointers, nothing coerced); the
  // schemas document the routes and generate the OpenAPI document. Responses are built by the
  // render functions and sent as JSON.stringify writes them (tests check them against the schemas).
  app.setValidatorCompiler(() => () => true);
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));

  app.decorateRequest('flowspecPrincipal', null);

  app.addHook('onRequest', async (request, reply) => {
    const settings = settingsOf(request);
    if (settings === undefined) return;
    reply.type(contentTypes[settings.family]);
    if (settings.scope === null) return;
    const { apiKey, appKey } = presentedKeys(request.headers);
    const principal = keyring.authenticate(apiKey, appKey);
    if (principal === null) throw forbiddenKeys(apiKey !== undefined || appKey !== undefined);
    if (!principal.scopes.has(settings.scope)) throw missingScope(settings.scope);
    request.flowspecPrincipal = principal;
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const settings = settingsOf(request);
    const restError = toRestError(error, settings?.pointer ?? '');
    if (restError.statusCode >= 500) request.log.error({ err: error }, 'request failed');
    else request.log.debug({ code: restError.items[0]?.code, status: restError.statusCode }, 'request refused');
    const type = settings ? contentTypes[settings.family] : contentTypeForUrl(request.url);
    return sendRestError(reply, restError, type);
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Flowspec REST API',
        description:
          'Datadog Workflow Automation v2 routes (drop-in for the official API clients), Domo-style Workflows routes, and Flowspec extensions. Errors are JSON:API error documents.',
        version: '0.1.0',
      },
      components: {
        securitySchemes: {
          apiKeyAuth: { type: 'apiKey', in: 'header', name: 'DD-API-KEY' },
          appKeyAuth: { type: 'apiKey', in: 'header', name: 'DD-APPLICATION-KEY' },
          domoToken: {
            type: 'apiKey',
            in: 'header',
            name: 'X-DOMO-Developer-Token',
            description: '<apiKey>:<appKey>',
          },
        },
      },
    },
  });

  registerWorkflowRoutes(app as FastifyInstance, ctx, bodyLimit);
  registerInstanceRoutes(app as FastifyInstance, ctx, bodyLimit);
  registerDomoRoutes(app as FastifyInstance, ctx, bodyLimit);
  registerServiceRoutes(app as FastifyInstance, ctx);
};

/** Header names that carry keys; loggers redact them. */
export const SECRET_HEADERS: readonly string[] = Object.values(KeyHeaders);
