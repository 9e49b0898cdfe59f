import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileSpec } from '../compile/compile-spec.js';
import type { Plan } from '../compile/plan.js';
import type { InstanceRecord, StepRecord } from '../store/types.js';
import { advance } from './advance.js';
import type { Command, RuntimeEvent } from './advance.js';
import { toInstanceRecord, toStepRecord } from './records.js';
import type { InstanceMeta } from './records.js';
import { pendingWork, restoreState } from './restore.js';
import { modelArb, toSpec } from './dag-model.testkit.js';
import type { StepModel } from './dag-model.testkit.js';
import { E, S, T, createState } from './state.js';
import type { InstanceState } from './state.js';

const retry = (interval: string, maxRetries: number) => ({
  kind: 'RETRY_STRATEGY_LINEAR',
  linear: { interval, maxRetries },
});
const edge = (nextStepName: string, branchName = 'main') => ({ nextStepName, branchName });

/**
 * A0 branches to B1 ('yes') or C2 ('no'); B1 retries twice (10s) then falls back to FB3; B, C and FB
 * join at J4 (ALL). P5 polls with a completion gate (5s × 3), then Z6 sleeps; J and Z join at K7 (ANY).
 * X8 → Y9 is reachable from no start step. The scheduleTrigger starts only P.
 */
const SPEC = {
  triggers: [
    { startStepNames: ['A', 'P'], apiTrigger: {} },
    { startStepNames: ['P'], scheduleTrigger: { rruleExpression: 'FREQ=DAILY' } },
  ],
  steps: [
    { name: 'A', actionId: 't', outboundEdges: [edge('B', 'yes'), edge('C', 'no')] },
    {
      name: 'B',
      actionId: 't',
      outboundEdges: [edge('J')],
      errorHandlers: [{ fallbackStepName: 'FB', retryStrategy: retry('10s', 2) }],
    },
    { name: 'C', actionId: 't', outboundEdges: [edge('J')] },
    { name: 'FB', actionId: 't', outboundEdges: [edge('J')] },
    { name: 'J', actionId: 't', outboundEdges: [edge('K')] },
    {
      name: 'P',
      actionId: 't',
      outboundEdges: [edge('Z')],
      completionGate: {
        completionCondition: { operand1: '{{ Steps.P.ready }}', operand2: true, operator: 'OPERATOR_EQUAL' },
        retryStrategy: retry('5s', 3),
      },
    },
    { name: 'Z', actionId: 't', outboundEdges: [edge('K')] },
    { name: 'K', actionId: 't', readinessGate: { thresholdType: 'ANY' } },
    { name: 'X', actionId: 't', outboundEdges: [edge('Y')] },
    { name: 'Y', actionId: 't' },
  ],
  outputSchema: {
    parameters: [
      { name: 'phase', type: 'STRING', value: '{{ Variables.phase }}' },
      { name: 'pick', type: 'STRING', value: '{{ Steps.A.pick }}' },
    ],
  },
};

const plan: Plan = compileSpec(SPEC);
const [A, B, C, FB, J, P, Z, K, X, Y] = ['A', 'B', 'C', 'FB', 'J', 'P', 'Z', 'K', 'X', 'Y'].map((n) =>
  plan.indexByName.get(n)!,
) as [number, number, number, number, number, number, number, number, number, number];

const ok = (
  step: number,
  attempt: number,
  now: number,
  output: unknown,
  extra: { branch?: string; variables?: Record<string, unknown>; sleepMs?: number } = {},
): RuntimeEvent => ({
  type: 'succeeded',
  step,
  attempt,
  output,
  branch: extra.branch ?? 'main',
  variables: extra.variables ?? null,
  sleepMs: extra.sleepMs ?? null,
  now,
});
const fail = (step: number, attempt: number, now: number): RuntimeEvent => ({
  type: 'failed',
  step,
  attempt,
  code: 'action_failed',
  message: `boom ${attempt}`,
  now,
});
const fire = (step: number, attempt: number, now: number): RuntimeEvent => ({ type: 'timer', step, attempt, now });

interface Scenario {
  readonly name: string;
  readonly trigger: number;
  /** Each event with the commands the original run must produce for it. */
  readonly events: readonly (readonly [RuntimeEvent, readonly Command[]])[];
  readonly final: string;
}

