/**
 * End to end: the real server process, started as `npm start` starts it
 * (node packages/cli/dist/main.js with the environment), on a temporary SQLite
 * file, driven by Datadog's official TypeScript client pointed at it. The
 * client throws on extra keys inside completionGate, errorHandlers,
 * readinessGate and retryStrategy objects, so every response it parses proves
 * the shapes round-trip exactly.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { client, v2 } from '@datadog/datadog-api-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const main = join(root, 'packages', 'cli', 'dist', 'main.js');

interface Server {
  readonly process: ChildProcess;
  readonly url: string;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
}

/** Start the server like `npm start` does and wait until it listens. */
async function startServer(env: Record<string, string>): Promise<Server> {
  const child = spawn(process.execPath, [main], {
    cwd: root,
    env: { PATH: process.env['PATH'] ?? '', HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${out}`)), 20_000);
    const check = (): void => {
      const m = /"url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stdout!.on('data', check);
    void exited.then((code) => reject(new Error(`server exited with ${code}:\n${out}`)));
  });
  return {
    process: child,
    url,
    output: () => out,
    async stop() {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

function api(url: string, apiKey: string, appKey: string): v2.WorkflowAutomationApi {
  const configuration = client.createConfiguration({
    baseServer: new client.BaseServerConfiguration(url, {}),
    authMethods: { apiKeyAuth: apiKey, appKeyAuth: appKey },
  });
  return new v2.WorkflowAutomationApi(configuration);
}

/** A spec using every object the client deserializes strictly. */
const gatedSpec = {
  steps: [
    {
      name: 'Start',
      actionId: 'com.datadoghq.core.echo',
      parameters: [{ name: 'value', value: '{{ Trigger.who }}' }],
      outboundEdges: [{ nextStepName: 'Join', branchName: 'main' }],
      completionGate: {
        completionCondition: { operand1: '{{ Steps.Start.value }}', operand2: 'ada', operator: 'OPERATOR_EQUAL' },
        retryStrategy: { kind: 'RETRY_STRATEGY_LINEAR', linear: { interval: '1s', maxRetries: 1 } },
      },
      errorHandlers: [
        {
          fallbackStepName: 'Fallback',
          retryStrategy: { kind: 'RETRY_STRATEGY_LINEAR', linear: { interval: '1s', maxRetries: 0 } },
        },
      ],
    },
    {
      name: 'Fallback',
      actionId: 'com.datadoghq.core.noop',
      outboundEdges: [{ nextStepName: 'Join', branchName: 'main' }],
    },
    { name: 'Join', actionId: 'com.datadoghq.core.noop', readinessGate: { thresholdType: 'ANY' } },
  ],
  triggers: [{ startStepNames: ['Start'], apiTrigger: {} }],
  inputSchema: { parameters: [{ name: 'who', type: 'STRING', defaultValue: 'ada' }] },
  outputSchema: { parameters: [{ name: 'said', type: 'STRING', value: '{{ Steps.Start.value }}' }] },
};

const sleepSpec = {
  steps: [
    { name: 'Sleep', actionId: 'com.datadoghq.core.sleep', parameters: [{ name: 'durationSeconds', value: 300 }] },
  ],
  triggers: [{ startStepNames: ['Sleep'], apiTrigger: {} }],
};

function noUnparsed(value: unknown): void {
  expect(JSON.stringify(value)).not.toContain('_unparsed');
}

/** Poll a real server process (it runs on the wall clock) until `done`, for at most ~5 s. */
async function eventually<T>(read: () => Promise<T>, done: (v: T) => boolean): Promise<T> {
  for (let i = 0; i < 500; i++) {
    const v = await read();
    if (done(v)) return v;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('condition not reached');
}

describe('REST server process driven by @datadog/datadog-api-client', () => {
  let dir: string;
  let server: Server;
  let keys: { apiKey: string; appKey: string };

  beforeAll(async () => {
    // npm test builds first; this keeps a lone `vitest run test/rest-e2e.test.ts` honest (incremental, fast).
    const build = spawnSync(join(root, 'node_modules', '.bin', 'tsc'), ['-b', 'packages/cli'], {
      cwd: root,
      encoding: 'utf8',
    });
    expect(build.status, build.stdout + build.stderr).toBe(0);
    dir = mkdtempSync(join(tmpdir(), 'flowspec-e2e-'));
    server = await startServer({ DATABASE_URL: join(dir, 'flowspec.db') });
    const out = server.output();
    const apiKey = /DD-API-KEY:\s+(\S+)/.exec(out)?.[1];
    const appKey = /DD-APPLICATION-KEY:\s+(\S+)/.exec(out)?.[1];
    expect(apiKey, out).toBeDefined();
    keys = { apiKey: apiKey!, appKey: appKey! };
  }, 60_000);

  afterAll(async () => {
    if (server && server.process.exitCode === null) await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stores the generated key pair beside the database, readable by its owner only', () => {
    const mode = statSync(join(dir, 'flowspec.db.keys.json')).mode & 0o777;
    expect(mode).toBe(0o600);
  });

  it('serves every workflow operation to the official client', async () => {
    const wf = api(server.url, keys.apiKey, keys.appKey);

    // create (defaults as recorded), get
    const created = await wf.createWorkflow({
      body: { data: { type: 'workflows', attributes: { name: 'E2E gated', spec: gatedSpec as unknown as v2.Spec } } },
    });
    noUnparsed(created);
    const id = created.data!.id!;
    expect(created.data!.attributes.published).toBe(true);
    expect(created.data!.attributes.description).toBe('');
    expect(created.data!.attributes.tags).toEqual([]);
    expect(created.data!.attributes.createdAt).toBeInstanceOf(Date);
    const step = created.data!.attributes.spec.steps![0]!;
    expect(step.completionGate).toBeInstanceOf(v2.CompletionGate);
    expect(step.completionGate!.retryStrategy.linear!.maxRetries).toBe(1);
    expect(step.errorHandlers![0]).toBeInstanceOf(v2.ErrorHandler);
    expect(created.data!.attributes.spec.steps![2]!.readinessGate).toBeInstanceOf(v2.ReadinessGate);

    const got = await wf.getWorkflow({ workflowId: id });
    noUnparsed(got);
    expect(got.data!.attributes.name).toBe('E2E gated');

    // update: only what is sent changes
    const updated = await wf.updateWorkflow({
      workflowId: id,
      body: {
        data: {
          type: 'workflows',
          attributes: { description: 'changed', tags: ['e2e'] } as v2.WorkflowDataUpdateAttributes,
        },
      },
    });
    noUnparsed(updated);
    expect(updated.data!.attributes.description).toBe('changed');
    expect(updated.data!.attributes.tags).toEqual(['e2e']);
    expect(updated.data!.attributes.name).toBe('E2E gated');

    // list
    const list = await wf.listWorkflows({ limit: 10, page: 0, filterIncludeSpecs: true });
    noUnparsed(list);
    expect(list.data!.map((w) => w.id)).toContain(id);
    expect(list.meta!.page!.totalCount).toBeGreaterThanOrEqual(1);

    // execute, list instances, get instance
    const started = await wf.createWorkflowInstance({ workflowId: id, body: { meta: { payload: { who: 'ada' } } } });
    noUnparsed(started);
    const instanceId = started.data!.id!;
    const instance = await eventually(
      () => wf.getWorkflowInstance({ workflowId: id, instanceId }),
      (r) => !JSON.stringify(r.data).includes('"detailsKind":"IN_PROGRESS"'),
    );
    noUnparsed(instance);
    // The client types the instance attributes loosely: they land in additionalProperties.
    const raw = JSON.parse(JSON.stringify(instance.data)) as {
      attributes: { additionalProperties: Record<string, unknown> };
    };
    expect(raw.attributes.additionalProperties).toMatchObject({
      instanceStatus: { detailsKind: 'SUCCEEDED', displayName: 'Succeeded' },
      outputs: { said: 'ada' },
      trigger: { who: 'ada' },
      source: { api: { actingUser: { userUuid: 'admin' } } },
    });
    const instances = await wf.listWorkflowInstances({ workflowId: id, pageSize: 10, pageNumber: 0 });
    noUnparsed(instances);
    expect(instances.data!.map((i) => i.id)).toEqual([instanceId]);
    expect(instances.meta!.page!.totalCount).toBe(1);

    // cancel a running instance
    const sleeper = await wf.createWorkflow({
      body: { data: { type: 'workflows', attributes: { name: 'E2E sleep', spec: sleepSpec as unknown as v2.Spec } } },
    });
    const sleepId = sleeper.data!.id!;
    const run = await wf.createWorkflowInstance({ workflowId: sleepId, body: {} });
    const canceled = await wf.cancelWorkflowInstance({ workflowId: sleepId, instanceId: run.data!.id! });
    noUnparsed(canceled);
    const after = await wf.getWorkflowInstance({ workflowId: sleepId, instanceId: run.data!.id! });
    expect(JSON.stringify(after.data)).toContain('"detailsKind":"CANCELED"');

    // delete, then 404 as an ApiException carrying the JSON:API body
    await wf.deleteWorkflow({ workflowId: sleepId });
    await wf.deleteWorkflow({ workflowId: id });
    const missing = await wf.getWorkflow({ workflowId: id }).then(
      () => null,
      (e: unknown) => e as client.ApiException<v2.APIErrorResponse>,
    );
    expect(missing?.code).toBe(404);
    expect(JSON.stringify(missing?.body)).toContain('WORKFLOW_NOT_FOUND');
  });

  it('refuses wrong keys with 403 through the client', async () => {
    const wrong = api(server.url, 'f'.repeat(32), 'f'.repeat(40));
    const err = await wrong.listWorkflows({}).then(
      () => null,
      (e: unknown) => e as client.ApiException<unknown>,
    );
    expect(err?.code).toBe(403);
  });

  it('stops cleanly on SIGTERM, keeps its data, and never prints a key after the first start', async () => {
    const wf = api(server.url, keys.apiKey, keys.appKey);
    const kept = await wf.createWorkflow({
      body: { data: { type: 'workflows', attributes: { name: 'Survivor', spec: sleepSpec as unknown as v2.Spec } } },
    });
    const runningId = (await wf.createWorkflowInstance({ workflowId: kept.data!.id!, body: {} })).data!.id!;
    expect(await server.stop()).toBe(0);
    expect(server.output()).toContain('"msg":"stopped"');

    server = await startServer({ DATABASE_URL: join(dir, 'flowspec.db') });
    const again = api(server.url, keys.apiKey, keys.appKey);
    const list = await again.listWorkflows({});
    expect(list.data!.map((w) => w.attributes.name)).toContain('Survivor');
    const recovered = await again.getWorkflowInstance({ workflowId: kept.data!.id!, instanceId: runningId });
    expect(JSON.stringify(recovered.data)).toContain('"detailsKind":"IN_PROGRESS"');
    const out = server.output();
    expect(out).not.toContain(keys.apiKey);
    expect(out).not.toContain(keys.appKey);
    expect(out).not.toMatch(/DD-API-KEY|DD-APPLICATION-KEY/);
    expect(await server.stop()).toBe(0);
    expect(server.output()).not.toContain(keys.apiKey);
  });
});
