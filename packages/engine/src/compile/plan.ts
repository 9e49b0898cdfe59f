/**
 * The compiled form of a spec: everything the runtime needs as integer indices
 * and arrays, parsed once. The runtime never looks a step up by name and never
 * parses a template.
 */
import type { CompiledValue } from '../expr/types.js';
import type { CompiledCondition } from '../expr/condition.js';
import type { SchemaType, Spec } from '../spec/types.js';

/** Join kinds (readinessGate). */
export const JoinKind = { ALL: 0, ANY: 1 } as const;
export type JoinKind = (typeof JoinKind)[keyof typeof JoinKind];

/** A linear retry policy in milliseconds. */
export interface RetryPolicy {
  readonly intervalMs: number;
  readonly maxRetries: number;
}

/** A completion gate: a condition and its retry policy. */
export interface CompiledGate {
  readonly condition: CompiledCondition;
  readonly retry: RetryPolicy;
}

/** The parameters of one step: names and compiled values, index-aligned. */
export interface CompiledParams {
  readonly names: readonly string[];
  readonly values: readonly CompiledValue[];
  /** All values are constants: the resolved object is built once and shared. */
  readonly constant: Readonly<Record<string, unknown>> | null;
}

/** A trigger with its start steps and the steps reachable from them. */
export interface CompiledTrigger {
  /** `apiTrigger`, `workflowTrigger`, `scheduleTrigger`, or an unknown kind kept as is. */
  readonly kind: string;
  readonly body: unknown;
  readonly startSteps: Int32Array;
  /** Steps not reachable from `startSteps`; skipped when the instance starts. */
  readonly unreachable: Int32Array;
}

export interface CompiledInputParam {
  readonly name: string;
  readonly type: SchemaType;
  readonly hasDefault: boolean;
  readonly defaultValue: unknown;
  readonly allowedValues: readonly unknown[] | null;
}

export interface CompiledOutputParam {
  readonly name: string;
  readonly value: CompiledValue | null;
  readonly hasDefault: boolean;
  readonly defaultValue: unknown;
}

/** Edge kinds. */
export const EdgeKind = { NORMAL: 0, FALLBACK: 1 } as const;

export interface Plan {
  readonly spec: Spec;
  readonly stepCount: number;
  readonly names: readonly string[];
  readonly actionIds: readonly string[];
  /** Name → index; for the API and recovery only, never used by the runtime's hot path. */
  readonly indexByName: ReadonlyMap<string, number>;

  readonly edgeCount: number;
  readonly edgeFrom: Int32Array;
  readonly edgeTo: Int32Array;
  /** Branch name of a normal edge; null for a fallback edge. */
  readonly edgeBranch: readonly (string | null)[];
  /** Normal outbound edges of step s: `outEdges[outStart[s] .. outStart[s+1])`. */
  readonly outStart: Int32Array;
  readonly outEdges: Int32Array;
  /** Fallback edges of step s: `fbEdges[fbStart[s] .. fbStart[s+1])`. */
  readonly fbStart: Int32Array;
  readonly fbEdges: Int32Array;
  /** Inbound edges (normal and fallback) of step s: `inEdges[inStart[s] .. inStart[s+1])`. */
  readonly inStart: Int32Array;
  readonly inEdges: Int32Array;
  readonly inCount: Int32Array;
  readonly join: Uint8Array;

  readonly params: readonly (CompiledParams | null)[];
  readonly gate: readonly (CompiledGate | null)[];
  /** Error-handler retry policy (errorHandlers[0].retryStrategy), or null: no retry. */
  readonly retry: readonly (RetryPolicy | null)[];
  /** 1 when the step has error handlers: its failure is handled (fallbacks) instead of failing the instance. */
  readonly handled: Uint8Array;

  readonly triggers: readonly CompiledTrigger[];
  readonly inputSchema: readonly CompiledInputParam[];
  readonly outputSchema: readonly CompiledOutputParam[];
}
