/**
 * Datadog v2 instance routes: execute, list, get, cancel.
 */
import { FlowspecError } from '@flowspec/engine';
import type { InstanceView, WorkflowRecord } from '@flowspec/engine';
import type { FastifyInstance } from 'fastify';
import { assertMayAct } from '../access.js';
import { principalOf } from '../context.js';
import type { RestContext, RouteSettings } from '../context.js';
import { RestError } from '../errors.js';
import { intParam, pathId } from '../params.js';
import { renderInstance, renderInstanceListItem } from '../render.js';
import type { IncludedRecords } from '../render.js';
import {
  emptyObjectSchema,
  errorResponses,
  executeBodySchema,
  executeResponseSchema,
  idempotencyHeadersSchema,
  instanceDocumentSchema,
  instanceListSchema,
  instanceParamsSchema,
  listInstancesQuerySchema,
  workflowParamsSchema,
} from '../schemas.js';

/** Largest page of the instance list (a bigger page[size] is a 400). */
export const MAX_INSTANCE_PAGE = 100;
const DEFAULT_INSTANCE_PAGE = 10;
const PAYLOAD = '/meta/payload';

const consumes = ['application/json', 'application/vnd.api+json'];
const security = [{ apiKeyAuth: [], appKeyAuth: [] }];

/** The execute body's `meta.payload` (the instance input), or a 400 naming the wrong part. */
function readPayload(body: unknown): unknown {
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body)) {
    throw new RestError(400, 'INVALID_FIELD_VALUE', 'The body must be a JSON object {"meta":{"payload":{...}}}.', {
      source: { pointer: '' },
    });
  }
  const meta = (body as Record<string, unknown>)['meta'];
  if (meta === undefined || meta === null) return {};
  if (typeof meta !== 'object' || Array.isArray(meta)) {
    throw new RestError(400, 'INVALID_FIELD_VALUE', '"meta" must be an object {"payload":{...}}.', {
      source: { pointer: '/meta' },
    });
  }
  const payload = (meta as Record<string, unknown>)['payload'];
  if (payload === undefined || payload === null) return {};
  if (typeof payload !== 'object' || Array.isArray(payload)) {
    throw new RestError(400, 'INVALID_FIELD_VALUE', '"meta.payload" must be an object: the input by parameter name.', {
      source: { pointer: PAYLOAD },
    });
  }
  return payload;
}

/** The Idempotency-Key header (a Flowspec extension), if sent. */
export function idempotencyKeyOf(headers: Readonly<Record<string, unknown>>): string | undefined {
  const key = headers['idempotency-key'];
  if (key === undefined) return undefined;
  if (typeof key !== 'string' || key === '' || key.length > 255) {
    throw new RestError(400, 'INVALID_FIELD_VALUE', 'The Idempotency-Key header must be 1 to 255 characters.', {
      source: { header: 'Idempotency-Key' },
    });
  }
  return key;
}

function notFoundInstance(id: string): FlowspecError {
  return new FlowspecError('FSP_ERR_INSTANCE_NOT_FOUND', `No instance has id "${id}" in this workflow.`);
}

/**
 * The instance of a workflow route. A deleted workflow's instances stay
 * readable (docs/adr/0002); an id that names neither is WORKFLOW_NOT_FOUND, as
 * recorded.
 */
async function instanceOf(
  ctx: RestContext,
  workflowId: string,
  instanceId: string,
): Promise<{ view: InstanceView; workflow: WorkflowRecord | undefined }> {
  const workflow = await ctx.maybeWorkflow(workflowId);
  let view: InstanceView;
  try {
    view = await ctx.engine.getInstance(instanceId);
  } catch (err) {
    if (err instanceof FlowspecError && err.code === 'FSP_ERR_INSTANCE_NOT_FOUND') {
      if (!workflow) throw new FlowspecError('FSP_ERR_WORKFLOW_NOT_FOUND', `No workflow has id "${workflowId}".`);
      throw notFoundInstance(instanceId);
    }
    throw err;
  }
  if (view.workflowId !== workflowId) {
    if (!workflow) throw new FlowspecError('FSP_ERR_WORKFLOW_NOT_FOUND', `No workflow has id "${workflowId}".`);
    throw notFoundInstance(instanceId);
  }
  return { view, workflow };
}

