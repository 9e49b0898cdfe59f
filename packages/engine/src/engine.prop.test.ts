/**
 * Properties of the whole engine (driver + advance + store + clock) over random DAGs with random
 * handler timings: every instance terminates; attempts of a step arrive as 1, 2, 3, ... (a step never
 * runs twice); final statuses and call counts do not depend on timing when the instance succeeds.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { actionResult } from './actions/types.js';
import { createEngine } from './engine.js';
import { createSimulatedClock } from './runtime/simulated-clock.js';
import { modelArb, toSpec } from './runtime/dag-model.testkit.js';
import type { StepModel } from './runtime/dag-model.testkit.js';
import { createMemoryStore } from './store/memory-store.js';

interface Outcome {
  status: string;
  steps: string[];
  calls: number[][];
}

async function runModel(model: { starts: number[]; steps: StepModel[] }, seed: number): Promise<Outcome> {
  const clock = createSimulatedClock();
  let rnd = seed >>> 0 || 1;
  const next = (): number => {
    rnd = (Math.imul(rnd, 1103515245) + 12345) >>> 0;
    return rnd;
  };
  const calls: number[][] = model.steps.map(() => []);
  const engine = createEngine({
    store: createMemoryStore(),
    clock,
    concurrency: 1 + (seed & 3),
    actions: {
      'test.step': async (params, ctx) => {
        const i = Number(params.i);
        const m = model.steps[i]!;
        // attempts of one step arrive in order, each once
        expect(ctx.attempt).toBe(calls[i]!.length + 1);
        calls[i]!.push(ctx.attempt);
        const delay = next() % 5;
        if (delay > 0) await new Promise<void>((r) => clock.setTimer(clock.now() + delay, r));
        const outcome = m.outcomes[ctx.attempt - 1] ?? 'ok';
        if (outcome === 'fail') throw new Error(`S${i} failed on attempt ${ctx.attempt}`);
        return actionResult({ output: { ok: outcome === 'ok' }, branch: m.branch });
      },
    },
  });
  const wf = await engine.createWorkflow({ name: 'prop', spec: toSpec(model) });
  const { instanceId } = await engine.execute(wf.id);
  let done = false;
  const finished = engine.waitFor(instanceId).then((v) => {
    done = true;
    return v;
  });
  for (let guard = 0; !done; guard++) {
    if (guard > 10_000) throw new Error('instance did not terminate');
    await clock.advanceBy(1_000);
  }
  const view = await finished;
  await engine.stop();
  expect(['SUCCEEDED', 'FAILED']).toContain(view.status);
  for (const s of view.steps) expect(['SUCCEEDED', 'FAILED', 'SKIPPED', 'CANCELED']).toContain(s.status);
  // the step record counts exactly the calls made (a canceled step's last call may never have started)
  view.steps.forEach((s, i) => {
    if (s.status === 'SKIPPED') expect(calls[i]).toEqual([]);
    else if (s.status === 'CANCELED') expect(calls[i]!.length).toBeLessThanOrEqual(s.attempts);
    else expect(s.attempts).toBe(calls[i]!.length);
  });
  return { status: view.status, steps: view.steps.map((s) => s.status), calls };
}

describe('engine: properties over random DAGs and handler timings', () => {
  it('terminates, never runs a step twice, and does not depend on timing', async () => {
    await fc.assert(
      fc.asyncProperty(modelArb, fc.integer(), fc.integer(), async (model, seedA, seedB) => {
        const a = await runModel(model, seedA);
        const b = await runModel(model, seedB);
        expect(b.status).toBe(a.status);
        if (a.status === 'SUCCEEDED') {
          expect(b.steps).toEqual(a.steps);
          expect(b.calls).toEqual(a.calls);
        }
      }),
      { numRuns: 60 },
    );
  });
});
