import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { auth, buildHarness, expectMatchesSchema, Keys, noopSpec, sleepSpec } from './harness.testkit.js';
import type { Harness } from './harness.testkit.js';

const JSONAPI = 'application/vnd.api+json; charset=utf-8';
const W = '/api/v2/workflows';
const W_ID = '/api/v2/workflows/{workflow_id}';

/** A spec using every object the official client deserializes strictly (no extra keys allowed). */
const gatedSpec = {
  steps: [
    {
      name: 'Start',
      actionId: 'com.datadoghq.core.echo',
      parameters: [{ name: 'value', value: 'ok' }],
      outboundEdges: [
        { nextStepName: 'Join', branchName: 'main' },
        { nextStepName: 'Side', branchName: 'main' },
      ],
      completionGate: {
        completionCondition: { operand1: '{{ Steps.Start.value }}', operand2: 'ok', operator: 'OPERATOR_EQUAL' },
        retryStrategy: { kind: 'RETRY_STRATEGY_LINEAR', linear: { interval: '1s', maxRetries: 2 } },
      },
      errorHandlers: [
        {
          fallbackStepName: 'Fallback',
          retryStrategy: { kind: 'RETRY_STRATEGY_LINEAR', linear: { interval: '0.5s', maxRetries: 1 } },
        },
      ],
    },
    {
      name: 'Side',
      actionId: 'com.datadoghq.core.noop',
      outboundEdges: [{ nextStepName: 'Join', branchName: 'main' }],
    },
    { name: 'Fallback', actionId: 'com.datadoghq.core.noop' },
    { name: 'Join', actionId: 'com.datadoghq.core.noop', readinessGate: { thresholdType: 'ALL' } },
  ],
  triggers: [{ startStepNames: ['Start'], workflowTrigger: {} }],
};

function body(attributes: Record<string, unknown>): Record<string, unknown> {
  return { data: { type: 'workflows', attributes } };
}

let h: Harness;
beforeEach(async () => {
  h = await buildHarness();
});
afterEach(async () => {
  await h.close();
});

async function countWorkflows(): Promise<number> {
  return (await h.engine.listWorkflows({ includeUnpublished: true })).totalCount;
}

