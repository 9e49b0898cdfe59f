/**
 * Conversions between the Store port's records and SQLite rows. JSON columns
 * hold JSON text; a step's `output` column is NULL when the step has no output
 * (`undefined`) and the text `null` when the output is JSON null. Booleans are
 * 0/1. Row shapes mirror the column lists in queries.ts.
 */
import { FlowspecError } from '@flowspec/engine';
import type {
  AccessEntry,
  InstanceErrorRecord,
  InstanceRecord,
  InstanceSource,
  InstanceStatus,
  Json,
  ScheduleRecord,
  Spec,
  SpecVersionRecord,
  StepError,
  StepRecord,
  StepStatus,
  TimerKind,
  WorkflowRecord,
} from '@flowspec/engine';

/** A row of flowspec_workflows. */
export interface WorkflowRow {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly published: number;
  readonly tags: string;
  readonly spec_version: number;
  readonly created_at: number;
  readonly updated_at: number;
  readonly published_at: number | null;
  readonly webhook_secret: string | null;
  readonly creator_id: string | null;
  readonly owner_id: string | null;
  readonly access_list: string | null;
}

/** A row of flowspec_spec_versions. */
export interface SpecVersionRow {
  readonly workflow_id: string;
  readonly version: number;
  readonly id: string;
  readonly spec: string;
  readonly created_at: number;
}

/** A row of flowspec_instances. */
export interface InstanceRow {
  readonly id: string;
  readonly workflow_id: string;
  readonly workflow_name: string;
  readonly spec_version: number;
  readonly spec_version_id: string;
  readonly status: string;
  readonly trigger_kind: string;
  readonly input: string;
  readonly source: string;
  readonly variables: string;
  readonly outputs: string | null;
  readonly error: string | null;
  readonly idempotency_key: string | null;
  readonly message_name: string | null;
  readonly created_at: number;
  readonly started_at: number | null;
  readonly ended_at: number | null;
}

/** A row of flowspec_steps. */
export interface StepRow {
  readonly instance_seq: number;
  readonly step_index: number;
  readonly name: string;
  readonly status: string;
  readonly attempts: number;
  readonly error_retries: number;
  readonly branch: string | null;
  readonly output: string | null;
  readonly error: string | null;
  readonly started_at: number | null;
  readonly completed_at: number | null;
  readonly due_at: number | null;
  readonly timer_kind: string | null;
}

/** A row of flowspec_schedules. */
export interface ScheduleRow {
  readonly workflow_id: string;
  readonly last_occurrence_at: number | null;
  readonly next_at: number | null;
}

/** A value bound to a statement parameter. */
export type Param = string | number | null;

/**
 * Serialises JSON values for storage and enforces the per-value size limit.
 * One per store (the limit and the store name go into its error messages).
 */
export class JsonWriter {
  readonly #limit: number;
  readonly #where: string;

  constructor(limit: number, where: string) {
    this.#limit = limit;
    this.#where = where;
  }

  /** JSON text of `value`, without a size check. */
  text(value: unknown, what: string): string {
    let text: string | undefined;
    try {
      text = JSON.stringify(value);
    } catch (err) {
      throw new FlowspecError('FSP_ERR_STORE', `${this.#where}: ${what} is not JSON: ${(err as Error).message}`, {
        cause: err,
      });
    }
    if (text === undefined) {
      throw new FlowspecError('FSP_ERR_STORE', `${this.#where}: ${what} is not JSON (${typeof value})`);
    }
    return text;
  }

