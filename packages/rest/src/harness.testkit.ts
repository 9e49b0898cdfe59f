/**
 * Test helpers of the REST route tests: a server over an in-memory engine with
 * a simulated clock, key pairs with different scopes, request helpers, and a
 * checker of responses against the route's response schema.
 */
import { createEngine, createMemoryStore, createSimulatedClock } from '@flowspec/engine';
import type { Engine, SimulatedClock, Store } from '@flowspec/engine';
import { Ajv } from 'ajv';
import type { ValidateFunction } from 'ajv';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import type { ApiKeyEntry } from './auth.js';
import { createLogger, createServer } from './server.js';

/** Key pairs of the tests. */
export const Keys = {
  admin: {
    apiKey: 'admin-api-key-0000000000',
    appKey: 'admin-app-key-0000000000',
    user: 'admin',
    admin: true,
    scopes: ['workflows_read', 'workflows_write', 'workflows_run'],
  },
  alice: {
    apiKey: 'alice-api-key-0000000000',
    appKey: 'alice-app-key-0000000000',
    user: 'alice',
    name: 'Alice Example',
    email: 'alice@example.com',
    scopes: ['workflows_read', 'workflows_write', 'workflows_run'],
  },
  bob: {
    apiKey: 'bob-api-key-000000000000',
    appKey: 'bob-app-key-000000000000',
    user: 'bob',
    groups: ['ops'],
    scopes: ['workflows_read', 'workflows_write', 'workflows_run'],
  },
  reader: {
    apiKey: 'reader-api-key-000000000',
    appKey: 'reader-app-key-000000000',
    user: 'reader',
    scopes: ['workflows_read'],
  },
  runner: {
    apiKey: 'runner-api-key-000000000',
    appKey: 'runner-app-key-000000000',
    user: 'runner',
    scopes: ['workflows_read', 'workflows_run'],
  },
} as const satisfies Record<string, ApiKeyEntry>;

/** Datadog-style auth headers of a key pair. */
export function auth(key: ApiKeyEntry = Keys.admin): Record<string, string> {
  return { 'dd-api-key': key.apiKey, 'dd-application-key': key.appKey };
}

/** The noop workflow every Datadog client test uses (fixtures/datadog/cassette-noop-workflowtrigger.json). */
export const noopSpec = {
  steps: [{ actionId: 'com.datadoghq.core.noop', name: 'No_op' }],
  triggers: [{ startStepNames: ['No_op'], workflowTrigger: {} }],
};

/** One sleep step started through an apiTrigger (stays RUNNING until the clock moves). */
export function sleepSpec(seconds = 300, apiTrigger: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    steps: [
      {
        actionId: 'com.datadoghq.core.sleep',
        name: 'Sleep',
        parameters: [{ name: 'durationSeconds', value: seconds }],
      },
    ],
    triggers: [{ startStepNames: ['Sleep'], apiTrigger }],
  };
}

/** A spec with an input schema and an output. */
export const echoSpec = {
  inputSchema: {
    parameters: [
      { name: 'user', type: 'STRING' },
      { name: 'count', type: 'NUMBER', defaultValue: 1 },
    ],
  },
  outputSchema: { parameters: [{ name: 'greeting', type: 'STRING', value: '{{ Steps.Greet.value }}' }] },
  steps: [
    {
      name: 'Greet',
      actionId: 'com.datadoghq.core.echo',
      parameters: [{ name: 'value', value: 'Hello {{ Trigger.user }}' }],
    },
  ],
  triggers: [{ startStepNames: ['Greet'], apiTrigger: {} }],
};

/** A server over a fresh in-memory engine. */
export interface Harness {
  readonly app: FastifyInstance;
  readonly engine: Engine;
  readonly store: Store;
  readonly clock: SimulatedClock;
  /** What the server logged (JSON lines). */
  readonly logs: string[];
  request(options: InjectOptions): Promise<LightMyRequestResponse>;
  /** POST a workflow as admin; returns its id. */
  createWorkflow(spec: unknown, attributes?: Record<string, unknown>): Promise<string>;
  close(): Promise<void>;
}

/** Build a harness; `bodyLimit` and extra keys may be set. */
export async function buildHarness(
  options: { bodyLimit?: number; keys?: readonly ApiKeyEntry[] } = {},
): Promise<Harness> {
  const clock = createSimulatedClock();
  const store = createMemoryStore();
  const engine = createEngine({ store, clock, strictActions: true });
  await engine.start();
  const logs: string[] = [];
  const logger = createLogger('debug', { write: (line: string) => void logs.push(line) });
  const app = await createServer({
    engine,
    keys: options.keys ?? Object.values(Keys),
    logger,
    ...(options.bodyLimit !== undefined ? { bodyLimit: options.bodyLimit } : {}),
  });
  await app.ready();
  const request = (o: InjectOptions): Promise<LightMyRequestResponse> => app.inject(o);
  return {
    app,
    engine,
    store,
    clock,
    logs,
    request,
    async createWorkflow(spec, attributes = {}) {
      const res = await request({
        method: 'POST',
        url: '/api/v2/workflows',
        headers: auth(),
        payload: { data: { type: 'workflows', attributes: { name: 'Test workflow', spec, ...attributes } } },
      });
      expect(res.statusCode, res.body).toBe(201);
      return (res.json() as { data: { id: string } }).data.id;
    },
    async close() {
      await app.close();
      await engine.stop();
    },
  };
}

interface OpenApiDoc {
  paths: Record<
    string,
    Record<string, { responses: Record<string, { content?: Record<string, { schema: object }> }> }>
  >;
}
const documents = new WeakMap<FastifyInstance, OpenApiDoc>();

/** The server's generated OpenAPI document (fetched once per server). */
export async function openapiOf(app: FastifyInstance): Promise<OpenApiDoc> {
  let doc = documents.get(app);
  if (!doc) {
    const res = await app.inject({ method: 'GET', url: '/api/v2/openapi.json' });
    expect(res.statusCode).toBe(200);
    doc = res.json() as OpenApiDoc;
    documents.set(app, doc);
  }
  return doc;
}

const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
const compiled = new Map<string, ValidateFunction>();

/**
 * Assert a response matches what the generated OpenAPI document declares for
 * its route, status and content type. `path` is the OpenAPI path, e.g.
 * `/api/v2/workflows/{workflow_id}`.
 */
export async function expectMatchesSchema(
  app: FastifyInstance,
  res: LightMyRequestResponse,
  method: string,
  path: string,
): Promise<void> {
  const doc = await openapiOf(app);
  const op = doc.paths[path]?.[method.toLowerCase()];
  expect(op, `the OpenAPI document has no ${method} ${path}`).toBeDefined();
  const response = op!.responses[String(res.statusCode)];
  expect(response, `${method} ${path} declares no ${res.statusCode} response`).toBeDefined();
  const type = String(res.headers['content-type'] ?? '').split(';')[0]!;
  if (res.statusCode === 204) {
    expect(res.body).toBe('');
    return;
  }
  const media = response!.content?.[type];
  expect(media, `${method} ${path} ${res.statusCode} does not declare content type ${type}`).toBeDefined();
  const key = `${method} ${path} ${res.statusCode} ${type}`;
  let validate = compiled.get(key);
  if (!validate) {
    validate = ajv.compile(media!.schema);
    compiled.set(key, validate);
  }
  const ok = validate(res.json());
  expect(ok, `${key}: ${JSON.stringify(validate.errors)}`).toBe(true);
}
