/**
 * The pure transition function at the heart of the engine:
 * `advance(plan, state, event) -> commands`. No I/O, no clock (time arrives in
 * events), no randomness. It mutates `state` in place (it owns it) and appends
 * the commands the driver must carry out: call an action, arm a timer, abort
 * in-flight handlers, report the end.
 *
 * Invariants (checked by the property tests):
 * - a step runs at most once per instance (retries are attempts of that run);
 * - every inbound edge of a finished instance is TAKEN or DEAD;
 * - ALL join: runs once every inbound edge is resolved and one is TAKEN;
 *   ANY join: runs at the first TAKEN edge; a step with every inbound edge DEAD
 *   is SKIPPED and its outbound and fallback edges become DEAD (cascading).
 */
import type { StepError, StepErrorCode } from '../errors.js';
import { evaluateCondition } from '../expr/condition.js';
import { evaluateValue } from '../expr/template.js';
import type { Plan } from '../compile/plan.js';
import { JoinKind } from '../compile/plan.js';
import { E, S, T } from './state.js';
import type { InstanceState } from './state.js';

/** What happened to an instance. */
export type RuntimeEvent =
  | { readonly type: 'start'; readonly now: number }
  | {
      readonly type: 'succeeded';
      readonly step: number;
      readonly attempt: number;
      readonly output: unknown;
      readonly branch: string;
      readonly variables: Readonly<Record<string, unknown>> | null;
      readonly sleepMs: number | null;
      readonly now: number;
    }
  | {
      readonly type: 'failed';
      readonly step: number;
      readonly attempt: number;
      readonly code: StepErrorCode;
      readonly message: string;
      readonly now: number;
    }
  | { readonly type: 'timer'; readonly step: number; readonly attempt: number; readonly now: number }
  | { readonly type: 'cancel'; readonly now: number };

/** What the driver must do. */
export type Command =
  | { readonly type: 'call'; readonly step: number; readonly attempt: number }
  | { readonly type: 'timer'; readonly step: number; readonly attempt: number; readonly dueAt: number }
  /** Fire the AbortSignal of every in-flight handler of the instance and drop its timers. */
  | { readonly type: 'abort' }
  /** The instance reached a final status. */
  | { readonly type: 'finished' };

/** Where advance appends commands: an array, or the driver's reusable buffer. */
export interface CommandSink {
  push(command: Command): unknown;
}

// Scratch worklist of edges to resolve, encoded `edge * 2 + taken`. advance is
// not re-entrant, so one module-level array serves every call without allocation.
const work: number[] = [];

/**
 * Apply one event to an instance. Returns `commands` (a new array when none is
 * given) with the commands appended.
 */
export function advance<C extends CommandSink = Command[]>(
  plan: Plan,
  st: InstanceState,
  ev: RuntimeEvent,
  commands: C = [] as unknown as C,
): C {
  if (st.status !== 'RUNNING' && !(st.status === 'PENDING' && (ev.type === 'start' || ev.type === 'cancel'))) {
    return commands; // finished instances ignore late results; cancel of a finished one changes nothing
  }
  switch (ev.type) {
    case 'start':
      start(plan, st, ev.now, commands);
      break;
    case 'succeeded':
      if (!current(st, ev.step, ev.attempt, S.RUNNING)) return commands;
      succeeded(plan, st, ev, commands);
      break;
    case 'failed':
      if (!current(st, ev.step, ev.attempt, S.RUNNING)) return commands;
      if (st.timerKind[ev.step] === T.SLEEP) return commands;
      failed(plan, st, ev.step, ev.code, ev.message, ev.now, true, commands);
      break;
    case 'timer':
      timer(plan, st, ev.step, ev.attempt, ev.now, commands);
      break;
    case 'cancel':
      terminate(plan, st, 'CANCELED', ev.now, commands);
      return commands;
    default: {
      const never: never = ev;
      throw new Error(`unknown event ${String(never)}`);
    }
  }
  drain(plan, st, ev.now, commands);
  if (st.status === 'RUNNING' && st.active === 0) finishSucceeded(plan, st, ev.now, commands);
  return commands;
}

function current(st: InstanceState, step: number, attempt: number, status: number): boolean {
  return step >= 0 && step < st.stepStatus.length && st.stepStatus[step] === status && st.attempts[step] === attempt;
}

function markDirty(st: InstanceState, s: number): void {
  if (st.dirtyMark[s] === 0) {
    st.dirtyMark[s] = 1;
    st.dirty[st.dirtyCount++] = s;
  }
}

function start(plan: Plan, st: InstanceState, now: number, commands: CommandSink): void {
  st.status = 'RUNNING';
  st.instanceStartedAt = now;
  st.instanceDirty = true;
  const trigger = plan.triggers[st.trigger];
  if (trigger === undefined) return;
  const starts = trigger.startSteps;
  for (let i = 0; i < starts.length; i++) {
    const s = starts[i]!;
    if (st.stepStatus[s] === S.PENDING) run(st, s, now, commands);
  }
  const unreachable = trigger.unreachable;
  for (let i = 0; i < unreachable.length; i++) {
    const s = unreachable[i]!;
    if (st.stepStatus[s] === S.PENDING) skip(plan, st, s);
  }
}

