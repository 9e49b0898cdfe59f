/**
 * Engine records -> the response documents the Datadog API was recorded
 * returning (fixtures/datadog/response-*.json), plus Flowspec's documented
 * additions, and the Domo-style instance shape. Pure functions.
 */
import type {
  InstanceRecord,
  InstanceSource,
  InstanceStatus,
  InstanceView,
  Spec,
  SpecVersionRecord,
  StepView,
  WorkflowRecord,
} from '@flowspec/engine';

/** RFC 3339 UTC with milliseconds, e.g. `2024-07-24T18:38:31.326Z`. */
export function isoTime(ms: number): string {
  return new Date(ms).toISOString();
}

/** `{data:{id,type}}` of a JSON:API relationship. */
interface Relationship {
  readonly data: { readonly id: string; readonly type: string };
}

/** A workflow as a JSON:API resource. */
export interface WorkflowResource {
  readonly id: string;
  readonly type: 'workflows';
  readonly attributes: {
    readonly name: string;
    readonly description: string;
    readonly published: boolean;
    readonly spec: Spec | null;
    readonly tags: readonly string[];
    readonly createdAt: string;
    readonly updatedAt: string;
  };
  readonly relationships: { readonly creator?: Relationship; readonly owner?: Relationship };
}

/**
 * A workflow resource. `spec` is null where the list leaves specs out. The
 * webhook secret is stored but never returned.
 */
export function renderWorkflow(wf: WorkflowRecord, spec: Spec | null): WorkflowResource {
  const relationships: { creator?: Relationship; owner?: Relationship } = {};
  if (wf.creatorId !== null) relationships.creator = { data: { id: wf.creatorId, type: 'users' } };
  if (wf.ownerId !== null) relationships.owner = { data: { id: wf.ownerId, type: 'users' } };
  return {
    id: wf.id,
    type: 'workflows',
    attributes: {
      name: wf.name,
      description: wf.description,
      published: wf.published,
      spec,
      tags: wf.tags,
      createdAt: isoTime(wf.createdAt),
      updatedAt: isoTime(wf.updatedAt),
    },
    relationships,
  };
}

/** Datadog's status kind and display name of each instance status. */
const statusDetails: Readonly<Record<InstanceStatus, { detailsKind: string; displayName: string }>> = {
  PENDING: { detailsKind: 'PENDING', displayName: 'Pending' },
  RUNNING: { detailsKind: 'IN_PROGRESS', displayName: 'Running' },
  SUCCEEDED: { detailsKind: 'SUCCEEDED', displayName: 'Succeeded' },
  FAILED: { detailsKind: 'FAILED', displayName: 'Failed' },
  CANCELED: { detailsKind: 'CANCELED', displayName: 'Canceled' },
};

/** `instanceStatus` of an instance. */
export function instanceStatus(status: InstanceStatus): { detailsKind: string; displayName: string } {
  return statusDetails[status];
}

/**
 * `source` as recorded: `{ <type>: { actingUser: {...} } }`. The engine keeps
 * the `Source` template root `{ type, <type>: {...} }`; the type key is the
 * outer key here.
 */
export function renderSource(source: InstanceSource): Record<string, unknown> {
  const inner = source[source.type];
  return { [source.type]: inner !== null && typeof inner === 'object' ? inner : {} };
}

function isFinal(status: InstanceStatus): boolean {
  return status === 'SUCCEEDED' || status === 'FAILED' || status === 'CANCELED';
}

function timestamps(rec: InstanceRecord): { startTimestamp: string; endTimestamp?: string } {
  const start = isoTime(rec.startedAt ?? rec.createdAt);
  if (isFinal(rec.status) && rec.endedAt !== null) return { startTimestamp: start, endTimestamp: isoTime(rec.endedAt) };
  return { startTimestamp: start };
}

/** An item of the instance list: status, source and timestamps only (as recorded). */
export function renderInstanceListItem(rec: InstanceRecord): {
  id: string;
  type: 'instances';
  attributes: Record<string, unknown>;
} {
  return {
    id: rec.id,
    type: 'instances',
    attributes: { instanceStatus: statusDetails[rec.status], source: renderSource(rec.source), ...timestamps(rec) },
  };
}

