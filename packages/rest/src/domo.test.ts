import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseDomoVersion } from './routes/domo.js';
import { auth, buildHarness, echoSpec, expectMatchesSchema, Keys, noopSpec, sleepSpec } from './harness.testkit.js';
import type { Harness } from './harness.testkit.js';
import type { ApiKeyEntry } from './auth.js';

const MESSAGE = '/api/workflow/v1/instances/message';
const UNKNOWN = 'aaa11111-aa11-aa11-aaaa-aaaaaa111111';

let h: Harness;
beforeEach(async () => {
  h = await buildHarness();
});
afterEach(async () => {
  await h.close();
});

function domoToken(key: ApiKeyEntry): Record<string, string> {
  return { 'x-domo-developer-token': `${key.apiKey}:${key.appKey}` };
}

function message(payload: unknown, headers: Record<string, string> = domoToken(Keys.admin)) {
  return h.request({ method: 'POST', url: MESSAGE, headers, payload: payload as Record<string, unknown> });
}

function setPermissions(workflowId: string, entries: unknown, key: ApiKeyEntry = Keys.admin) {
  return h.request({
    method: 'POST',
    url: `/api/workflow/v1/models/${workflowId}/permissions`,
    headers: auth(key),
    payload: entries as Record<string, unknown>,
  });
}

describe('parseDomoVersion', () => {
  it('reads "3", "3.0", "3.0.0" and 3; refuses anything else', () => {
    for (const v of ['3', '3.0', '3.0.0', 3, ' 3 ', 'v3']) expect(parseDomoVersion(v), String(v)).toBe(3);
    for (const v of ['3.1.0', '0', 0, -1, 'three', '', 2.5, null, {}])
      expect(parseDomoVersion(v), String(v)).toBeUndefined();
  });
});

describe('POST /api/workflow/v1/instances/message', () => {
  it('starts the current version and answers the Domo instance shape', async () => {
    const id = await h.createWorkflow(echoSpec);
    const res = await message({ messageName: 'greet', modelId: id, data: { user: 'ada' } }, domoToken(Keys.alice));
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    await expectMatchesSchema(h.app, res, 'POST', MESSAGE);
    const doc = res.json();
    expect(doc).toEqual({
      id: expect.any(String),
      modelId: id,
      modelName: 'Test workflow',
      modelVersion: '1.0.0',
      createdBy: 'alice',
      createdOn: expect.any(String),
      updatedBy: 'alice',
      updatedOn: expect.any(String),
      status: expect.toBeOneOf([null, 'IN_PROGRESS', 'COMPLETED']),
    });
    const run = await h.engine.waitFor(doc.id);
    expect(run.messageName).toBe('greet');
    expect(run.input).toEqual({ user: 'ada', count: 1 });
  });

  it('starts an earlier spec version by number', async () => {
    const id = await h.createWorkflow(noopSpec);
    const v2 = { ...echoSpec, triggers: [{ startStepNames: ['Greet'], workflowTrigger: {} }] };
    expect(
      (
        await h.request({
          method: 'PATCH',
          url: `/api/v2/workflows/${id}`,
          headers: auth(),
          payload: { data: { type: 'workflows', attributes: { spec: v2 } } },
        })
      ).statusCode,
    ).toBe(200);
    for (const version of ['1', '1.0.0', 1]) {
      const res = await message({ modelId: id, version, data: {} });
      expect(res.statusCode, String(version)).toBe(200);
      expect(res.json().modelVersion).toBe('1.0.0');
      expect((await h.engine.getInstance(res.json().id)).specVersion).toBe(1);
    }
    const current = await message({ modelId: id, data: { user: 'x' } });
    expect(current.json().modelVersion).toBe('2.0.0');
    const missing = await message({ modelId: id, version: '9' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().errors[0].code).toBe('FSP_ERR_SPEC_VERSION_NOT_FOUND');
  });

  it('validates the body and the input, each problem with its pointer', async () => {
    const bad = await message({ modelId: 'nope', version: '1.2.0', data: [1], messageName: 5 });
    expect(bad.statusCode).toBe(400);
    expect((bad.json().errors as { source: { pointer: string } }[]).map((e) => e.source.pointer).sort()).toEqual([
      '/data',
      '/messageName',
      '/modelId',
      '/version',
    ]);
    const id = await h.createWorkflow(echoSpec);
    const input = await message({ modelId: id, data: { user: 7 } });
    expect(input.statusCode).toBe(400);
    expect(input.json().errors[0].source.pointer).toBe('/data/user');
    expect((await h.engine.listInstances({ workflowId: id })).totalCount).toBe(0);
    const unknown = await message({ modelId: UNKNOWN });
    expect(unknown.statusCode).toBe(404);
  });
});

describe('POST /api/workflow/v1/instances/{instanceId}/cancel', () => {
  it('cancels and answers the instance with the deployment fields', async () => {
    const id = await h.createWorkflow(sleepSpec(300));
    const started = await message({ modelId: id });
    const url = `/api/workflow/v1/instances/${started.json().id}/cancel`;
    const res = await h.request({ method: 'POST', url, headers: domoToken(Keys.runner) });
    expect(res.statusCode).toBe(200);
    await expectMatchesSchema(h.app, res, 'POST', '/api/workflow/v1/instances/{instanceId}/cancel');
    const version = await h.engine.getSpecVersion(id, 1);
    expect(res.json()).toMatchObject({
      id: started.json().id,
      modelId: id,
      status: 'CANCELED',
      deploymentId: version.id,
      bpmnProcessId: id,
      bpmnProcessName: 'Test workflow',
      isTestRun: false,
    });
    const missing = await h.request({
      method: 'POST',
      url: `/api/workflow/v1/instances/${UNKNOWN}/cancel`,
      headers: domoToken(Keys.admin),
    });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().errors[0].code).toBe('INSTANCE_NOT_FOUND');
  });
});

