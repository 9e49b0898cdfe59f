import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { auth, buildHarness, echoSpec, expectMatchesSchema, Keys, noopSpec, sleepSpec } from './harness.testkit.js';
import type { Harness } from './harness.testkit.js';

const JSON_TYPE = 'application/json; charset=utf-8';
const I = '/api/v2/workflows/{workflow_id}/instances';
const I_ID = '/api/v2/workflows/{workflow_id}/instances/{instance_id}';
const I_CANCEL = '/api/v2/workflows/{workflow_id}/instances/{instance_id}/cancel';
const UNKNOWN = 'aaa11111-aa11-aa11-aaaa-aaaaaa111111';

let h: Harness;
beforeEach(async () => {
  h = await buildHarness();
});
afterEach(async () => {
  await h.close();
});

function execute(workflowId: string, payload?: unknown, headers: Record<string, string> = auth()) {
  return h.request({
    method: 'POST',
    url: `/api/v2/workflows/${workflowId}/instances`,
    headers,
    ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
  });
}

async function instanceCount(workflowId: string): Promise<number> {
  return (await h.engine.listInstances({ workflowId })).totalCount;
}

describe('POST .../instances (createWorkflowInstance)', () => {
  it('starts through the apiTrigger and answers the recorded shape', async () => {
    const id = await h.createWorkflow(echoSpec);
    const res = await execute(id, { meta: { payload: { user: 'ada' } } }, auth(Keys.alice));
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe(JSON_TYPE);
    await expectMatchesSchema(h.app, res, 'POST', I);
    const doc = res.json();
    expect(doc).toEqual({
      data: { id: expect.any(String), type: 'instances', attributes: {} },
      meta: { workflowId: id },
    });
    const run = await h.engine.waitFor(doc.data.id);
    expect(run.status).toBe('SUCCEEDED');
    expect(run.triggerKind).toBe('apiTrigger');
    expect(run.input).toEqual({ user: 'ada', count: 1 });
    expect(run.source).toEqual({
      type: 'api',
      api: { actingUser: { userUuid: 'alice', userName: 'Alice Example', userEmail: 'alice@example.com' } },
    });
  });

  it('accepts a body without meta, and no body at all, for a spec without required inputs', async () => {
    const id = await h.createWorkflow(noopSpec);
    expect((await execute(id, {})).statusCode).toBe(200);
    expect((await execute(id)).statusCode).toBe(200);
    expect(await instanceCount(id)).toBe(2);
  });

  it('runs a workflowTrigger spec as a manual run, also unpublished', async () => {
    const id = await h.createWorkflow(noopSpec, { published: false });
    const res = await execute(id, { meta: { payload: {} } });
    expect(res.statusCode).toBe(200);
    const run = await h.engine.waitFor(res.json().data.id);
    expect(run.triggerKind).toBe('workflowTrigger');
    expect(run.source.type).toBe('manual');
  });

  it('refuses bad input with every problem under /meta/payload, and starts nothing', async () => {
    const spec = {
      ...echoSpec,
      inputSchema: {
        parameters: [
          { name: 'user', type: 'STRING' },
          { name: 'count', type: 'NUMBER' },
        ],
      },
    };
    const id = await h.createWorkflow(spec);
    const res = await execute(id, { meta: { payload: { count: '3' } } });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toBe(JSON_TYPE);
    await expectMatchesSchema(h.app, res, 'POST', I);
    const errors = res.json().errors as { code: string; source: { pointer: string } }[];
    expect(errors).toHaveLength(2);
    expect(errors.map((e) => e.source.pointer).sort()).toEqual(['/meta/payload/count', '/meta/payload/user']);
    expect(await instanceCount(id)).toBe(0);
    const notObject = await execute(id, { meta: { payload: [1] } });
    expect(notObject.statusCode).toBe(400);
    expect(notObject.json().errors[0].source.pointer).toBe('/meta/payload');
  });

  it('requires a published workflow for the apiTrigger', async () => {
    const id = await h.createWorkflow(echoSpec, { published: false });
    const res = await execute(id, { meta: { payload: { user: 'x' } } });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors[0].code).toBe('FSP_ERR_WORKFLOW_UNPUBLISHED');
    expect(await instanceCount(id)).toBe(0);
  });

  it('enforces the apiTrigger rateLimit with 429 and Retry-After, starting nothing', async () => {
    const id = await h.createWorkflow(sleepSpec(1, { rateLimit: { count: 2, interval: '60s' } }));
    expect((await execute(id)).statusCode).toBe(200);
    expect((await execute(id)).statusCode).toBe(200);
    const limited = await execute(id);
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['retry-after']).toBe('60');
    expect(limited.json().errors[0]).toMatchObject({
      status: '429',
      title: 'Too Many Requests',
      code: 'FSP_ERR_RATE_LIMITED',
    });
    await expectMatchesSchema(h.app, limited, 'POST', I);
    expect(await instanceCount(id)).toBe(2);
    await h.clock.advanceBy(60_001);
    expect((await execute(id)).statusCode).toBe(200);
  });

  it('refuses a spec with neither apiTrigger nor workflowTrigger', async () => {
    const spec = {
      steps: [{ name: 'A', actionId: 'com.datadoghq.core.noop' }],
      triggers: [{ startStepNames: ['A'], scheduleTrigger: { rruleExpression: 'RRULE:FREQ=DAILY' } }],
    };
    const id = await h.createWorkflow(spec);
    const res = await execute(id);
    expect(res.statusCode).toBe(400);
    expect(res.json().errors[0].code).toBe('FSP_ERR_NO_EXECUTE_TRIGGER');
  });

  it('returns the same instance for a repeated Idempotency-Key', async () => {
    const id = await h.createWorkflow(noopSpec);
    const headers = { ...auth(), 'idempotency-key': 'order-42' };
    const a = await execute(id, {}, headers);
    const b = await execute(id, {}, headers);
    expect(b.json().data.id).toBe(a.json().data.id);
    expect(await instanceCount(id)).toBe(1);
  });

  it('answers 404 for an unknown workflow and 400 for a malformed id, as JSON', async () => {
    const missing = await execute(UNKNOWN);
    expect(missing.statusCode).toBe(404);
    expect(missing.headers['content-type']).toBe(JSON_TYPE);
    expect(missing.json().errors[0].code).toBe('WORKFLOW_NOT_FOUND');
    const bad = await execute('malformed');
    expect(bad.statusCode).toBe(400);
    expect(bad.headers['content-type']).toBe(JSON_TYPE);
    expect(bad.json().errors[0]).toMatchObject({ code: 'INVALID_FIELD_VALUE', source: { parameter: 'workflow_id' } });
  });
});

