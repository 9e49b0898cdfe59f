/**
 * The state of one running instance, as flat arrays indexed by step and edge.
 * `advance` owns it while it runs (it mutates in place and returns it: copying
 * per event would make a 10,000-step fan-out quadratic); everything in it is
 * derivable from the store's instance and step records (see restoreState).
 */
import type { StepError } from '../errors.js';
import type { EvalContext } from '../expr/types.js';
import type { Plan } from '../compile/plan.js';
import type { InstanceErrorRecord, InstanceSource, InstanceStatus, StepStatus, TimerKind } from '../store/types.js';

/** Step status codes (index into StepStatuses order). */
export const S = {
  PENDING: 0,
  RUNNING: 1,
  WAITING: 2,
  SUCCEEDED: 3,
  FAILED: 4,
  SKIPPED: 5,
  CANCELED: 6,
} as const;
export type StepCode = (typeof S)[keyof typeof S];
export const STEP_STATUS: readonly StepStatus[] = [
  'PENDING',
  'RUNNING',
  'WAITING',
  'SUCCEEDED',
  'FAILED',
  'SKIPPED',
  'CANCELED',
];

/** Edge states. */
export const E = { OPEN: 0, TAKEN: 1, DEAD: 2 } as const;

/** Timer kinds as codes. */
export const T = { NONE: 0, RETRY: 1, GATE: 2, SLEEP: 3 } as const;
export const TIMER_KIND: readonly (TimerKind | null)[] = [null, 'retry', 'gate', 'sleep'];

/** A mutable evaluation context: one per instance, updated when Variables change. */
export interface MutableEvalContext extends EvalContext {
  variables: Readonly<Record<string, unknown>>;
}

export interface InstanceState {
  readonly id: string;
  readonly workflowId: string;
  status: InstanceStatus;
  /** Index into plan.triggers. */
  readonly trigger: number;
  readonly stepStatus: Uint8Array;
  /** 32 bits: a completion gate may allow far more than 65,535 re-runs (a 1 s poll for a day is 86,400). */
  readonly attempts: Uint32Array;
  readonly errorRetries: Uint32Array;
  readonly timerKind: Uint8Array;
  readonly resolvedIn: Int32Array;
  readonly takenIn: Int32Array;
  readonly edgeState: Uint8Array;
  readonly startedAt: Float64Array;
  readonly completedAt: Float64Array;
  readonly dueAt: Float64Array;
  /** Output of each step (for a failed step `{ error }`); also the template context's `outputs`. */
  readonly outputs: unknown[];
  readonly branches: (string | null)[];
  readonly errors: (StepError | null)[];
  /** Steps RUNNING or WAITING. The instance ends when this reaches 0. */
  active: number;
  readonly ctx: MutableEvalContext;
  instanceStartedAt: number;
  instanceEndedAt: number;
  error: InstanceErrorRecord | null;
  result: Readonly<Record<string, unknown>> | null;
  /** Steps whose status changed since the driver last drained it: `dirty[0 .. dirtyCount)`, each once (see dirtyMark). */
  readonly dirty: Int32Array;
  dirtyCount: number;
  readonly dirtyMark: Uint8Array;
  /** Whether the instance record (status, variables, outputs, error) changed since drained. */
  instanceDirty: boolean;
}

/** Create the state of a new (PENDING) instance. */
export function createState(
  plan: Plan,
  init: {
    id: string;
    workflowId: string;
    workflowName: string;
    trigger: number;
    input: Readonly<Record<string, unknown>>;
    source: InstanceSource;
    variables?: Readonly<Record<string, unknown>>;
  },
): InstanceState {
  const n = plan.stepCount;
  const outputs = new Array<unknown>(n).fill(undefined);
  // Every numeric column lives in one zeroed ArrayBuffer (8-byte columns first, then 4-byte, then
  // 1-byte, so each view is aligned): one allocation per instance instead of twelve.
  const buf = new ArrayBuffer(47 * n + plan.edgeCount);
  let at = 0;
  const f64 = (): Float64Array => {
    const a = new Float64Array(buf, at, n);
    at += 8 * n;
    return a;
  };
  const i32 = (): Int32Array => {
    const a = new Int32Array(buf, at, n);
    at += 4 * n;
    return a;
  };
  const u32 = (): Uint32Array => {
    const a = new Uint32Array(buf, at, n);
    at += 4 * n;
    return a;
  };
  const u8 = (len: number): Uint8Array => {
    const a = new Uint8Array(buf, at, len);
    at += len;
    return a;
  };
  const startedAt = f64();
  const completedAt = f64();
  const dueAt = f64();
  const attempts = u32();
  const errorRetries = u32();
  const resolvedIn = i32();
  const takenIn = i32();
  const dirty = i32();
  const stepStatus = u8(n);
  const timerKind = u8(n);
  const dirtyMark = u8(n);
  const edgeState = u8(plan.edgeCount);
  return {
    id: init.id,
    workflowId: init.workflowId,
    status: 'PENDING',
    trigger: init.trigger,
    stepStatus,
    attempts,
    errorRetries,
    timerKind,
    resolvedIn,
    takenIn,
    edgeState,
    startedAt,
    completedAt,
    dueAt,
    outputs,
    branches: new Array<string | null>(n).fill(null),
    errors: new Array<StepError | null>(n).fill(null),
    active: 0,
    ctx: {
      trigger: init.input,
      source: init.source,
      variables: init.variables ?? EMPTY_VARIABLES,
      workflowName: init.workflowName,
      workflowId: init.workflowId,
      instanceId: init.id,
      outputs,
      stepNames: plan.names,
    },
    instanceStartedAt: 0,
    instanceEndedAt: 0,
    error: null,
    result: null,
    dirty,
    dirtyCount: 0,
    dirtyMark,
    instanceDirty: true,
  };
}

const EMPTY_VARIABLES: Readonly<Record<string, unknown>> = Object.freeze({});

/** Whether an instance status is final. */
export function isFinal(status: InstanceStatus): boolean {
  return status === 'SUCCEEDED' || status === 'FAILED' || status === 'CANCELED';
}
