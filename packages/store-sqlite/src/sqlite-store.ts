/**
 * The durable embedded Store on SQLite (better-sqlite3, synchronous).
 *
 * - One connection, opened with `locking_mode = EXCLUSIVE`: it is the only
 *   writer and reader of the file, and the OS lock it holds refuses a second
 *   process at once (see lock.ts). WAL journal, `synchronous` FULL by default.
 * - `commit(batch)` is one transaction: the engine's group commit. Every method
 *   answers synchronously (the port allows it), so the engine's turn loop runs
 *   without awaiting the store.
 * - The schema comes from the numbered files in ../migrations, applied on open
 *   in one transaction; a database of a newer schema is refused untouched.
 * - JSON values are limited to `maxValueBytes` each (step outputs, instance
 *   input and source); the engine reads the limit from the store and fails a
 *   step with `output_too_large` before it ever reaches a commit.
 * - Refused writes throw FlowspecError `FSP_ERR_STORE` and change nothing, like
 *   the in-memory store (the conformance suite checks both).
 * - Leases live in memory: the file lock already makes this process the only
 *   driver of every instance, and no lease of a dead process may outlive it.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, rmSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { FlowspecError, LeaseTable } from '@flowspec/engine';
import type {
  CommitBatch,
  CommitResult,
  InstanceCounts,
  InstanceRecord,
  InstanceStatus,
  ListInstancesQuery,
  ListWorkflowsQuery,
  Page,
  ScheduleClaim,
  ScheduleRecord,
  SpecVersionRecord,
  StepRecord,
  Store,
  WorkflowRecord,
} from '@flowspec/engine';
import {
  JsonWriter,
  instanceFromRow,
  fillProgressParams,
  fillStepParams,
  instanceParams,
  onlyProgressChanged,
  scheduleFromRow,
  specVersionFromRow,
  specVersionParams,
  stepFromRow,
  workflowFromRow,
  workflowParams,
} from './codec.js';
import type { InstanceRow, Param, ScheduleRow, SpecVersionRow, StepRow, WorkflowRow } from './codec.js';
import {
  currentHolder,
  describeHolder,
  isOtherLiveHolder,
  lockFilePath,
  readHolder,
  removeHolder,
  writeHolder,
} from './lock.js';
import type { LockHolder } from './lock.js';
import { loadMigrations, pendingMigrations } from './migrations.js';
import type { AppliedMigration, Migration } from './migrations.js';
import * as Q from './queries.js';

/** Idle time after the last commit before the WAL is checkpointed into the database file. */
const CHECKPOINT_IDLE_MS = 200;
/** Rows committed since the last checkpoint that force one even while busy (bounds the WAL). */
const CHECKPOINT_MAX_ROWS = 200_000;

/** The durability levels the store offers (SQLite `PRAGMA synchronous` in WAL mode). */
export const SynchronousModes = ['NORMAL', 'FULL'] as const;
/** See {@link SqliteStoreOptions.synchronous}. */
export type SynchronousMode = (typeof SynchronousModes)[number];

/** The default limit of one stored JSON value: 1 MiB. */
export const DEFAULT_MAX_VALUE_BYTES = 1024 * 1024;

/** Test seams of the SQLite store (crash tests kill the process at these points). */
export interface SqliteStoreHooks {
  /**
   * Called inside the commit transaction once the batch's instance rows and the
   * first half of its step rows are written (crash tests kill the process here).
   * Throwing from it rolls the batch back.
   */
  readonly midCommit?: (batch: CommitBatch) => void;
}

/** Options of {@link createSqliteStore}. */
export interface SqliteStoreOptions {
  /**
   * Path of the database file; created (with its schema) when missing. The
   * directory must exist and be writable (SQLite keeps a `-wal` file next to
   * the database, the store a `.flowspec-lock` file). `':memory:'` gives a
   * throwaway database that is not durable.
   */
  readonly path: string;
  /**
   * `FULL`: every commit is fsynced before it returns; an accepted instance or
   * a finished step survives a crash of the process, the OS and power loss.
   * `NORMAL`: commits survive a crash of the process (the common failure), but
   * the last commits before a power loss or OS crash may be rolled back
   * (the database stays consistent). FULL costs one fsync per group commit
   * (docs/guides/durability.md has figures).
   * @default 'FULL'
   */
  readonly synchronous?: SynchronousMode;
  /**
   * Largest JSON value stored, in bytes of UTF-8: a step output, an instance
   * input or source. The engine uses it as its `maxOutputBytes` (a bigger
   * output fails the step with `output_too_large`) and refuses bigger inputs at
   * execute; the store refuses a batch holding one.
   * @default 1048576 (1 MiB)
   */
  readonly maxValueBytes?: number;
  /** Test seams; leave out in production. */
  readonly hooks?: SqliteStoreHooks;
}

/** A Store on SQLite, with what it was opened with. */
export interface SqliteStore extends Store {
  /** The absolute path of the database file (or `:memory:`). */
  readonly path: string;
  readonly synchronous: SynchronousMode;
  readonly maxValueBytes: number;
  /** The schema version of the database (the highest applied migration). */
  readonly schemaVersion: number;
}