describe('GET .../instances (listWorkflowInstances)', () => {
  it('lists newest first with a default page of 10, 0-based page numbers and counters', async () => {
    const id = await h.createWorkflow(noopSpec);
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) {
      const res = await execute(id);
      ids.push(res.json().data.id);
      await h.engine.waitFor(res.json().data.id);
      await h.clock.advanceBy(1000);
    }
    const first = await h.request({
      method: 'GET',
      url: `/api/v2/workflows/${id}/instances`,
      headers: auth(Keys.reader),
    });
    expect(first.statusCode).toBe(200);
    expect(first.headers['content-type']).toBe(JSON_TYPE);
    await expectMatchesSchema(h.app, first, 'GET', I);
    const doc = first.json();
    expect(doc.data).toHaveLength(10);
    expect(doc.data.map((d: { id: string }) => d.id)).toEqual([...ids].reverse().slice(0, 10));
    expect(doc.data[0].attributes).toEqual({
      instanceStatus: { detailsKind: 'SUCCEEDED', displayName: 'Succeeded' },
      source: { manual: { actingUser: { userUuid: 'admin', userName: 'admin', userEmail: '' } } },
      startTimestamp: expect.any(String),
      endTimestamp: expect.any(String),
    });
    expect(doc.meta).toEqual({
      canceledCount: 0,
      failedCount: 0,
      succeededCount: 12,
      page: { totalCount: 12, totalFilteredCount: 12 },
    });
    const second = await h.request({
      method: 'GET',
      url: `/api/v2/workflows/${id}/instances?page[size]=5&page[number]=2`,
      headers: auth(),
    });
    expect(second.json().data.map((d: { id: string }) => d.id)).toEqual([ids[1], ids[0]]);
  });

  it('counts canceled and failed runs, and omits endTimestamp while running', async () => {
    const id = await h.createWorkflow(sleepSpec(60));
    const a = (await execute(id)).json().data.id as string;
    await h.clock.advanceBy(1); // same-millisecond instances are ordered by id
    await execute(id);
    await h.engine.cancel(a);
    const res = await h.request({ method: 'GET', url: `/api/v2/workflows/${id}/instances`, headers: auth() });
    const [running, canceled] = res.json().data as { attributes: Record<string, unknown> }[];
    expect(running!.attributes['instanceStatus']).toEqual({ detailsKind: 'IN_PROGRESS', displayName: 'Running' });
    expect(running!.attributes).not.toHaveProperty('endTimestamp');
    expect(canceled!.attributes['instanceStatus']).toEqual({ detailsKind: 'CANCELED', displayName: 'Canceled' });
    expect(res.json().meta).toMatchObject({ canceledCount: 1, failedCount: 0, succeededCount: 0 });
  });

  it('refuses page[size] over 100 or below 1 and a negative page[number]', async () => {
    const id = await h.createWorkflow(noopSpec);
    for (const q of ['page[size]=101', 'page[size]=0', 'page[number]=-1', 'page[size]=x']) {
      const res = await h.request({ method: 'GET', url: `/api/v2/workflows/${id}/instances?${q}`, headers: auth() });
      expect(res.statusCode, q).toBe(400);
      expect(res.json().errors[0]).toMatchObject({
        code: 'INVALID_FIELD_VALUE',
        source: { parameter: q.split('=')[0] },
      });
    }
    const ok = await h.request({
      method: 'GET',
      url: `/api/v2/workflows/${id}/instances?page[size]=100`,
      headers: auth(),
    });
    expect(ok.statusCode).toBe(200);
  });

  it('answers 404 WORKFLOW_NOT_FOUND for an unknown workflow', async () => {
    const res = await h.request({ method: 'GET', url: `/api/v2/workflows/${UNKNOWN}/instances`, headers: auth() });
    expect(res.statusCode).toBe(404);
    expect(res.json().errors[0].code).toBe('WORKFLOW_NOT_FOUND');
  });
});