  /** JSON text of `value`, refused when it is over the size limit (bytes of UTF-8). */
  limited(value: unknown, what: string): string {
    const text = this.text(value, what);
    // A UTF-16 unit is at most 3 bytes of UTF-8: most values skip the exact count.
    if (text.length * 3 > this.#limit) {
      const bytes = Buffer.byteLength(text);
      if (bytes > this.#limit) {
        throw new FlowspecError(
          'FSP_ERR_STORE',
          `${this.#where}: ${what} is ${bytes} bytes of JSON, over the limit of ${this.#limit} bytes per stored value ` +
            '(store option maxValueBytes). Nothing of this batch was written.',
          { details: { bytes, limit: this.#limit } },
        );
      }
    }
    return text;
  }
}

function parse<T>(text: string): T {
  return JSON.parse(text) as T;
}

function parseOrNull<T>(text: string | null): T | null {
  return text === null ? null : (JSON.parse(text) as T);
}

// ---------------------------------------------------------------- workflows

/** Parameters of SQL_INSERT_WORKFLOW (and SQL_UPDATE_WORKFLOW, followed by the id). */
export function workflowParams(w: WorkflowRecord, json: JsonWriter): Param[] {
  return [
    w.id,
    w.name,
    w.description,
    w.published ? 1 : 0,
    json.text(w.tags, 'workflow tags'),
    w.specVersion,
    w.createdAt,
    w.updatedAt,
    w.publishedAt,
    w.webhookSecret,
    w.creatorId,
    w.ownerId,
    w.accessList === null ? null : json.text(w.accessList, 'workflow access list'),
  ];
}

/** The workflow record of a row. */
export function workflowFromRow(r: WorkflowRow): WorkflowRecord {
  return {
    id: r.id,
    name: r.name,
    description: r.description,
    published: r.published === 1,
    tags: parse<string[]>(r.tags),
    specVersion: r.spec_version,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    publishedAt: r.published_at,
    webhookSecret: r.webhook_secret,
    creatorId: r.creator_id,
    ownerId: r.owner_id,
    accessList: parseOrNull<AccessEntry[]>(r.access_list),
  };
}

/** Parameters of SQL_INSERT_SPEC_VERSION. */
export function specVersionParams(v: SpecVersionRecord, json: JsonWriter): Param[] {
  return [v.workflowId, v.version, v.id, json.text(v.spec, `spec version ${v.version}`), v.createdAt];
}

/** The spec version record of a row. */
export function specVersionFromRow(r: SpecVersionRow): SpecVersionRecord {
  return {
    workflowId: r.workflow_id,
    version: r.version,
    id: r.id,
    spec: parse<Spec>(r.spec),
    createdAt: r.created_at,
  };
}

// ---------------------------------------------------------------- instances

/**
 * Parameters of SQL_UPSERT_INSTANCE. `input` and `source` are limited to
 * maxValueBytes; variables, outputs and error are derived from limited values
 * and are not refused (refusing them would leave the engine retrying a batch
 * it cannot change).
 */
export function instanceParams(r: InstanceRecord, json: JsonWriter): Param[] {
  return [
    r.id,
    r.workflowId,
    r.workflowName,
    r.specVersion,
    r.specVersionId,
    r.status,
    r.triggerKind,
    json.limited(r.input, `the input of instance ${r.id}`),
    json.limited(r.source, `the source of instance ${r.id}`),
    json.text(r.variables, `the variables of instance ${r.id}`),
    r.outputs === null ? null : json.text(r.outputs, `the outputs of instance ${r.id}`),
    r.error === null ? null : json.text(r.error, `the error of instance ${r.id}`),
    r.idempotencyKey,
    r.messageName,
    r.createdAt,
    r.startedAt,
    r.endedAt,
  ];
}

/** Fill `out` with the parameters of SQL_UPDATE_INSTANCE_PROGRESS (the columns that change while an instance runs). */
export function fillProgressParams(out: Param[], r: InstanceRecord, seq: number, json: JsonWriter): Param[] {
  out[0] = r.status;
  out[1] = json.text(r.variables, `the variables of instance ${r.id}`);
  out[2] = r.outputs === null ? null : json.text(r.outputs, `the outputs of instance ${r.id}`);
  out[3] = r.error === null ? null : json.text(r.error, `the error of instance ${r.id}`);
  out[4] = r.startedAt;
  out[5] = r.endedAt;
  out[6] = seq;
  return out;
}

/**
 * Whether `next` differs from `prev` (the record last written for the same
 * instance) only in the columns SQL_UPDATE_INSTANCE_PROGRESS writes. Input and
 * source compare by reference: the engine hands over the same objects for the
 * life of an instance, and records are never mutated after being handed over.
 */
export function onlyProgressChanged(prev: InstanceRecord, next: InstanceRecord): boolean {
  return (
    prev.input === next.input &&
    prev.source === next.source &&
    prev.workflowId === next.workflowId &&
    prev.workflowName === next.workflowName &&
    prev.specVersion === next.specVersion &&
    prev.specVersionId === next.specVersionId &&
    prev.triggerKind === next.triggerKind &&
    prev.idempotencyKey === next.idempotencyKey &&
    prev.messageName === next.messageName &&
    prev.createdAt === next.createdAt
  );
}

/** The instance record of a row. */
export function instanceFromRow(r: InstanceRow): InstanceRecord {
  return {
    id: r.id,
    workflowId: r.workflow_id,
    workflowName: r.workflow_name,
    specVersion: r.spec_version,
    specVersionId: r.spec_version_id,
    status: r.status as InstanceStatus,
    triggerKind: r.trigger_kind,
    input: parse<Record<string, unknown>>(r.input),
    source: parse<InstanceSource>(r.source),
    variables: parse<Record<string, unknown>>(r.variables),
    outputs: parseOrNull<Record<string, unknown>>(r.outputs),
    error: parseOrNull<InstanceErrorRecord>(r.error),
    idempotencyKey: r.idempotency_key,
    messageName: r.message_name,
    createdAt: r.created_at,
    startedAt: r.started_at,
    endedAt: r.ended_at,
  };
}

// ---------------------------------------------------------------- steps

/**
 * Fill `out` with the parameters of SQL_UPSERT_STEP (`seq` names the instance); the output is
 * limited to maxValueBytes. `out` is reused from row to row: the hot path allocates no array.
 */
export function fillStepParams(out: Param[], s: StepRecord, seq: number, json: JsonWriter): Param[] {
  out[0] = seq;
  out[1] = s.index;
  out[2] = s.name;
  out[3] = s.status;
  out[4] = s.attempts;
  out[5] = s.errorRetries;
  out[6] = s.branch;
  out[7] =
    s.output === undefined
      ? null
      : json.limited(s.output, `the output of step "${s.name}" of instance ${s.instanceId}`);
  out[8] = s.error === null ? null : json.text(s.error, `the error of step "${s.name}"`);
  out[9] = s.startedAt;
  out[10] = s.completedAt;
  out[11] = s.dueAt;
  out[12] = s.timerKind;
  return out;
}

/** The step record of a row of instance `instanceId`. */
export function stepFromRow(r: StepRow, instanceId: string): StepRecord {
  return {
    instanceId,
    index: r.step_index,
    name: r.name,
    status: r.status as StepStatus,
    attempts: r.attempts,
    errorRetries: r.error_retries,
    branch: r.branch,
    output: r.output === null ? undefined : parse<Json>(r.output),
    error: parseOrNull<StepError>(r.error),
    startedAt: r.started_at,
    completedAt: r.completed_at,
    dueAt: r.due_at,
    timerKind: r.timer_kind as TimerKind | null,
  };
}

// ---------------------------------------------------------------- schedules

/** The schedule record of a row. */
export function scheduleFromRow(r: ScheduleRow): ScheduleRecord {
  return { workflowId: r.workflow_id, lastOccurrenceAt: r.last_occurrence_at, nextAt: r.next_at };
}