/**
 * Open (or create) a Flowspec SQLite database and return it as a Store. The
 * call takes the file's exclusive lock, applies pending migrations in one
 * transaction and prepares every statement; it throws FlowspecError
 * `FSP_ERR_STORE` with the reason and what to do when the file is held by
 * another process, belongs to a newer version, is not a database, or cannot be
 * written.
 */
export function createSqliteStore(options: SqliteStoreOptions | string): SqliteStore {
  const opts: SqliteStoreOptions = typeof options === 'string' ? { path: options } : options;
  if (opts === null || typeof opts !== 'object' || typeof opts.path !== 'string' || opts.path === '') {
    throw new FlowspecError(
      'FSP_ERR_INVALID_ARGUMENT',
      'createSqliteStore needs { path } (a file path or ":memory:").',
    );
  }
  const synchronous = opts.synchronous ?? 'FULL';
  if (!SynchronousModes.includes(synchronous)) {
    throw new FlowspecError(
      'FSP_ERR_INVALID_ARGUMENT',
      `synchronous must be ${SynchronousModes.join(' or ')}, got ${String(synchronous)}.`,
    );
  }
  const maxValueBytes = opts.maxValueBytes ?? DEFAULT_MAX_VALUE_BYTES;
  if (!Number.isSafeInteger(maxValueBytes) || maxValueBytes < 1) {
    throw new FlowspecError(
      'FSP_ERR_INVALID_ARGUMENT',
      `maxValueBytes must be a positive integer, got ${String(maxValueBytes)}.`,
    );
  }
  return new SqliteStoreImpl(opts.path, synchronous, maxValueBytes, opts.hooks ?? {});
}

// ---------------------------------------------------------------- errors

interface SqliteErrorLike {
  readonly code: string;
  readonly message: string;
}

function isSqliteError(err: unknown): err is SqliteErrorLike {
  return err instanceof Database.SqliteError;
}

/** What a SQLite error code means for the person reading the error, and what to do. */
function explain(code: string): string {
  if (code === 'SQLITE_FULL') return 'the disk is full: free space (the store works again once there is room)';
  if (code.startsWith('SQLITE_READONLY')) return 'the database file or its directory is read-only';
  if (code.startsWith('SQLITE_CANTOPEN'))
    return 'the file cannot be opened (does the directory exist, is it writable?)';
  if (code === 'SQLITE_NOTADB') return 'the file is not a SQLite database (wrong path, or a damaged file)';
  if (code.startsWith('SQLITE_CORRUPT')) return 'the database file is damaged: restore it from a backup';
  if (code.startsWith('SQLITE_IOERR')) return 'an I/O error (disk failing, file system full or read-only?)';
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) return 'the database is locked';
  return '';
}

// ---------------------------------------------------------------- the store

type Stmt<R = unknown> = Database.Statement<Param[], R>;
/** A statement bound from one array (better-sqlite3 spreads it): the per-row statements reuse their arrays. */
type ArrayStmt<R = unknown> = Database.Statement<[Param[]], R>;

interface Statements {
  insertWorkflow: Stmt;
  updateWorkflow: Stmt;
  deleteWorkflow: Stmt;
  selectWorkflow: Stmt<WorkflowRow>;
  countWorkflows: Stmt<{ n: number }>;
  countWorkflowsFiltered: Stmt<{ n: number }>;
  insertSpecVersion: Stmt;
  selectSpecVersion: Stmt<SpecVersionRow>;
  specVersionExists: Stmt;
  upsertInstance: ArrayStmt<number>;
  updateInstanceProgress: ArrayStmt;
  upsertStep: ArrayStmt;
  selectInstance: Stmt<InstanceRow>;
  instanceSeq: Stmt<number>;
  selectInstanceByKey: Stmt<InstanceRow>;
  selectSteps: Stmt<StepRow>;
  listInstances: Stmt<InstanceRow>;
  listInstancesByStatus: Stmt<InstanceRow>;
  listWorkflowInstances: Stmt<InstanceRow>;
  listWorkflowInstancesByStatus: Stmt<InstanceRow>;
  countsAll: Stmt<{ status: string; n: number }>;
  countsOfWorkflow: Stmt<{ status: string; n: number }>;
  countStartsSince: Stmt<{ n: number }>;
  unfinishedIds: Stmt<string>;
  unfinishedIdsOfWorkflow: Stmt<string>;
  selectSchedule: Stmt<ScheduleRow>;
  upsertSchedule: Stmt;
  claimOccurrence: Stmt;
  ping: Stmt;
}

function clampInt(n: number): number {
  return Number.isFinite(n) && n > 0 ? Math.floor(n) : 0;
}

const MEMORY = ':memory:';

/** Most entries of the workflow and spec version caches. */
const CACHE_MAX = 1024;

