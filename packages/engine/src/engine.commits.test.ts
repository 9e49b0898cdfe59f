/**
 * What reaches a durable store, and when: a side-effecting step is committed RUNNING before its
 * handler runs (so a crash re-runs it with the same idempotency key), while a run of pure built-in
 * steps is decided inside one turn and committed once (a crash re-runs them at no cost).
 */
import { describe, expect, it } from 'vitest';
import { createEngine } from './engine.js';
import { createSimulatedClock } from './runtime/simulated-clock.js';
import { createMemoryStore } from './store/memory-store.js';
import type { CommitBatch, Store } from './store/types.js';

/** The memory store, presented as durable, recording every batch. */
function recordingStore(): { store: Store; batches: CommitBatch[] } {
  const inner = createMemoryStore();
  const batches: CommitBatch[] = [];
  const store = new Proxy(inner, {
    get(target, key, receiver) {
      if (key === 'durable') return true;
      if (key === 'commit') {
        return (batch: CommitBatch) => {
          batches.push(structuredClone(batch));
          return target.commit(batch);
        };
      }
      const v = Reflect.get(target, key, receiver) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  return { store, batches };
}

function chain(actionId: string, n: number) {
  return {
    triggers: [{ startStepNames: ['S0'], workflowTrigger: {} }],
    steps: Array.from({ length: n }, (_, i) => ({
      name: `S${i}`,
      actionId,
      outboundEdges: i + 1 < n ? [{ nextStepName: `S${i + 1}`, branchName: 'main' }] : [],
    })),
  };
}

describe('engine: commits to a durable store', () => {
  it('commits a side-effecting step RUNNING before calling its handler, and its result before successors start', async () => {
    const { store, batches } = recordingStore();
    const seen: string[] = [];
    const engine = createEngine({
      store,
      clock: createSimulatedClock(),
      actions: {
        'test.effect': async (_p, ctx) => {
          const rows = await store.getSteps(ctx.instanceId);
          seen.push(`${ctx.stepName}:${rows.map((r) => `${r.name}=${r.status}`).join(',')}`);
          return { ok: true };
        },
      },
    });
    await engine.start();
    const wf = await engine.createWorkflow({ name: 'effects', spec: chain('test.effect', 3) });
    const { instanceId } = await engine.execute(wf.id);
    expect((await engine.waitFor(instanceId)).status).toBe('SUCCEEDED');
    expect(seen).toEqual(['S0:S0=RUNNING', 'S1:S0=SUCCEEDED,S1=RUNNING', 'S2:S0=SUCCEEDED,S1=SUCCEEDED,S2=RUNNING']);
    expect(batches.length).toBe(4);
    await engine.stop();
  });

  it('decides a chain of pure built-in steps inside one turn and commits it once', async () => {
    const { store, batches } = recordingStore();
    const engine = createEngine({ store, clock: createSimulatedClock() });
    await engine.start();
    const started: string[] = [];
    const finished: string[] = [];
    engine.on('step:started', (e) => started.push(e.step));
    engine.on('step:finished', (e) => finished.push(`${e.step}:${e.status}`));
    const order: string[] = [];
    engine.on('step:started', (e) => order.push(`start ${e.step}`));
    engine.on('step:finished', (e) => order.push(`end ${e.step}`));
    const wf = await engine.createWorkflow({ name: 'pure', spec: chain('com.datadoghq.core.noop', 5) });
    const { instanceId } = await engine.execute(wf.id);
    expect((await engine.waitFor(instanceId)).status).toBe('SUCCEEDED');
    expect(batches.length).toBe(1);
    const [batch] = batches;
    expect(batch!.instances.map((r) => r.status)).toEqual(['SUCCEEDED']);
    expect(batch!.steps.map((r) => `${r.name}:${r.status}:${r.attempts}`)).toEqual([
      'S0:SUCCEEDED:1',
      'S1:SUCCEEDED:1',
      'S2:SUCCEEDED:1',
      'S3:SUCCEEDED:1',
      'S4:SUCCEEDED:1',
    ]);
    // Events still read as the steps ran: each start just before its end, in order.
    expect(order).toEqual(['S0', 'S1', 'S2', 'S3', 'S4'].flatMap((s) => [`start ${s}`, `end ${s}`]));
    expect(started).toHaveLength(5);
    expect(finished).toHaveLength(5);
    await engine.stop();
  });

  it('stops the pure run at the first side-effecting step, which is committed RUNNING first', async () => {
    const { store, batches } = recordingStore();
    let rowsAtCall = '';
    const engine = createEngine({
      store,
      clock: createSimulatedClock(),
      actions: {
        'test.effect': async (_p, ctx) => {
          rowsAtCall = (await store.getSteps(ctx.instanceId)).map((r) => `${r.name}=${r.status}`).join(',');
          return {};
        },
      },
    });
    await engine.start();
    const spec = chain('com.datadoghq.core.noop', 3) as { steps: { actionId: string }[] };
    spec.steps[2]!.actionId = 'test.effect';
    const wf = await engine.createWorkflow({ name: 'mixed', spec });
    const { instanceId } = await engine.execute(wf.id);
    expect((await engine.waitFor(instanceId)).status).toBe('SUCCEEDED');
    expect(rowsAtCall).toBe('S0=SUCCEEDED,S1=SUCCEEDED,S2=RUNNING');
    expect(batches.length).toBe(2);
    await engine.stop();
  });
});

describe('engine: recovery needs its actions', () => {
  it('refuses to start while a recovered instance uses an unregistered action, then recovers once it is registered', async () => {
    const { store } = recordingStore();
    const clock = createSimulatedClock();
    const first = createEngine({ store, clock, actions: { 'test.slow': () => new Promise<object>(() => {}) } });
    await first.start();
    const wf = await first.createWorkflow({ name: 'slow', spec: chain('test.slow', 2) });
    const { instanceId } = await first.execute(wf.id);
    await clock.advanceBy(0);
    // The process "dies": the instance is left RUNNING in the store.
    const second = createEngine({ store, clock });
    await expect(second.start()).rejects.toMatchObject({
      code: 'FSP_ERR_INVALID_ARGUMENT',
      details: { missingActions: ['test.slow'] },
    });
    expect((await store.getInstance(instanceId))?.status).toBe('RUNNING');
    const calls: number[] = [];
    second.registerAction('test.slow', (_p, ctx) => {
      calls.push(ctx.attempt);
      return {};
    });
    await second.start();
    expect((await second.waitFor(instanceId)).status).toBe('SUCCEEDED');
    expect(calls).toEqual([1, 1]); // S0 re-run with the same attempt (same idempotency key), then S1
    await second.stop();
  });
});

describe('engine: commits to a non-durable store', () => {
  function nonDurable(acceptsStepSources: boolean | undefined) {
    const inner = createMemoryStore();
    const batches: CommitBatch[] = [];
    const store = new Proxy(inner, {
      get(target, key) {
        if (key === 'acceptsStepSources') return acceptsStepSources;
        if (key === 'commit') {
          return (batch: CommitBatch) => {
            batches.push(batch);
            return target.commit(batch);
          };
        }
        const v = Reflect.get(target, key) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
    return { store, batches };
  }

  for (const [label, flag] of [
    ['a store that does not declare acceptsStepSources gets the finished rows as `steps`', undefined],
    ['a store that declares acceptsStepSources gets them as one row source', true],
  ] as const) {
    it(label, async () => {
      const { store, batches } = nonDurable(flag);
      const engine = createEngine({ store, clock: createSimulatedClock() });
      const wf = await engine.createWorkflow({ name: 'rows', spec: chain('com.datadoghq.core.noop', 4) });
      const { instanceId } = await engine.execute(wf.id);
      const view = await engine.waitFor(instanceId);
      expect(view.steps.map((s) => `${s.name}:${s.status}`)).toEqual([
        'S0:SUCCEEDED',
        'S1:SUCCEEDED',
        'S2:SUCCEEDED',
        'S3:SUCCEEDED',
      ]);
      const last = batches[batches.length - 1]!;
      if (flag === true) {
        expect(last.steps).toEqual([]);
        expect(last.stepSources?.map((src) => [src.instanceId, src.count])).toEqual([[instanceId, 4]]);
      } else {
        expect(last.stepSources).toBeUndefined();
        expect(last.steps.map((r) => r.index)).toEqual([0, 1, 2, 3]);
      }
      expect(await store.getSteps(instanceId)).toHaveLength(4);
      await engine.stop();
    });
  }
});
