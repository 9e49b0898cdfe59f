import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileSpec } from '../compile/compile-spec.js';
import type { Plan } from '../compile/plan.js';
import { JoinKind } from '../compile/plan.js';
import { advance } from './advance.js';
import type { Command, RuntimeEvent } from './advance.js';
import { E, S, createState } from './state.js';
import { modelArb, toSpec } from './dag-model.testkit.js';
import type { StepModel } from './dag-model.testkit.js';
import type { InstanceState } from './state.js';

interface RunResult {
  status: string;
  steps: number[];
  calls: Map<number, number[]>;
}

/** Drive one instance to its end, delivering pending calls and timers in an order chosen by `seed`. */
function simulate(plan: Plan, model: { steps: StepModel[] }, seed: number): RunResult {
  const st: InstanceState = createState(plan, {
    id: 'i',
    workflowId: 'w',
    workflowName: 'w',
    trigger: 0,
    input: {},
    source: { type: 'manual' },
  });
  let rnd = seed >>> 0 || 1;
  const next = () => {
    rnd = (Math.imul(rnd, 1103515245) + 12345) >>> 0;
    return rnd;
  };
  const pending: Command[] = [];
  const calls = new Map<number, number[]>();
  let finished = 0;
  let now = 0;
  const apply = (ev: RuntimeEvent) => {
    const cmds = advance(plan, st, ev);
    for (const c of cmds) {
      if (c.type === 'call') {
        const list = calls.get(c.step) ?? [];
        // Retries are attempts of the same run: attempts arrive as 1, 2, 3, ... and 1 only once.
        expect(c.attempt).toBe(list.length + 1);
        list.push(c.attempt);
        calls.set(c.step, list);
        if (c.attempt === 1) checkReady(plan, st, c.step, model.steps[c.step]!);
        pending.push(c);
      } else if (c.type === 'timer') pending.push(c);
      else if (c.type === 'finished') finished++;
    }
  };
  apply({ type: 'start', now });
  let guard = 0;
  while (pending.length > 0) {
    if (++guard > 10_000) throw new Error('did not terminate');
    const [c] = pending.splice(next() % pending.length, 1);
    now += 1;
    if (c!.type === 'timer') apply({ type: 'timer', step: c!.step, attempt: c!.attempt, now });
    else if (c!.type === 'call') {
      const m = model.steps[c!.step]!;
      const outcome = m.outcomes[c!.attempt - 1] ?? 'ok';
      if (outcome === 'fail')
        apply({ type: 'failed', step: c!.step, attempt: c!.attempt, code: 'action_failed', message: 'x', now });
      else
        apply({
          type: 'succeeded',
          step: c!.step,
          attempt: c!.attempt,
          output: { ok: outcome === 'ok' },
          branch: m.branch,
          variables: null,
          sleepMs: null,
          now,
        });
    }
  }
  // Every instance terminates, exactly once.
  expect(finished).toBe(1);
  expect(['SUCCEEDED', 'FAILED']).toContain(st.status);
  // Every inbound edge of a finished instance is TAKEN or DEAD; no step is left RUNNING/WAITING/PENDING.
  for (let e = 0; e < plan.edgeCount; e++) expect(st.edgeState[e]).not.toBe(E.OPEN);
  for (let s = 0; s < plan.stepCount; s++) {
    expect([S.SUCCEEDED, S.FAILED, S.SKIPPED, S.CANCELED]).toContain(st.stepStatus[s]);
  }
  if (st.status === 'SUCCEEDED') checkSkips(plan, st);
  return { status: st.status, steps: Array.from(st.stepStatus), calls };
}

function inbound(plan: Plan, s: number): number[] {
  return Array.from(plan.inEdges.subarray(plan.inStart[s]!, plan.inStart[s + 1]!));
}

function checkReady(plan: Plan, st: InstanceState, s: number, _m: StepModel): void {
  if (plan.triggers[0]!.startSteps.includes(s)) return;
  const edges = inbound(plan, s);
  const taken = edges.filter((e) => st.edgeState[e] === E.TAKEN).length;
  expect(taken).toBeGreaterThan(0);
  if (plan.join[s] === JoinKind.ALL) {
    // An ALL join runs only after all inbound edges are resolved.
    for (const e of edges) expect(st.edgeState[e]).not.toBe(E.OPEN);
  }
}

/** SKIPPED exactly as section 4 says: a non-start step is SKIPPED iff every inbound edge is DEAD, and then all its out edges are DEAD. */
function checkSkips(plan: Plan, st: InstanceState): void {
  const starts = plan.triggers[0]!.startSteps;
  for (let s = 0; s < plan.stepCount; s++) {
    if (starts.includes(s)) {
      expect(st.stepStatus[s]).not.toBe(S.SKIPPED);
      continue;
    }
    const edges = inbound(plan, s);
    const allDead = edges.every((e) => st.edgeState[e] === E.DEAD);
    expect(st.stepStatus[s] === S.SKIPPED).toBe(allDead);
    if (st.stepStatus[s] === S.SKIPPED) {
      for (let i = plan.outStart[s]!; i < plan.outStart[s + 1]!; i++)
        expect(st.edgeState[plan.outEdges[i]!]).toBe(E.DEAD);
      for (let i = plan.fbStart[s]!; i < plan.fbStart[s + 1]!; i++) expect(st.edgeState[plan.fbEdges[i]!]).toBe(E.DEAD);
    }
  }
}

describe('advance: properties over random DAGs', () => {
  it('terminates, runs no step twice, honours joins, resolves every edge, and does not depend on timing', () => {
    fc.assert(
      fc.property(modelArb, fc.integer(), fc.integer(), (model, seedA, seedB) => {
        const plan = compileSpec(toSpec(model));
        const a = simulate(plan, model, seedA);
        const b = simulate(plan, model, seedB);
        expect(b.status).toBe(a.status);
        // Final step statuses do not depend on handler timing, unless an unhandled failure cut the run short.
        if (a.status === 'SUCCEEDED') {
          expect(b.steps).toEqual(a.steps);
          expect([...b.calls.entries()].sort()).toEqual([...a.calls.entries()].sort());
        }
      }),
      { numRuns: 400 },
    );
  });

  it('an ANY join runs once even when every inbound edge is taken', () => {
    const spec = {
      triggers: [{ startStepNames: ['A', 'B', 'C'], workflowTrigger: {} }],
      steps: [
        { name: 'A', actionId: 't', outboundEdges: [{ nextStepName: 'J', branchName: 'main' }] },
        { name: 'B', actionId: 't', outboundEdges: [{ nextStepName: 'J', branchName: 'main' }] },
        { name: 'C', actionId: 't', outboundEdges: [{ nextStepName: 'J', branchName: 'main' }] },
        { name: 'J', actionId: 't', readinessGate: { thresholdType: 'ANY' } },
      ],
    };
    const plan = compileSpec(spec);
    const model = {
      steps: plan.names.map(() => ({
        join: null,
        edges: [],
        fallback: null,
        retries: 0,
        gateRetries: null,
        outcomes: [],
        branch: 'main',
      })),
    };
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        const r = simulate(plan, model, seed);
        expect(r.calls.get(3)).toEqual([1]);
        expect(r.status).toBe('SUCCEEDED');
      }),
    );
  });
});
