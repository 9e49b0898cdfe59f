/**
 * The engine's recovery path against the SQLite store (SEMANTICS.md section 9),
 * with a simulated clock. A "crash" abandons the first engine in the middle of
 * its work (pending handlers never settle, its clock never moves again) and
 * closes its store; a second engine opens the same file and starts.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ActionError } from '@flowspec/engine';
import type { ActionContext, ActionHandler } from '@flowspec/engine';
import { edge, never, openEngine, specOf, tempDb } from './sqlite.testkit.js';
import type { EngineOnFile } from './sqlite.testkit.js';

const T0 = Date.UTC(2026, 0, 1);

interface Call {
  readonly step: string;
  readonly attempt: number;
  readonly key: string;
}

/** Handlers that record every call; `block` names steps whose handler never returns (in-flight at the crash). */
function recorder(calls: Call[], block: readonly string[] = []): Record<string, ActionHandler> {
  const record = (_p: unknown, ctx: ActionContext) => {
    calls.push({ step: ctx.stepName, attempt: ctx.attempt, key: ctx.idempotencyKey });
    if (block.includes(ctx.stepName)) return never();
    return { step: ctx.stepName };
  };
  return { 't.work': record };
}

let db: ReturnType<typeof tempDb>;
const open: EngineOnFile[] = [];

beforeEach(() => {
  db = tempDb();
});

afterEach(async () => {
  for (const e of open.splice(0)) {
    await e.engine.stop();
    await e.store.close();
  }
  db.remove();
});

async function start(options: Parameters<typeof openEngine>[1]): Promise<EngineOnFile> {
  const e = await openEngine(db.path, options);
  open.push(e);
  return e;
}

/** Abandon an engine as a killed process would leave it, and release its file. */
async function crash(e: EngineOnFile): Promise<void> {
  open.splice(open.indexOf(e), 1);
  await e.store.close();
}

const chain = specOf([
  { name: 'A', actionId: 't.work', outboundEdges: [edge('B')] },
  { name: 'B', actionId: 't.work', outboundEdges: [edge('C')] },
  { name: 'C', actionId: 't.work' },
]);

