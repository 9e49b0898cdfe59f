import { afterEach, describe, expect, it, vi } from 'vitest';
import { auth, buildHarness, expectMatchesSchema, Keys, noopSpec } from './harness.testkit.js';
import type { Harness } from './harness.testkit.js';

const JSONAPI = 'application/vnd.api+json; charset=utf-8';
const JSON_TYPE = 'application/json; charset=utf-8';

let h: Harness;
afterEach(async () => {
  await h.close();
});

const createBody = { data: { type: 'workflows', attributes: { name: 'W', spec: noopSpec } } };

async function workflowCount(): Promise<number> {
  return (await h.engine.listWorkflows({ includeUnpublished: true })).totalCount;
}

describe('authentication', () => {
  it('answers 403 to missing, partial or wrong keys, on every route family, storing nothing', async () => {
    h = await buildHarness();
    const id = await h.createWorkflow(noopSpec);
    const attempts: Record<string, string>[] = [
      {},
      { 'dd-api-key': Keys.admin.apiKey },
      { 'dd-application-key': Keys.admin.appKey },
      { 'dd-api-key': Keys.admin.apiKey, 'dd-application-key': Keys.alice.appKey },
      { 'dd-api-key': 'x'.repeat(24), 'dd-application-key': 'y'.repeat(24) },
      { 'x-domo-developer-token': `${Keys.admin.apiKey}:wrong` },
      { 'x-domo-developer-token': Keys.admin.apiKey },
    ];
    for (const headers of attempts) {
      const create = await h.request({ method: 'POST', url: '/api/v2/workflows', headers, payload: createBody });
      expect(create.statusCode, JSON.stringify(Object.keys(headers))).toBe(403);
      expect(create.headers['content-type']).toBe(JSONAPI);
      expect(create.json().errors[0]).toMatchObject({ status: '403', title: 'Forbidden', code: 'FORBIDDEN' });
      const run = await h.request({ method: 'POST', url: `/api/v2/workflows/${id}/instances`, headers, payload: {} });
      expect(run.statusCode).toBe(403);
      expect(run.headers['content-type']).toBe(JSON_TYPE);
      const domo = await h.request({
        method: 'POST',
        url: '/api/workflow/v1/instances/message',
        headers,
        payload: { modelId: id },
      });
      expect(domo.statusCode).toBe(403);
    }
    expect(await workflowCount()).toBe(1);
    expect((await h.engine.listInstances({ workflowId: id })).totalCount).toBe(0);
  });

  it('accepts the Domo developer token and the Datadog headers alike', async () => {
    h = await buildHarness();
    const id = await h.createWorkflow(noopSpec);
    const token = await h.request({
      method: 'GET',
      url: `/api/v2/workflows/${id}`,
      headers: { 'x-domo-developer-token': `${Keys.reader.apiKey}:${Keys.reader.appKey}` },
    });
    expect(token.statusCode).toBe(200);
  });

  it('checks scopes: workflows_read for GET, workflows_write to change, workflows_run to run', async () => {
    h = await buildHarness();
    const id = await h.createWorkflow(noopSpec);
    const asReader = auth(Keys.reader);
    const asRunner = auth(Keys.runner);
    expect((await h.request({ method: 'GET', url: '/api/v2/workflows', headers: asReader })).statusCode).toBe(200);
    const create = await h.request({
      method: 'POST',
      url: '/api/v2/workflows',
      headers: asReader,
      payload: createBody,
    });
    expect(create.statusCode).toBe(403);
    expect(create.json().errors[0].detail).toContain('workflows_write');
    expect(
      (await h.request({ method: 'POST', url: `/api/v2/workflows/${id}/instances`, headers: asReader })).statusCode,
    ).toBe(403);
    expect((await h.request({ method: 'DELETE', url: `/api/v2/workflows/${id}`, headers: asRunner })).statusCode).toBe(
      403,
    );
    expect(
      (await h.request({ method: 'POST', url: `/api/v2/workflows/${id}/instances`, headers: asRunner })).statusCode,
    ).toBe(200);
    expect(await workflowCount()).toBe(1);
  });

  it('never logs a key, even at debug level and for refused or failing requests', async () => {
    h = await buildHarness();
    const id = await h.createWorkflow(noopSpec);
    await h.request({ method: 'GET', url: `/api/v2/workflows/${id}`, headers: auth(Keys.alice) });
    await h.request({
      method: 'GET',
      url: `/api/v2/workflows/${id}`,
      headers: { 'dd-api-key': 'presented-wrong-api-key', 'dd-application-key': 'presented-wrong-app-key' },
    });
    await h.request({
      method: 'GET',
      url: '/api/v2/workflows/bad',
      headers: { 'x-domo-developer-token': `${Keys.bob.apiKey}:${Keys.bob.appKey}` },
    });
    const spy = vi.spyOn(h.store, 'getWorkflow').mockImplementation(() => {
      throw new Error('disk on fire');
    });
    const failing = await h.request({ method: 'GET', url: `/api/v2/workflows/${id}`, headers: auth(Keys.alice) });
    spy.mockRestore();
    expect(failing.statusCode).toBe(500);
    const logs = h.logs.join('');
    expect(logs).toContain('disk on fire'); // the failure itself is logged ...
    expect(logs).toContain('request completed'); // ... and so is each request at debug
    for (const key of Object.values(Keys)) {
      expect(logs).not.toContain(key.apiKey);
      expect(logs).not.toContain(key.appKey);
    }
    expect(logs).not.toContain('presented-wrong');
  });
});

