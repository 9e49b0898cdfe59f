import { describe, expect, it } from 'vitest';
import { createEngine } from './engine.js';
import type { Engine, EngineOptions } from './engine.js';
import { createMemoryStore } from './store/memory-store.js';
import { createSimulatedClock } from './runtime/simulated-clock.js';
import type { SimulatedClock } from './runtime/simulated-clock.js';
import { actionResult, ActionError } from './actions/types.js';
import { FlowspecError } from './errors.js';

type StepSpec = {
  name: string;
  actionId?: string;
  parameters?: { name: string; value: unknown }[];
  outboundEdges?: { nextStepName: string; branchName: string }[];
  [k: string]: unknown;
};

function spec(steps: StepSpec[], starts: string[] = [steps[0]!.name], extra: Record<string, unknown> = {}) {
  return {
    triggers: [{ startStepNames: starts, workflowTrigger: {} }],
    steps: steps.map((s) => ({ actionId: 'com.datadoghq.core.noop', ...s })),
    ...extra,
  };
}

function edge(to: string, branch = 'main') {
  return { nextStepName: to, branchName: branch };
}

function setup(options: Partial<EngineOptions> = {}): { engine: Engine; clock: SimulatedClock } {
  const clock = createSimulatedClock();
  const engine = createEngine({ store: createMemoryStore(), clock, ...options });
  return { engine, clock };
}

async function run(engine: Engine, s: unknown, input: unknown = {}) {
  const wf = await engine.createWorkflow({ name: 'wf', spec: s });
  const { instanceId } = await engine.execute(wf.id, input);
  return engine.waitFor(instanceId);
}

function statuses(view: { steps: readonly { name: string; status: string }[] }) {
  return Object.fromEntries(view.steps.map((s) => [s.name, s.status]));
}

