/**
 * Every SQL statement the store runs, as named constants. The schema lives in
 * ../migrations; these are prepared once when the store opens (queries for
 * listWorkflows are built from a closed set of sort keys, never from input).
 * Column lists are spelled out so a later migration that adds a column does not
 * change what a statement reads or writes.
 */

const INSTANCE_COLUMNS =
  'id, workflow_id, workflow_name, spec_version, spec_version_id, status, trigger_kind, input, source, ' +
  'variables, outputs, error, idempotency_key, message_name, created_at, started_at, ended_at';

const STEP_COLUMNS =
  'instance_seq, step_index, name, status, attempts, error_retries, branch, output, error, started_at, ' +
  'completed_at, due_at, timer_kind';

const WORKFLOW_COLUMNS =
  'id, name, description, published, tags, spec_version, created_at, updated_at, published_at, webhook_secret, ' +
  'creator_id, owner_id, access_list';

// ---------------------------------------------------------------- schema bookkeeping

export const SQL_MIGRATIONS_TABLE_EXISTS =
  "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'flowspec_migrations'";
export const SQL_CREATE_MIGRATIONS_TABLE =
  'CREATE TABLE IF NOT EXISTS flowspec_migrations (version INTEGER NOT NULL PRIMARY KEY, name TEXT NOT NULL, ' +
  'applied_at INTEGER NOT NULL)';
export const SQL_SELECT_MIGRATIONS = 'SELECT version, name FROM flowspec_migrations ORDER BY version';
export const SQL_INSERT_MIGRATION = 'INSERT INTO flowspec_migrations (version, name, applied_at) VALUES (?, ?, ?)';

// ---------------------------------------------------------------- workflows and spec versions