const call = (step: number, attempt: number): Command => ({ type: 'call', step, attempt });
const timer = (step: number, attempt: number, dueAt: number): Command => ({ type: 'timer', step, attempt, dueAt });
const finished: Command = { type: 'finished' };
const abort: Command = { type: 'abort' };

const SCENARIOS: readonly Scenario[] = [
  {
    name: 'branches, retries then a fallback, gate waits, a sleep, an ANY join',
    trigger: 0,
    final: 'SUCCEEDED',
    events: [
      [{ type: 'start', now: 1000 }, [call(A, 1), call(P, 1)]],
      [ok(A, 1, 1001, { pick: 'yes' }, { branch: 'yes' }), [call(B, 1)]],
      [ok(P, 1, 1002, { ready: false }), [timer(P, 1, 6002)]],
      [fail(B, 1, 1003), [timer(B, 1, 11_003)]],
      [ok(B, 1, 1004, 'stale: B is waiting'), []],
      [fire(P, 1, 6002), [call(P, 2)]],
      [ok(P, 2, 6003, { ready: true }, { variables: { phase: 'polled' } }), [call(Z, 1)]],
      [ok(Z, 1, 6004, { slept: true }, { sleepMs: 60_000 }), [timer(Z, 1, 66_004)]],
      [fire(B, 1, 11_003), [call(B, 2)]],
      [fail(B, 2, 11_004), [timer(B, 2, 21_004)]],
      [fire(B, 2, 21_004), [call(B, 3)]],
      [fail(B, 3, 21_005), [call(FB, 1)]],
      [ok(FB, 1, 21_006, { recovered: true }, { variables: { fb: 1 } }), [call(J, 1)]],
      [ok(J, 1, 21_007, [1, 2, 3]), [call(K, 1)]],
      [fire(Z, 1, 66_004), []],
      [ok(K, 1, 66_005, null), [finished]],
      [ok(K, 1, 66_006, 'late'), []],
    ],
  },
  {
    name: 'an unhandled failure ends the instance with a step in flight',
    trigger: 0,
    final: 'FAILED',
    events: [
      [{ type: 'start', now: 500 }, [call(A, 1), call(P, 1)]],
      [ok(A, 1, 501, { pick: 'no' }, { branch: 'no' }), [call(C, 1)]],
      [ok(P, 1, 502, { ready: 'not yet' }), [timer(P, 1, 5502)]],
      [fire(P, 1, 5502), [call(P, 2)]],
      [fail(C, 1, 5503), [abort, finished]],
      [ok(P, 2, 5504, { ready: true }), []],
      [fire(P, 1, 5505), []],
    ],
  },
  {
    name: 'a scheduled run canceled while sleeping',
    trigger: 1,
    final: 'CANCELED',
    events: [
      [{ type: 'start', now: 2000 }, [call(P, 1)]],
      [ok(P, 1, 2001, { ready: true }), [call(Z, 1)]],
      [ok(Z, 1, 2002, { z: 1 }, { sleepMs: 1000 }), [timer(Z, 1, 3002)]],
      [{ type: 'cancel', now: 2500 }, [abort, finished]],
      [fire(Z, 1, 3002), []],
    ],
  },
];

/** A store as a durable one sees it: rows written only when the driver would write them, through JSON. */
interface Rows {
  instance: InstanceRecord;
  steps: Map<number, StepRecord>;
}

const json = <V>(v: V): V => JSON.parse(JSON.stringify(v)) as V;

function metaOf(trigger: number, plan: Plan): InstanceMeta {
  return {
    workflowName: 'wf',
    specVersion: 1,
    specVersionId: 'sv-1',
    triggerKind: plan.triggers[trigger]!.kind,
    input: { who: 'tester', n: 2 },
    source: { type: 'api', api: { ip: '127.0.0.1' } },
    idempotencyKey: null,
    messageName: null,
    createdAt: 900,
  };
}

function newInstance(trigger: number, plan: Plan): { st: InstanceState; rows: Rows; meta: InstanceMeta } {
  const meta = metaOf(trigger, plan);
  const st = createState(plan, {
    id: 'inst-1',
    workflowId: 'wf-1',
    workflowName: meta.workflowName,
    trigger,
    input: meta.input,
    source: meta.source,
  });
  // Like the driver: a new instance's row is written; no step row yet.
  const rows: Rows = { instance: json(toInstanceRecord(st, meta)), steps: new Map() };
  st.instanceDirty = false;
  return { st, rows, meta };
}

