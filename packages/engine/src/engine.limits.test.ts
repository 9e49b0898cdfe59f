/** Concurrency limits, backpressure and logging cost of the engine. */
import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { createEngine } from './engine.js';
import type { Logger } from './logger.js';
import { createSimulatedClock } from './runtime/simulated-clock.js';
import { createMemoryStore } from './store/memory-store.js';
import type { Store } from './store/types.js';

function fanOut(n: number, actionId: string) {
  const steps: Record<string, unknown>[] = [
    { name: 'Start', actionId: 'com.datadoghq.core.noop', outboundEdges: [] as unknown[] },
  ];
  for (let i = 0; i < n; i++) {
    (steps[0]!.outboundEdges as unknown[]).push({ nextStepName: `F${i}`, branchName: 'main' });
    steps.push({ name: `F${i}`, actionId, outboundEdges: [{ nextStepName: 'Join', branchName: 'main' }] });
  }
  steps.push({ name: 'Join', actionId: 'com.datadoghq.core.noop' });
  return { triggers: [{ startStepNames: ['Start'], workflowTrigger: {} }], steps };
}

describe('engine: concurrency and backpressure', () => {
  it('runs a 20,000-step fan-out with at most `concurrency` handlers at once', async () => {
    const clock = createSimulatedClock();
    let running = 0;
    let peak = 0;
    let calls = 0;
    const engine = createEngine({
      store: createMemoryStore(),
      clock,
      concurrency: 8,
      actions: {
        'test.slow': async () => {
          running++;
          calls++;
          peak = Math.max(peak, running);
          await new Promise<void>((r) => setImmediate(r));
          running--;
          return {};
        },
      },
    });
    const wf = await engine.createWorkflow({ name: 'wide', spec: fanOut(20_000, 'test.slow') });
    const { instanceId } = await engine.execute(wf.id);
    const view = await engine.waitFor(instanceId);
    expect(view.status).toBe('SUCCEEDED');
    expect(calls).toBe(20_000);
    expect(peak).toBe(8);
    await engine.stop();
  });

  it('keeps the limit when synchronous and asynchronous handlers mix (sync ones skip the queue only when a slot is free)', async () => {
    const clock = createSimulatedClock();
    let running = 0;
    let peak = 0;
    const calls = new Map<string, number>();
    const count = (step: string) => calls.set(step, (calls.get(step) ?? 0) + 1);
    const engine = createEngine({
      store: createMemoryStore(),
      clock,
      concurrency: 4,
      actions: {
        // Every third step answers at once; the others hold a slot until a later macrotask.
        'test.mixed': (_p, ctx) => {
          count(ctx.stepName);
          if (Number(ctx.stepName.slice(1)) % 3 === 0) {
            peak = Math.max(peak, running + 1);
            return { sync: true };
          }
          running++;
          peak = Math.max(peak, running);
          return new Promise<object>((r) =>
            setImmediate(() => {
              running--;
              r({});
            }),
          );
        },
      },
    });
    const wf = await engine.createWorkflow({ name: 'mixed', spec: fanOut(3_000, 'test.mixed') });
    const { instanceId } = await engine.execute(wf.id);
    const view = await engine.waitFor(instanceId);
    expect(view.status).toBe('SUCCEEDED');
    expect(calls.size).toBe(3_000);
    expect([...calls.values()].every((n) => n === 1)).toBe(true);
    expect(peak).toBe(4);
    await engine.stop();
  });

  it('makes a synchronous handler wait its turn behind queued calls while every slot is taken', async () => {
    const clock = createSimulatedClock();
    const release: (() => void)[] = [];
    const order: string[] = [];
    const engine = createEngine({
      store: createMemoryStore(),
      clock,
      concurrency: 2,
      actions: {
        'test.block': (_p, ctx) => {
          order.push(ctx.stepName);
          return new Promise<object>((r) => release.push(() => r({})));
        },
        'test.sync': (_p, ctx) => {
          order.push(ctx.stepName);
          return {};
        },
      },
    });
    const spec = fanOut(4, 'test.block');
    // F0, F1 and F2 block; F3 answers at once but is dispatched last, with both slots taken and F2 waiting.
    (spec.steps[4] as { actionId: string }).actionId = 'test.sync';
    const wf = await engine.createWorkflow({ name: 'queue-order', spec });
    const { instanceId } = await engine.execute(wf.id);
    await clock.advanceBy(0);
    expect(order).toEqual(['F0', 'F1']);
    release.shift()!();
    await clock.advanceBy(0);
    expect(order).toEqual(['F0', 'F1', 'F2']);
    release.shift()!();
    await clock.advanceBy(0);
    expect(order).toEqual(['F0', 'F1', 'F2', 'F3']);
    release.shift()!();
    expect((await engine.waitFor(instanceId)).status).toBe('SUCCEEDED');
    await engine.stop();
  });

  it('makes execute wait while more than maxQueuedCalls calls are queued', async () => {
    const clock = createSimulatedClock();
    const release: (() => void)[] = [];
    const engine = createEngine({
      store: createMemoryStore(),
      clock,
      concurrency: 1,
      maxQueuedCalls: 3,
      actions: { 'test.block': () => new Promise<object>((r) => release.push(() => r({}))) },
    });
    const wf = await engine.createWorkflow({
      name: 'one',
      spec: {
        triggers: [{ startStepNames: ['A'], workflowTrigger: {} }],
        steps: [{ name: 'A', actionId: 'test.block' }],
      },
    });
    // 1 running + 3 queued fill the engine; the 5th execute must wait.
    for (let i = 0; i < 4; i++) await engine.execute(wf.id);
    let fifthAccepted = false;
    const fifth = engine.execute(wf.id).then((r) => {
      fifthAccepted = true;
      return r;
    });
    await clock.advanceBy(0);
    expect(fifthAccepted).toBe(false);
    release.shift()!(); // one call finishes, one queued call starts: the queue drops below the limit
    await clock.advanceBy(0);
    expect(fifthAccepted).toBe(true);
    while (release.length > 0 || !(await engine.getInstance((await fifth).instanceId)).endedAt) {
      release.shift()?.();
      await clock.advanceBy(0);
    }
    await engine.stop();
  });
});