/** A ready step starts its first attempt. */
function run(st: InstanceState, s: number, now: number, commands: CommandSink): void {
  st.stepStatus[s] = S.RUNNING;
  st.attempts[s] = 1;
  st.startedAt[s] = now;
  st.active++;
  markDirty(st, s);
  commands.push({ type: 'call', step: s, attempt: 1 });
}

function skip(plan: Plan, st: InstanceState, s: number): void {
  st.stepStatus[s] = S.SKIPPED;
  markDirty(st, s);
  const { outStart, outEdges, fbStart, fbEdges } = plan;
  // `work` is a stack: push in reverse so edges resolve (and steps start) in the order the spec lists them.
  for (let i = fbStart[s + 1]! - 1, start = fbStart[s]!; i >= start; i--) work.push(fbEdges[i]! * 2);
  for (let i = outStart[s + 1]! - 1, start = outStart[s]!; i >= start; i--) work.push(outEdges[i]! * 2);
}

/** Resolve queued edges and cascade readiness and skips, iteratively (no recursion depth limit). */
function drain(plan: Plan, st: InstanceState, now: number, commands: CommandSink): void {
  const { edgeTo, inCount, join } = plan;
  while (work.length > 0) {
    const item = work.pop()!;
    const e = item >> 1;
    const taken = (item & 1) === 1;
    if (st.edgeState[e] !== E.OPEN) continue;
    st.edgeState[e] = taken ? E.TAKEN : E.DEAD;
    const t = edgeTo[e]!;
    const resolved = ++st.resolvedIn[t]!;
    if (taken) st.takenIn[t]!++;
    if (st.stepStatus[t] !== S.PENDING) continue; // later arrivals at a started join are recorded, ignored
    const all = resolved === inCount[t];
    if (join[t] === JoinKind.ANY) {
      if (taken) run(st, t, now, commands);
      else if (all) skip(plan, st, t);
    } else if (all) {
      if (st.takenIn[t]! > 0) run(st, t, now, commands);
      else skip(plan, st, t);
    }
  }
}

function succeeded(
  plan: Plan,
  st: InstanceState,
  ev: Extract<RuntimeEvent, { type: 'succeeded' }>,
  commands: CommandSink,
): void {
  const s = ev.step;
  if (ev.variables !== null) setVariables(st, ev.variables);
  if (ev.sleepMs !== null && st.timerKind[s] !== T.SLEEP) {
    // A durable sleep: the step stays RUNNING until its timer fires.
    st.outputs[s] = ev.output;
    st.branches[s] = ev.branch;
    st.timerKind[s] = T.SLEEP;
    st.dueAt[s] = ev.now + Math.max(0, ev.sleepMs);
    markDirty(st, s);
    commands.push({ type: 'timer', step: s, attempt: ev.attempt, dueAt: st.dueAt[s]! });
    return;
  }
  const gate = plan.gate[s];
  if (gate) {
    st.outputs[s] = ev.output; // Steps.<ThisStep> is this call's output
    let met: boolean;
    try {
      met = evaluateCondition(gate.condition, st.ctx);
    } catch {
      met = false;
    }
    if (!met) {
      const reruns = st.attempts[s]! - 1 - st.errorRetries[s]!;
      if (reruns < gate.retry.maxRetries) {
        wait(st, s, T.GATE, ev.now + gate.retry.intervalMs, commands);
        return;
      }
      failed(
        plan,
        st,
        s,
        'completion_gate_unmet',
        `Completion condition of step "${plan.names[s]}" still false after ${st.attempts[s]} attempt(s)`,
        ev.now,
        false,
        commands,
      );
      return;
    }
  }
  complete(plan, st, s, ev.output, ev.branch, ev.now);
}

function setVariables(st: InstanceState, vars: Readonly<Record<string, unknown>>): void {
  const next: Record<string, unknown> = Object.assign(Object.create(null) as Record<string, unknown>, st.ctx.variables);
  for (const key of Object.keys(vars)) {
    if (key === '__proto__' || key === 'constructor' || key === 'prototype') continue;
    next[key] = vars[key];
  }
  st.ctx.variables = next;
  st.instanceDirty = true;
}

function complete(plan: Plan, st: InstanceState, s: number, output: unknown, branch: string, now: number): void {
  st.stepStatus[s] = S.SUCCEEDED;
  st.outputs[s] = output;
  st.branches[s] = branch;
  st.completedAt[s] = now;
  st.timerKind[s] = T.NONE;
  st.dueAt[s] = 0;
  st.active--;
  markDirty(st, s);
  const { outStart, outEdges, fbStart, fbEdges, edgeBranch } = plan;
  for (let i = fbStart[s + 1]! - 1, start = fbStart[s]!; i >= start; i--) work.push(fbEdges[i]! * 2);
  for (let i = outStart[s + 1]! - 1, start = outStart[s]!; i >= start; i--) {
    const e = outEdges[i]!;
    work.push(e * 2 + (edgeBranch[e] === branch ? 1 : 0));
  }
}

