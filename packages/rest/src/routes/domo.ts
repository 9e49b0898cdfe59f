/**
 * Domo-style Workflows routes: start an instance by message (any spec
 * version), cancel an instance, replace a workflow's access list.
 */
import { FlowspecError } from '@flowspec/engine';
import type { AccessEntry } from '@flowspec/engine';
import type { FastifyInstance } from 'fastify';
import { assertMayAct, Permissions } from '../access.js';
import { principalOf } from '../context.js';
import type { RestContext, RouteSettings } from '../context.js';
import { errorItem, validationError } from '../errors.js';
import type { ErrorItem } from '../errors.js';
import { isUuid, pathId } from '../params.js';
import { renderDomoInstance } from '../render.js';
import {
  domoCanceledInstanceSchema,
  domoInstanceParamsSchema,
  domoInstanceSchema,
  domoMessageBodySchema,
  domoModelParamsSchema,
  errorResponses,
  idempotencyHeadersSchema,
  permissionsSchema,
} from '../schemas.js';
import { idempotencyKeyOf } from './instances.js';

const consumes = ['application/json'];
const security = [{ apiKeyAuth: [], appKeyAuth: [] }, { domoToken: [] }];
const MAX_ACCESS_ENTRIES = 1000;

/** `"3"`, `"3.0"`, `"3.0.0"` or `3` -> 3; anything else -> undefined. */
export function parseDomoVersion(version: unknown): number | undefined {
  if (typeof version === 'number') return Number.isSafeInteger(version) && version >= 1 ? version : undefined;
  if (typeof version !== 'string') return undefined;
  const m = /^\s*v?(\d+)(?:\.0){0,2}\s*$/.exec(version);
  const n = m ? Number(m[1]) : NaN;
  return Number.isSafeInteger(n) && n >= 1 ? n : undefined;
}

interface Message {
  modelId: string;
  version: number | undefined;
  messageName: string | undefined;
  data: unknown;
}

function readMessage(body: unknown): Message {
  const problems: ErrorItem[] = [];
  const bad = (pointer: string, detail: string): void => {
    problems.push(errorItem(400, 'INVALID_FIELD_VALUE', detail, { pointer }));
  };
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    bad('', 'The body must be a JSON object {"messageName","version","modelId","data"}.');
    throw validationError(problems);
  }
  const b = body as Record<string, unknown>;
  if (!isUuid(b['modelId'])) bad('/modelId', '"modelId" must be the workflow id (a UUID).');
  let version: number | undefined;
  if (b['version'] !== undefined && b['version'] !== null && b['version'] !== '') {
    version = parseDomoVersion(b['version']);
    if (version === undefined) {
      bad(
        '/version',
        `"version" must name a spec version: "3", "3.0.0" or 3 (versions count from 1), got ${JSON.stringify(b['version'])}.`,
      );
    }
  }
  const messageName = b['messageName'];
  if (messageName !== undefined && messageName !== null && typeof messageName !== 'string') {
    bad('/messageName', '"messageName" must be a string.');
  }
  const data = b['data'];
  if (data !== undefined && data !== null && (typeof data !== 'object' || Array.isArray(data))) {
    bad('/data', '"data" must be an object: the input by parameter name.');
  }
  if (problems.length > 0) throw validationError(problems);
  return {
    modelId: (b['modelId'] as string).toLowerCase(),
    version,
    messageName: typeof messageName === 'string' ? messageName : undefined,
    data: data ?? {},
  };
}

/** Check a permissions body: every problem, each with its pointer. */
export function readAccessList(body: unknown): AccessEntry[] {
  const problems: ErrorItem[] = [];
  const bad = (pointer: string, detail: string): void => {
    problems.push(errorItem(400, 'INVALID_FIELD_VALUE', detail, { pointer }));
  };
  if (!Array.isArray(body)) {
    bad('', 'The body must be a JSON array of {"id","name","type":"USER"|"GROUP","permissions":[...]}.');
    throw validationError(problems);
  }
  if (body.length > MAX_ACCESS_ENTRIES) bad('', `An access list holds at most ${MAX_ACCESS_ENTRIES} entries.`);
  const out: AccessEntry[] = [];
  body.forEach((entry: unknown, i) => {
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) {
      bad(`/${i}`, 'An entry must be an object {"id","name","type","permissions"}.');
      return;
    }
    const e = entry as Record<string, unknown>;
    const before = problems.length;
    for (const key of Object.keys(e)) {
      if (!['id', 'name', 'type', 'permissions'].includes(key))
        bad(`/${i}/${key}`, `Unknown key "${key}" (allowed: id, name, type, permissions).`);
    }
    if (typeof e['id'] !== 'string' || e['id'] === '')
      bad(`/${i}/id`, '"id" must be a non-empty string: a key user or a group name.');
    if (e['name'] !== undefined && typeof e['name'] !== 'string') bad(`/${i}/name`, '"name" must be a string.');
    if (e['type'] !== 'USER' && e['type'] !== 'GROUP') bad(`/${i}/type`, '"type" must be USER or GROUP.');
    const perms = e['permissions'];
    if (!Array.isArray(perms)) bad(`/${i}/permissions`, `"permissions" must be an array of ${Permissions.join(', ')}.`);
    else {
      perms.forEach((p: unknown, j) => {
        if (!(Permissions as readonly unknown[]).includes(p)) {
          bad(
            `/${i}/permissions/${j}`,
            `Unknown permission ${JSON.stringify(p)} (allowed: ${Permissions.join(', ')}).`,
          );
        }
      });
    }
    if (problems.length === before) {
      out.push({
        id: e['id'] as string,
        ...(typeof e['name'] === 'string' ? { name: e['name'] } : {}),
        type: e['type'] as 'USER' | 'GROUP',
        permissions: [...new Set(perms as string[])],
      });
    }
  });
  if (problems.length > 0) throw validationError(problems);
  return out;
}

