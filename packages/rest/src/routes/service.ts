/**
 * Routes beyond both APIs: the health check and the generated OpenAPI document.
 */
import type { FastifyInstance } from 'fastify';
import type { RestContext, RouteSettings } from '../context.js';
import { healthSchema } from '../schemas.js';

/** Register `GET /healthz` and `GET /api/v2/openapi.json` (both open without keys). */
export function registerServiceRoutes(app: FastifyInstance, ctx: RestContext): void {
  const open: RouteSettings = { scope: null, family: 'service' };

  app.get(
    '/healthz',
    {
      config: open,
      schema: {
        operationId: 'Health',
        summary: 'Health check: whether the store is reachable (no key needed)',
        tags: ['Service'],
        response: {
          200: { description: 'Healthy', ...healthSchema },
          503: { description: 'The store is not reachable', ...healthSchema },
        },
      },
    },
    async (_request, reply) => {
      const store = ctx.engine.store;
      let ok = false;
      try {
        ok = await store.ping();
      } catch {
        ok = false;
      }
      return reply.code(ok ? 200 : 503).send({ status: ok ? 'ok' : 'unavailable', store: store.kind });
    },
  );

  app.get(
    '/api/v2/openapi.json',
    {
      config: open,
      schema: {
        operationId: 'OpenApi',
        summary: 'This document: OpenAPI 3 of every route, generated from the route schemas (no key needed)',
        tags: ['Service'],
        response: { 200: { description: 'OpenAPI 3 document', type: 'object', additionalProperties: true } },
      },
    },
    async () => app.swagger(),
  );
}