/** Put `value` in a bounded cache (the oldest entry leaves first) and return it. */
function remember<T>(cache: Map<string, T>, key: string, value: T): T {
  cache.delete(key);
  if (cache.size >= CACHE_MAX) cache.delete(cache.keys().next().value!);
  cache.set(key, value);
  return value;
}

function versionKey(workflowId: string, version: number): string {
  return `${workflowId}\u0000${version}`;
}

/** Most entries of the cache of unfinished instances. */
const KNOWN_MAX = 100_000;

/** An instance row as this store last wrote or found it. */
interface Known {
  readonly seq: number;
  /** The record last written by this store; null when the seq was looked up. */
  readonly last: InstanceRecord | null;
}

function isFinal(status: InstanceStatus): boolean {
  return status === 'SUCCEEDED' || status === 'FAILED' || status === 'CANCELED';
}

class SqliteStoreImpl implements SqliteStore {
  readonly kind: string;
  readonly durable: boolean;
  readonly acceptsStepSources = true;
  readonly path: string;
  readonly synchronous: SynchronousMode;
  readonly maxValueBytes: number;
  readonly schemaVersion: number;

  readonly #db: Database.Database;
  readonly #q: Statements;
  readonly #json: JsonWriter;
  readonly #hooks: SqliteStoreHooks;
  readonly #lockFile: string | null;
  readonly #token = randomUUID();
  readonly #listWorkflows = new Map<string, Stmt<WorkflowRow>>();
  readonly #leases = new LeaseTable();
  /**
   * What this store knows of unfinished instances, by id: the seq (so a step row finds its
   * instance without a query) and the record last written (so a later record that changes only
   * progress columns is written with a narrow UPDATE). Changed only after a commit succeeded (a
   * rolled-back insert frees its seq for reuse); finished instances leave it; it is emptied when
   * it grows past KNOWN_MAX entries.
   */
  readonly #known = new Map<string, Known>();
  /** What the running commit transaction wrote or looked up. */
  readonly #batchKnown = new Map<string, Known>();
  /**
   * Workflow rows and spec versions as last read or written (this connection is the only writer
   * of the file, so they cannot go stale; spec versions never change). Bounded by CACHE_MAX.
   */
  readonly #workflows = new Map<string, WorkflowRecord>();
  readonly #versions = new Map<string, SpecVersionRecord>();
  /** Reused parameter arrays of the per-row statements. */
  readonly #stepArgs: Param[] = new Array<Param>(13).fill(null);
  readonly #progressArgs: Param[] = new Array<Param>(7).fill(null);
  readonly #commitTx: (batch: CommitBatch) => CommitResult;
  readonly #updateWorkflowTx: (workflow: WorkflowRecord, version: SpecVersionRecord | undefined) => void;
  readonly #createWorkflowTx: (workflow: WorkflowRecord, version: SpecVersionRecord) => void;
  #closed = false;
  /** Rows committed since the last checkpoint, and the idle-checkpoint timer. */
  #rowsSinceCheckpoint = 0;
  #checkpointTimer: NodeJS.Timeout | null = null;