/** Write what the driver writes after a turn: the instance row when it changed, and each changed step row. */
function persist(plan: Plan, st: InstanceState, rows: Rows, meta: InstanceMeta): void {
  if (st.instanceDirty) rows.instance = json(toInstanceRecord(st, meta));
  st.instanceDirty = false;
  for (let k = 0; k < st.dirtyCount; k++) {
    const s = st.dirty[k]!;
    rows.steps.set(s, json(toStepRecord(plan, st, s)));
    st.dirtyMark[s] = 0;
  }
  st.dirtyCount = 0;
}

/** Everything in the state except the driver's dirty bookkeeping, as plain data. */
function snapshot(st: InstanceState): Record<string, unknown> {
  return {
    id: st.id,
    workflowId: st.workflowId,
    status: st.status,
    trigger: st.trigger,
    stepStatus: Array.from(st.stepStatus),
    attempts: Array.from(st.attempts),
    errorRetries: Array.from(st.errorRetries),
    timerKind: Array.from(st.timerKind),
    resolvedIn: Array.from(st.resolvedIn),
    takenIn: Array.from(st.takenIn),
    edgeState: Array.from(st.edgeState),
    startedAt: Array.from(st.startedAt),
    completedAt: Array.from(st.completedAt),
    dueAt: Array.from(st.dueAt),
    outputs: [...st.outputs],
    branches: [...st.branches],
    errors: [...st.errors],
    active: st.active,
    ctx: {
      trigger: st.ctx.trigger,
      source: st.ctx.source,
      variables: { ...st.ctx.variables },
      workflowName: st.ctx.workflowName,
      workflowId: st.ctx.workflowId,
      instanceId: st.ctx.instanceId,
      stepNames: st.ctx.stepNames,
    },
    instanceStartedAt: st.instanceStartedAt,
    instanceEndedAt: st.instanceEndedAt,
    error: st.error,
    result: st.result === null ? null : { ...st.result },
  };
}

function restoreFrom(plan: Plan, rows: Rows, shuffle = false): InstanceState {
  const steps = [...rows.steps.values()];
  if (shuffle) steps.reverse();
  return restoreState(plan, json(rows.instance), json(steps));
}

/** Run the first `k` events of a scenario on a fresh instance; returns it with the work still outstanding. */
function runTo(sc: Scenario, k: number) {
  const inst = newInstance(sc.trigger, plan);
  const outstanding = new Map<string, Command>();
  for (let i = 0; i < k; i++) {
    const [ev, expected] = sc.events[i]!;
    const cmds = advance(plan, inst.st, ev);
    expect(cmds, `event ${i} (${ev.type})`).toEqual(expected);
    persist(plan, inst.st, inst.rows, inst.meta);
    if (ev.type === 'succeeded' || ev.type === 'failed') outstanding.delete(`call:${ev.step}`);
    if (ev.type === 'timer') outstanding.delete(`timer:${ev.step}`);
    for (const c of cmds) {
      if (c.type === 'call') outstanding.set(`call:${c.step}`, c);
      else if (c.type === 'timer') outstanding.set(`timer:${c.step}`, c);
      else if (c.type === 'abort') outstanding.clear();
    }
  }
  return { ...inst, outstanding };
}

