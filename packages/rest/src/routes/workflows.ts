/**
 * Datadog v2 workflow routes: create, get, update, delete, list.
 */
import { validateWorkflowAttributes } from '@flowspec/engine';
import type { Spec, WorkflowRecord } from '@flowspec/engine';
import type { FastifyInstance } from 'fastify';
import { assertMayAct, mayAct } from '../access.js';
import type { Principal } from '../auth.js';
import { principalOf } from '../context.js';
import type { RestContext, RouteSettings } from '../context.js';
import { errorItem, validationError } from '../errors.js';
import type { ErrorItem } from '../errors.js';
import { boolParam, enumParam, intParam, pathId, stringParam } from '../params.js';
import { renderWorkflow } from '../render.js';
import {
  createWorkflowBodySchema,
  deleteWorkflowQuerySchema,
  errorResponses,
  listWorkflowsQuerySchema,
  schedulePreviewQuerySchema,
  schedulePreviewSchema,
  updateWorkflowBodySchema,
  workflowDocumentSchema,
  workflowListSchema,
  workflowParamsSchema,
} from '../schemas.js';

const ATTRIBUTES = '/data/attributes';
const SORTS = ['name', '-name', 'createdAt', '-createdAt', 'updatedAt', '-updatedAt'] as const;
/** Largest page of the workflow list. */
export const MAX_WORKFLOW_PAGE = 100;
const DEFAULT_WORKFLOW_PAGE = 50;

const produces = ['application/vnd.api+json'];
const consumes = ['application/json', 'application/vnd.api+json'];
const security = [{ apiKeyAuth: [], appKeyAuth: [] }];

/** The writable attributes a request carried, checked for JSON types. */
interface WorkflowAttributes {
  name?: unknown;
  description?: unknown;
  spec?: unknown;
  published?: boolean;
  tags?: string[];
  webhookSecret?: string;
}

/**
 * Read `{data:{type:'workflows', attributes:{...}}}`. Problems of the envelope
 * and of attribute types are collected (not thrown one by one); name,
 * description and spec are left to the engine's validation.
 */
function readWorkflowBody(body: unknown): { attrs: WorkflowAttributes; problems: ErrorItem[] } {
  const problems: ErrorItem[] = [];
  const attrs: WorkflowAttributes = {};
  const bad = (pointer: string, code: string, detail: string): void => {
    problems.push(errorItem(400, code, detail, { pointer }));
  };
  if (!isObject(body)) {
    bad('', 'FSP_ERR_SPEC_TYPE', 'The body must be a JSON object {"data":{"type":"workflows","attributes":{...}}}.');
    return { attrs, problems };
  }
  const data = body['data'];
  if (!isObject(data)) {
    bad(
      '/data',
      data === undefined ? 'FSP_ERR_SPEC_MISSING_FIELD' : 'FSP_ERR_SPEC_TYPE',
      'Send the workflow as "data": an object.',
    );
    return { attrs, problems };
  }
  if (data['type'] !== 'workflows') {
    bad(
      '/data/type',
      'INVALID_FIELD_VALUE',
      `"data.type" must be "workflows", got ${JSON.stringify(data['type'] ?? null)}.`,
    );
  }
  const a = data['attributes'];
  if (!isObject(a)) {
    bad(
      ATTRIBUTES,
      a === undefined ? 'FSP_ERR_SPEC_MISSING_FIELD' : 'FSP_ERR_SPEC_TYPE',
      'Send "data.attributes": an object.',
    );
    return { attrs, problems };
  }
  if ('name' in a) attrs.name = a['name'];
  if ('description' in a) attrs.description = a['description'];
  if ('spec' in a) attrs.spec = a['spec'];
  if (a['published'] !== undefined) {
    if (typeof a['published'] === 'boolean') attrs.published = a['published'];
    else bad(`${ATTRIBUTES}/published`, 'FSP_ERR_SPEC_TYPE', '"published" must be true or false.');
  }
  const tags = a['tags'];
  if (tags !== undefined && tags !== null) {
    if (!Array.isArray(tags)) bad(`${ATTRIBUTES}/tags`, 'FSP_ERR_SPEC_TYPE', '"tags" must be an array of strings.');
    else {
      tags.forEach((t, i) => {
        if (typeof t !== 'string') bad(`${ATTRIBUTES}/tags/${i}`, 'FSP_ERR_SPEC_TYPE', 'A tag must be a string.');
      });
      if (tags.every((t) => typeof t === 'string')) attrs.tags = tags as string[];
    }
  }
  const secret = a['webhookSecret'];
  if (secret !== undefined && secret !== null) {
    if (typeof secret === 'string') attrs.webhookSecret = secret;
    else bad(`${ATTRIBUTES}/webhookSecret`, 'FSP_ERR_SPEC_TYPE', '"webhookSecret" must be a string.');
  }
  return { attrs, problems };
}