describe('recovery on start (SQLite)', () => {
  it('re-runs the step that was RUNNING with the same idempotency key and never calls a finished step again', async () => {
    const calls: Call[] = [];
    const first = await start({ actions: recorder(calls, ['B']) });
    const wf = await first.engine.createWorkflow({ name: 'chain', spec: chain });
    const { instanceId } = await first.engine.execute(wf.id);
    await first.clock.advanceBy(0);
    expect(calls.map((c) => c.step)).toEqual(['A', 'B']);
    const keyB = calls[1]!.key;
    expect(keyB).toBe(`${instanceId}:B:1`);
    expect((await first.store.getSteps(instanceId)).map((s) => [s.name, s.status])).toEqual([
      ['A', 'SUCCEEDED'],
      ['B', 'RUNNING'],
    ]);
    await crash(first);

    const second = await start({ actions: recorder(calls), startMs: T0 + 1000 });
    const view = await second.engine.waitFor(instanceId);
    expect(view.status).toBe('SUCCEEDED');
    expect(calls.map((c) => `${c.step}#${c.attempt}`)).toEqual(['A#1', 'B#1', 'B#1', 'C#1']);
    expect(calls[2]!.key).toBe(keyB);
    expect(view.steps.map((s) => s.attempts)).toEqual([1, 1, 1]);
    expect(await second.store.listUnfinishedInstanceIds()).toEqual([]);
  });

  it('resumes every instance that was in flight: none lost, none run twice past its committed steps', async () => {
    const calls: Call[] = [];
    const first = await start({ actions: recorder(calls, ['C']) });
    const wf = await first.engine.createWorkflow({ name: 'chain', spec: chain });
    const ids = await Promise.all(
      Array.from({ length: 50 }, async () => (await first.engine.execute(wf.id)).instanceId),
    );
    await first.clock.advanceBy(0);
    expect(calls.filter((c) => c.step === 'C')).toHaveLength(50);
    await crash(first);

    const second = await start({ actions: recorder(calls), startMs: T0 + 1000 });
    for (const id of ids) expect((await second.engine.waitFor(id)).status).toBe('SUCCEEDED');
    const count = (step: string) => calls.filter((c) => c.step === step).length;
    expect([count('A'), count('B'), count('C')]).toEqual([50, 50, 100]);
    expect((await second.engine.listInstances({ limit: 100 })).totalCount).toBe(50);
  });

  it('re-arms an error-handler retry at its stored due time, not before', async () => {
    const calls: Call[] = [];
    const failOnce: Record<string, ActionHandler> = {
      't.flaky': (_p, ctx) => {
        calls.push({ step: ctx.stepName, attempt: ctx.attempt, key: ctx.idempotencyKey });
        if (ctx.attempt === 1) throw new ActionError('action_failed', 'first attempt fails');
        return { ok: true };
      },
    };
    const spec = specOf([
      {
        name: 'R',
        actionId: 't.flaky',
        errorHandlers: [
          {
            fallbackStepName: 'F',
            retryStrategy: { kind: 'RETRY_STRATEGY_LINEAR', linear: { interval: '60s', maxRetries: 1 } },
          },
        ],
      },
      { name: 'F' },
    ]);
    const first = await start({ actions: failOnce });
    const wf = await first.engine.createWorkflow({ name: 'retry', spec });
    const { instanceId } = await first.engine.execute(wf.id);
    await first.clock.advanceBy(0);
    const [row] = await first.store.getSteps(instanceId);
    expect(row).toMatchObject({ status: 'WAITING', timerKind: 'retry', dueAt: T0 + 60_000 });
    await crash(first);

    const second = await start({ actions: failOnce, startMs: T0 + 10_000 });
    await second.clock.advanceTo(T0 + 59_999);
    expect(calls).toHaveLength(1);
    expect((await second.engine.getInstance(instanceId)).status).toBe('RUNNING');
    await second.clock.advanceTo(T0 + 60_000);
    const view = await second.engine.waitFor(instanceId);
    expect(view.status).toBe('SUCCEEDED');
    expect(calls.map((c) => c.attempt)).toEqual([1, 2]);
    expect(view.steps[0]).toMatchObject({ status: 'SUCCEEDED', attempts: 2, completedAt: T0 + 60_000 });
  });

  it('a sleep resumes at its stored due time, and at once when that time passed during the downtime', async () => {
    const spec = specOf([
      {
        name: 'Nap',
        actionId: 'com.datadoghq.core.sleep',
        parameters: [{ name: 'durationSeconds', value: 120 }],
        outboundEdges: [edge('After')],
      },
      { name: 'After' },
    ]);
    const first = await start({});
    const wf = await first.engine.createWorkflow({ name: 'sleep', spec });
    const early = (await first.engine.execute(wf.id)).instanceId;
    const late = (await first.engine.execute(wf.id)).instanceId;
    await first.clock.advanceBy(0);
    expect((await first.store.getSteps(early))[0]).toMatchObject({
      status: 'RUNNING',
      timerKind: 'sleep',
      dueAt: T0 + 120_000,
    });
    await crash(first);

    // Restart before the due time: nothing fires until it.
    const second = await start({ startMs: T0 + 30_000 });
    await second.clock.advanceTo(T0 + 119_999);
    expect((await second.engine.getInstance(early)).status).toBe('RUNNING');
    await crash(second);

    // Restart long after it: the sleep ends at once.
    const third = await start({ startMs: T0 + 3_600_000 });
    await third.clock.advanceBy(0);
    for (const id of [early, late]) {
      const view = await third.engine.waitFor(id);
      expect(view.status).toBe('SUCCEEDED');
      expect(view.steps[0]!.completedAt).toBe(T0 + 3_600_000);
    }
  });

  it('after stop() a late handler result writes nothing; the next start re-runs that step with the same key', async () => {
    const calls: Call[] = [];
    let release: (value: unknown) => void = () => {};
    const slow: Record<string, ActionHandler> = {
      't.work': (_p, ctx) => {
        calls.push({ step: ctx.stepName, attempt: ctx.attempt, key: ctx.idempotencyKey });
        return new Promise((resolve) => {
          release = resolve;
        });
      },
    };
    const first = await start({ actions: slow });
    const errors: unknown[] = [];
    first.engine.on('engine:error', (e) => errors.push(e.error));
    const wf = await first.engine.createWorkflow({ name: 'one', spec: specOf([{ name: 'S', actionId: 't.work' }]) });
    const { instanceId } = await first.engine.execute(wf.id);
    await first.clock.advanceBy(0);
    expect(calls).toHaveLength(1);
    open.splice(open.indexOf(first), 1);
    await first.engine.stop(); // stopTimeoutMs 0: the handler is still running
    await first.store.close();
    release({ late: true });
    for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve));
    expect(errors).toEqual([]); // no commit was tried against the closed store

    const second = await start({ actions: recorder(calls) });
    const view = await second.engine.waitFor(instanceId);
    expect(view.status).toBe('SUCCEEDED');
    expect(calls.map((c) => c.key)).toEqual([`${instanceId}:S:1`, `${instanceId}:S:1`]);
  });

  it('a completion gate that was WAITING polls again at its stored due time', async () => {
    let polls = 0;
    const actions: Record<string, ActionHandler> = {
      't.poll': () => {
        polls++;
        return { ready: polls >= 2 };
      },
    };
    const spec = specOf([
      {
        name: 'Poll',
        actionId: 't.poll',
        completionGate: {
          completionCondition: { operand1: '{{ Steps.Poll.ready }}', operand2: true, operator: 'OPERATOR_EQUAL' },
          retryStrategy: { kind: 'RETRY_STRATEGY_LINEAR', linear: { interval: '30s', maxRetries: 3 } },
        },
      },
    ]);
    const first = await start({ actions });
    const wf = await first.engine.createWorkflow({ name: 'gate', spec });
    const { instanceId } = await first.engine.execute(wf.id);
    await first.clock.advanceBy(0);
    expect((await first.store.getSteps(instanceId))[0]).toMatchObject({ status: 'WAITING', timerKind: 'gate' });
    await crash(first);

    const second = await start({ actions, startMs: T0 + 1_000 });
    await second.clock.advanceTo(T0 + 30_000);
    const view = await second.engine.waitFor(instanceId);
    expect(view.status).toBe('SUCCEEDED');
    expect(polls).toBe(2);
    expect(view.steps[0]!.output).toEqual({ ready: true });
  });

  it('an instance finishes on its own spec version after the workflow was updated, also across a restart', async () => {
    const v1 = specOf([
      { name: 'Nap', actionId: 'com.datadoghq.core.sleep', parameters: [{ name: 'durationSeconds', value: 10 }] },
    ]);
    const v2 = specOf([{ name: 'Other' }, { name: 'Second' }]);
    const first = await start({});
    const wf = await first.engine.createWorkflow({ name: 'versions', spec: v1 });
    const old = (await first.engine.execute(wf.id)).instanceId;
    await first.clock.advanceBy(0);
    await first.engine.updateWorkflow(wf.id, { spec: v2 });
    expect((await first.engine.getWorkflow(wf.id)).specVersion).toBe(2);
    await crash(first);

    const second = await start({ startMs: T0 + 60_000 });
    await second.clock.advanceBy(0); // the sleep was due during the downtime
    const view = await second.engine.waitFor(old);
    expect(view.status).toBe('SUCCEEDED');
    expect(view.specVersion).toBe(1);
    expect(view.steps.map((s) => s.name)).toEqual(['Nap']);
    const fresh = await second.engine.waitFor((await second.engine.execute(wf.id)).instanceId);
    expect(fresh.specVersion).toBe(2);
    expect(fresh.steps.map((s) => s.name)).toEqual(['Other', 'Second']);
    expect((await second.store.getSpecVersion(wf.id, 1))!.spec).toEqual(v1);
  });
});