/** Register the instance routes. */
export function registerInstanceRoutes(app: FastifyInstance, ctx: RestContext, bodyLimit: number): void {
  const read: RouteSettings = { scope: 'workflows_read', family: 'instance' };
  const run: RouteSettings = { scope: 'workflows_run', family: 'instance', pointer: PAYLOAD };

  app.post(
    '/api/v2/workflows/:workflow_id/instances',
    {
      bodyLimit,
      config: run,
      schema: {
        operationId: 'CreateWorkflowInstance',
        summary: 'Execute a workflow',
        description:
          "Starts through the spec's apiTrigger (the workflow must be published; its rateLimit applies: 429 + Retry-After) or else its workflowTrigger (a manual run). The payload is checked against the inputSchema; nothing starts on bad input.",
        tags: ['Workflow Automation'],
        security,
        consumes,
        params: workflowParamsSchema,
        headers: idempotencyHeadersSchema,
        body: executeBodySchema,
        response: {
          200: {
            description: 'Started (or, with a used Idempotency-Key, the instance that used it)',
            ...executeResponseSchema,
          },
          ...errorResponses(400, 403, 404, 409, 413, 415, 429, 503),
        },
      },
    },
    async (request) => {
      const workflowId = pathId((request.params as Record<string, unknown>)['workflow_id'], 'workflow_id', 'instance');
      const principal = principalOf(request);
      const payload = readPayload(request.body);
      const idempotencyKey = idempotencyKeyOf(request.headers);
      const wf = await ctx.workflow(workflowId);
      assertMayAct(principal, wf, 'run');
      const version = await ctx.specVersion(workflowId, wf.specVersion);
      const trigger = ctx.executeTrigger(version);
      const source = ctx.sourceFor(principal, trigger);
      const result = await ctx.engine.execute(workflowId, payload, {
        specVersion: version.version,
        ...(trigger !== undefined ? { trigger } : {}),
        ...(source !== undefined ? { source } : {}),
        ...(idempotencyKey !== undefined ? { idempotencyKey } : {}),
      });
      return {
        data: { id: result.instanceId, type: 'instances', attributes: {} },
        meta: { workflowId: result.workflowId },
      };
    },
  );

  app.get(
    '/api/v2/workflows/:workflow_id/instances',
    {
      config: read,
      schema: {
        operationId: 'ListWorkflowInstances',
        summary: 'List instances of a workflow',
        description: 'Newest first. page[size] defaults to 10 (at most 100); page[number] is 0-based.',
        tags: ['Workflow Automation'],
        security,
        params: workflowParamsSchema,
        querystring: listInstancesQuerySchema,
        response: { 200: { description: 'OK', ...instanceListSchema }, ...errorResponses(400, 403, 404) },
      },
    },
    async (request) => {
      const workflowId = pathId((request.params as Record<string, unknown>)['workflow_id'], 'workflow_id', 'instance');
      const q = request.query as Record<string, unknown>;
      const size = intParam(q, 'page[size]', DEFAULT_INSTANCE_PAGE, 1, MAX_INSTANCE_PAGE);
      const number = intParam(q, 'page[number]', 0, 0, Number.MAX_SAFE_INTEGER);
      const wf = await ctx.maybeWorkflow(workflowId);
      if (wf) assertMayAct(principalOf(request), wf, 'read');
      const [page, counts] = await Promise.all([
        ctx.engine.listInstances({ workflowId, limit: size, offset: number * size }),
        ctx.engine.countInstances(workflowId),
      ]);
      // A deleted workflow's instances stay listable; an id with no history at all is not found.
      if (!wf && page.totalCount === 0) {
        throw new FlowspecError('FSP_ERR_WORKFLOW_NOT_FOUND', `No workflow has id "${workflowId}".`);
      }
      return {
        data: page.items.map(renderInstanceListItem),
        meta: {
          canceledCount: counts.canceled,
          failedCount: counts.failed,
          succeededCount: counts.succeeded,
          page: { totalCount: page.totalCount, totalFilteredCount: page.totalFilteredCount },
        },
      };
    },
  );

  app.get(
    '/api/v2/workflows/:workflow_id/instances/:instance_id',
    {
      config: read,
      schema: {
        operationId: 'GetWorkflowInstance',
        summary: 'Get an instance',
        description:
          "The recorded shape (instanceStatus, timestamps, trigger, outputs, source, stepStateAssociations, relationships, included) plus Flowspec's `error` and `steps`.",
        tags: ['Workflow Automation'],
        security,
        params: instanceParamsSchema,
        response: { 200: { description: 'OK', ...instanceDocumentSchema }, ...errorResponses(400, 403, 404) },
      },
    },
    async (request) => {
      const params = request.params as Record<string, unknown>;
      const workflowId = pathId(params['workflow_id'], 'workflow_id', 'instance');
      const instanceId = pathId(params['instance_id'], 'instance_id', 'instance');
      const { view, workflow } = await instanceOf(ctx, workflowId, instanceId);
      if (workflow) assertMayAct(principalOf(request), workflow, 'read');
      const included: { -readonly [K in keyof IncludedRecords]: IncludedRecords[K] } = {
        specVersion: await ctx.specVersion(workflowId, view.specVersion),
      };
      if (workflow) {
        const current = await ctx.specVersion(workflowId, workflow.specVersion);
        included.workflow = { record: workflow, specVersionId: current.id };
      }
      return renderInstance(view, included);
    },
  );

  app.put(
    '/api/v2/workflows/:workflow_id/instances/:instance_id/cancel',
    {
      bodyLimit,
      config: run,
      schema: {
        operationId: 'CancelWorkflowInstance',
        summary: 'Cancel an instance',
        description:
          'Running handlers see their AbortSignal fire. Cancelling a finished instance changes nothing and is not an error.',
        tags: ['Workflow Automation'],
        security,
        params: instanceParamsSchema,
        response: {
          200: { description: 'OK (as recorded: {})', ...emptyObjectSchema },
          ...errorResponses(400, 403, 404),
        },
      },
    },
    async (request) => {
      const params = request.params as Record<string, unknown>;
      const workflowId = pathId(params['workflow_id'], 'workflow_id', 'instance');
      const instanceId = pathId(params['instance_id'], 'instance_id', 'instance');
      const { workflow } = await instanceOf(ctx, workflowId, instanceId);
      if (workflow) assertMayAct(principalOf(request), workflow, 'run');
      await ctx.engine.cancel(instanceId);
      return {};
    },
  );
}