describe('request limits and formats', () => {
  it('refuses a body over the limit with 413 and stores nothing', async () => {
    h = await buildHarness({ bodyLimit: 2048 });
    const big = {
      data: { type: 'workflows', attributes: { name: 'W', description: 'x'.repeat(4000), spec: noopSpec } },
    };
    const res = await h.request({ method: 'POST', url: '/api/v2/workflows', headers: auth(), payload: big });
    expect(res.statusCode).toBe(413);
    expect(res.headers['content-type']).toBe(JSONAPI);
    expect(res.json().errors[0]).toMatchObject({ status: '413', title: 'Payload Too Large', code: 'BODY_TOO_LARGE' });
    await expectMatchesSchema(h.app, res, 'POST', '/api/v2/workflows');
    expect(await workflowCount()).toBe(0);
  });

  it('has a 5 MiB default limit', async () => {
    h = await buildHarness();
    const payload = JSON.stringify({ meta: { payload: { blob: 'x'.repeat(5 * 1024 * 1024) } } });
    const id = await h.createWorkflow(noopSpec);
    const res = await h.request({
      method: 'POST',
      url: `/api/v2/workflows/${id}/instances`,
      headers: { ...auth(), 'content-type': 'application/json' },
      payload,
    });
    expect(res.statusCode).toBe(413);
    expect(res.headers['content-type']).toBe(JSON_TYPE);
    expect((await h.engine.listInstances({ workflowId: id })).totalCount).toBe(0);
  });

  it('refuses a non-JSON content type with 415 and malformed JSON with 400', async () => {
    h = await buildHarness();
    const plain = await h.request({
      method: 'POST',
      url: '/api/v2/workflows',
      headers: { ...auth(), 'content-type': 'text/plain' },
      payload: JSON.stringify(createBody),
    });
    expect(plain.statusCode).toBe(415);
    expect(plain.headers['content-type']).toBe(JSONAPI);
    expect(plain.json().errors[0]).toMatchObject({ status: '415', code: 'UNSUPPORTED_MEDIA_TYPE' });
    const form = await h.request({
      method: 'POST',
      url: '/api/workflow/v1/instances/message',
      headers: { ...auth(), 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'modelId=1',
    });
    expect(form.statusCode).toBe(415);
    const broken = await h.request({
      method: 'POST',
      url: '/api/v2/workflows',
      headers: { ...auth(), 'content-type': 'application/json; charset=utf-8' },
      payload: '{"data": {',
    });
    expect(broken.statusCode).toBe(400);
    expect(broken.json().errors[0]).toMatchObject({ code: 'INVALID_JSON', source: { pointer: '' } });
    const poisoned = await h.request({
      method: 'POST',
      url: '/api/v2/workflows',
      headers: { ...auth(), 'content-type': 'application/json' },
      payload: '{"__proto__": {"admin": true}, "data": {}}',
    });
    expect(poisoned.statusCode).toBe(400);
    expect(poisoned.json().errors[0].code).toBe('INVALID_JSON');
    expect(await workflowCount()).toBe(0);
  });

  it('answers unknown routes and methods with a JSON:API 404', async () => {
    h = await buildHarness();
    for (const [method, url, type] of [
      ['GET', '/api/v2/nothing', JSON_TYPE],
      ['GET', '/nope', JSON_TYPE],
      ['PUT', '/api/v2/workflows', JSONAPI],
      ['POST', '/api/v2/workflows/aaa11111-aa11-aa11-aaaa-aaaaaa111111/instances/x/y', JSON_TYPE],
    ] as const) {
      const res = await h.request({ method, url, headers: auth() });
      expect(res.statusCode, `${method} ${url}`).toBe(404);
      expect(res.headers['content-type']).toBe(type);
      expect(res.json().errors[0]).toMatchObject({ status: '404', title: 'Not Found', code: 'ROUTE_NOT_FOUND' });
    }
  });

  it('hides internal failures behind a 500 and answers 503 while the engine stops', async () => {
    h = await buildHarness();
    const id = await h.createWorkflow(noopSpec);
    const spy = vi.spyOn(h.store, 'getWorkflow').mockImplementation(() => {
      throw new Error('secret internal detail');
    });
    const res = await h.request({ method: 'GET', url: `/api/v2/workflows/${id}`, headers: auth() });
    spy.mockRestore();
    expect(res.statusCode).toBe(500);
    expect(res.json().errors[0]).toMatchObject({ status: '500', code: 'INTERNAL_ERROR' });
    expect(res.body).not.toContain('secret internal detail');
    await h.engine.stop();
    const stopped = await h.request({ method: 'POST', url: `/api/v2/workflows/${id}/instances`, headers: auth() });
    expect(stopped.statusCode).toBe(503);
    expect(stopped.headers['retry-after']).toBe('1');
    expect(stopped.json().errors[0].code).toBe('FSP_ERR_ENGINE_STOPPED');
  });
});

describe('service routes', () => {
  it('GET /healthz needs no key and reports the store', async () => {
    h = await buildHarness();
    const ok = await h.request({ method: 'GET', url: '/healthz' });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toEqual({ status: 'ok', store: 'memory' });
    await expectMatchesSchema(h.app, ok, 'GET', '/healthz');
    const spy = vi.spyOn(h.store, 'ping').mockReturnValue(false);
    const down = await h.request({ method: 'GET', url: '/healthz' });
    spy.mockRestore();
    expect(down.statusCode).toBe(503);
    expect(down.json()).toEqual({ status: 'unavailable', store: 'memory' });
  });

  it('serves an OpenAPI 3 document generated from the route schemas', async () => {
    h = await buildHarness();
    const res = await h.request({ method: 'GET', url: '/api/v2/openapi.json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json();
    expect(doc.openapi).toMatch(/^3\./);
    const operations = Object.values(doc.paths as Record<string, Record<string, { operationId: string }>>).flatMap(
      (p) => Object.values(p).map((op) => op.operationId),
    );
    expect(operations.sort()).toEqual(
      [
        'CancelWorkflowInstance',
        'CreateWorkflow',
        'CreateWorkflowInstance',
        'DeleteWorkflow',
        'GetWorkflow',
        'GetWorkflowInstance',
        'ListWorkflowInstances',
        'ListWorkflows',
        'UpdateWorkflow',
        'PreviewWorkflowSchedule',
        'DomoCancelInstance',
        'DomoSetPermissions',
        'DomoStartInstance',
        'Health',
        'OpenApi',
      ].sort(),
    );
    const list = doc.paths['/api/v2/workflows'].get;
    expect(list.parameters.map((p: { name: string }) => p.name)).toEqual(
      expect.arrayContaining([
        'limit',
        'page',
        'sort',
        'filter[query]',
        'filter[includeUnpublished]',
        'filter[includeSpecs]',
      ]),
    );
    expect(Object.keys(list.responses['200'].content)).toEqual(['application/vnd.api+json']);
    const execute = doc.paths['/api/v2/workflows/{workflow_id}/instances'].post;
    expect(Object.keys(execute.responses)).toEqual(
      expect.arrayContaining(['200', '400', '403', '404', '413', '415', '429']),
    );
    expect(doc.components.securitySchemes).toHaveProperty('apiKeyAuth');
  });
});
