/** Conversions between runtime state and store records / public views. */
import type { Plan } from '../compile/plan.js';
import type { Json } from '../spec/types.js';
import type { InstanceRecord, InstanceSource, StepRecord } from '../store/types.js';
import { STEP_STATUS, TIMER_KIND } from './state.js';
import type { InstanceState } from './state.js';

/** Facts about an instance that do not change while it runs. */
export interface InstanceMeta {
  readonly workflowName: string;
  readonly specVersion: number;
  readonly specVersionId: string;
  readonly triggerKind: string;
  readonly input: Readonly<Record<string, unknown>>;
  readonly source: InstanceSource;
  readonly idempotencyKey: string | null;
  readonly messageName: string | null;
  readonly createdAt: number;
}

export function toInstanceRecord(st: InstanceState, meta: InstanceMeta): InstanceRecord {
  return {
    id: st.id,
    workflowId: st.workflowId,
    workflowName: meta.workflowName,
    specVersion: meta.specVersion,
    specVersionId: meta.specVersionId,
    status: st.status,
    triggerKind: meta.triggerKind,
    input: meta.input,
    source: meta.source,
    variables: st.ctx.variables,
    outputs: st.result,
    error: st.error,
    idempotencyKey: meta.idempotencyKey,
    messageName: meta.messageName,
    createdAt: meta.createdAt,
    startedAt: st.instanceStartedAt === 0 ? null : st.instanceStartedAt,
    endedAt: st.instanceEndedAt === 0 ? null : st.instanceEndedAt,
  };
}

export function toStepRecord(plan: Plan, st: InstanceState, s: number): StepRecord {
  const status = STEP_STATUS[st.stepStatus[s]!]!;
  const error = st.errors[s] ?? null;
  return {
    instanceId: st.id,
    index: s,
    name: plan.names[s]!,
    status,
    attempts: st.attempts[s]!,
    errorRetries: st.errorRetries[s]!,
    branch: st.branches[s] ?? null,
    output: status === 'FAILED' ? undefined : (st.outputs[s] as Json | undefined),
    error,
    startedAt: st.startedAt[s] === 0 ? null : st.startedAt[s]!,
    completedAt: st.completedAt[s] === 0 ? null : st.completedAt[s]!,
    dueAt: st.dueAt[s] === 0 ? null : st.dueAt[s]!,
    timerKind: TIMER_KIND[st.timerKind[s]!] ?? null,
  };
}