function wait(st: InstanceState, s: number, kind: number, dueAt: number, commands: CommandSink): void {
  st.stepStatus[s] = S.WAITING;
  st.timerKind[s] = kind;
  st.dueAt[s] = dueAt;
  markDirty(st, s);
  commands.push({ type: 'timer', step: s, attempt: st.attempts[s]!, dueAt });
}

function failed(
  plan: Plan,
  st: InstanceState,
  s: number,
  code: StepErrorCode,
  message: string,
  now: number,
  retryable: boolean,
  commands: CommandSink,
): void {
  const policy = plan.retry[s];
  if (retryable && policy && st.errorRetries[s]! < policy.maxRetries) {
    st.errorRetries[s]!++;
    st.errors[s] = { code, message, attempts: st.attempts[s]! };
    wait(st, s, T.RETRY, now + policy.intervalMs, commands);
    return;
  }
  const error: StepError = { code, message, attempts: st.attempts[s]! };
  st.stepStatus[s] = S.FAILED;
  st.errors[s] = error;
  st.outputs[s] = { error };
  st.completedAt[s] = now;
  st.timerKind[s] = T.NONE;
  st.dueAt[s] = 0;
  st.active--;
  markDirty(st, s);
  if (plan.handled[s] === 1) {
    const { outStart, outEdges, fbStart, fbEdges } = plan;
    for (let i = fbStart[s + 1]! - 1, start = fbStart[s]!; i >= start; i--) work.push(fbEdges[i]! * 2 + 1);
    for (let i = outStart[s + 1]! - 1, start = outStart[s]!; i >= start; i--) work.push(outEdges[i]! * 2);
    return;
  }
  st.error = { step: plan.names[s]!, code, message };
  terminate(plan, st, 'FAILED', now, commands);
}

function timer(plan: Plan, st: InstanceState, s: number, attempt: number, now: number, commands: CommandSink): void {
  if (s < 0 || s >= plan.stepCount || st.attempts[s] !== attempt) return;
  const status = st.stepStatus[s];
  if (status === S.WAITING) {
    st.stepStatus[s] = S.RUNNING;
    st.attempts[s] = attempt + 1;
    st.timerKind[s] = T.NONE;
    st.dueAt[s] = 0;
    markDirty(st, s);
    commands.push({ type: 'call', step: s, attempt: attempt + 1 });
  } else if (status === S.RUNNING && st.timerKind[s] === T.SLEEP) {
    complete(plan, st, s, st.outputs[s], st.branches[s] ?? 'main', now);
  }
}

/** End the instance as FAILED or CANCELED: running/waiting steps CANCELED, pending ones SKIPPED, open edges DEAD. */
function terminate(plan: Plan, st: InstanceState, status: 'FAILED' | 'CANCELED', now: number, commands: CommandSink) {
  work.length = 0;
  const n = plan.stepCount;
  let inFlight = false;
  for (let s = 0; s < n; s++) {
    const code = st.stepStatus[s];
    if (code === S.RUNNING || code === S.WAITING) {
      if (code === S.RUNNING) inFlight = true;
      st.stepStatus[s] = S.CANCELED;
      st.completedAt[s] = now;
      st.timerKind[s] = T.NONE;
      st.dueAt[s] = 0;
      markDirty(st, s);
    } else if (code === S.PENDING) {
      st.stepStatus[s] = S.SKIPPED;
      markDirty(st, s);
    }
  }
  const { edgeTo } = plan;
  for (let e = 0; e < plan.edgeCount; e++) {
    if (st.edgeState[e] === E.OPEN) {
      st.edgeState[e] = E.DEAD;
      st.resolvedIn[edgeTo[e]!]!++;
    }
  }
  st.active = 0;
  st.status = status;
  if (st.instanceStartedAt === 0) st.instanceStartedAt = now;
  st.instanceEndedAt = now;
  st.instanceDirty = true;
  if (inFlight || status === 'CANCELED') commands.push({ type: 'abort' });
  commands.push({ type: 'finished' });
}

const NO_OUTPUTS: Readonly<Record<string, unknown>> = Object.freeze({});

function finishSucceeded(plan: Plan, st: InstanceState, now: number, commands: CommandSink): void {
  const outputs: Record<string, unknown> = plan.outputSchema.length === 0 ? NO_OUTPUTS : {};
  for (const p of plan.outputSchema) {
    let value: unknown = p.value === null ? undefined : evaluateValue(p.value, st.ctx);
    if ((value === undefined || value === null) && p.hasDefault) value = p.defaultValue;
    if (p.name === '__proto__' || p.name === 'constructor' || p.name === 'prototype') continue;
    outputs[p.name] = value === undefined ? null : value;
  }
  st.result = outputs;
  st.status = 'SUCCEEDED';
  st.instanceEndedAt = now;
  st.instanceDirty = true;
  commands.push({ type: 'finished' });
}