describe('POST /api/workflow/v1/models/{modelId}/permissions and the access list', () => {
  it('replaces the access list and answers it', async () => {
    const id = await h.createWorkflow(noopSpec);
    const list = [{ id: 'alice', name: 'Alice', type: 'USER', permissions: ['READ', 'EXECUTE', 'READ'] }];
    const res = await setPermissions(id, list);
    expect(res.statusCode).toBe(200);
    await expectMatchesSchema(h.app, res, 'POST', '/api/workflow/v1/models/{modelId}/permissions');
    expect(res.json()).toEqual([{ id: 'alice', name: 'Alice', type: 'USER', permissions: ['READ', 'EXECUTE'] }]);
    expect((await h.engine.getWorkflow(id)).accessList).toEqual(res.json());
    const replaced = await setPermissions(id, [{ id: 'bob', type: 'USER', permissions: ['ADMIN'] }]);
    expect(replaced.json()).toEqual([{ id: 'bob', type: 'USER', permissions: ['ADMIN'] }]);
  });

  it('refuses a malformed list with pointers and keeps the old one', async () => {
    const id = await h.createWorkflow(noopSpec);
    const res = await setPermissions(id, [
      { id: 'alice', type: 'ROBOT', permissions: ['READ', 'FLY'] },
      { id: '', type: 'USER', permissions: 'READ', extra: 1 },
      'x',
    ]);
    expect(res.statusCode).toBe(400);
    const pointers = (res.json().errors as { source: { pointer: string } }[]).map((e) => e.source.pointer);
    expect(pointers).toEqual(['/0/type', '/0/permissions/1', '/1/extra', '/1/id', '/1/permissions', '/2']);
    expect((await h.engine.getWorkflow(id)).accessList).toBeNull();
    const notArray = await setPermissions(id, { id: 'alice' });
    expect(notArray.statusCode).toBe(400);
  });

  it('is enforced on both route families, per permission, with admin pairs passing', async () => {
    const id = await h.createWorkflow(sleepSpec(300));
    await setPermissions(id, [
      { id: 'alice', type: 'USER', permissions: ['READ'] },
      { id: 'ops', type: 'GROUP', permissions: ['EXECUTE', 'READ'] },
    ]);
    const read = (key: ApiKeyEntry) => h.request({ method: 'GET', url: `/api/v2/workflows/${id}`, headers: auth(key) });
    const run = (key: ApiKeyEntry) =>
      h.request({ method: 'POST', url: `/api/v2/workflows/${id}/instances`, headers: auth(key) });
    const patch = (key: ApiKeyEntry) =>
      h.request({
        method: 'PATCH',
        url: `/api/v2/workflows/${id}`,
        headers: auth(key),
        payload: { data: { type: 'workflows', attributes: { name: 'new' } } },
      });

    expect((await read(Keys.alice)).statusCode).toBe(200);
    const denied = await run(Keys.alice);
    expect(denied.statusCode).toBe(403);
    expect(denied.json().errors[0].code).toBe('PERMISSION_DENIED');
    expect((await message({ modelId: id }, domoToken(Keys.alice))).statusCode).toBe(403);
    expect((await patch(Keys.alice)).statusCode).toBe(403);
    expect((await read(Keys.reader)).statusCode).toBe(403); // not listed at all

    // bob is in group "ops": may run and cancel, may not change or delete
    const started = await run(Keys.bob);
    expect(started.statusCode).toBe(200);
    const instanceId = started.json().data.id as string;
    expect(
      (
        await h.request({
          method: 'GET',
          url: `/api/v2/workflows/${id}/instances/${instanceId}`,
          headers: auth(Keys.bob),
        })
      ).statusCode,
    ).toBe(200);
    expect(
      (
        await h.request({
          method: 'PUT',
          url: `/api/v2/workflows/${id}/instances/${instanceId}/cancel`,
          headers: auth(Keys.bob),
        })
      ).statusCode,
    ).toBe(200);
    expect((await patch(Keys.bob)).statusCode).toBe(403);
    expect(
      (await h.request({ method: 'DELETE', url: `/api/v2/workflows/${id}`, headers: auth(Keys.bob) })).statusCode,
    ).toBe(403);
    expect((await setPermissions(id, [], Keys.bob)).statusCode).toBe(403);

    // the list hides the workflow from users who may not read it
    const listAsReader = await h.request({ method: 'GET', url: '/api/v2/workflows', headers: auth(Keys.reader) });
    expect(listAsReader.json().data).toHaveLength(0);
    expect(listAsReader.json().meta.page.totalFilteredCount).toBe(0);
    const listAsAlice = await h.request({ method: 'GET', url: '/api/v2/workflows', headers: auth(Keys.alice) });
    expect(listAsAlice.json().data.map((w: { id: string }) => w.id)).toEqual([id]);

    // admin pairs pass every list; WRITE lets a user change, DELETE delete
    expect((await patch(Keys.admin)).statusCode).toBe(200);
    await setPermissions(id, [{ id: 'alice', type: 'USER', permissions: ['UPDATE_CONTENT', 'DELETE'] }]);
    expect((await patch(Keys.alice)).statusCode).toBe(200);
    expect(
      (await h.request({ method: 'DELETE', url: `/api/v2/workflows/${id}`, headers: auth(Keys.alice) })).statusCode,
    ).toBe(204);
    expect(await h.engine.getWorkflow(id).catch((e: { code: string }) => e.code)).toBe('FSP_ERR_WORKFLOW_NOT_FOUND');
  });

  it('lets a user with SHARE or ADMIN change the list, and needs workflows_write', async () => {
    const id = await h.createWorkflow(noopSpec);
    await setPermissions(id, [{ id: 'alice', type: 'USER', permissions: ['SHARE'] }]);
    expect(
      (await setPermissions(id, [{ id: 'alice', type: 'USER', permissions: ['SHARE', 'READ'] }], Keys.alice))
        .statusCode,
    ).toBe(200);
    const noScope = await setPermissions(id, [], Keys.runner);
    expect(noScope.statusCode).toBe(403);
    expect(noScope.json().errors[0].code).toBe('FORBIDDEN');
  });
});