describe('engine: running steps', () => {
  it('runs a linear chain and passes outputs through templates', async () => {
    const { engine } = setup();
    const view = await run(
      engine,
      spec(
        [
          {
            name: 'A',
            actionId: 'com.datadoghq.core.echo',
            parameters: [{ name: 'value', value: '{{ Trigger.n }}' }],
            outboundEdges: [edge('B')],
          },
          {
            name: 'B',
            actionId: 'com.datadoghq.core.echo',
            parameters: [{ name: 'value', value: 'got {{ Steps.A.value }}' }],
          },
        ],
        ['A'],
        {
          inputSchema: { parameters: [{ name: 'n', type: 'NUMBER', defaultValue: 7 }] },
          outputSchema: { parameters: [{ name: 'out', type: 'STRING', value: '{{ Steps.B.value }}' }] },
        },
      ),
    );
    expect(view.status).toBe('SUCCEEDED');
    expect(view.steps.map((s) => s.output)).toEqual([{ value: 7 }, { value: 'got 7' }]);
    expect(view.outputs).toEqual({ out: 'got 7' });
    expect(view.input).toEqual({ n: 7 });
  });

  it('takes the chosen branch and skips the other path (dead-path elimination, cascading)', async () => {
    const { engine } = setup();
    const view = await run(
      engine,
      spec([
        {
          name: 'If',
          actionId: 'com.datadoghq.core.if',
          parameters: [{ name: 'conditions', value: [{ comparisonOperator: 'eq', leftValue: 1, rightValue: 2 }] }],
          outboundEdges: [edge('Yes', 'true'), edge('No', 'false')],
        },
        { name: 'Yes', outboundEdges: [edge('YesAgain')] },
        { name: 'YesAgain', outboundEdges: [edge('Join')] },
        { name: 'No', outboundEdges: [edge('Join')] },
        { name: 'Join' },
      ]),
    );
    expect(statuses(view)).toEqual({
      If: 'SUCCEEDED',
      Yes: 'SKIPPED',
      YesAgain: 'SKIPPED',
      No: 'SUCCEEDED',
      Join: 'SUCCEEDED',
    });
    expect(view.steps[0]!.branch).toBe('false');
  });

  it('an ALL join waits for every inbound edge; an ANY join runs once at the first', async () => {
    const { engine, clock } = setup();
    const order: string[] = [];
    engine.registerAction('t.slow', async (p) => {
      await new Promise<void>((r) => clock.setTimer(clock.now() + Number(p.ms), r));
      order.push(String(p.tag));
      return {};
    });
    engine.registerAction('t.rec', (p) => {
      order.push(String(p.tag));
      return {};
    });
    const wf = await engine.createWorkflow({
      name: 'joins',
      spec: spec(
        [
          {
            name: 'Fast',
            actionId: 't.slow',
            parameters: [
              { name: 'ms', value: 10 },
              { name: 'tag', value: 'fast' },
            ],
            outboundEdges: [edge('All'), edge('Any')],
          },
          {
            name: 'Slow',
            actionId: 't.slow',
            parameters: [
              { name: 'ms', value: 1000 },
              { name: 'tag', value: 'slow' },
            ],
            outboundEdges: [edge('All'), edge('Any')],
          },
          { name: 'All', actionId: 't.rec', parameters: [{ name: 'tag', value: 'all' }] },
          {
            name: 'Any',
            actionId: 't.rec',
            parameters: [{ name: 'tag', value: 'any' }],
            readinessGate: { thresholdType: 'ANY' },
          },
        ],
        ['Fast', 'Slow'],
      ),
    });
    const { instanceId } = await engine.execute(wf.id);
    await clock.advanceBy(2000);
    const view = await engine.waitFor(instanceId);
    expect(order).toEqual(['fast', 'any', 'slow', 'all']);
    expect(view.status).toBe('SUCCEEDED');
  });

  it('retries a completion gate every interval until the condition holds', async () => {
    const { engine, clock } = setup();
    let calls = 0;
    engine.registerAction('t.poll', () => ({ ready: ++calls >= 3 }));
    const wf = await engine.createWorkflow({
      name: 'gate',
      spec: spec([
        {
          name: 'Poll',
          actionId: 't.poll',
          completionGate: {
            completionCondition: { operand1: '{{ Steps.Poll.ready }}', operand2: true, operator: 'OPERATOR_EQUAL' },
            retryStrategy: { kind: 'RETRY_STRATEGY_LINEAR', linear: { interval: '30s', maxRetries: 5 } },
          },
        },
      ]),
    });
    const { instanceId } = await engine.execute(wf.id);
    await clock.advanceBy(0);
    expect((await engine.getInstance(instanceId)).steps[0]!.status).toBe('WAITING');
    await clock.advanceBy(29_999);
    expect(calls).toBe(1);
    await clock.advanceBy(1);
    expect(calls).toBe(2);
    await clock.advanceBy(30_000);
    const view = await engine.waitFor(instanceId);
    expect(calls).toBe(3);
    expect(view.status).toBe('SUCCEEDED');
    expect(view.steps[0]!.attempts).toBe(3);
  });

  it('fails a gate with completion_gate_unmet after maxRetries, routed to fallbacks without error retries', async () => {
    const { engine, clock } = setup();
    let calls = 0;
    engine.registerAction('t.never', () => ({ n: ++calls }));
    const wf = await engine.createWorkflow({
      name: 'gate-fail',
      spec: spec([
        {
          name: 'Poll',
          actionId: 't.never',
          completionGate: {
            completionCondition: { operand1: '{{ Steps.Poll.n }}', operand2: 100, operator: 'OPERATOR_GREATER_THAN' },
            retryStrategy: { kind: 'RETRY_STRATEGY_LINEAR', linear: { interval: '1s', maxRetries: 2 } },
          },
          errorHandlers: [
            {
              fallbackStepName: 'Fallback',
              retryStrategy: { kind: 'RETRY_STRATEGY_LINEAR', linear: { interval: '1s', maxRetries: 5 } },
            },
          ],
          outboundEdges: [edge('Next')],
        },
        {
          name: 'Fallback',
          actionId: 'com.datadoghq.core.echo',
          parameters: [{ name: 'value', value: '{{ Steps.Poll.error.code }}' }],
        },
        { name: 'Next' },
      ]),
    });
    const { instanceId } = await engine.execute(wf.id);
    await clock.advanceBy(10_000);
    const view = await engine.waitFor(instanceId);
    expect(calls).toBe(3);
    expect(statuses(view)).toEqual({ Poll: 'FAILED', Fallback: 'SUCCEEDED', Next: 'SKIPPED' });
    expect(view.steps[0]!.error?.code).toBe('completion_gate_unmet');
    expect(view.steps[1]!.output).toEqual({ value: 'completion_gate_unmet' });
    expect(view.status).toBe('SUCCEEDED');
  });

  it('retries a failing step per errorHandlers then takes the fallback', async () => {
    const { engine, clock } = setup();
    let calls = 0;
    engine.registerAction('t.flaky', () => {
      calls++;
      throw new Error('boom ' + calls);
    });
    const wf = await engine.createWorkflow({
      name: 'retry',
      spec: spec([
        {
          name: 'Flaky',
          actionId: 't.flaky',
          errorHandlers: [
            {
              fallbackStepName: 'Recover',
              retryStrategy: { kind: 'RETRY_STRATEGY_LINEAR', linear: { interval: '5s', maxRetries: 2 } },
            },
          ],
          outboundEdges: [edge('Merge')],
        },
        { name: 'Recover', outboundEdges: [edge('Merge')] },
        { name: 'Merge' },
      ]),
    });
    const { instanceId } = await engine.execute(wf.id);
    await clock.advanceBy(4_999);
    expect(calls).toBe(1);
    await clock.advanceBy(20_000);
    const view = await engine.waitFor(instanceId);
    expect(calls).toBe(3);
    expect(statuses(view)).toEqual({ Flaky: 'FAILED', Recover: 'SUCCEEDED', Merge: 'SUCCEEDED' });
    expect(view.steps[0]!.error).toEqual({ code: 'action_failed', message: 'boom 3', attempts: 3 });
    expect(view.status).toBe('SUCCEEDED');
  });

  it('an unhandled failure fails the instance at once and aborts running steps', async () => {
    const { engine, clock } = setup();
    let aborted = false;
    engine.registerAction(
      't.hang',
      (_p, ctx) =>
        new Promise((_, reject) =>
          ctx.signal.addEventListener('abort', () => {
            aborted = true;
            reject(new Error('aborted'));
          }),
        ),
    );
    engine.registerAction('t.wait', () => actionResult({ sleepMs: 60_000 }));
    // Not a pure built-in: both handlers are really started before the failure arrives.
    engine.registerAction('t.fail', async () => {
      throw new Error('nope');
    });
    const view = await run(
      engine,
      spec(
        [
          { name: 'Hang', actionId: 't.hang', outboundEdges: [edge('After')] },
          { name: 'Fail', actionId: 't.fail' },
          { name: 'After' },
        ],
        ['Hang', 'Fail'],
      ),
    );
    expect(view.status).toBe('FAILED');
    expect(view.error).toEqual({ step: 'Fail', code: 'action_failed', message: 'nope' });
    expect(statuses(view)).toEqual({ Hang: 'CANCELED', Fail: 'FAILED', After: 'SKIPPED' });
    await clock.advanceBy(0);
    expect(aborted).toBe(true);
  });

  it('sleep is a durable timer, not a blocked handler', async () => {
    const { engine, clock } = setup();
    const wf = await engine.createWorkflow({
      name: 'sleep',
      spec: spec([
        {
          name: 'Sleep',
          actionId: 'com.datadoghq.core.sleep',
          parameters: [{ name: 'durationSeconds', value: 300 }],
          outboundEdges: [edge('Done')],
        },
        { name: 'Done' },
      ]),
    });
    const { instanceId } = await engine.execute(wf.id);
    await clock.advanceBy(299_000);
    const mid = await engine.getInstance(instanceId);
    expect(statuses(mid)).toEqual({ Sleep: 'RUNNING', Done: 'PENDING' });
    expect(mid.steps[0]!.dueAt).toBe(clock.now() + 1000);
    await clock.advanceBy(1000);
    expect((await engine.waitFor(instanceId)).status).toBe('SUCCEEDED');
  });

  it('cancel fires signals, cancels running and waiting steps, skips pending, and is a no-op when finished', async () => {
    const { engine, clock } = setup();
    let sawAbort = false;
    engine.registerAction(
      't.hang',
      (_p, ctx) =>
        new Promise((resolve) =>
          ctx.signal.addEventListener('abort', () => {
            sawAbort = true;
            resolve({});
          }),
        ),
    );
    const wf = await engine.createWorkflow({
      name: 'cancel',
      spec: spec(
        [
          { name: 'Hang', actionId: 't.hang', outboundEdges: [edge('Next')] },
          { name: 'Sleep', actionId: 'com.datadoghq.core.sleep', parameters: [{ name: 'durationSeconds', value: 10 }] },
          { name: 'Next' },
        ],
        ['Hang', 'Sleep'],
      ),
    });
    const { instanceId } = await engine.execute(wf.id);
    await clock.advanceBy(1);
    const view = await engine.cancel(instanceId);
    expect(view.status).toBe('CANCELED');
    expect(statuses(view)).toEqual({ Hang: 'CANCELED', Sleep: 'CANCELED', Next: 'SKIPPED' });
    expect(sawAbort).toBe(true);
    const again = await engine.cancel(instanceId);
    expect(again.status).toBe('CANCELED');
    expect(again.endedAt).toBe(view.endedAt);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('times a step out (engine option) and treats it as a failure', async () => {
    const { engine, clock } = setup({ timeouts: { byAction: { 't.hang': 500 } } });
    engine.registerAction(
      't.hang',
      (_p, ctx) => new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason))),
    );
    const wf = await engine.createWorkflow({ name: 'timeout', spec: spec([{ name: 'Hang', actionId: 't.hang' }]) });
    const { instanceId } = await engine.execute(wf.id);
    await clock.advanceBy(500);
    const view = await engine.waitFor(instanceId);
    expect(view.status).toBe('FAILED');
    expect(view.error?.code).toBe('step_timeout');
  });

  it('sets variables for later steps', async () => {
    const { engine } = setup();
    const view = await run(
      engine,
      spec([
        {
          name: 'Set',
          actionId: 'com.datadoghq.core.setVariable',
          parameters: [
            { name: 'variableName', value: 'x' },
            { name: 'variableValue', value: { a: 1 } },
          ],
          outboundEdges: [edge('Use')],
        },
        {
          name: 'Use',
          actionId: 'com.datadoghq.core.echo',
          parameters: [{ name: 'value', value: '{{ Variables.x.a }}' }],
        },
      ]),
    );
    expect(view.steps[1]!.output).toEqual({ value: 1 });
    expect(view.variables).toEqual({ x: { a: 1 } });
  });

  it('gives handlers the idempotency key instanceId:stepName:attempt', async () => {
    const { engine, clock } = setup();
    const keys: string[] = [];
    engine.registerAction('t.key', (_p, ctx) => {
      keys.push(ctx.idempotencyKey);
      if (ctx.attempt < 2) throw new Error('again');
      return {};
    });
    const wf = await engine.createWorkflow({
      name: 'keys',
      spec: spec([
        {
          name: 'K',
          actionId: 't.key',
          errorHandlers: [
            {
              fallbackStepName: 'F',
              retryStrategy: { kind: 'RETRY_STRATEGY_LINEAR', linear: { interval: '1s', maxRetries: 1 } },
            },
          ],
        },
        { name: 'F' },
      ]),
    });
    const { instanceId } = await engine.execute(wf.id);
    await clock.advanceBy(1000);
    await engine.waitFor(instanceId);
    expect(keys).toEqual([`${instanceId}:K:1`, `${instanceId}:K:2`]);
  });
});