describe('engine: logging', () => {
  it('logs nothing at info level (or above) while running steps', async () => {
    const counts = { debug: 0, info: 0, warn: 0, error: 0 };
    const logger: Logger = {
      debug: () => void counts.debug++,
      info: () => void counts.info++,
      warn: () => void counts.warn++,
      error: () => void counts.error++,
      child: () => logger,
    };
    const engine = createEngine({ store: createMemoryStore(), logger, clock: createSimulatedClock() });
    const steps = Array.from({ length: 200 }, (_, i) => ({
      name: `S${i}`,
      actionId: 'com.datadoghq.core.noop',
      outboundEdges: i < 199 ? [{ nextStepName: `S${i + 1}`, branchName: 'main' }] : [],
    }));
    const wf = await engine.createWorkflow({
      name: 'chain',
      spec: { triggers: [{ startStepNames: ['S0'], workflowTrigger: {} }], steps },
    });
    for (let i = 0; i < 5; i++) {
      const { instanceId } = await engine.execute(wf.id);
      expect((await engine.waitFor(instanceId)).status).toBe('SUCCEEDED');
    }
    expect(counts).toMatchObject({ info: 0, warn: 0, error: 0 });
    await engine.stop();
  });

  it('takes a pino logger as it is, and handlers log through it with their step bound', async () => {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        for (const line of chunk.toString().split('\n').filter(Boolean))
          lines.push(JSON.parse(line) as Record<string, unknown>);
        cb();
      },
    });
    const engine = createEngine({
      store: createMemoryStore(),
      logger: pino({ level: 'info' }, sink),
      actions: {
        'test.log': (_p, ctx) => {
          ctx.logger.info({ note: 'hello' }, 'from the handler');
          return {};
        },
      },
    });
    const wf = await engine.createWorkflow({
      name: 'log',
      spec: {
        triggers: [{ startStepNames: ['L'], workflowTrigger: {} }],
        steps: [{ name: 'L', actionId: 'test.log' }],
      },
    });
    const { instanceId } = await engine.execute(wf.id);
    await engine.waitFor(instanceId);
    await new Promise<void>((r) => setImmediate(r));
    const line = lines.find((l) => l.msg === 'from the handler');
    expect(line).toMatchObject({ instanceId, step: 'L', attempt: 1, note: 'hello' });
    await engine.stop();
  });
});

describe('engine: plan cache under concurrent starts', () => {
  /** A one-step workflow stored by an engine that is stopped again, so the next engine's plan cache is cold. */
  async function storedWorkflow() {
    const store = createMemoryStore();
    const first = createEngine({ store, clock: createSimulatedClock() });
    const wf = await first.createWorkflow({
      name: 'one',
      spec: {
        triggers: [{ startStepNames: ['A'], workflowTrigger: {} }],
        steps: [{ name: 'A', actionId: 'com.datadoghq.core.noop' }],
      },
    });
    await first.stop();
    return { store, wf };
  }

  /** `store` with its getSpecVersion passed through `wrap`. */
  function withSpecVersionReads(store: Store, wrap: (read: () => unknown) => unknown): Store {
    return new Proxy(store, {
      get(target, prop) {
        const value: unknown = Reflect.get(target, prop);
        if (prop === 'getSpecVersion') {
          return (...args: unknown[]) => wrap(() => (value as (...a: unknown[]) => unknown).apply(target, args));
        }
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
  }

  it('loads and compiles a spec version once for many executions that start together on a cold cache', async () => {
    const { store, wf } = await storedWorkflow();
    let loads = 0;
    const counting = withSpecVersionReads(store, (read) => {
      loads++;
      return read();
    });
    const engine = createEngine({ store: counting, clock: createSimulatedClock() });
    const runs = await Promise.all(Array.from({ length: 200 }, () => engine.execute(wf.id)));
    for (const r of runs) expect((await engine.waitFor(r.instanceId)).status).toBe('SUCCEEDED');
    // One load per execution for its version record, plus one shared load for the plan and one by the
    // engine's own start-up: not a second load (and compile) per execution, which would make 400.
    expect(loads).toBe(202);
    await engine.stop();
  });

  it('does not keep a failed compile: the next execution loads the spec version again', async () => {
    const { store, wf } = await storedWorkflow();
    // The next read of the version after start-up comes back damaged (as a store bug would return it).
    let damaged = false;
    const flaky = withSpecVersionReads(store, async (read) => {
      const rec = (await read()) as object;
      if (!damaged) return rec;
      damaged = false;
      return { ...rec, spec: { triggers: null, steps: 'not steps' } };
    });
    const engine = createEngine({ store: flaky, clock: createSimulatedClock() });
    await engine.start();
    damaged = true;
    await expect(engine.execute(wf.id)).rejects.toThrow();
    const { instanceId } = await engine.execute(wf.id);
    expect((await engine.waitFor(instanceId)).status).toBe('SUCCEEDED');
    await engine.stop();
  });
});
