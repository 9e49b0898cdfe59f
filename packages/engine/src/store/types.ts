/**
 * The Store port. One interface served by the in-memory store (here), SQLite
 * (@flowspec/store-sqlite) and multi-process PostgreSQL (@flowspec/store-postgres);
 * one conformance suite (@flowspec/testing) runs against each.
 *
 * Design rules every implementation keeps:
 * - `commit(batch)` is all-or-nothing and is the engine's group commit: every
 *   change of one engine turn (across many instances) arrives in one batch. The
 *   engine starts nothing that depends on a change before `commit` resolved.
 * - Step rows are keyed `(instanceId, index)` and hold the latest attempt; writing
 *   the same row again (after a crash) is harmless (an upsert).
 * - Records handed to the store may be kept by reference by the in-memory store;
 *   the engine never mutates a record after handing it over.
 * - Methods may return synchronously (in-memory, SQLite) or a promise (PostgreSQL);
 *   callers treat both alike (`Awaitable`).
 */
import type { Json, Spec } from '../spec/types.js';
import type { StepError } from '../errors.js';

/** A value or a promise of it: in-memory and SQLite stores answer synchronously. */
export type Awaitable<T> = T | Promise<T>;

export const InstanceStatuses = ['PENDING', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELED'] as const;
/** Instance status (SEMANTICS.md section 7). */
export type InstanceStatus = (typeof InstanceStatuses)[number];

export const StepStatuses = ['PENDING', 'RUNNING', 'WAITING', 'SUCCEEDED', 'FAILED', 'SKIPPED', 'CANCELED'] as const;
/** Step status (SEMANTICS.md section 7). */
export type StepStatus = (typeof StepStatuses)[number];

/** One entry of a workflow access list (set through the Domo permissions route). */
export interface AccessEntry {
  readonly id: string;
  readonly name?: string;
  readonly type: 'USER' | 'GROUP';
  readonly permissions: readonly string[];
}

export interface WorkflowRecord {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly published: boolean;
  readonly tags: readonly string[];
  /** Number of the current spec version (1-based). */
  readonly specVersion: number;
  readonly createdAt: number;
  readonly updatedAt: number;
  /** When the workflow was last published (anchors schedules without DTSTART), or null. */
  readonly publishedAt: number | null;
  readonly webhookSecret: string | null;
  readonly creatorId: string | null;
  readonly ownerId: string | null;
  readonly accessList: readonly AccessEntry[] | null;
}

/** An immutable spec version. */
export interface SpecVersionRecord {
  readonly workflowId: string;
  readonly version: number;
  /** A UUID naming this version (the REST `spec_versions` id). */
  readonly id: string;
  readonly spec: Spec;
  readonly createdAt: number;
}

/** Trigger event data, the `Source` template root. */
export interface InstanceSource {
  readonly type: string;
  readonly [key: string]: unknown;
}

export interface InstanceErrorRecord {
  /** Name of the failed step, or null when the instance failed for another reason. */
  readonly step: string | null;
  readonly code: string;
  readonly message: string;
}

export interface InstanceRecord {
  readonly id: string;
  readonly workflowId: string;
  readonly workflowName: string;
  readonly specVersion: number;
  readonly specVersionId: string;
  readonly status: InstanceStatus;
  /** The trigger kind it was started through (`apiTrigger`, `workflowTrigger`, ...). */
  readonly triggerKind: string;
  /** The input after defaults (the `Trigger` template root). */
  readonly input: Readonly<Record<string, unknown>>;
  readonly source: InstanceSource;
  readonly variables: Readonly<Record<string, unknown>>;
  readonly outputs: Readonly<Record<string, unknown>> | null;
  readonly error: InstanceErrorRecord | null;
  readonly idempotencyKey: string | null;
  readonly messageName: string | null;
  readonly createdAt: number;
  readonly startedAt: number | null;
  readonly endedAt: number | null;
}

/** Why a step has a due time. */
export type TimerKind = 'retry' | 'gate' | 'sleep';

/** The state of one step of one instance (its latest attempt). */
export interface StepRecord {
  readonly instanceId: string;
  /** The step index in the compiled plan of the instance's spec version. */
  readonly index: number;
  readonly name: string;
  readonly status: StepStatus;
  readonly attempts: number;
  /** How many of `attempts` were error-handler retries (the rest after the first were completion-gate re-runs). */
  readonly errorRetries: number;
  readonly branch: string | null;
  readonly output: Json | undefined;
  readonly error: StepError | null;
  readonly startedAt: number | null;
  readonly completedAt: number | null;
  /** When a WAITING step (or a sleeping RUNNING step) is due, else null. */
  readonly dueAt: number | null;
  readonly timerKind: TimerKind | null;
}

/**
 * Every step row of one instance, made one at a time: what the engine hands a non-durable store when
 * an instance ends (ADR 0004), so that a 100,000-step instance does not become 100,000 StepRecord
 * objects alive at once. Row `i` has index `i`. A store reads it during `commit` and must not keep it.
 */
export interface StepRowSource {
  readonly instanceId: string;
  /** Rows 0 .. count - 1. */
  readonly count: number;
  /** A new StepRecord for step `index` (0 <= index < count) on every call. */
  row(index: number): StepRecord;
}

/** Everything one engine turn changed; committed atomically. */
export interface CommitBatch {
  /** Instance rows to insert or replace. */
  readonly instances: readonly InstanceRecord[];
  /** Step rows to insert or replace. */
  readonly steps: readonly StepRecord[];
  /**
   * Whole instances' step rows, written after `steps` (a row here replaces one of `steps` with the same
   * instance and index). Same rules as `steps`: each names an instance stored or in the batch. Only sent
   * to a store that declares `acceptsStepSources`.
   */
  readonly stepSources?: readonly StepRowSource[];
}

/** The outcome of a commit. */
export interface CommitResult {
  /**
   * New instances whose idempotency key another instance already held (a race
   * between processes); keyed by the refused instance id, valued by the holder.
   * Those instances (and their step rows) were not written.
   */
  readonly idempotencyConflicts: ReadonlyMap<string, string>;
}

export interface ListWorkflowsQuery {
  readonly limit: number;
  readonly offset: number;
  /** Substring matched against name and description, case-insensitively. */
  readonly query?: string;
  readonly includeUnpublished: boolean;
  readonly sort?: 'name' | '-name' | 'createdAt' | '-createdAt' | 'updatedAt' | '-updatedAt';
}

export interface Page<T> {
  readonly items: readonly T[];
  readonly totalCount: number;
  readonly totalFilteredCount: number;
}

export interface ListInstancesQuery {
  readonly workflowId?: string;
  readonly limit: number;
  readonly offset: number;
  readonly statuses?: readonly InstanceStatus[];
}

export interface InstanceCounts {
  readonly succeeded: number;
  readonly failed: number;
  readonly canceled: number;
}

/** A claimed schedule occurrence (the exactly-once key is workflowId + occurrenceAt). */
export interface ScheduleClaim {
  readonly workflowId: string;
  readonly occurrenceAt: number;
  readonly claimedAt: number;
  readonly instanceId: string | null;
}

/** Per-workflow schedule bookkeeping. */
export interface ScheduleRecord {
  readonly workflowId: string;
  /** The last occurrence that was handled (fired or deliberately skipped). */
  readonly lastOccurrenceAt: number | null;
  readonly nextAt: number | null;
}

/** The Store port. */
export interface Store {
  /** A short name for logs and errors (`memory`, `sqlite:/path`, `postgres`). */
  readonly kind: string;
  /** Whether records survive a process restart (decides recovery on start). */
  readonly durable: boolean;
  /**
   * The store reads `CommitBatch.stepSources`. Only then does the engine hand it a finished instance's
   * rows as a source; a store without this flag gets them as `steps`, as before the field existed.
   */
  readonly acceptsStepSources?: boolean;
  /**
   * Largest JSON value the store keeps (bytes of UTF-8), when it has a limit: the engine fails a
   * step whose output is bigger (`output_too_large`, also when `maxOutputBytes` is set higher) and
   * refuses a bigger instance input or source at execute. Undefined: no limit.
   */
  readonly maxValueBytes?: number;

  // Workflows and spec versions
  createWorkflow(workflow: WorkflowRecord, version: SpecVersionRecord): Awaitable<void>;
  /** Replaces the workflow row; adds `version` when given (a spec change). */
  updateWorkflow(workflow: WorkflowRecord, version?: SpecVersionRecord): Awaitable<void>;
  /** Deletes the workflow row; spec versions and instances stay readable. Returns false when absent. */
  deleteWorkflow(id: string): Awaitable<boolean>;
  getWorkflow(id: string): Awaitable<WorkflowRecord | undefined>;
  listWorkflows(query: ListWorkflowsQuery): Awaitable<Page<WorkflowRecord>>;
  getSpecVersion(workflowId: string, version: number): Awaitable<SpecVersionRecord | undefined>;

  // Instances and steps
  commit(batch: CommitBatch): Awaitable<CommitResult>;
  getInstance(id: string): Awaitable<InstanceRecord | undefined>;
  /** Step rows of an instance, ordered by index. */
  getSteps(instanceId: string): Awaitable<readonly StepRecord[]>;
  findInstanceByIdempotencyKey(key: string): Awaitable<InstanceRecord | undefined>;
  /** Newest first (createdAt, then id). */
  listInstances(query: ListInstancesQuery): Awaitable<Page<InstanceRecord>>;
  countInstances(workflowId: string): Awaitable<InstanceCounts>;
  /** Instances started through `triggerKind` of a workflow at or after `sinceMs` (rate limits). */
  countStartsSince(workflowId: string, triggerKind: string, sinceMs: number): Awaitable<number>;
  /** Ids of PENDING or RUNNING instances (recovery, EXCLUSIVE_RUN), optionally of one workflow. */
  listUnfinishedInstanceIds(workflowId?: string): Awaitable<readonly string[]>;

  // Schedules
  getSchedule(workflowId: string): Awaitable<ScheduleRecord | undefined>;
  putSchedule(record: ScheduleRecord): Awaitable<void>;
  /** Claims an occurrence; false when it was claimed before (by anyone). */
  claimOccurrence(claim: ScheduleClaim): Awaitable<boolean>;

  // Leases (one driver per instance at a time)
  /** Takes or renews the lease of each instance for `owner` until `untilMs`; returns the ids it now holds. */
  acquireLeases(
    owner: string,
    instanceIds: readonly string[],
    nowMs: number,
    untilMs: number,
  ): Awaitable<readonly string[]>;
  releaseLeases(owner: string, instanceIds: readonly string[]): Awaitable<void>;

  /** Whether the store is reachable (health checks). */
  ping(): Awaitable<boolean>;
  close(): Awaitable<void>;
}
