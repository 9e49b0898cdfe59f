/**
 * Rebuild an instance's runtime state from its store records (recovery).
 * Edge states are derived: a SUCCEEDED step took the edges of its branch, a
 * handled FAILED step took its fallbacks, everything else out of a finished
 * step is DEAD.
 */
import type { Plan } from '../compile/plan.js';
import type { InstanceRecord, StepRecord } from '../store/types.js';
import { E, S, STEP_STATUS, T, TIMER_KIND, createState } from './state.js';
import type { InstanceState } from './state.js';

export function restoreState(plan: Plan, rec: InstanceRecord, steps: readonly StepRecord[]): InstanceState {
  const trigger = Math.max(
    0,
    plan.triggers.findIndex((t) => t.kind === rec.triggerKind),
  );
  const st = createState(plan, {
    id: rec.id,
    workflowId: rec.workflowId,
    workflowName: rec.workflowName,
    trigger,
    input: rec.input,
    source: rec.source,
    variables: rec.variables,
  });
  st.status = rec.status;
  st.instanceStartedAt = rec.startedAt ?? 0;
  st.instanceEndedAt = rec.endedAt ?? 0;
  st.error = rec.error;
  st.result = rec.outputs;
  st.instanceDirty = false;
  for (const r of steps) {
    const s = r.index;
    if (s < 0 || s >= plan.stepCount || plan.names[s] !== r.name) continue;
    const code = STEP_STATUS.indexOf(r.status);
    st.stepStatus[s] = code;
    st.attempts[s] = r.attempts;
    st.errorRetries[s] = r.errorRetries;
    st.branches[s] = r.branch;
    st.errors[s] = r.error;
    st.outputs[s] = code === S.FAILED && r.error ? { error: r.error } : r.output;
    st.startedAt[s] = r.startedAt ?? 0;
    st.completedAt[s] = r.completedAt ?? 0;
    st.dueAt[s] = r.dueAt ?? 0;
    st.timerKind[s] = Math.max(0, TIMER_KIND.indexOf(r.timerKind));
    if (code === S.RUNNING || code === S.WAITING) st.active++;
  }
  for (let s = 0; s < plan.stepCount; s++) {
    const code = st.stepStatus[s];
    let takenOut = -1; // -1: leave open, 0: all dead, 1: branch / fallbacks
    if (code === S.SUCCEEDED) takenOut = 1;
    else if (code === S.FAILED || code === S.SKIPPED || code === S.CANCELED) takenOut = 0;
    if (takenOut < 0) continue;
    for (let i = plan.outStart[s]!; i < plan.outStart[s + 1]!; i++) {
      const e = plan.outEdges[i]!;
      resolve(e, code === S.SUCCEEDED && plan.edgeBranch[e] === st.branches[s]);
    }
    for (let i = plan.fbStart[s]!; i < plan.fbStart[s + 1]!; i++) {
      resolve(plan.fbEdges[i]!, code === S.FAILED && plan.handled[s] === 1);
    }
  }
  function resolve(e: number, taken: boolean): void {
    st.edgeState[e] = taken ? E.TAKEN : E.DEAD;
    const t = plan.edgeTo[e]!;
    st.resolvedIn[t]!++;
    if (taken) st.takenIn[t]!++;
  }
  return st;
}

/** Steps of a restored RUNNING instance that must be re-driven: calls to re-issue and timers to re-arm. */
export function pendingWork(st: InstanceState): { calls: number[]; timers: number[] } {
  const calls: number[] = [];
  const timers: number[] = [];
  for (let s = 0; s < st.stepStatus.length; s++) {
    const code = st.stepStatus[s];
    if (code === S.WAITING || (code === S.RUNNING && st.timerKind[s] === T.SLEEP)) timers.push(s);
    else if (code === S.RUNNING) calls.push(s);
  }
  return { calls, timers };
}