/**
 * When the envelope had problems the engine is not called; its checks of name,
 * description and spec still run here so the answer lists every problem.
 */
function withEngineProblems(
  ctx: RestContext,
  attrs: WorkflowAttributes,
  problems: ErrorItem[],
  mode: 'create' | 'update',
): ErrorItem[] {
  const all = [...problems];
  const attributeDiagnostics =
    mode === 'create' || attrs.name !== undefined || attrs.description !== undefined
      ? validateWorkflowAttributes(
          {
            name: mode === 'create' || 'name' in attrs ? attrs.name : 'unchanged',
            description: attrs.description,
          },
          ATTRIBUTES,
        )
      : [];
  for (const d of attributeDiagnostics) {
    if (d.severity === 'error') all.push(errorItem(400, d.code, d.message, { pointer: d.pointer }));
  }
  if (mode === 'create' || attrs.spec !== undefined) {
    for (const d of ctx.engine.validate(attrs.spec).diagnostics) {
      if (d.severity === 'error')
        all.push(errorItem(400, d.code, d.message, { pointer: `${ATTRIBUTES}/spec${d.pointer}` }));
    }
  }
  return all;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Register the workflow routes. */
export function registerWorkflowRoutes(app: FastifyInstance, ctx: RestContext, bodyLimit: number): void {
  const read: RouteSettings = { scope: 'workflows_read', family: 'workflow' };
  const write: RouteSettings = { scope: 'workflows_write', family: 'workflow', pointer: ATTRIBUTES };

  app.post(
    '/api/v2/workflows',
    {
      bodyLimit,
      config: write,
      schema: {
        operationId: 'CreateWorkflow',
        summary: 'Create a workflow',
        tags: ['Workflow Automation'],
        security,
        consumes,
        produces,
        body: createWorkflowBodySchema,
        response: {
          201: { description: 'Created: the workflow with its spec', ...workflowDocumentSchema },
          ...errorResponses(400, 403, 413, 415),
        },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const { attrs, problems } = readWorkflowBody(request.body);
      if (problems.length > 0) throw validationError(withEngineProblems(ctx, attrs, problems, 'create'));
      const wf = await ctx.engine.createWorkflow({
        name: attrs.name as string,
        spec: attrs.spec,
        ...(attrs.description !== undefined ? { description: attrs.description as string } : {}),
        ...(attrs.published !== undefined ? { published: attrs.published } : {}),
        ...(attrs.tags !== undefined ? { tags: attrs.tags } : {}),
        ...(attrs.webhookSecret !== undefined ? { webhookSecret: attrs.webhookSecret } : {}),
        creatorId: principal.user,
        ownerId: principal.user,
      });
      return reply.code(201).send({ data: renderWorkflow(wf, wf.spec) });
    },
  );

  app.get(
    '/api/v2/workflows',
    {
      config: read,
      schema: {
        operationId: 'ListWorkflows',
        summary: 'List workflows',
        description:
          'Paged (page is 0-based). `spec` is null unless filter[includeSpecs]=true. Workflows whose access list does not let the caller read them are left out.',
        tags: ['Workflow Automation'],
        security,
        produces,
        querystring: listWorkflowsQuerySchema,
        response: { 200: { description: 'OK', ...workflowListSchema }, ...errorResponses(400, 403) },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const q = request.query as Record<string, unknown>;
      const limit = intParam(q, 'limit', DEFAULT_WORKFLOW_PAGE, 1, MAX_WORKFLOW_PAGE);
      const page = intParam(q, 'page', 0, 0, Number.MAX_SAFE_INTEGER);
      const sort = enumParam(q, 'sort', SORTS);
      const query = stringParam(q, 'filter[query]');
      const includeUnpublished = boolParam(q, 'filter[includeUnpublished]', false);
      const includeSpecs = boolParam(q, 'filter[includeSpecs]', false);
      const filters = {
        ...(sort !== undefined ? { sort } : {}),
        ...(query !== undefined ? { query } : {}),
        includeUnpublished,
      };
      const result = await listReadable(ctx, principal, filters, limit, page * limit);
      const data = [];
      for (const wf of result.items) {
        const spec: Spec | null = includeSpecs ? (await ctx.specVersion(wf.id, wf.specVersion)).spec : null;
        data.push(renderWorkflow(wf, spec));
      }
      return {
        data,
        meta: { page: { totalCount: result.totalCount, totalFilteredCount: result.totalFilteredCount } },
      };
    },
  );

  app.get(
    '/api/v2/workflows/:workflow_id',
    {
      config: read,
      schema: {
        operationId: 'GetWorkflow',
        summary: 'Get a workflow',
        tags: ['Workflow Automation'],
        security,
        produces,
        params: workflowParamsSchema,
        response: { 200: { description: 'OK', ...workflowDocumentSchema }, ...errorResponses(400, 403, 404) },
      },
    },
    async (request) => {
      const id = pathId((request.params as Record<string, unknown>)['workflow_id'], 'workflow_id', 'workflow');
      const wf = await ctx.workflow(id);
      assertMayAct(principalOf(request), wf, 'read');
      const version = await ctx.specVersion(id, wf.specVersion);
      return { data: renderWorkflow(wf, version.spec) };
    },
  );

  app.patch(
    '/api/v2/workflows/:workflow_id',
    {
      bodyLimit,
      config: write,
      schema: {
        operationId: 'UpdateWorkflow',
        summary: 'Update a workflow',
        description:
          'Partial: only the attributes sent change. A changed spec makes a new spec version; running instances finish on theirs. `data.id` is ignored.',
        tags: ['Workflow Automation'],
        security,
        consumes,
        produces,
        params: workflowParamsSchema,
        body: updateWorkflowBodySchema,
        response: {
          200: { description: 'OK: the workflow after the update', ...workflowDocumentSchema },
          ...errorResponses(400, 403, 404, 413, 415),
        },
      },
    },
    async (request) => {
      const id = pathId((request.params as Record<string, unknown>)['workflow_id'], 'workflow_id', 'workflow');
      const principal = principalOf(request);
      const { attrs, problems } = readWorkflowBody(request.body);
      const wf = await ctx.workflow(id);
      assertMayAct(principal, wf, 'write');
      if (problems.length > 0) throw validationError(withEngineProblems(ctx, attrs, problems, 'update'));
      const updated = await ctx.engine.updateWorkflow(id, {
        ...(attrs.name !== undefined ? { name: attrs.name as string } : {}),
        ...(attrs.description !== undefined ? { description: attrs.description as string } : {}),
        ...(attrs.spec !== undefined ? { spec: attrs.spec } : {}),
        ...(attrs.published !== undefined ? { published: attrs.published } : {}),
        ...(attrs.tags !== undefined ? { tags: attrs.tags } : {}),
        ...(attrs.webhookSecret !== undefined ? { webhookSecret: attrs.webhookSecret } : {}),
      });
      return { data: renderWorkflow(updated, updated.spec) };
    },
  );

  app.delete(
    '/api/v2/workflows/:workflow_id',
    {
      config: write,
      schema: {
        operationId: 'DeleteWorkflow',
        summary: 'Delete a workflow',
        description:
          'Its instances stay readable. A workflow with running instances is refused (409) unless cancelRunning=true.',
        tags: ['Workflow Automation'],
        security,
        produces,
        params: workflowParamsSchema,
        querystring: deleteWorkflowQuerySchema,
        response: { 204: { description: 'Deleted', type: 'null' }, ...errorResponses(400, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      const id = pathId((request.params as Record<string, unknown>)['workflow_id'], 'workflow_id', 'workflow');
      const cancelRunning = boolParam(request.query as Record<string, unknown>, 'cancelRunning', false);
      const wf = await ctx.workflow(id);
      assertMayAct(principalOf(request), wf, 'delete');
      await ctx.engine.deleteWorkflow(id, { cancelRunning });
      reply.removeHeader('content-type');
      return reply.code(204).send();
    },
  );

  app.get(
    '/api/v2/workflows/:workflow_id/schedule',
    {
      config: read,
      schema: {
        operationId: 'PreviewWorkflowSchedule',
        summary: "Preview a workflow's schedule (Flowspec extension)",
        description:
          "The next `count` fire times of the spec's scheduleTrigger after now, with the engine's daylight-saving policies. A workflow without a scheduleTrigger is a 400; an unpublished one has none.",
        tags: ['Flowspec extensions'],
        security,
        produces,
        params: workflowParamsSchema,
        querystring: schedulePreviewQuerySchema,
        response: { 200: { description: 'OK', ...schedulePreviewSchema }, ...errorResponses(400, 403, 404) },
      },
    },
    async (request) => {
      const id = pathId((request.params as Record<string, unknown>)['workflow_id'], 'workflow_id', 'workflow');
      const count = intParam(request.query as Record<string, unknown>, 'count', 10, 1, 1000);
      const wf = await ctx.workflow(id);
      assertMayAct(principalOf(request), wf, 'read');
      const fireTimes = await ctx.engine.previewSchedule(id, count);
      return { data: { id, type: 'workflow_schedules', attributes: { fireTimes } } };
    },
  );
}

/** Workflows the principal may read, one page of them, with counts. */
async function listReadable(
  ctx: RestContext,
  principal: Principal,
  filters: { sort?: (typeof SORTS)[number]; query?: string; includeUnpublished: boolean },
  limit: number,
  offset: number,
): Promise<{ items: readonly WorkflowRecord[]; totalCount: number; totalFilteredCount: number }> {
  const engine = ctx.engine;
  if (principal.admin) {
    const page = await engine.listWorkflows({ ...filters, limit, offset });
    return page;
  }
  // Access lists are per workflow: scan in batches, keep the readable ones, then page.
  const BATCH = 500;
  const items: WorkflowRecord[] = [];
  let filtered = 0;
  for (let at = 0; ; at += BATCH) {
    const batch = await engine.listWorkflows({ ...filters, limit: BATCH, offset: at });
    for (const wf of batch.items) {
      if (!mayAct(principal, wf.accessList, 'read')) continue;
      if (filtered >= offset && items.length < limit) items.push(wf);
      filtered++;
    }
    if (batch.items.length < BATCH) break;
  }
  let total = filtered;
  if (filters.query !== undefined) {
    total = 0;
    const unfiltered = { ...filters };
    delete unfiltered.query;
    for (let at = 0; ; at += BATCH) {
      const batch = await engine.listWorkflows({ ...unfiltered, limit: BATCH, offset: at });
      for (const wf of batch.items) if (mayAct(principal, wf.accessList, 'read')) total++;
      if (batch.items.length < BATCH) break;
    }
  }
  return { items, totalCount: total, totalFilteredCount: filtered };
}