describe('restoreState', () => {
  it('the scenarios compile to the steps they name', () => {
    expect([A, B, C, FB, J, P, Z, K, X, Y]).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  for (const sc of SCENARIOS) {
    describe(sc.name, () => {
      it('produces the expected commands and final status', () => {
        const { st } = runTo(sc, sc.events.length);
        expect(st.status).toBe(sc.final);
        for (let e = 0; e < plan.edgeCount; e++) expect(st.edgeState[e]).not.toBe(E.OPEN);
      });

      for (let k = 0; k <= sc.events.length; k++) {
        it(`after ${k} event(s): rebuilds the state from the rows the driver wrote`, () => {
          const { st, rows } = runTo(sc, k);
          const restored = restoreFrom(plan, rows);
          expect(snapshot(restored)).toEqual(snapshot(st));
          // The template context reads the restored outputs array itself.
          expect(restored.ctx.outputs).toBe(restored.outputs);
          expect(restored.ctx.stepNames).toBe(plan.names);
          // Nothing restored is waiting to be written back.
          expect(restored.dirtyCount).toBe(0);
          expect(Array.from(restored.dirtyMark).every((m) => m === 0)).toBe(true);
          expect(restored.instanceDirty).toBe(false);
          // Row order does not matter.
          expect(snapshot(restoreFrom(plan, rows, true))).toEqual(snapshot(st));
        });

        it(`after ${k} event(s): pendingWork names exactly the calls and timers still outstanding`, () => {
          const { rows, outstanding } = runTo(sc, k);
          const restored = restoreFrom(plan, rows);
          const work = pendingWork(restored);
          if (restored.status !== 'RUNNING') {
            expect(work).toEqual({ calls: [], timers: [] });
            return;
          }
          const calls = [...outstanding.values()].filter((c) => c.type === 'call');
          const timers = [...outstanding.values()].filter((c) => c.type === 'timer');
          expect(work.calls).toEqual(calls.map((c) => c.step).sort((a, b) => a - b));
          expect(work.timers).toEqual(timers.map((c) => c.step).sort((a, b) => a - b));
          // What the driver re-issues from the restored state (see Driver.resume) equals what was outstanding.
          for (const c of [...calls, ...timers]) {
            if (c.type === 'call') expect(restored.attempts[c.step]).toBe(c.attempt);
            if (c.type === 'timer') {
              expect(restored.attempts[c.step]).toBe(c.attempt);
              expect(restored.dueAt[c.step]).toBe(c.dueAt);
            }
          }
        });

        it(`after ${k} event(s): the restored state continues exactly like the original`, () => {
          const { st, rows, meta } = runTo(sc, k);
          const restored = restoreFrom(plan, rows);
          const restoredRows: Rows = { instance: rows.instance, steps: new Map(rows.steps) };
          for (let i = k; i < sc.events.length; i++) {
            const [ev] = sc.events[i]!;
            const a = advance(plan, st, ev);
            const b = advance(plan, restored, ev);
            expect(b, `event ${i} (${ev.type})`).toEqual(a);
            persist(plan, st, rows, meta);
            persist(plan, restored, restoredRows, meta);
            expect(snapshot(restored)).toEqual(snapshot(st));
          }
          expect(st.status).toBe(sc.final);
          expect(snapshot(restored)).toEqual(snapshot(st));
          // Both wrote the same rows.
          expect(restoredRows.instance).toEqual(rows.instance);
          expect(new Map([...restoredRows.steps].sort(([x], [y]) => x - y))).toEqual(
            new Map([...rows.steps].sort(([x], [y]) => x - y)),
          );
        });
      }
    });
  }

  it('rebuilds the mid-run details of the first scenario', () => {
    // After B's second failure: A succeeded ('yes'), C skipped, P succeeded after a gate re-run, Z sleeping,
    // B waiting for its second retry.
    const sc = SCENARIOS[0]!;
    const { rows } = runTo(sc, 10);
    const r = restoreFrom(plan, rows);
    expect(r.status).toBe('RUNNING');
    expect(Array.from(r.stepStatus)).toEqual([
      S.SUCCEEDED,
      S.WAITING,
      S.SKIPPED,
      S.PENDING,
      S.PENDING,
      S.SUCCEEDED,
      S.RUNNING,
      S.PENDING,
      S.SKIPPED,
      S.SKIPPED,
    ]);
    expect(r.attempts[B]).toBe(2);
    expect(r.errorRetries[B]).toBe(2);
    expect(r.errors[B]).toEqual({ code: 'action_failed', message: 'boom 2', attempts: 2 });
    expect(r.timerKind[B]).toBe(T.RETRY);
    expect(r.dueAt[B]).toBe(21_004);
    expect(r.attempts[P]).toBe(2);
    expect(r.errorRetries[P]).toBe(0);
    expect(r.timerKind[Z]).toBe(T.SLEEP);
    expect(r.dueAt[Z]).toBe(66_004);
    expect(r.outputs[Z]).toEqual({ slept: true });
    expect(r.branches[A]).toBe('yes');
    expect(r.active).toBe(2);
    expect(r.ctx.variables).toEqual({ phase: 'polled' });
    // J has one DEAD inbound edge (from the skipped C) out of three; K none resolved yet.
    expect([r.resolvedIn[J], r.takenIn[J]]).toEqual([1, 0]);
    expect([r.resolvedIn[K], r.takenIn[K]]).toEqual([0, 0]);
    expect(pendingWork(r)).toEqual({ calls: [], timers: [B, Z] });
  });

  it('rebuilds a failed step: its output is { error } and its fallback edge is TAKEN', () => {
    const { rows } = runTo(SCENARIOS[0]!, 12);
    const r = restoreFrom(plan, rows);
    expect(r.stepStatus[B]).toBe(S.FAILED);
    expect(r.outputs[B]).toEqual({ error: { code: 'action_failed', message: 'boom 3', attempts: 3 } });
    const fallback = plan.fbEdges[plan.fbStart[B]!]!;
    const normal = plan.outEdges[plan.outStart[B]!]!;
    expect(r.edgeState[fallback]).toBe(E.TAKEN);
    expect(r.edgeState[normal]).toBe(E.DEAD);
    expect(pendingWork(r)).toEqual({ calls: [FB], timers: [Z] });
  });

  it('keeps the trigger an instance started through', () => {
    const { rows } = runTo(SCENARIOS[2]!, 2);
    const r = restoreFrom(plan, rows);
    expect(r.trigger).toBe(1);
    expect(r.stepStatus[A]).toBe(S.SKIPPED);
    expect(r.stepStatus[J]).toBe(S.SKIPPED);
    expect(pendingWork(r)).toEqual({ calls: [Z], timers: [] });
  });

  it('restores a PENDING instance from its row alone', () => {
    const { rows } = runTo(SCENARIOS[0]!, 0);
    expect(rows.steps.size).toBe(0);
    const r = restoreFrom(plan, rows);
    expect(r.status).toBe('PENDING');
    expect(Array.from(r.stepStatus).every((c) => c === S.PENDING)).toBe(true);
    expect(pendingWork(r)).toEqual({ calls: [], timers: [] });
  });

  it('ignores step rows that do not match the plan (wrong index or name)', () => {
    const { st, rows } = runTo(SCENARIOS[0]!, 3);
    const steps = [...rows.steps.values()];
    const a = rows.steps.get(A)!;
    const bogus: StepRecord[] = [
      { ...a, index: 99 },
      { ...a, index: -1 },
      { ...a, index: C, status: 'FAILED' },
    ];
    const r = restoreState(plan, json(rows.instance), json([...bogus, ...steps]));
    expect(snapshot(r)).toEqual(snapshot(st));
  });
});

describe('restoreState: properties over random DAGs', () => {
  /**
   * Drive a random instance (outcomes from the model, delivery order, sleeps, variables and an occasional
   * cancel from `seed`), writing rows as the driver does. After every event the state rebuilt from the rows
   * equals the live one and pendingWork names what is outstanding; from event `cut` on, a restored copy
   * receives the same events and must answer with the same commands.
   */
  function check(model: { starts: number[]; steps: StepModel[] }, seed: number, cut: number): void {
    const p = compileSpec(toSpec(model));
    const { st, rows, meta } = newInstance(0, p);
    let rnd = seed >>> 0 || 1;
    const next = (): number => {
      rnd = (Math.imul(rnd, 1103515245) + 12345) >>> 0;
      return rnd >>> 8;
    };
    const pending: Command[] = [];
    let shadow: { st: InstanceState; rows: Rows } | null = null;
    let now = 1000;
    let count = 0;
    const apply = (ev: RuntimeEvent): void => {
      const cmds = advance(p, st, ev);
      persist(p, st, rows, meta);
      if (shadow !== null) {
        expect(advance(p, shadow.st, ev)).toEqual(cmds);
        persist(p, shadow.st, shadow.rows, meta);
      }
      for (const c of cmds) {
        if (c.type === 'call' || c.type === 'timer') pending.push(c);
        else if (c.type === 'abort') pending.length = 0;
      }
      const restored = restoreFrom(p, rows);
      expect(snapshot(restored)).toEqual(snapshot(st));
      if (st.status === 'RUNNING') {
        const work = pendingWork(restored);
        const ofType = (t: Command['type']) =>
          pending
            .filter((c) => c.type === t)
            .map((c) => (c as { step: number }).step)
            .sort((a, b) => a - b);
        expect(work.calls).toEqual(ofType('call'));
        expect(work.timers).toEqual(ofType('timer'));
      }
      if (count++ === cut) shadow = { st: restored, rows: { instance: rows.instance, steps: new Map(rows.steps) } };
    };
    apply({ type: 'start', now });
    let guard = 0;
    while (pending.length > 0 && st.status === 'RUNNING') {
      if (++guard > 10_000) throw new Error('did not terminate');
      now += 1 + (next() % 3);
      if (next() % 97 === 0) {
        apply({ type: 'cancel', now });
        break;
      }
      const [c] = pending.splice(next() % pending.length, 1);
      if (c!.type === 'timer') {
        apply({ type: 'timer', step: c!.step, attempt: c!.attempt, now });
        continue;
      }
      if (c!.type !== 'call') continue;
      const m = model.steps[c!.step]!;
      const outcome = m.outcomes[c!.attempt - 1] ?? 'ok';
      if (outcome === 'fail') {
        apply({ type: 'failed', step: c!.step, attempt: c!.attempt, code: 'action_failed', message: 'x', now });
      } else {
        apply({
          type: 'succeeded',
          step: c!.step,
          attempt: c!.attempt,
          output: { ok: outcome === 'ok', at: now },
          branch: m.branch,
          variables: next() % 4 === 0 ? { [`v${c!.step}`]: now } : null,
          sleepMs: next() % 5 === 0 ? next() % 1000 : null,
          now,
        });
      }
    }
    expect(['SUCCEEDED', 'FAILED', 'CANCELED']).toContain(st.status);
    if (shadow !== null) {
      const sh: { st: InstanceState; rows: Rows } = shadow;
      expect(snapshot(sh.st)).toEqual(snapshot(st));
      expect(sh.rows.instance).toEqual(rows.instance);
      expect(new Map([...sh.rows.steps].sort(([x], [y]) => x - y))).toEqual(
        new Map([...rows.steps].sort(([x], [y]) => x - y)),
      );
    }
  }

  it('rebuilds the live state after every event and continues identically from any point', () => {
    fc.assert(
      fc.property(modelArb, fc.integer(), fc.nat({ max: 30 }), (model, seed, cut) => check(model, seed, cut)),
      { numRuns: 300 },
    );
  });
});

describe('restoreState: long polls', () => {
  // A completion gate may allow any safe-integer number of re-runs (a poll every second for a day is
  // 86,400 attempts): attempt counts must not wrap, live or restored.
  const pollPlan = compileSpec({
    triggers: [{ startStepNames: ['Poll'], workflowTrigger: {} }],
    steps: [
      {
        name: 'Poll',
        actionId: 't',
        completionGate: {
          completionCondition: { operand1: '{{ Steps.Poll.done }}', operand2: true, operator: 'OPERATOR_EQUAL' },
          retryStrategy: retry('1s', 100_000),
        },
      },
    ],
  });

  it('counts attempts past 65,535 and still accepts the current attempt', () => {
    const { st } = newInstance(0, pollPlan);
    advance(pollPlan, st, { type: 'start', now: 1 });
    let now = 1;
    for (let attempt = 1; attempt < 70_000; attempt++) {
      now += 1000;
      advance(pollPlan, st, ok(0, attempt, now, { done: false }));
      advance(pollPlan, st, fire(0, attempt, now));
    }
    expect(st.attempts[0]).toBe(70_000);
    expect(advance(pollPlan, st, ok(0, 70_000, now + 1, { done: true }))).toEqual([finished]);
    expect(st.status).toBe('SUCCEEDED');
  });

  it('restores attempt counts past 65,535', () => {
    const { st, rows, meta } = newInstance(0, pollPlan);
    advance(pollPlan, st, { type: 'start', now: 1 });
    persist(pollPlan, st, rows, meta);
    const row = rows.steps.get(0)!;
    rows.steps.set(0, { ...row, attempts: 70_000, errorRetries: 0 });
    const r = restoreFrom(pollPlan, rows);
    expect(r.attempts[0]).toBe(70_000);
    expect(pendingWork(r)).toEqual({ calls: [0], timers: [] });
    expect(advance(pollPlan, r, ok(0, 70_000, 2, { done: true }))).toEqual([finished]);
  });
});