export const SQL_INSERT_WORKFLOW = `INSERT INTO flowspec_workflows (${WORKFLOW_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;
/** Parameters in the order of workflowParams (id first): the id is matched, every other column replaced. */
export const SQL_UPDATE_WORKFLOW =
  'UPDATE flowspec_workflows SET (id, name, description, published, tags, spec_version, created_at, updated_at, ' +
  'published_at, webhook_secret, creator_id, owner_id, access_list) = (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ' +
  'WHERE id = ?';
export const SQL_DELETE_WORKFLOW = 'DELETE FROM flowspec_workflows WHERE id = ?';
export const SQL_SELECT_WORKFLOW = `SELECT ${WORKFLOW_COLUMNS} FROM flowspec_workflows WHERE id = ?`;
export const SQL_COUNT_WORKFLOWS = 'SELECT count(*) AS n FROM flowspec_workflows';

/** The filter of listWorkflows: includeUnpublished (0/1), then the lower-cased query ('' for none) three times. */
const WORKFLOW_FILTER =
  "WHERE (? = 1 OR published = 1) AND (? = '' OR instr(flowspec_lower(name), ?) > 0 OR " +
  'instr(flowspec_lower(description), ?) > 0)';

export const SQL_COUNT_WORKFLOWS_FILTERED = `SELECT count(*) AS n FROM flowspec_workflows ${WORKFLOW_FILTER}`;

/** ORDER BY clauses by sort key; ties are broken by id in the direction of the sort. */
export const WORKFLOW_ORDER = {
  name: 'name ASC, id ASC',
  '-name': 'name DESC, id DESC',
  createdAt: 'created_at ASC, id ASC',
  '-createdAt': 'created_at DESC, id DESC',
  updatedAt: 'updated_at ASC, id ASC',
  '-updatedAt': 'updated_at DESC, id DESC',
} as const;

/** A page of workflows: the filter's parameters, then limit and offset. */
export function sqlListWorkflows(sort: keyof typeof WORKFLOW_ORDER): string {
  return `SELECT ${WORKFLOW_COLUMNS} FROM flowspec_workflows ${WORKFLOW_FILTER} ORDER BY ${WORKFLOW_ORDER[sort]} LIMIT ? OFFSET ?`;
}

export const SQL_INSERT_SPEC_VERSION =
  'INSERT INTO flowspec_spec_versions (workflow_id, version, id, spec, created_at) VALUES (?, ?, ?, ?, ?)';
export const SQL_SELECT_SPEC_VERSION =
  'SELECT workflow_id, version, id, spec, created_at FROM flowspec_spec_versions WHERE workflow_id = ? AND version = ?';
export const SQL_SPEC_VERSION_EXISTS = 'SELECT 1 FROM flowspec_spec_versions WHERE workflow_id = ? AND version = ?';

// ---------------------------------------------------------------- instances and steps

/**
 * Insert or replace an instance row (every column but seq, which an insert assigns and an update
 * keeps), returning its seq. The idempotency key's UNIQUE constraint is not an upsert target.
 */
export const SQL_UPSERT_INSTANCE =
  `INSERT INTO flowspec_instances (${INSTANCE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ` +
  'ON CONFLICT (id) DO UPDATE SET workflow_id = excluded.workflow_id, workflow_name = excluded.workflow_name, ' +
  'spec_version = excluded.spec_version, spec_version_id = excluded.spec_version_id, status = excluded.status, ' +
  'trigger_kind = excluded.trigger_kind, input = excluded.input, source = excluded.source, ' +
  'variables = excluded.variables, outputs = excluded.outputs, error = excluded.error, ' +
  'idempotency_key = excluded.idempotency_key, message_name = excluded.message_name, ' +
  'created_at = excluded.created_at, started_at = excluded.started_at, ended_at = excluded.ended_at ' +
  'RETURNING seq';

/**
 * The columns of an instance row that change while it runs, by seq: what a commit writes for an
 * instance whose other columns are as last written (no index but the unfinished one changes).
 */
export const SQL_UPDATE_INSTANCE_PROGRESS =
  'UPDATE flowspec_instances SET status = ?, variables = ?, outputs = ?, error = ?, started_at = ?, ended_at = ? ' +
  'WHERE seq = ?';

/** Insert or replace a step row keyed (instance_seq, step_index). */
export const SQL_UPSERT_STEP =
  `INSERT INTO flowspec_steps (${STEP_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ` +
  'ON CONFLICT (instance_seq, step_index) DO UPDATE SET name = excluded.name, status = excluded.status, ' +
  'attempts = excluded.attempts, error_retries = excluded.error_retries, branch = excluded.branch, ' +
  'output = excluded.output, error = excluded.error, started_at = excluded.started_at, ' +
  'completed_at = excluded.completed_at, due_at = excluded.due_at, timer_kind = excluded.timer_kind';

export const SQL_SELECT_INSTANCE = `SELECT ${INSTANCE_COLUMNS} FROM flowspec_instances WHERE id = ?`;
export const SQL_INSTANCE_SEQ = 'SELECT seq FROM flowspec_instances WHERE id = ?';
export const SQL_SELECT_INSTANCE_BY_KEY = `SELECT ${INSTANCE_COLUMNS} FROM flowspec_instances WHERE idempotency_key = ?`;
export const SQL_SELECT_STEPS =
  `SELECT ${STEP_COLUMNS} FROM flowspec_steps ` +
  'WHERE instance_seq = (SELECT seq FROM flowspec_instances WHERE id = ?) ORDER BY step_index';

/** Newest first: limit, offset. */
export const SQL_LIST_INSTANCES = `SELECT ${INSTANCE_COLUMNS} FROM flowspec_instances ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?`;
/** Newest first with a status filter: JSON array of statuses, limit, offset. */
export const SQL_LIST_INSTANCES_BY_STATUS =
  `SELECT ${INSTANCE_COLUMNS} FROM flowspec_instances WHERE status IN (SELECT value FROM json_each(?)) ` +
  'ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?';
/** One workflow's instances newest first: workflow id, limit, offset. */
export const SQL_LIST_WORKFLOW_INSTANCES = `SELECT ${INSTANCE_COLUMNS} FROM flowspec_instances WHERE workflow_id = ? ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?`;
/** One workflow's instances with a status filter: workflow id, JSON array of statuses, limit, offset. */
export const SQL_LIST_WORKFLOW_INSTANCES_BY_STATUS =
  `SELECT ${INSTANCE_COLUMNS} FROM flowspec_instances WHERE workflow_id = ? AND status IN (SELECT value FROM json_each(?)) ` +
  'ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?';

/** Counts by status (maintained by triggers): all workflows, or one. */
export const SQL_COUNTS_ALL = 'SELECT status, sum(n) AS n FROM flowspec_instance_counts GROUP BY status';
export const SQL_COUNTS_OF_WORKFLOW = 'SELECT status, n FROM flowspec_instance_counts WHERE workflow_id = ?';

export const SQL_COUNT_STARTS_SINCE =
  'SELECT count(*) AS n FROM flowspec_instances WHERE workflow_id = ? AND created_at >= ? AND trigger_kind = ?';

/** These two repeat the partial index's WHERE clause word for word, so SQLite uses that index. */
export const SQL_UNFINISHED_IDS = "SELECT id FROM flowspec_instances WHERE status IN ('PENDING', 'RUNNING')";
export const SQL_UNFINISHED_IDS_OF_WORKFLOW =
  "SELECT id FROM flowspec_instances WHERE status IN ('PENDING', 'RUNNING') AND workflow_id = ?";

// ---------------------------------------------------------------- schedules

export const SQL_SELECT_SCHEDULE =
  'SELECT workflow_id, last_occurrence_at, next_at FROM flowspec_schedules WHERE workflow_id = ?';
export const SQL_UPSERT_SCHEDULE =
  'INSERT INTO flowspec_schedules (workflow_id, last_occurrence_at, next_at) VALUES (?, ?, ?) ' +
  'ON CONFLICT (workflow_id) DO UPDATE SET last_occurrence_at = excluded.last_occurrence_at, next_at = excluded.next_at';
export const SQL_CLAIM_OCCURRENCE =
  'INSERT INTO flowspec_schedule_claims (workflow_id, occurrence_at, claimed_at, instance_id) VALUES (?, ?, ?, ?) ' +
  'ON CONFLICT (workflow_id, occurrence_at) DO NOTHING';

export const SQL_PING = 'SELECT 1';
