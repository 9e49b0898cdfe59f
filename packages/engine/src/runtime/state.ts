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
  return {
    id: init.id,
    workflowId: init.workflowId,
    status: 'PENDING',
    trigger: init.trigger,
    stepStatus: new Uint8Array(n),
    attempts: new Uint32Array(n),
    errorRetries: new Uint32Array(n),
    timerKind: new Uint8Array(n),
    resolvedIn: new Int32Array(n),
    takenIn: new Int32Array(n),
    edgeState: new Uint8Array(plan.edgeCount),
    startedAt: new Float64Array(n),
    completedAt: new Float64Array(n),
    dueAt: new Float64Array(n),
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
    dirty: new Int32Array(n),
    dirtyCount: 0,
    dirtyMark: new Uint8Array(n),
    instanceDirty: true,
  };
}

const EMPTY_VARIABLES: Readonly<Record<string, unknown>> = Object.freeze({});

/** Whether an instance status is final. */
export function isFinal(status: InstanceStatus): boolean {
  return status === 'SUCCEEDED' || status === 'FAILED' || status === 'CANCELED';
}