/** Register the Domo-style routes. */
export function registerDomoRoutes(app: FastifyInstance, ctx: RestContext, bodyLimit: number): void {
  const run: RouteSettings = { scope: 'workflows_run', family: 'domo', pointer: '/data' };
  const write: RouteSettings = { scope: 'workflows_write', family: 'domo' };

  app.post(
    '/api/workflow/v1/instances/message',
    {
      bodyLimit,
      config: run,
      schema: {
        operationId: 'DomoStartInstance',
        summary: 'Start an instance by message (Domo-style)',
        description:
          '`modelId` is the workflow id, `version` the spec version to run (any earlier one can be started), `data` the input. The instance records `messageName`.',
        tags: ['Domo-style Workflows'],
        security,
        consumes,
        headers: idempotencyHeadersSchema,
        body: domoMessageBodySchema,
        response: {
          200: { description: 'Started', ...domoInstanceSchema },
          ...errorResponses(400, 403, 404, 409, 413, 415, 429, 503),
        },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const msg = readMessage(request.body);
      const idempotencyKey = idempotencyKeyOf(request.headers);
      const wf = await ctx.workflow(msg.modelId);
      assertMayAct(principal, wf, 'run');
      const version = await ctx.specVersion(msg.modelId, msg.version ?? wf.specVersion);
      const trigger = ctx.executeTrigger(version);
      const source = ctx.sourceFor(principal, trigger);
      const result = await ctx.engine.execute(msg.modelId, msg.data, {
        specVersion: version.version,
        ...(trigger !== undefined ? { trigger } : {}),
        ...(source !== undefined ? { source } : {}),
        ...(msg.messageName !== undefined ? { messageName: msg.messageName } : {}),
        ...(idempotencyKey !== undefined ? { idempotencyKey } : {}),
      });
      return renderDomoInstance(await ctx.engine.getInstance(result.instanceId));
    },
  );

  app.post(
    '/api/workflow/v1/instances/:instanceId/cancel',
    {
      bodyLimit,
      config: run,
      schema: {
        operationId: 'DomoCancelInstance',
        summary: 'Cancel an instance (Domo-style)',
        tags: ['Domo-style Workflows'],
        security,
        params: domoInstanceParamsSchema,
        response: {
          200: { description: 'The instance after the cancel', ...domoCanceledInstanceSchema },
          ...errorResponses(400, 403, 404),
        },
      },
    },
    async (request) => {
      const instanceId = pathId((request.params as Record<string, unknown>)['instanceId'], 'instanceId', 'instance');
      const before = await ctx.engine.getInstance(instanceId);
      const wf = await ctx.maybeWorkflow(before.workflowId);
      if (wf) assertMayAct(principalOf(request), wf, 'run');
      const view = await ctx.engine.cancel(instanceId);
      return {
        ...renderDomoInstance(view),
        deploymentId: view.specVersionId,
        bpmnProcessId: view.workflowId,
        bpmnProcessName: view.workflowName,
        isTestRun: false,
      };
    },
  );

  app.post(
    '/api/workflow/v1/models/:modelId/permissions',
    {
      bodyLimit,
      config: write,
      schema: {
        operationId: 'DomoSetPermissions',
        summary: "Replace a workflow's access list (Domo-style)",
        description:
          'Once a workflow has an access list, only admin key pairs and the listed users (entry id = a key pair user) or groups may act on it, each as its permissions allow: READ to read, EXECUTE to run/cancel, WRITE/UPDATE_CONTENT to change, DELETE to delete, SHARE to change this list, ADMIN for all. Applies to the Datadog routes too.',
        tags: ['Domo-style Workflows'],
        security,
        consumes,
        params: domoModelParamsSchema,
        body: permissionsSchema,
        response: {
          200: { description: 'The access list now in force', ...permissionsSchema },
          ...errorResponses(400, 403, 404, 413, 415),
        },
      },
    },
    async (request) => {
      const modelId = pathId((request.params as Record<string, unknown>)['modelId'], 'modelId', 'instance');
      const entries = readAccessList(request.body);
      const wf = await ctx.workflow(modelId);
      assertMayAct(principalOf(request), wf, 'share');
      const updated = await ctx.engine.updateWorkflow(modelId, { accessList: entries });
      if (updated.accessList === null) throw new FlowspecError('FSP_ERR_STORE', 'The access list was not stored.');
      return updated.accessList;
    },
  );
}