describe('GET .../instances/{id} (getWorkflowInstance)', () => {
  it('returns a finished run with trigger, outputs, source, steps and the relationships', async () => {
    const id = await h.createWorkflow(echoSpec);
    const instanceId = (await execute(id, { meta: { payload: { user: 'ada' } } }, auth(Keys.alice))).json().data.id;
    await h.engine.waitFor(instanceId);
    const res = await h.request({
      method: 'GET',
      url: `/api/v2/workflows/${id}/instances/${instanceId}`,
      headers: auth(),
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe(JSON_TYPE);
    await expectMatchesSchema(h.app, res, 'GET', I_ID);
    const doc = res.json();
    const version = await h.engine.getSpecVersion(id, 1);
    expect(doc.data).toEqual({
      id: instanceId,
      type: 'instances',
      attributes: {
        instanceStatus: { detailsKind: 'SUCCEEDED', displayName: 'Succeeded' },
        startTimestamp: expect.any(String),
        endTimestamp: expect.any(String),
        trigger: { user: 'ada', count: 1 },
        outputs: { greeting: 'Hello ada' },
        source: {
          api: { actingUser: { userUuid: 'alice', userName: 'Alice Example', userEmail: 'alice@example.com' } },
        },
        stepStateAssociations: [{ stepName: 'Greet', stepState: 'SUCCEEDED' }],
        error: null,
        steps: [
          {
            name: 'Greet',
            actionId: 'com.datadoghq.core.echo',
            status: 'SUCCEEDED',
            attempts: 1,
            branch: 'main',
            output: { value: 'Hello ada' },
            error: null,
            startedAt: expect.any(String),
            completedAt: expect.any(String),
          },
        ],
      },
      relationships: {
        specVersion: { data: { id: version.id, type: 'spec_versions' } },
        workflow: { data: { id, type: 'workflows' } },
      },
    });
    expect(doc.included).toEqual([
      {
        id: version.id,
        type: 'spec_versions',
        attributes: { createdAt: expect.any(String), spec: echoSpec, workflowId: id },
      },
      {
        id,
        type: 'workflows',
        attributes: {
          createdAt: expect.any(String),
          name: 'Test workflow',
          specVersionId: version.id,
          updatedAt: expect.any(String),
        },
      },
    ]);
    expect(doc.meta).toEqual({ outputsTooBig: false, sourceTooBig: false, triggerTooBig: false });
  });

  it('shows a running instance without endTimestamp and with empty outputs', async () => {
    const id = await h.createWorkflow(sleepSpec(60));
    const instanceId = (await execute(id)).json().data.id;
    const res = await h.request({
      method: 'GET',
      url: `/api/v2/workflows/${id}/instances/${instanceId}`,
      headers: auth(),
    });
    const a = res.json().data.attributes;
    expect(a.instanceStatus).toEqual({ detailsKind: 'IN_PROGRESS', displayName: 'Running' });
    expect(a).not.toHaveProperty('endTimestamp');
    expect(a.outputs).toEqual({});
    expect(a.stepStateAssociations).toEqual([{ stepName: 'Sleep', stepState: 'RUNNING' }]);
  });

  it('names the failed step in error', async () => {
    const spec = {
      steps: [
        { name: 'Boom', actionId: 'com.datadoghq.core.error', parameters: [{ name: 'message', value: 'kaput' }] },
      ],
      triggers: [{ startStepNames: ['Boom'], workflowTrigger: {} }],
    };
    const id = await h.createWorkflow(spec);
    const instanceId = (await execute(id)).json().data.id;
    await h.engine.waitFor(instanceId);
    const res = await h.request({
      method: 'GET',
      url: `/api/v2/workflows/${id}/instances/${instanceId}`,
      headers: auth(),
    });
    const a = res.json().data.attributes;
    expect(a.instanceStatus.detailsKind).toBe('FAILED');
    expect(a.error).toMatchObject({ step: 'Boom', code: 'action_failed', message: expect.stringContaining('kaput') });
    expect(a.steps[0]).toMatchObject({ status: 'FAILED', error: { code: 'action_failed' } });
    await expectMatchesSchema(h.app, res, 'GET', I_ID);
  });

  it('answers 404 INSTANCE_NOT_FOUND for an instance of another workflow or none', async () => {
    const a = await h.createWorkflow(noopSpec);
    const b = await h.createWorkflow(noopSpec);
    const instanceId = (await execute(a)).json().data.id;
    for (const url of [
      `/api/v2/workflows/${b}/instances/${instanceId}`,
      `/api/v2/workflows/${a}/instances/${UNKNOWN}`,
    ]) {
      const res = await h.request({ method: 'GET', url, headers: auth() });
      expect(res.statusCode).toBe(404);
      expect(res.headers['content-type']).toBe(JSON_TYPE);
      expect(res.json().errors[0]).toMatchObject({ status: '404', code: 'INSTANCE_NOT_FOUND' });
    }
    const neither = await h.request({
      method: 'GET',
      url: `/api/v2/workflows/${UNKNOWN}/instances/${UNKNOWN}`,
      headers: auth(),
    });
    expect(neither.json().errors[0].code).toBe('WORKFLOW_NOT_FOUND');
    const malformed = await h.request({
      method: 'GET',
      url: '/api/v2/workflows/malformed/instances/malformed',
      headers: auth(),
    });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json().errors[0].code).toBe('INVALID_FIELD_VALUE');
  });

  it("keeps a deleted workflow's instances readable", async () => {
    const id = await h.createWorkflow(noopSpec);
    const instanceId = (await execute(id)).json().data.id;
    await h.engine.waitFor(instanceId);
    expect((await h.request({ method: 'DELETE', url: `/api/v2/workflows/${id}`, headers: auth() })).statusCode).toBe(
      204,
    );
    const res = await h.request({
      method: 'GET',
      url: `/api/v2/workflows/${id}/instances/${instanceId}`,
      headers: auth(),
    });
    expect(res.statusCode).toBe(200);
    expect(res.json().included.map((i: { type: string }) => i.type)).toEqual(['spec_versions']);
    const list = await h.request({ method: 'GET', url: `/api/v2/workflows/${id}/instances`, headers: auth() });
    expect(list.json().data).toHaveLength(1);
  });
});

describe('PUT .../instances/{id}/cancel (cancelWorkflowInstance)', () => {
  it('cancels a running instance and answers {} (as recorded); again is not an error', async () => {
    const id = await h.createWorkflow(sleepSpec(300));
    const instanceId = (await execute(id)).json().data.id;
    const url = `/api/v2/workflows/${id}/instances/${instanceId}/cancel`;
    const res = await h.request({ method: 'PUT', url, headers: auth(Keys.runner) });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe(JSON_TYPE);
    expect(res.json()).toEqual({});
    await expectMatchesSchema(h.app, res, 'PUT', I_CANCEL);
    const got = await h.request({
      method: 'GET',
      url: `/api/v2/workflows/${id}/instances/${instanceId}`,
      headers: auth(),
    });
    expect(got.json().data.attributes).toMatchObject({
      instanceStatus: { detailsKind: 'CANCELED', displayName: 'Canceled' },
      stepStateAssociations: [{ stepName: 'Sleep', stepState: 'CANCELED' }],
      endTimestamp: expect.any(String),
    });
    const again = await h.request({ method: 'PUT', url, headers: auth() });
    expect(again.statusCode).toBe(200);
  });

  it('accepts an empty JSON body and answers 404 for an unknown instance', async () => {
    const id = await h.createWorkflow(sleepSpec(300));
    const instanceId = (await execute(id)).json().data.id;
    const withBody = await h.request({
      method: 'PUT',
      url: `/api/v2/workflows/${id}/instances/${instanceId}/cancel`,
      headers: { ...auth(), 'content-type': 'application/json' },
      payload: '',
    });
    expect(withBody.statusCode).toBe(200);
    const missing = await h.request({
      method: 'PUT',
      url: `/api/v2/workflows/${id}/instances/${UNKNOWN}/cancel`,
      headers: auth(),
    });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().errors[0].code).toBe('INSTANCE_NOT_FOUND');
  });
});