describe('POST /api/v2/workflows (createWorkflow)', () => {
  it('creates with the recorded defaults and shape', async () => {
    const res = await h.request({
      method: 'POST',
      url: W,
      headers: auth(),
      payload: body({ name: 'Given', spec: noopSpec }),
    });
    expect(res.statusCode).toBe(201);
    expect(res.headers['content-type']).toBe(JSONAPI);
    await expectMatchesSchema(h.app, res, 'POST', W);
    const doc = res.json();
    expect(doc.data).toMatchObject({
      type: 'workflows',
      attributes: { name: 'Given', description: '', published: true, tags: [], spec: noopSpec },
      relationships: {
        creator: { data: { id: 'admin', type: 'users' } },
        owner: { data: { id: 'admin', type: 'users' } },
      },
    });
    expect(doc.data.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(doc.data.attributes.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(Object.keys(doc.data.attributes).sort()).toEqual(
      ['createdAt', 'description', 'name', 'published', 'spec', 'tags', 'updatedAt'].sort(),
    );
  });

  it('stores the webhook secret without ever returning it, and keeps the other attributes', async () => {
    const res = await h.request({
      method: 'POST',
      url: W,
      headers: auth(Keys.alice),
      payload: body({
        name: 'Hooked',
        description: 'd',
        published: false,
        tags: ['team:a', 'env:dev'],
        webhookSecret: 'shh-a-secret-value',
        spec: noopSpec,
      }),
    });
    expect(res.statusCode).toBe(201);
    expect(res.body).not.toContain('shh-a-secret-value');
    const id = res.json().data.id as string;
    expect((await h.engine.getWorkflow(id)).webhookSecret).toBe('shh-a-secret-value');
    expect(res.json().data.attributes).toMatchObject({
      description: 'd',
      published: false,
      tags: ['team:a', 'env:dev'],
    });
    expect(res.json().data.relationships.creator.data.id).toBe('alice');
  });

  it('echoes completion gates, error handlers, readiness gates and retry strategies with exactly their keys', async () => {
    const res = await h.request({
      method: 'POST',
      url: W,
      headers: auth(),
      payload: body({ name: 'Gated', spec: gatedSpec }),
    });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json().data.attributes.spec).toEqual(gatedSpec);
    const got = await h.request({ method: 'GET', url: `${W}/${res.json().data.id}`, headers: auth() });
    expect(JSON.stringify(got.json().data.attributes.spec)).toBe(JSON.stringify(gatedSpec));
  });

  it('accepts application/vnd.api+json bodies', async () => {
    const res = await h.request({
      method: 'POST',
      url: W,
      headers: { ...auth(), 'content-type': 'application/vnd.api+json' },
      payload: JSON.stringify(body({ name: 'JSON:API', spec: noopSpec })),
    });
    expect(res.statusCode).toBe(201);
  });

  it('lists every validation problem, each with its pointer, and stores nothing', async () => {
    const spec = {
      steps: [
        {
          name: 'A',
          actionId: 'com.datadoghq.core.noop',
          outboundEdges: [{ nextStepName: 'Nope', branchName: 'main' }],
        },
        { name: 'A', actionId: 'com.example.unknown' },
      ],
      triggers: [],
    };
    const res = await h.request({
      method: 'POST',
      url: W,
      headers: auth(),
      payload: body({ name: '', description: 'x'.repeat(301), spec }),
    });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toBe(JSONAPI);
    await expectMatchesSchema(h.app, res, 'POST', W);
    const errors = res.json().errors as { status: string; code: string; source: { pointer: string } }[];
    const byCode = new Map(errors.map((e) => [e.code, e.source.pointer]));
    expect(byCode.get('FSP_ERR_WORKFLOW_NAME')).toBe('/data/attributes/name');
    expect(byCode.get('FSP_ERR_SPEC_DESCRIPTION_TOO_LONG')).toBe('/data/attributes/description');
    expect(byCode.get('FSP_ERR_SPEC_DUPLICATE_STEP')).toMatch(/^\/data\/attributes\/spec\/steps\/1/);
    expect(byCode.get('FSP_ERR_SPEC_UNKNOWN_STEP')).toBe('/data/attributes/spec/steps/0/outboundEdges/0/nextStepName');
    expect(byCode.get('FSP_ERR_SPEC_NO_TRIGGER')).toMatch(/^\/data\/attributes\/spec\/triggers/);
    expect(byCode.get('FSP_ERR_SPEC_UNKNOWN_ACTION')).toBe('/data/attributes/spec/steps/1/actionId');
    expect(errors.every((e) => e.status === '400')).toBe(true);
    expect(await countWorkflows()).toBe(0);
  });

  it('reports envelope problems together with the spec problems', async () => {
    const res = await h.request({
      method: 'POST',
      url: W,
      headers: auth(),
      payload: {
        data: { type: 'workflow', attributes: { name: 'N', published: 'yes', tags: ['ok', 3], spec: { steps: 'no' } } },
      },
    });
    expect(res.statusCode).toBe(400);
    const pointers = (res.json().errors as { source: { pointer: string } }[]).map((e) => e.source.pointer);
    expect(pointers).toEqual(
      expect.arrayContaining([
        '/data/type',
        '/data/attributes/published',
        '/data/attributes/tags/1',
        '/data/attributes/spec/steps',
      ]),
    );
    expect(await countWorkflows()).toBe(0);
  });

  it('refuses a body without data or attributes', async () => {
    for (const payload of [{}, { data: { type: 'workflows' } }, [1, 2]]) {
      const res = await h.request({ method: 'POST', url: W, headers: auth(), payload });
      expect(res.statusCode).toBe(400);
      expect(res.json().errors[0].source.pointer).toMatch(/^(|\/data|\/data\/attributes)$/);
    }
    expect(await countWorkflows()).toBe(0);
  });

  it('rejects unknown spec keys (tf-test-invalid-unknown-top-level-field)', async () => {
    const res = await h.request({
      method: 'POST',
      url: W,
      headers: auth(),
      payload: body({ name: 'typo', spec: { ...noopSpec, foo: 'bar' } }),
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors).toEqual([
      expect.objectContaining({ code: 'FSP_ERR_SPEC_UNKNOWN_KEY', source: { pointer: '/data/attributes/spec/foo' } }),
    ]);
  });
});

describe('GET /api/v2/workflows/{id} (getWorkflow)', () => {
  it('returns the workflow with its spec', async () => {
    const id = await h.createWorkflow(noopSpec);
    const res = await h.request({ method: 'GET', url: `${W}/${id}`, headers: auth(Keys.reader) });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe(JSONAPI);
    await expectMatchesSchema(h.app, res, 'GET', W_ID);
    expect(res.json().data).toMatchObject({ id, type: 'workflows', attributes: { spec: noopSpec } });
  });

  it('answers 404 WORKFLOW_NOT_FOUND for an unknown id and 400 for a non-UUID', async () => {
    const missing = await h.request({
      method: 'GET',
      url: `${W}/aaa11111-aa11-aa11-aaaa-aaaaaa111111`,
      headers: auth(),
    });
    expect(missing.statusCode).toBe(404);
    expect(missing.headers['content-type']).toBe(JSONAPI);
    await expectMatchesSchema(h.app, missing, 'GET', W_ID);
    expect(missing.json().errors[0]).toMatchObject({ status: '404', title: 'Not Found', code: 'WORKFLOW_NOT_FOUND' });
    const bad = await h.request({ method: 'GET', url: `${W}/bad-format`, headers: auth() });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors[0]).toMatchObject({
      status: '400',
      code: 'INVALID_FIELD_VALUE',
      detail: 'invalid parameter "workflowId" in "path"; expected type "uuid"',
      source: { parameter: 'workflow_id' },
    });
  });

  it('finds ids given in upper case', async () => {
    const id = await h.createWorkflow(noopSpec);
    const res = await h.request({ method: 'GET', url: `${W}/${id.toUpperCase()}`, headers: auth() });
    expect(res.statusCode).toBe(200);
  });
});

describe('PATCH /api/v2/workflows/{id} (updateWorkflow)', () => {
  it('changes only the attributes sent and ignores data.id', async () => {
    const id = await h.createWorkflow(noopSpec, { description: 'keep', tags: ['a'] });
    await h.clock.advanceBy(1000);
    const res = await h.request({
      method: 'PATCH',
      url: `${W}/${id}`,
      headers: auth(),
      payload: {
        data: { id: '22222222-2222-2222-2222-222222222222', type: 'workflows', attributes: { name: 'Renamed' } },
      },
    });
    expect(res.statusCode).toBe(200);
    await expectMatchesSchema(h.app, res, 'PATCH', W_ID);
    const a = res.json().data.attributes;
    expect(res.json().data.id).toBe(id);
    expect(a).toMatchObject({ name: 'Renamed', description: 'keep', tags: ['a'], spec: noopSpec, published: true });
    expect(a.updatedAt > a.createdAt).toBe(true);
  });

  it('makes a new spec version on a spec change; running instances keep theirs', async () => {
    const id = await h.createWorkflow(sleepSpec(60));
    const started = await h.engine.execute(id);
    const next = { ...noopSpec, triggers: [{ startStepNames: ['No_op'], apiTrigger: {} }] };
    const res = await h.request({ method: 'PATCH', url: `${W}/${id}`, headers: auth(), payload: body({ spec: next }) });
    expect(res.statusCode).toBe(200);
    expect(res.json().data.attributes.spec).toEqual(next);
    expect((await h.engine.getWorkflow(id)).specVersion).toBe(2);
    expect((await h.engine.getInstance(started.instanceId)).specVersion).toBe(1);
  });

  it('refuses an invalid update with every problem and changes nothing', async () => {
    const id = await h.createWorkflow(noopSpec);
    const res = await h.request({
      method: 'PATCH',
      url: `${W}/${id}`,
      headers: auth(),
      payload: body({ description: 'a'.repeat(301), name: 'Too many characters in description', spec: {} }),
    });
    expect(res.statusCode).toBe(400);
    const codes = (res.json().errors as { code: string }[]).map((e) => e.code);
    expect(codes).toContain('FSP_ERR_SPEC_DESCRIPTION_TOO_LONG');
    expect(codes.some((c) => c.startsWith('FSP_ERR_SPEC_') && c !== 'FSP_ERR_SPEC_DESCRIPTION_TOO_LONG')).toBe(true);
    const wf = await h.engine.getWorkflow(id);
    expect(wf).toMatchObject({ name: 'Test workflow', specVersion: 1, description: '' });
  });

  it('answers 404 for an unknown workflow', async () => {
    const res = await h.request({
      method: 'PATCH',
      url: `${W}/aaa11111-aa11-aa11-aaaa-aaaaaa111111`,
      headers: auth(),
      payload: body({ name: 'x' }),
    });
    expect(res.statusCode).toBe(404);
    expect(res.json().errors[0].code).toBe('WORKFLOW_NOT_FOUND');
  });
});

describe('DELETE /api/v2/workflows/{id} (deleteWorkflow)', () => {
  it('answers 204 with an empty body, then 404', async () => {
    const id = await h.createWorkflow(noopSpec);
    const res = await h.request({ method: 'DELETE', url: `${W}/${id}`, headers: auth() });
    expect(res.statusCode).toBe(204);
    expect(res.body).toBe('');
    expect(res.headers['content-type']).toBeUndefined();
    const again = await h.request({ method: 'DELETE', url: `${W}/${id}`, headers: auth() });
    expect(again.statusCode).toBe(404);
    expect(again.json().errors[0].code).toBe('WORKFLOW_NOT_FOUND');
    await expectMatchesSchema(h.app, again, 'DELETE', W_ID);
  });

  it('refuses while instances run (409) unless cancelRunning=true', async () => {
    const id = await h.createWorkflow(sleepSpec(60));
    const { instanceId } = await h.engine.execute(id);
    const refused = await h.request({ method: 'DELETE', url: `${W}/${id}`, headers: auth() });
    expect(refused.statusCode).toBe(409);
    expect(refused.json().errors[0].code).toBe('FSP_ERR_WORKFLOW_HAS_RUNNING_INSTANCES');
    expect((await h.engine.getWorkflow(id)).id).toBe(id);
    const forced = await h.request({ method: 'DELETE', url: `${W}/${id}?cancelRunning=true`, headers: auth() });
    expect(forced.statusCode).toBe(204);
    expect((await h.engine.getInstance(instanceId)).status).toBe('CANCELED');
  });
});

describe('GET /api/v2/workflows (listWorkflows)', () => {
  async function seed(): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push(await h.createWorkflow(noopSpec, { name: `Flow ${i}`, description: i === 3 ? 'the special one' : '' }));
      await h.clock.advanceBy(1000);
    }
    ids.push(await h.createWorkflow(noopSpec, { name: 'Draft', published: false }));
    return ids;
  }

  it('pages with limit and a 0-based page; spec is null unless includeSpecs', async () => {
    await seed();
    const first = await h.request({ method: 'GET', url: `${W}?limit=2&page=0&sort=name`, headers: auth() });
    expect(first.statusCode).toBe(200);
    expect(first.headers['content-type']).toBe(JSONAPI);
    await expectMatchesSchema(h.app, first, 'GET', W);
    const doc = first.json();
    expect(doc.data.map((w: { attributes: { name: string } }) => w.attributes.name)).toEqual(['Flow 0', 'Flow 1']);
    expect(doc.data.every((w: { attributes: { spec: unknown } }) => w.attributes.spec === null)).toBe(true);
    expect(doc.meta.page).toEqual({ totalCount: expect.any(Number), totalFilteredCount: 5 });
    const third = await h.request({ method: 'GET', url: `${W}?limit=2&page=2&sort=name`, headers: auth() });
    expect(third.json().data.map((w: { attributes: { name: string } }) => w.attributes.name)).toEqual(['Flow 4']);
    const specs = await h.request({ method: 'GET', url: `${W}?filter[includeSpecs]=true&limit=1`, headers: auth() });
    expect(specs.json().data[0].attributes.spec).toEqual(noopSpec);
  });

  it('filters by query and includes unpublished workflows only when asked', async () => {
    await seed();
    const q = await h.request({ method: 'GET', url: `${W}?filter[query]=SPECIAL`, headers: auth() });
    expect(q.json().data.map((w: { attributes: { name: string } }) => w.attributes.name)).toEqual(['Flow 3']);
    expect(q.json().meta.page.totalFilteredCount).toBe(1);
    const all = await h.request({ method: 'GET', url: `${W}?filter[includeUnpublished]=true`, headers: auth() });
    expect(all.json().data).toHaveLength(6);
    const desc = await h.request({ method: 'GET', url: `${W}?sort=-name`, headers: auth() });
    expect(desc.json().data[0].attributes.name).toBe('Flow 4');
  });

  it('refuses a page size over 100 and malformed parameters', async () => {
    for (const query of ['limit=101', 'limit=0', 'page=-1', 'limit=abc', 'sort=size', 'filter[includeSpecs]=yes']) {
      const res = await h.request({ method: 'GET', url: `${W}?${query}`, headers: auth() });
      expect(res.statusCode, query).toBe(400);
      expect(res.json().errors[0]).toMatchObject({
        code: 'INVALID_FIELD_VALUE',
        source: { parameter: query.split('=')[0] },
      });
    }
    const ok = await h.request({ method: 'GET', url: `${W}?limit=100`, headers: auth() });
    expect(ok.statusCode).toBe(200);
  });
});