describe('engine rules on the SQLite store', () => {
  it('refuses to delete a workflow while an instance runs; afterwards deletes it and keeps the history', async () => {
    const calls: Call[] = [];
    const e = await start({ actions: recorder(calls, ['B']) });
    const wf = await e.engine.createWorkflow({ name: 'busy', spec: chain });
    const { instanceId } = await e.engine.execute(wf.id);
    await e.clock.advanceBy(0);
    await expect(e.engine.deleteWorkflow(wf.id)).rejects.toMatchObject({
      code: 'FSP_ERR_WORKFLOW_HAS_RUNNING_INSTANCES',
    });
    expect(await e.store.getWorkflow(wf.id)).toBeDefined();
    await e.engine.deleteWorkflow(wf.id, { cancelRunning: true });
    expect(await e.store.getWorkflow(wf.id)).toBeUndefined();
    const view = await e.engine.getInstance(instanceId);
    expect(view.status).toBe('CANCELED');
    expect(view.steps.map((s) => s.status)).toEqual(['SUCCEEDED', 'CANCELED', 'SKIPPED']);
  });

  it("fails a step whose output is over the store's maxValueBytes with output_too_large, storing no output", async () => {
    const e = await start({
      actions: { 't.big': () => ({ blob: 'x'.repeat(500) }) },
      store: { maxValueBytes: 256 },
    });
    const wf = await e.engine.createWorkflow({ name: 'big', spec: specOf([{ name: 'Big', actionId: 't.big' }]) });
    const view = await e.engine.waitFor((await e.engine.execute(wf.id)).instanceId);
    expect(view.status).toBe('FAILED');
    expect(view.steps[0]!.error).toMatchObject({ code: 'output_too_large' });
    expect(view.steps[0]!.error!.message).toContain('256 bytes');
    const [row] = await e.store.getSteps(view.id);
    expect(row!.output).toBeUndefined();
  });

  it("the engine's maxOutputBytes cannot raise the limit above the store's; it can lower it", async () => {
    const big = await start({
      actions: { 't.big': () => ({ blob: 'x'.repeat(500) }) },
      store: { maxValueBytes: 256 },
      maxOutputBytes: 100_000,
    });
    const wf = await big.engine.createWorkflow({ name: 'big', spec: specOf([{ name: 'Big', actionId: 't.big' }]) });
    const view = await big.engine.waitFor((await big.engine.execute(wf.id)).instanceId);
    expect(view.steps[0]!.error).toMatchObject({ code: 'output_too_large' });
    await big.engine.stop();
    await big.store.close();
    open.splice(open.indexOf(big), 1);

    const small = await start({ actions: { 't.mid': () => ({ blob: 'x'.repeat(100) }) }, maxOutputBytes: 50 });
    const wf2 = await small.engine.createWorkflow({ name: 'mid', spec: specOf([{ name: 'Mid', actionId: 't.mid' }]) });
    const view2 = await small.engine.waitFor((await small.engine.execute(wf2.id)).instanceId);
    expect(view2.steps[0]!.error).toMatchObject({ code: 'output_too_large' });
    expect(view2.steps[0]!.error!.message).toContain('50 bytes');
  });

  it('refuses an input over maxValueBytes at execute, starting nothing', async () => {
    const e = await start({ store: { maxValueBytes: 256 } });
    const wf = await e.engine.createWorkflow({ name: 'in', spec: specOf([{ name: 'A' }]) });
    await expect(e.engine.execute(wf.id, { text: 'y'.repeat(300) })).rejects.toMatchObject({
      code: 'FSP_ERR_INPUT_INVALID',
      message: expect.stringContaining('maxValueBytes') as unknown,
    });
    expect((await e.engine.listInstances({ workflowId: wf.id })).totalCount).toBe(0);
    const ok = await e.engine.waitFor((await e.engine.execute(wf.id, { text: 'short' })).instanceId);
    expect(ok.status).toBe('SUCCEEDED');
  });

  it('commits each state change before anything that depends on it (group commit)', async () => {
    const log: string[] = [];
    const calls: Call[] = [];
    const record = recorder(calls)['t.work']!;
    const e = await start({
      actions: {
        't.work': async (p, ctx) => {
          log.push(`call ${ctx.stepName}`);
          await Promise.resolve();
          return record(p, ctx);
        },
      },
    });
    const commit = e.store.commit.bind(e.store);
    Object.defineProperty(e.store, 'commit', {
      value: (batch: Parameters<typeof commit>[0]) => {
        const result = commit(batch);
        for (const s of batch.steps) log.push(`committed ${s.name} ${s.status}`);
        for (const i of batch.instances) log.push(`committed instance ${i.status}`);
        return result;
      },
    });
    const wf = await e.engine.createWorkflow({ name: 'order', spec: chain });
    const { instanceId } = await e.engine.execute(wf.id);
    log.push('execute returned');
    await e.engine.waitFor(instanceId);
    await e.clock.advanceBy(0);
    const at = (entry: string) => {
      const i = log.indexOf(entry);
      expect(i, `${entry} in ${log.join(', ')}`).toBeGreaterThanOrEqual(0);
      return i;
    };
    expect(at('committed instance RUNNING')).toBeLessThan(at('execute returned'));
    expect(at('committed A RUNNING')).toBeLessThan(at('call A'));
    expect(at('committed A SUCCEEDED')).toBeLessThan(at('call B'));
    expect(at('committed B RUNNING')).toBeLessThan(at('call B'));
    expect(at('committed B SUCCEEDED')).toBeLessThan(at('call C'));
    expect(at('committed C SUCCEEDED')).toBeLessThan(at('committed instance SUCCEEDED') + 1);
  });
});