function renderStep(s: StepView): Record<string, unknown> {
  return {
    name: s.name,
    actionId: s.actionId,
    status: s.status,
    attempts: s.attempts,
    branch: s.branch,
    output: s.output ?? null,
    error: s.error,
    startedAt: s.startedAt === null ? null : isoTime(s.startedAt),
    completedAt: s.completedAt === null ? null : isoTime(s.completedAt),
  };
}

/** What GET instance may include besides the instance (JSON:API `included`). */
export interface IncludedRecords {
  /** The spec version the instance runs. */
  readonly specVersion?: SpecVersionRecord;
  /** The workflow, with the id of its current spec version (absent once deleted). */
  readonly workflow?: { readonly record: WorkflowRecord; readonly specVersionId: string };
}

/**
 * The GET instance document: the recorded attributes (`instanceStatus`,
 * timestamps, `trigger`, `outputs`, `source`, `stepStateAssociations`), the
 * spec-version and workflow relationships, and Flowspec's additions `error`
 * and `steps`. `included` carries the spec version and the workflow as
 * recorded; `meta` says no part was truncated (Flowspec never truncates).
 */
export function renderInstance(view: InstanceView, included: IncludedRecords = {}): Record<string, unknown> {
  const stepStateAssociations: { stepName: string; stepState: string }[] = [];
  for (const s of view.steps)
    if (s.status !== 'PENDING') stepStateAssociations.push({ stepName: s.name, stepState: s.status });
  const doc: Record<string, unknown> = {
    data: {
      id: view.id,
      type: 'instances',
      attributes: {
        instanceStatus: statusDetails[view.status],
        ...timestamps(view),
        trigger: view.input,
        outputs: view.status === 'SUCCEEDED' ? (view.outputs ?? {}) : {},
        source: renderSource(view.source),
        stepStateAssociations,
        error: view.error,
        steps: view.steps.map(renderStep),
      },
      relationships: {
        specVersion: { data: { id: view.specVersionId, type: 'spec_versions' } },
        workflow: { data: { id: view.workflowId, type: 'workflows' } },
      },
    },
  };
  const items: unknown[] = [];
  if (included.specVersion) {
    const v = included.specVersion;
    items.push({
      id: v.id,
      type: 'spec_versions',
      attributes: { createdAt: isoTime(v.createdAt), spec: v.spec, workflowId: v.workflowId },
    });
  }
  if (included.workflow) {
    const { record, specVersionId } = included.workflow;
    items.push({
      id: record.id,
      type: 'workflows',
      attributes: {
        createdAt: isoTime(record.createdAt),
        name: record.name,
        specVersionId,
        updatedAt: isoTime(record.updatedAt),
      },
    });
  }
  doc['included'] = items;
  doc['meta'] = { outputsTooBig: false, sourceTooBig: false, triggerTooBig: false };
  return doc;
}

/** Domo's instance status: null until the engine picked the instance up. */
const domoStatus: Readonly<Record<InstanceStatus, string | null>> = {
  PENDING: null,
  RUNNING: 'IN_PROGRESS',
  SUCCEEDED: 'COMPLETED',
  FAILED: 'FAILED',
  CANCELED: 'CANCELED',
};

/** The user id recorded in the instance source, if any. */
function actingUserId(source: InstanceSource): string | null {
  const inner = source[source.type] as { actingUser?: { userUuid?: unknown } } | undefined;
  const id = inner?.actingUser?.userUuid;
  return typeof id === 'string' ? id : null;
}

/** A spec version number as the Domo-style routes name it (`3` -> `"3.0.0"`). */
export function domoVersion(version: number): string {
  return `${version}.0.0`;
}

/** The Domo-style instance: `{id, modelId, modelName, modelVersion, createdBy, createdOn, updatedBy, updatedOn, status}`. */
export function renderDomoInstance(rec: InstanceRecord): Record<string, unknown> {
  const by = actingUserId(rec.source);
  return {
    id: rec.id,
    modelId: rec.workflowId,
    modelName: rec.workflowName,
    modelVersion: domoVersion(rec.specVersion),
    createdBy: by,
    createdOn: isoTime(rec.createdAt),
    updatedBy: by,
    updatedOn: isoTime(rec.endedAt ?? rec.startedAt ?? rec.createdAt),
    status: domoStatus[rec.status],
  };
}