  constructor(path: string, synchronous: SynchronousMode, maxValueBytes: number, hooks: SqliteStoreHooks) {
    const memory = path === MEMORY;
    this.path = memory ? MEMORY : resolve(path);
    this.kind = `sqlite:${this.path}`;
    this.durable = !memory;
    this.synchronous = synchronous;
    this.maxValueBytes = maxValueBytes;
    this.#hooks = hooks;
    this.#json = new JsonWriter(maxValueBytes, `SQLite store ${this.path}`);
    this.#lockFile = memory ? null : lockFilePath(this.path);
    const opened = this.#open();
    this.#db = opened.db;
    this.schemaVersion = opened.schemaVersion;
    const db = this.#db;
    db.function('flowspec_lower', { deterministic: true }, (s: unknown) =>
      typeof s === 'string' ? s.toLowerCase() : s,
    );
    const p = <R>(sql: string): Stmt<R> => db.prepare<Param[], R>(sql);
    this.#q = {
      insertWorkflow: p(Q.SQL_INSERT_WORKFLOW),
      updateWorkflow: p(Q.SQL_UPDATE_WORKFLOW),
      deleteWorkflow: p(Q.SQL_DELETE_WORKFLOW),
      selectWorkflow: p(Q.SQL_SELECT_WORKFLOW),
      countWorkflows: p(Q.SQL_COUNT_WORKFLOWS),
      countWorkflowsFiltered: p(Q.SQL_COUNT_WORKFLOWS_FILTERED),
      insertSpecVersion: p(Q.SQL_INSERT_SPEC_VERSION),
      selectSpecVersion: p(Q.SQL_SELECT_SPEC_VERSION),
      specVersionExists: p(Q.SQL_SPEC_VERSION_EXISTS),
      upsertInstance: db.prepare<[Param[]], number>(Q.SQL_UPSERT_INSTANCE).pluck(),
      updateInstanceProgress: db.prepare<[Param[]]>(Q.SQL_UPDATE_INSTANCE_PROGRESS),
      upsertStep: db.prepare<[Param[]]>(Q.SQL_UPSERT_STEP),
      selectInstance: p(Q.SQL_SELECT_INSTANCE),
      instanceSeq: p<number>(Q.SQL_INSTANCE_SEQ).pluck(),
      selectInstanceByKey: p(Q.SQL_SELECT_INSTANCE_BY_KEY),
      selectSteps: p(Q.SQL_SELECT_STEPS),
      listInstances: p(Q.SQL_LIST_INSTANCES),
      listInstancesByStatus: p(Q.SQL_LIST_INSTANCES_BY_STATUS),
      listWorkflowInstances: p(Q.SQL_LIST_WORKFLOW_INSTANCES),
      listWorkflowInstancesByStatus: p(Q.SQL_LIST_WORKFLOW_INSTANCES_BY_STATUS),
      countsAll: p(Q.SQL_COUNTS_ALL),
      countsOfWorkflow: p(Q.SQL_COUNTS_OF_WORKFLOW),
      countStartsSince: p(Q.SQL_COUNT_STARTS_SINCE),
      unfinishedIds: p<string>(Q.SQL_UNFINISHED_IDS).pluck(),
      unfinishedIdsOfWorkflow: p<string>(Q.SQL_UNFINISHED_IDS_OF_WORKFLOW).pluck(),
      selectSchedule: p(Q.SQL_SELECT_SCHEDULE),
      upsertSchedule: p(Q.SQL_UPSERT_SCHEDULE),
      claimOccurrence: p(Q.SQL_CLAIM_OCCURRENCE),
      ping: p(Q.SQL_PING),
    };
    this.#commitTx = db.transaction((batch: CommitBatch) => this.#writeBatch(batch));
    this.#createWorkflowTx = db.transaction((workflow: WorkflowRecord, version: SpecVersionRecord) => {
      this.#q.insertWorkflow.run(...workflowParams(workflow, this.#json));
      this.#q.insertSpecVersion.run(...specVersionParams(version, this.#json));
    });
    this.#updateWorkflowTx = db.transaction((workflow: WorkflowRecord, version: SpecVersionRecord | undefined) => {
      if (version !== undefined) this.#q.insertSpecVersion.run(...specVersionParams(version, this.#json));
      this.#q.updateWorkflow.run(...workflowParams(workflow, this.#json), workflow.id);
    });
  }

  // ------------------------------------------------------------ opening

  /**
   * Open the file, take its lock, check the schema version (refusing a newer
   * one before anything is written), switch to WAL and migrate.
   */
  #open(): { db: Database.Database; schemaVersion: number } {
    const path = this.path;
    const memory = path === MEMORY;
    const migrations = loadMigrations();
    if (!memory) this.#checkLocation();
    const lockFile = this.#lockFile;
    const recorded = lockFile === null ? null : readHolder(lockFile);
    const existed = memory || existsSync(path);

    let db: Database.Database;
    try {
      // timeout 0: a held lock is reported at once instead of after a busy wait.
      db = new Database(path, { timeout: 0 });
    } catch (err) {
      throw this.#error('open the database file', err);
    }
    let wroteLockFile = false;
    let locked = false;
    try {
      // Exclusive locking mode first: every later access keeps the OS lock until close,
      // and WAL then keeps its index in process memory (no -shm file).
      db.pragma('locking_mode = EXCLUSIVE');
      let applied: AppliedMigration[];
      try {
        db.exec('BEGIN EXCLUSIVE');
      } catch (err) {
        if (isSqliteError(err) && err.code.startsWith('SQLITE_BUSY')) throw this.#heldError(recorded, err);
        throw err;
      }
      locked = true;
      try {
        applied = this.#appliedMigrations(db);
      } finally {
        if (db.inTransaction) db.exec('COMMIT');
      }
      const pending = pendingMigrations(migrations, applied, path);
      if (recorded !== null && isOtherLiveHolder(recorded)) throw this.#heldError(recorded, null);
      if (lockFile !== null) {
        try {
          writeHolder(lockFile, currentHolder(this.#token, Date.now()));
          wroteLockFile = true;
        } catch (err) {
          throw this.#error(`write the lock file ${lockFile}`, err);
        }
      }
      if (!memory) {
        const mode = String(db.pragma('journal_mode = WAL', { simple: true }));
        if (mode.toLowerCase() !== 'wal') {
          throw new FlowspecError(
            'FSP_ERR_STORE',
            `SQLite store ${path}: the file system refused WAL mode (journal_mode stayed "${mode}"); ` +
              'put the database on a local disk.',
          );
        }
      }
      db.pragma(`synchronous = ${this.synchronous}`);
      db.pragma('foreign_keys = ON');
      db.pragma('temp_store = MEMORY');
      db.pragma('cache_size = -16384'); // 16 MiB
      db.pragma('journal_size_limit = 67108864'); // truncate the WAL back to 64 MiB after checkpoints
      // Checkpoints run when the engine is idle (see #scheduleCheckpoint), not inside a busy commit.
      db.pragma('wal_autocheckpoint = 0');
      this.#migrate(db, pending);
      return { db, schemaVersion: migrations.length };
    } catch (err) {
      try {
        if (db.inTransaction) db.exec('ROLLBACK');
      } catch {
        // the connection is closed next anyway
      }
      db.close();
      if (wroteLockFile && lockFile !== null) removeHolder(lockFile, this.#token);
      // A file this call created goes again: when we held its lock nobody else used it, and an
      // empty one (the disk was full before SQLite wrote its header) holds nothing to lose.
      if (!existed && (locked || isEmptyFile(path))) removeDatabaseFiles(path);
      throw err instanceof FlowspecError ? err : this.#error('open the database', err);
    }
  }

  /** Refuse a path whose directory is missing, or that is a directory, with a clear message. */
  #checkLocation(): void {
    const dir = dirname(this.path);
    if (!existsSync(dir)) {
      throw new FlowspecError(
        'FSP_ERR_STORE',
        `SQLite store ${this.path}: the directory ${dir} does not exist; create it first.`,
      );
    }
    if (existsSync(this.path) && statSync(this.path).isDirectory()) {
      throw new FlowspecError('FSP_ERR_STORE', `SQLite store ${this.path}: this path is a directory, not a file.`);
    }
  }

  #appliedMigrations(db: Database.Database): AppliedMigration[] {
    if (db.prepare(Q.SQL_MIGRATIONS_TABLE_EXISTS).get() === undefined) return [];
    return db.prepare<[], AppliedMigration>(Q.SQL_SELECT_MIGRATIONS).all();
  }

  /** Apply `pending` in one transaction: all of them or none. */
  #migrate(db: Database.Database, pending: readonly Migration[]): void {
    if (pending.length === 0) return;
    db.transaction(() => {
      db.exec(Q.SQL_CREATE_MIGRATIONS_TABLE);
      const record = db.prepare(Q.SQL_INSERT_MIGRATION);
      for (const m of pending) {
        try {
          db.exec(m.sql);
        } catch (err) {
          throw this.#error(`apply migration ${m.name}`, err);
        }
        record.run(m.version, m.name, Date.now());
      }
    })();
  }

  #heldError(holder: LockHolder | null, cause: unknown): FlowspecError {
    const who =
      holder === null
        ? 'another process (it left no Flowspec lock file: a sqlite3 shell or another tool may have it open)'
        : `another Flowspec process: ${describeHolder(holder)}`;
    return new FlowspecError(
      'FSP_ERR_STORE',
      `SQLite database ${this.path} is in use by ${who}. One engine process per database file: stop that ` +
        'process first, or use @flowspec/store-postgres to run several processes on one database.',
      { cause, details: { path: this.path, holder } },
    );
  }

  // ------------------------------------------------------------ errors

  #check(): void {
    if (this.#closed) throw new FlowspecError('FSP_ERR_STORE', `SQLite store ${this.path}: the store is closed.`);
  }

  /** Wrap a failure as FSP_ERR_STORE saying what failed and why; FlowspecErrors pass through. */
  #error(what: string, err: unknown): FlowspecError {
    if (err instanceof FlowspecError) return err;
    if (isSqliteError(err)) {
      const why = explain(err.code);
      return new FlowspecError(
        'FSP_ERR_STORE',
        `SQLite store ${this.path}: could not ${what}: ${err.message} (${err.code})${why ? `: ${why}` : ''}.`,
        { cause: err, details: { sqliteCode: err.code } },
      );
    }
    const e = err as NodeJS.ErrnoException;
    const why =
      e?.code === 'ENOSPC'
        ? ': the disk is full'
        : e?.code === 'EROFS' || e?.code === 'EACCES'
          ? ': the directory is read-only'
          : '';
    return new FlowspecError(
      'FSP_ERR_STORE',
      `SQLite store ${this.path}: could not ${what}: ${e?.message ?? String(err)}${why}.`,
      { cause: err },
    );
  }

  /** Run a read or single write, mapping failures. */
  #run<T>(what: string, fn: () => T): T {
    this.#check();
    try {
      return fn();
    } catch (err) {
      throw this.#error(what, err);
    }
  }

  // ------------------------------------------------------------ workflows

  createWorkflow(workflow: WorkflowRecord, version: SpecVersionRecord): void {
    this.#run('create the workflow', () => {
      if (version.workflowId !== workflow.id) {
        throw new FlowspecError(
          'FSP_ERR_STORE',
          `SQLite store: spec version of workflow ${version.workflowId} given with workflow ${workflow.id}.`,
        );
      }
      if (this.#q.selectWorkflow.get(workflow.id) !== undefined) {
        throw new FlowspecError('FSP_ERR_STORE', `SQLite store: workflow ${workflow.id} exists already.`);
      }
      this.#refuseExistingVersion(version);
      this.#createWorkflowTx(workflow, version);
      remember(this.#workflows, workflow.id, workflow);
      remember(this.#versions, versionKey(version.workflowId, version.version), version);
    });
  }

  updateWorkflow(workflow: WorkflowRecord, version?: SpecVersionRecord): void {
    this.#run('update the workflow', () => {
      if (this.#q.selectWorkflow.get(workflow.id) === undefined) {
        throw new FlowspecError('FSP_ERR_STORE', `SQLite store: workflow ${workflow.id} does not exist.`);
      }
      if (version !== undefined) {
        if (version.workflowId !== workflow.id) {
          throw new FlowspecError(
            'FSP_ERR_STORE',
            `SQLite store: spec version of workflow ${version.workflowId} given with workflow ${workflow.id}.`,
          );
        }
        this.#refuseExistingVersion(version);
      }
      this.#updateWorkflowTx(workflow, version);
      remember(this.#workflows, workflow.id, workflow);
      if (version !== undefined) remember(this.#versions, versionKey(version.workflowId, version.version), version);
    });
  }

  #refuseExistingVersion(version: SpecVersionRecord): void {
    if (this.#q.specVersionExists.get(version.workflowId, version.version) !== undefined) {
      throw new FlowspecError(
        'FSP_ERR_STORE',
        `SQLite store: spec version ${version.version} of workflow ${version.workflowId} exists already ` +
          '(versions are immutable).',
      );
    }
  }

  deleteWorkflow(id: string): boolean {
    return this.#run('delete the workflow', () => {
      this.#workflows.delete(id);
      return this.#q.deleteWorkflow.run(id).changes > 0;
    });
  }

  getWorkflow(id: string): WorkflowRecord | undefined {
    return this.#run('read a workflow', () => {
      const cached = this.#workflows.get(id);
      if (cached !== undefined) return cached;
      const row = this.#q.selectWorkflow.get(id);
      if (row === undefined) return undefined;
      return remember(this.#workflows, id, workflowFromRow(row));
    });
  }

  listWorkflows(query: ListWorkflowsQuery): Page<WorkflowRecord> {
    return this.#run('list workflows', () => {
      const sort = query.sort ?? '-createdAt';
      if (!Object.hasOwn(Q.WORKFLOW_ORDER, sort)) {
        throw new FlowspecError('FSP_ERR_INVALID_ARGUMENT', `Unknown workflow sort "${String(sort)}".`);
      }
      let stmt = this.#listWorkflows.get(sort);
      if (stmt === undefined) {
        stmt = this.#db.prepare<Param[], WorkflowRow>(Q.sqlListWorkflows(sort));
        this.#listWorkflows.set(sort, stmt);
      }
      const unpublished = query.includeUnpublished ? 1 : 0;
      const q = query.query === undefined ? '' : query.query.toLowerCase();
      const limit = clampInt(query.limit);
      const rows = limit === 0 ? [] : stmt.all(unpublished, q, q, q, limit, clampInt(query.offset));
      return {
        items: rows.map(workflowFromRow),
        totalCount: this.#q.countWorkflows.get()!.n,
        totalFilteredCount: this.#q.countWorkflowsFiltered.get(unpublished, q, q, q)!.n,
      };
    });
  }

  getSpecVersion(workflowId: string, version: number): SpecVersionRecord | undefined {
    return this.#run('read a spec version', () => {
      const key = versionKey(workflowId, version);
      const cached = this.#versions.get(key);
      if (cached !== undefined) return cached;
      const row = this.#q.selectSpecVersion.get(workflowId, version);
      if (row === undefined) return undefined;
      return remember(this.#versions, key, specVersionFromRow(row));
    });
  }

  // ------------------------------------------------------------ instances and steps

  commit(batch: CommitBatch): CommitResult {
    this.#check();
    const batchKnown = this.#batchKnown;
    let result: CommitResult;
    try {
      result = this.#commitTx(batch);
    } catch (err) {
      batchKnown.clear();
      throw this.#error('commit a batch (the transaction was rolled back: nothing of it was written)', err);
    }
    // Committed: remember running instances, forget finished ones.
    const known = this.#known;
    if (known.size + batchKnown.size > KNOWN_MAX) known.clear();
    for (const [id, k] of batchKnown) {
      if (k.last !== null && isFinal(k.last.status)) known.delete(id);
      else known.set(id, k);
    }
    batchKnown.clear();
    let rows = batch.instances.length + batch.steps.length;
    for (const src of batch.stepSources ?? []) rows += src.count;
    this.#rowsSinceCheckpoint += rows;
    this.#scheduleCheckpoint();
    return result;
  }

  /**
   * SQLite's automatic checkpoint copies the WAL into the database inside whichever commit crosses
   * its threshold, stalling that commit (and every request waiting on it) for tens of ms under load:
   * measured as the cause of the REST server's p99. Instead: checkpoint once the store has been idle
   * for CHECKPOINT_IDLE_MS, or at once when CHECKPOINT_MAX_ROWS rows piled up (the WAL stays bounded).
   */
  #scheduleCheckpoint(): void {
    if (this.#rowsSinceCheckpoint >= CHECKPOINT_MAX_ROWS) {
      this.#checkpoint();
      return;
    }
    if (this.#checkpointTimer !== null) this.#checkpointTimer.refresh();
    else {
      this.#checkpointTimer = setTimeout(() => this.#checkpoint(), CHECKPOINT_IDLE_MS);
      this.#checkpointTimer.unref();
    }
  }

  #checkpoint(): void {
    if (this.#checkpointTimer !== null) {
      clearTimeout(this.#checkpointTimer);
      this.#checkpointTimer = null;
    }
    if (this.#closed) return;
    this.#rowsSinceCheckpoint = 0;
    try {
      this.#db.pragma('wal_checkpoint(PASSIVE)');
    } catch {
      // A failed checkpoint loses nothing (the WAL keeps every commit); the next one retries.
    }
  }

  /** What is known of instance `id` inside the commit transaction, or undefined when it is not stored. */
  #knownOf(id: string): Known | undefined {
    let k = this.#batchKnown.get(id) ?? this.#known.get(id);
    if (k === undefined) {
      const seq = this.#q.instanceSeq.get(id);
      if (seq !== undefined) this.#batchKnown.set(id, (k = { seq, last: null }));
    }
    return k;
  }

  /** Write one instance row: a narrow update when only progress changed, else a full upsert. */
  #writeInstance(rec: InstanceRecord): void {
    const q = this.#q;
    const k = this.#batchKnown.get(rec.id) ?? this.#known.get(rec.id);
    if (k !== undefined && k.last !== null && onlyProgressChanged(k.last, rec)) {
      q.updateInstanceProgress.run(fillProgressParams(this.#progressArgs, rec, k.seq, this.#json));
      this.#batchKnown.set(rec.id, { seq: k.seq, last: rec });
      return;
    }
    const seq = q.upsertInstance.get(instanceParams(rec, this.#json))!;
    this.#batchKnown.set(rec.id, { seq, last: rec });
  }

  /** The body of the commit transaction: instance rows, then step rows. */
  #writeBatch(batch: CommitBatch): CommitResult {
    const q = this.#q;
    const json = this.#json;
    let conflicts: Map<string, string> | null = null;
    for (const rec of batch.instances) {
      if (conflicts !== null && conflicts.has(rec.id)) continue; // a refused new instance stays refused
      try {
        this.#writeInstance(rec);
      } catch (err) {
        if (
          rec.idempotencyKey !== null &&
          isSqliteError(err) &&
          err.code === 'SQLITE_CONSTRAINT_UNIQUE' &&
          err.message.includes('idempotency_key')
        ) {
          const holder = q.selectInstanceByKey.get(rec.idempotencyKey);
          if (this.#knownOf(rec.id) === undefined) {
            // A new instance losing an idempotency race: refused, reported, the rest of the batch written.
            (conflicts ??= new Map()).set(rec.id, holder?.id ?? '');
            continue;
          }
          throw new FlowspecError(
            'FSP_ERR_STORE',
            `SQLite store: instance ${rec.id} cannot take idempotency key "${rec.idempotencyKey}": ` +
              `instance ${holder?.id ?? '?'} holds it.`,
          );
        }
        throw err;
      }
    }
    const steps = batch.steps;
    const midCommit = this.#hooks.midCommit;
    const half = midCommit === undefined ? -1 : steps.length >> 1;
    if (steps.length === 0) midCommit?.(batch);
    for (let i = 0; i < steps.length; i++) {
      if (i === half) midCommit!(batch);
      const step = steps[i]!;
      if (conflicts !== null && conflicts.has(step.instanceId)) continue;
      const k = this.#knownOf(step.instanceId);
      if (k === undefined) {
        throw new FlowspecError(
          'FSP_ERR_STORE',
          `SQLite store: step row ${String(step.index)} names instance ${String(step.instanceId)}, which is ` +
            'neither stored nor in the batch.',
        );
      }
      q.upsertStep.run(fillStepParams(this.#stepArgs, step, k.seq, json));
    }
    for (const src of batch.stepSources ?? []) {
      if (conflicts !== null && conflicts.has(src.instanceId)) continue;
      const k = this.#knownOf(src.instanceId);
      if (k === undefined) {
        throw new FlowspecError(
          'FSP_ERR_STORE',
          `SQLite store: step rows name instance ${String(src.instanceId)}, which is neither stored nor in the batch.`,
        );
      }
      for (let i = 0; i < src.count; i++) q.upsertStep.run(fillStepParams(this.#stepArgs, src.row(i), k.seq, json));
    }
    return { idempotencyConflicts: conflicts ?? new Map<string, string>() };
  }

  getInstance(id: string): InstanceRecord | undefined {
    return this.#run('read an instance', () => {
      const row = this.#q.selectInstance.get(id);
      return row === undefined ? undefined : instanceFromRow(row);
    });
  }

  getSteps(instanceId: string): readonly StepRecord[] {
    return this.#run('read step rows', () =>
      this.#q.selectSteps.all(instanceId).map((r) => stepFromRow(r, instanceId)),
    );
  }

  findInstanceByIdempotencyKey(key: string): InstanceRecord | undefined {
    return this.#run('find an instance by idempotency key', () => {
      const row = this.#q.selectInstanceByKey.get(key);
      return row === undefined ? undefined : instanceFromRow(row);
    });
  }

  listInstances(query: ListInstancesQuery): Page<InstanceRecord> {
    return this.#run('list instances', () => {
      const q = this.#q;
      const limit = clampInt(query.limit);
      const offset = clampInt(query.offset);
      const statuses = query.statuses !== undefined && query.statuses.length > 0 ? query.statuses : null;
      const counts = query.workflowId === undefined ? q.countsAll.all() : q.countsOfWorkflow.all(query.workflowId);
      let totalCount = 0;
      let totalFilteredCount = 0;
      for (const c of counts) {
        totalCount += c.n;
        if (statuses === null || statuses.includes(c.status as InstanceStatus)) totalFilteredCount += c.n;
      }
      let rows: InstanceRow[] = [];
      if (limit > 0 && offset < totalFilteredCount) {
        const filter = statuses === null ? null : JSON.stringify(statuses);
        if (query.workflowId === undefined) {
          rows =
            filter === null ? q.listInstances.all(limit, offset) : q.listInstancesByStatus.all(filter, limit, offset);
        } else {
          rows =
            filter === null
              ? q.listWorkflowInstances.all(query.workflowId, limit, offset)
              : q.listWorkflowInstancesByStatus.all(query.workflowId, filter, limit, offset);
        }
      }
      return { items: rows.map(instanceFromRow), totalCount, totalFilteredCount };
    });
  }

  countInstances(workflowId: string): InstanceCounts {
    return this.#run('count instances', () => {
      const by = new Map(this.#q.countsOfWorkflow.all(workflowId).map((c) => [c.status, c.n]));
      return { succeeded: by.get('SUCCEEDED') ?? 0, failed: by.get('FAILED') ?? 0, canceled: by.get('CANCELED') ?? 0 };
    });
  }

  countStartsSince(workflowId: string, triggerKind: string, sinceMs: number): number {
    return this.#run('count instance starts', () => this.#q.countStartsSince.get(workflowId, sinceMs, triggerKind)!.n);
  }

  listUnfinishedInstanceIds(workflowId?: string): readonly string[] {
    return this.#run('list unfinished instances', () =>
      workflowId === undefined ? this.#q.unfinishedIds.all() : this.#q.unfinishedIdsOfWorkflow.all(workflowId),
    );
  }

  // ------------------------------------------------------------ schedules

  getSchedule(workflowId: string): ScheduleRecord | undefined {
    return this.#run('read a schedule', () => {
      const row = this.#q.selectSchedule.get(workflowId);
      return row === undefined ? undefined : scheduleFromRow(row);
    });
  }

  putSchedule(record: ScheduleRecord): void {
    this.#run('write a schedule', () => {
      this.#q.upsertSchedule.run(record.workflowId, record.lastOccurrenceAt, record.nextAt);
    });
  }

  claimOccurrence(claim: ScheduleClaim): boolean {
    return this.#run(
      'claim a schedule occurrence',
      () =>
        this.#q.claimOccurrence.run(claim.workflowId, claim.occurrenceAt, claim.claimedAt, claim.instanceId).changes ===
        1,
    );
  }

  // ------------------------------------------------------------ leases

  acquireLeases(owner: string, instanceIds: readonly string[], nowMs: number, untilMs: number): readonly string[] {
    this.#check();
    return this.#leases.acquire(owner, instanceIds, nowMs, untilMs);
  }

  releaseLeases(owner: string, instanceIds: readonly string[]): void {
    this.#check();
    this.#leases.release(owner, instanceIds);
  }

  // ------------------------------------------------------------ lifecycle

  ping(): boolean {
    if (this.#closed) return false;
    try {
      this.#q.ping.get();
      return true;
    } catch {
      return false;
    }
  }

  /** Close the connection (checkpointing the WAL into the file) and release the lock. Idempotent. */
  close(): void {
    if (this.#closed) return;
    if (this.#checkpointTimer !== null) clearTimeout(this.#checkpointTimer);
    this.#checkpointTimer = null;
    this.#closed = true;
    try {
      this.#db.close();
    } finally {
      if (this.#lockFile !== null) removeHolder(this.#lockFile, this.#token);
    }
  }
}

function isEmptyFile(path: string): boolean {
  try {
    return statSync(path).size === 0;
  } catch {
    return false;
  }
}

/** Remove a database file and SQLite's companion files. */
function removeDatabaseFiles(path: string): void {
  for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(`${path}${suffix}`, { force: true });
}

/**
 * Remove a database file and its companions (-wal, -shm, -journal, the lock
 * file), e.g. after tests. Only for a database no process has open.
 */
export function removeSqliteFiles(path: string): void {
  removeDatabaseFiles(path);
  rmSync(lockFilePath(path), { force: true });
}