describe('GET /api/v2/workflows/{id}/schedule (Flowspec extension)', () => {
  const scheduled = {
    steps: [{ name: 'Tick', actionId: 'com.datadoghq.core.noop' }],
    triggers: [{ startStepNames: ['Tick'], scheduleTrigger: { rruleExpression: 'RRULE:FREQ=HOURLY' } }],
  };

  it('lists the next fire times', async () => {
    const id = await h.createWorkflow(scheduled);
    const res = await h.request({ method: 'GET', url: `${W}/${id}/schedule?count=3`, headers: auth(Keys.reader) });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toBe(JSONAPI);
    await expectMatchesSchema(h.app, res, 'GET', `${W_ID}/schedule`);
    const times = res.json().data.attributes.fireTimes as string[];
    expect(res.json().data).toMatchObject({ id, type: 'workflow_schedules' });
    expect(times).toHaveLength(3);
    const ms = times.map((t) => Date.parse(t));
    expect(ms[0]).toBeGreaterThan(h.clock.now());
    expect(ms[1]! - ms[0]!).toBe(3_600_000);
    expect(ms[2]! - ms[1]!).toBe(3_600_000);
    const unpublished = await h.createWorkflow(scheduled, { published: false });
    const none = await h.request({ method: 'GET', url: `${W}/${unpublished}/schedule`, headers: auth() });
    expect(none.json().data.attributes.fireTimes).toEqual([]);
  });

  it('refuses a workflow without a scheduleTrigger, a bad count and an unknown id', async () => {
    const id = await h.createWorkflow(noopSpec);
    const noSchedule = await h.request({ method: 'GET', url: `${W}/${id}/schedule`, headers: auth() });
    expect(noSchedule.statusCode).toBe(400);
    expect(noSchedule.json().errors[0].code).toBe('FSP_ERR_TRIGGER_NOT_FOUND');
    const badCount = await h.request({ method: 'GET', url: `${W}/${id}/schedule?count=1001`, headers: auth() });
    expect(badCount.statusCode).toBe(400);
    expect(badCount.json().errors[0].source).toEqual({ parameter: 'count' });
    const missing = await h.request({
      method: 'GET',
      url: `${W}/aaa11111-aa11-aa11-aaaa-aaaaaa111111/schedule`,
      headers: auth(),
    });
    expect(missing.statusCode).toBe(404);
  });
});