describe('engine: API', () => {
  it('checks input against the inputSchema and reports every problem, starting nothing', async () => {
    const { engine } = setup();
    const wf = await engine.createWorkflow({
      name: 'in',
      spec: spec([{ name: 'A' }], ['A'], {
        inputSchema: {
          parameters: [
            { name: 'count', type: 'NUMBER' },
            { name: 'env', type: 'STRING', allowedValues: ['prod', 'dev'] },
            { name: 'tags', type: 'ARRAY_STRING', defaultValue: [] },
          ],
        },
      }),
    });
    const err = await engine.execute(wf.id, { env: 'qa', tags: 'x' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FlowspecError);
    const fe = err as FlowspecError;
    expect(fe.code).toBe('FSP_ERR_INPUT_INVALID');
    expect(fe.diagnostics.map((d) => [d.code, d.pointer])).toEqual([
      ['FSP_ERR_INPUT_REQUIRED', '/count'],
      ['FSP_ERR_INPUT_NOT_ALLOWED', '/env'],
      ['FSP_ERR_INPUT_TYPE', '/tags'],
    ]);
    expect((await engine.listInstances({ workflowId: wf.id })).totalCount).toBe(0);
    const ok = await engine.execute(wf.id, { count: 1, env: 'dev', extra: true });
    expect((await engine.waitFor(ok.instanceId)).input).toEqual({ count: 1, env: 'dev', extra: true, tags: [] });
  });

  it('returns the same instance for a reused idempotency key, also when racing', async () => {
    const { engine } = setup();
    const wf = await engine.createWorkflow({ name: 'idem', spec: spec([{ name: 'A' }]) });
    const [a, b] = await Promise.all([
      engine.execute(wf.id, {}, { idempotencyKey: 'k1' }),
      engine.execute(wf.id, {}, { idempotencyKey: 'k1' }),
    ]);
    expect(a.instanceId).toBe(b.instanceId);
    const c = await engine.execute(wf.id, {}, { idempotencyKey: 'k1' });
    expect(c).toEqual({ instanceId: a.instanceId, workflowId: wf.id, existing: true });
    expect((await engine.listInstances({ workflowId: wf.id })).totalCount).toBe(1);
  });

  it('keeps running an instance on its own spec version after an update', async () => {
    const { engine, clock } = setup();
    const v1 = spec([
      {
        name: 'Sleep',
        actionId: 'com.datadoghq.core.sleep',
        parameters: [{ name: 'durationSeconds', value: 1 }],
        outboundEdges: [edge('Old')],
      },
      { name: 'Old' },
    ]);
    const wf = await engine.createWorkflow({ name: 'versions', spec: v1 });
    const { instanceId } = await engine.execute(wf.id);
    const updated = await engine.updateWorkflow(wf.id, { spec: spec([{ name: 'New' }]) });
    expect(updated.specVersion).toBe(2);
    const same = await engine.updateWorkflow(wf.id, { spec: spec([{ name: 'New' }]) });
    expect(same.specVersion).toBe(2);
    await clock.advanceBy(1000);
    const view = await engine.waitFor(instanceId);
    expect(view.specVersion).toBe(1);
    expect(view.steps.map((s) => s.name)).toEqual(['Sleep', 'Old']);
    const old = await engine.execute(wf.id, {}, { specVersion: 1 });
    expect((await engine.getInstance(old.instanceId)).specVersion).toBe(1);
  });

  it('refuses invalid specs with every diagnostic, and deleting a workflow with running instances', async () => {
    const { engine } = setup();
    const err = (await engine
      .createWorkflow({ name: '', spec: { steps: [{ name: 'A' }], triggers: [] } })
      .catch((e: unknown) => e)) as FlowspecError;
    expect(err.code).toBe('FSP_ERR_SPEC_INVALID');
    const codes = err.diagnostics.map((d) => d.code);
    expect(codes).toContain('FSP_ERR_WORKFLOW_NAME');
    expect(codes).toContain('FSP_ERR_SPEC_NO_TRIGGER');
    expect(codes).toContain('FSP_ERR_SPEC_MISSING_FIELD');
    const wf = await engine.createWorkflow({
      name: 'del',
      spec: spec([
        { name: 'S', actionId: 'com.datadoghq.core.sleep', parameters: [{ name: 'durationSeconds', value: 5 }] },
      ]),
    });
    const { instanceId } = await engine.execute(wf.id);
    await expect(engine.deleteWorkflow(wf.id)).rejects.toMatchObject({
      code: 'FSP_ERR_WORKFLOW_HAS_RUNNING_INSTANCES',
    });
    await engine.deleteWorkflow(wf.id, { cancelRunning: true });
    expect((await engine.getInstance(instanceId)).status).toBe('CANCELED');
    await expect(engine.getWorkflow(wf.id)).rejects.toMatchObject({ code: 'FSP_ERR_WORKFLOW_NOT_FOUND' });
  });

  it('enforces apiTrigger publishing and rate limits; workflowTrigger runs unpublished', async () => {
    const { engine, clock } = setup();
    const api = await engine.createWorkflow({
      name: 'api',
      published: false,
      spec: {
        triggers: [{ startStepNames: ['A'], apiTrigger: { rateLimit: { count: 2, interval: '60s' } } }],
        steps: [{ name: 'A', actionId: 'com.datadoghq.core.noop' }],
      },
    });
    await expect(engine.execute(api.id)).rejects.toMatchObject({ code: 'FSP_ERR_WORKFLOW_UNPUBLISHED' });
    await engine.updateWorkflow(api.id, { published: true });
    await engine.execute(api.id);
    await engine.execute(api.id);
    await expect(engine.execute(api.id)).rejects.toMatchObject({ code: 'FSP_ERR_RATE_LIMITED' });
    await clock.advanceBy(60_001);
    await expect(engine.execute(api.id)).resolves.toMatchObject({ existing: false });
    const manual = await engine.createWorkflow({ name: 'manual', published: false, spec: spec([{ name: 'A' }]) });
    const r = await engine.execute(manual.id);
    expect((await engine.waitFor(r.instanceId)).source).toEqual({ type: 'manual' });
    const none = await engine.createWorkflow({
      name: 'none',
      spec: {
        triggers: [{ startStepNames: ['A'], monitorTrigger: {} }],
        steps: [{ name: 'A', actionId: 'com.datadoghq.core.noop' }],
      },
    });
    await expect(engine.execute(none.id)).rejects.toMatchObject({ code: 'FSP_ERR_NO_EXECUTE_TRIGGER' });
    const fired = await engine.execute(
      none.id,
      {},
      { trigger: 'monitorTrigger', source: { type: 'monitor', monitor: { name: 'cpu' } } },
    );
    expect((await engine.waitFor(fired.instanceId)).status).toBe('SUCCEEDED');
  });

  it('limits concurrent action calls with backpressure', async () => {
    const { engine, clock } = setup({ concurrency: 3 });
    let running = 0;
    let peak = 0;
    engine.registerAction('t.work', async () => {
      running++;
      peak = Math.max(peak, running);
      await new Promise<void>((r) => clock.setTimer(clock.now() + 10, r));
      running--;
      return {};
    });
    const wf = await engine.createWorkflow({
      name: 'fan',
      spec: spec(
        Array.from({ length: 20 }, (_, i) => ({ name: `S${i}`, actionId: 't.work' })),
        Array.from({ length: 20 }, (_, i) => `S${i}`),
      ),
    });
    const { instanceId } = await engine.execute(wf.id);
    await clock.advanceBy(1000);
    expect((await engine.waitFor(instanceId)).status).toBe('SUCCEEDED');
    expect(peak).toBe(3);
  });

  it('emits typed events', async () => {
    const { engine } = setup();
    const seen: string[] = [];
    engine.on('step:started', (e) => seen.push(`started ${e.step}`));
    engine.on('step:finished', (e) => seen.push(`finished ${e.step} ${e.status}`));
    engine.on('instance:finished', (e) => seen.push(`instance ${e.status}`));
    await run(engine, spec([{ name: 'A', outboundEdges: [edge('B')] }, { name: 'B' }]));
    expect(seen).toEqual([
      'started A',
      'finished A SUCCEEDED',
      'started B',
      'finished B SUCCEEDED',
      'instance SUCCEEDED',
    ]);
  });

  it('fails a step whose action has no handler, and handler errors carry their code', async () => {
    const { engine } = setup();
    engine.registerAction('t.coded', () => {
      throw new ActionError('invalid_parameters', 'bad');
    });
    const v1 = await run(engine, spec([{ name: 'A', actionId: 'x.unknown' }]));
    expect(v1.error?.code).toBe('action_not_registered');
    const v2 = await run(engine, spec([{ name: 'A', actionId: 't.coded' }]));
    expect(v2.error).toEqual({ step: 'A', code: 'invalid_parameters', message: 'bad' });
    expect(() => engine.registerAction('t.coded', () => ({}))).toThrow(FlowspecError);
  });

  it('runs a spec with no steps to success at once', async () => {
    const { engine } = setup();
    const view = await run(engine, { steps: [], triggers: [{ startStepNames: [], workflowTrigger: {} }] });
    expect(view.status).toBe('SUCCEEDED');
  });
});

describe('engine: handlers that fail with values that cannot be shown as JSON', () => {
  const circular = (): Record<string, unknown> => {
    const c: Record<string, unknown> = { kind: 'circular' };
    c.self = c;
    return c;
  };
  const cases: [string, { inline?: boolean; handler: () => unknown }][] = [
    [
      'a synchronous handler throwing a circular object',
      {
        handler: () => {
          throw circular();
        },
      },
    ],
    ['a handler rejecting with a circular object', { handler: () => Promise.reject(circular()) }],
    [
      'an inline handler throwing a BigInt',
      {
        inline: true,
        handler: () => {
          throw 10n;
        },
      },
    ],
    [
      'an async inline handler rejecting with a circular object',
      {
        inline: true,
        handler: async () => {
          throw circular();
        },
      },
    ],
  ];
  for (const [name, def] of cases) {
    it(`fails the step (not the driver) for ${name}, and keeps running other instances`, async () => {
      const { engine } = setup({ stopTimeoutMs: 60_000, actions: { 'test.bad': def } });
      const bad = await run(engine, spec([{ name: 'A', actionId: 'test.bad' }]));
      expect(bad.status).toBe('FAILED');
      expect(bad.steps[0]).toMatchObject({ status: 'FAILED', error: { code: 'action_failed' } });
      expect(typeof bad.steps[0]!.error?.message).toBe('string');
      const good = await run(engine, spec([{ name: 'B', actionId: 'com.datadoghq.core.noop' }]));
      expect(good.status).toBe('SUCCEEDED');
      // Nothing is left counted as in flight: stop() returns at once, not after its 60 s timeout.
      const t0 = Date.now();
      await engine.stop();
      expect(Date.now() - t0).toBeLessThan(5_000);
    });
  }
});
