-- Flowspec SQLite schema, version 1. Applied once, inside one transaction, by @flowspec/store-sqlite
-- (the runner records it in flowspec_migrations). Never edit an applied migration: add 0002_....sql.
-- Timestamps are milliseconds since the epoch; JSON columns hold JSON text (NULL only where noted).

-- Workflow rows: one per workflow; deleted rows leave their spec versions and instances behind.
CREATE TABLE flowspec_workflows (
  id             TEXT    NOT NULL PRIMARY KEY,
  name           TEXT    NOT NULL,
  description    TEXT    NOT NULL,
  published      INTEGER NOT NULL CHECK (published IN (0, 1)),
  tags           TEXT    NOT NULL,            -- JSON array of strings
  spec_version   INTEGER NOT NULL,
  created_at     INTEGER NOT NULL,
  updated_at     INTEGER NOT NULL,
  published_at   INTEGER,
  webhook_secret TEXT,
  creator_id     TEXT,
  owner_id       TEXT,
  access_list    TEXT                         -- JSON array, NULL when never set
);

-- Immutable spec versions: the triggers below refuse every UPDATE and DELETE.
CREATE TABLE flowspec_spec_versions (
  workflow_id TEXT    NOT NULL,
  version     INTEGER NOT NULL,
  id          TEXT    NOT NULL UNIQUE,
  spec        TEXT    NOT NULL,               -- JSON
  created_at  INTEGER NOT NULL,
  PRIMARY KEY (workflow_id, version)
) WITHOUT ROWID;

CREATE TRIGGER flowspec_spec_versions_immutable_update BEFORE UPDATE ON flowspec_spec_versions
BEGIN
  SELECT RAISE(ABORT, 'flowspec: spec versions are immutable');
END;

CREATE TRIGGER flowspec_spec_versions_immutable_delete BEFORE DELETE ON flowspec_spec_versions
BEGIN
  SELECT RAISE(ABORT, 'flowspec: spec versions are immutable');
END;

-- Instance rows: upserted by every group commit that changes the instance. `seq` (the rowid) numbers
-- instances in the order this file first saw them; step rows hang off it, so the steps of new
-- instances are appended at the end of flowspec_steps instead of scattered by the random UUIDs
-- (docs/adr/0005-sqlite-schema.md: several times fewer pages written per group commit).
CREATE TABLE flowspec_instances (
  seq             INTEGER PRIMARY KEY,
  id              TEXT    NOT NULL UNIQUE,
  workflow_id     TEXT    NOT NULL,
  workflow_name   TEXT    NOT NULL,
  spec_version    INTEGER NOT NULL,
  spec_version_id TEXT    NOT NULL,
  status          TEXT    NOT NULL CHECK (status = 'PENDING' OR status = 'RUNNING' OR status = 'SUCCEEDED' OR status = 'FAILED' OR status = 'CANCELED'),
  trigger_kind    TEXT    NOT NULL,
  input           TEXT    NOT NULL,           -- JSON object
  source          TEXT    NOT NULL,           -- JSON object
  variables       TEXT    NOT NULL,           -- JSON object
  outputs         TEXT,                       -- JSON object, NULL until SUCCEEDED
  error           TEXT,                       -- JSON object, NULL unless FAILED
  idempotency_key TEXT    UNIQUE,             -- global; NULLs never collide
  message_name    TEXT,
  created_at      INTEGER NOT NULL,
  started_at      INTEGER,
  ended_at        INTEGER
);

-- Paging newest first, per workflow and overall; countStartsSince scans the per-workflow index.
CREATE INDEX flowspec_instances_by_workflow ON flowspec_instances (workflow_id, created_at, id);
CREATE INDEX flowspec_instances_by_created ON flowspec_instances (created_at, id);
-- Recovery and EXCLUSIVE_RUN read the unfinished instances only: a partial index keeps it small.
CREATE INDEX flowspec_instances_unfinished ON flowspec_instances (workflow_id)
  WHERE status IN ('PENDING', 'RUNNING');

-- Instance counts by workflow and status, kept by triggers in the same transaction as the rows
-- (listInstances totals and countInstances answer without scanning instances).
CREATE TABLE flowspec_instance_counts (
  workflow_id TEXT    NOT NULL,
  status      TEXT    NOT NULL,
  n           INTEGER NOT NULL,
  PRIMARY KEY (workflow_id, status)
) WITHOUT ROWID;

CREATE TRIGGER flowspec_instances_count_insert AFTER INSERT ON flowspec_instances
BEGIN
  INSERT INTO flowspec_instance_counts (workflow_id, status, n) VALUES (NEW.workflow_id, NEW.status, 1)
    ON CONFLICT (workflow_id, status) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER flowspec_instances_count_update AFTER UPDATE OF status, workflow_id ON flowspec_instances
  WHEN OLD.status IS NOT NEW.status OR OLD.workflow_id IS NOT NEW.workflow_id
BEGIN
  UPDATE flowspec_instance_counts SET n = n - 1 WHERE workflow_id = OLD.workflow_id AND status = OLD.status;
  INSERT INTO flowspec_instance_counts (workflow_id, status, n) VALUES (NEW.workflow_id, NEW.status, 1)
    ON CONFLICT (workflow_id, status) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER flowspec_instances_count_delete AFTER DELETE ON flowspec_instances
BEGIN
  UPDATE flowspec_instance_counts SET n = n - 1 WHERE workflow_id = OLD.workflow_id AND status = OLD.status;
END;

-- Step rows: the latest attempt of each step, keyed (instance, step index); rewriting a row after a
-- crash is an upsert, so repeating a write is harmless. The instance is named by its seq.
CREATE TABLE flowspec_steps (
  instance_seq  INTEGER NOT NULL REFERENCES flowspec_instances (seq),
  step_index    INTEGER NOT NULL CHECK (step_index >= 0),
  name          TEXT    NOT NULL,
  status        TEXT    NOT NULL
    CHECK (status = 'PENDING' OR status = 'RUNNING' OR status = 'WAITING' OR status = 'SUCCEEDED' OR status = 'FAILED' OR status = 'SKIPPED' OR status = 'CANCELED'),
  attempts      INTEGER NOT NULL,
  error_retries INTEGER NOT NULL,
  branch        TEXT,
  output        TEXT,                          -- JSON; NULL means no output (JSON null is the text 'null')
  error         TEXT,                          -- JSON object or NULL
  started_at    INTEGER,
  completed_at  INTEGER,
  due_at        INTEGER,
  timer_kind    TEXT CHECK (timer_kind IS NULL OR timer_kind = 'retry' OR timer_kind = 'gate' OR timer_kind = 'sleep'),
  PRIMARY KEY (instance_seq, step_index)
) WITHOUT ROWID;

-- Schedule bookkeeping, one row per workflow.
CREATE TABLE flowspec_schedules (
  workflow_id        TEXT NOT NULL PRIMARY KEY,
  last_occurrence_at INTEGER,
  next_at            INTEGER
) WITHOUT ROWID;

-- Claimed schedule occurrences: the primary key makes each occurrence fire at most once.
CREATE TABLE flowspec_schedule_claims (
  workflow_id   TEXT    NOT NULL,
  occurrence_at INTEGER NOT NULL,
  claimed_at    INTEGER NOT NULL,
  instance_id   TEXT,
  PRIMARY KEY (workflow_id, occurrence_at)
) WITHOUT ROWID;
