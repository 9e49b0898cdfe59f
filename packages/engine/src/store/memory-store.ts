/**
 * The in-memory Store: everything lives in this process and is lost when it
 * exits (`durable: false`). It keeps the records the engine hands over by
 * reference (the engine never mutates a record after handing it over).
 *
 * Layout, chosen for large stores (a million instances):
 * - instances by id in one Map (O(1) lookups), and in sorted chunk lists per
 *   workflow and overall (newest-first paging without scanning other workflows;
 *   an insert touches one chunk of at most CHUNK_MAX entries);
 * - per-workflow status counters and sets of unfinished ids (counts in O(1));
 * - the step rows of a finished instance are packed: numbers go into a shared
 *   Int32Array arena (5 words per row, timestamps as offsets from the instance's
 *   createdAt), names/outputs/branches/errors become one shared reference when
 *   every row holds the same value, else one array. getSteps rebuilds the
 *   StepRecord objects. A finished engine-shaped 10-step instance then takes
 *   about 1.1 KB in all instead of 2.7 KB (packages/testing/scripts/store-memory.mjs).
 *   Rows that do not fit the packed form (unknown status, attempts over 65535,
 *   timestamps that are not whole ms within ±24 days of createdAt, ...) are kept
 *   as given. Writing rows of a packed instance unpacks it first (its block is
 *   not reused; recovery rewrites are rare).
 *
 * Refused writes throw FlowspecError `FSP_ERR_STORE` and change nothing: a
 * workflow id that exists (create) or does not (update), a spec version that
 * exists or names another workflow, a step row of an instance neither stored nor
 * in the batch, an instance with an unknown status or a non-finite createdAt, a
 * step index that is not a non-negative integer, a stored instance taking an
 * idempotency key another instance holds, any call after close().
 *
 * Readings of the port documented here (the conformance suite checks them):
 * - listInstances: `totalCount` counts the instances of the workflow (of all
 *   workflows without `workflowId`), `totalFilteredCount` those that also pass the
 *   `statuses` filter; an empty `statuses` list means no status filter.
 * - listWorkflows: `totalCount` counts every workflow row, `totalFilteredCount`
 *   those passing `query` and `includeUnpublished`; without `sort` the order is
 *   `-createdAt`; ties are broken by id in the direction of the sort; names
 *   compare by UTF-16 code units.
 */
import { FlowspecError } from '../errors.js';
import { InstanceStatuses, StepStatuses } from './types.js';
import { LeaseTable } from './lease-table.js';
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
  StepRowSource,
  StepStatus,
  Store,
  TimerKind,
  WorkflowRecord,
} from './types.js';

/** Options of {@link createMemoryStore}. */
export interface MemoryStoreOptions {
  /**
   * Pack the step rows of finished instances into a compact columnar form
   * (rebuilt on `getSteps`). Turning it off keeps every StepRecord object as
   * given; it exists to measure the difference.
   * @default true
   */
  readonly packFinishedSteps?: boolean;
  /**
   * Keep at most this many finished (SUCCEEDED, FAILED, CANCELED) instances. When one more finishes,
   * the instance that finished first is forgotten with its step rows: `getInstance` no longer finds it,
   * lists and counts no longer include it, and its idempotency key is free again. Unfinished instances
   * are never dropped. A long-running process on the in-memory store sets it to bound its memory.
   * An apiTrigger rate limit counts the starts it can still see: keep the bound above the instances
   * that finish within one rate-limit interval.
   * @default Infinity (keep every instance until the process exits)
   */
  readonly maxFinishedInstances?: number;
}

/**
 * Create an in-memory Store (kind `memory`, not durable): for tests, demos and
 * embedders that do not need instances to survive a restart.
 */
export function createMemoryStore(options: MemoryStoreOptions = {}): Store {
  const max = options.maxFinishedInstances ?? Infinity;
  if (typeof max !== 'number' || Number.isNaN(max) || max < 0 || (Number.isFinite(max) && !Number.isInteger(max))) {
    throw new FlowspecError(
      'FSP_ERR_INVALID_ARGUMENT',
      `createMemoryStore: maxFinishedInstances must be a whole number >= 0 or Infinity, got ${String(max)}.`,
    );
  }
  return new MemoryStore(options.packFinishedSteps ?? true, max);
}

// ---------------------------------------------------------------- records of one instance

/** One stored instance: its record and its step rows (unpacked or packed). */
class Slot {
  record: InstanceRecord;
  /** Step rows ordered by index while not packed (null: none). */
  rows: StepRecord[] | null;
  /** Arena offset of the packed rows, or -1. */
  packed: number;
  /** Packed columns: per-row names (shared between instances of a spec version). */
  names: readonly string[] | null;
  /** Packed columns: one value shared by every row, or an array by row (flag bits in the arena header). */
  outputs: unknown;
  branches: unknown;
  errors: unknown;
  /** Sequence number of the latest time this instance became finished (0: never); see maxFinishedInstances. */
  finishSeq = 0;

  constructor(record: InstanceRecord) {
    this.record = record;
    this.rows = null;
    this.packed = -1;
    this.names = null;
    this.outputs = undefined;
    this.branches = null;
    this.errors = null;
  }
}

/** Newest-last order: createdAt, then id. Ids are unique, so only a slot equals itself. */
function compareSlots(a: Slot, b: Slot): number {
  const d = a.record.createdAt - b.record.createdAt;
  if (d !== 0) return d;
  const x = a.record.id;
  const y = b.record.id;
  return x < y ? -1 : x > y ? 1 : 0;
}

const CHUNK_MAX = 1024;

/**
 * Slots sorted by (createdAt, id) in chunks of at most CHUNK_MAX: an insert or
 * removal costs a binary search over chunks plus a splice inside one chunk,
 * also when many instances share one createdAt (a simulated clock).
 */
class SlotList {
  #chunks: Slot[][] = [];
  #size = 0;

  get size(): number {
    return this.#size;
  }

  /** Index of the first chunk whose last slot is >= `slot`, or chunks.length. */
  #chunkFor(slot: Slot): number {
    const chunks = this.#chunks;
    let lo = 0;
    let hi = chunks.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const c = chunks[mid]!;
      if (compareSlots(c[c.length - 1]!, slot) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  insert(slot: Slot): void {
    const chunks = this.#chunks;
    this.#size++;
    if (chunks.length === 0) {
      chunks.push([slot]);
      return;
    }
    let ci = this.#chunkFor(slot);
    if (ci === chunks.length) {
      // After every slot (the usual case: time moves forward). A full last chunk is left
      // full rather than split, so chunks filled in order stay full.
      ci--;
      const last = chunks[ci]!;
      if (last.length >= CHUNK_MAX) chunks.push([slot]);
      else last.push(slot);
      return;
    }
    const chunk = chunks[ci]!;
    let lo = 0;
    let hi = chunk.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareSlots(chunk[mid]!, slot) < 0) lo = mid + 1;
      else hi = mid;
    }
    chunk.splice(lo, 0, slot);
    if (chunk.length > CHUNK_MAX) chunks.splice(ci + 1, 0, chunk.splice(chunk.length >>> 1));
  }

  /** Remove `slot`, located by its current record (call before changing createdAt). */
  remove(slot: Slot): void {
    const chunks = this.#chunks;
    const ci = this.#chunkFor(slot);
    const chunk = chunks[ci];
    if (chunk === undefined) return;
    let lo = 0;
    let hi = chunk.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareSlots(chunk[mid]!, slot) < 0) lo = mid + 1;
      else hi = mid;
    }
    if (chunk[lo] !== slot) return;
    chunk.splice(lo, 1);
    this.#size--;
    if (chunk.length === 0) chunks.splice(ci, 1);
  }

  /** Up to `limit` slots newest first, after skipping `offset` of them. */
  page(offset: number, limit: number): Slot[] {
    const out: Slot[] = [];
    if (limit <= 0) return out;
    const chunks = this.#chunks;
    let skip = offset;
    for (let ci = chunks.length - 1; ci >= 0; ci--) {
      const chunk = chunks[ci]!;
      if (skip >= chunk.length) {
        skip -= chunk.length;
        continue;
      }
      for (let i = chunk.length - 1 - skip; i >= 0; i--) {
        out.push(chunk[i]!);
        if (out.length === limit) return out;
      }
      skip = 0;
    }
    return out;
  }

  /** Like page, counting only slots that pass `keep`. */
  pageWhere(offset: number, limit: number, keep: (slot: Slot) => boolean): Slot[] {
    const out: Slot[] = [];
    if (limit <= 0) return out;
    const chunks = this.#chunks;
    let skip = offset;
    for (let ci = chunks.length - 1; ci >= 0; ci--) {
      const chunk = chunks[ci]!;
      for (let i = chunk.length - 1; i >= 0; i--) {
        const slot = chunk[i]!;
        if (!keep(slot)) continue;
        if (skip > 0) skip--;
        else {
          out.push(slot);
          if (out.length === limit) return out;
        }
      }
    }
    return out;
  }

  /** How many slots created at or after `sinceMs` pass `keep`. */
  countSince(sinceMs: number, keep: (slot: Slot) => boolean): number {
    const chunks = this.#chunks;
    let n = 0;
    for (let ci = chunks.length - 1; ci >= 0; ci--) {
      const chunk = chunks[ci]!;
      for (let i = chunk.length - 1; i >= 0; i--) {
        const slot = chunk[i]!;
        if (!(slot.record.createdAt >= sinceMs)) return n;
        if (keep(slot)) n++;
      }
    }
    return n;
  }
}

const STATUS_INDEX: ReadonlyMap<InstanceStatus, number> = new Map(InstanceStatuses.map((s, i) => [s, i]));
const SUCCEEDED = STATUS_INDEX.get('SUCCEEDED')!;
const FAILED = STATUS_INDEX.get('FAILED')!;
const CANCELED = STATUS_INDEX.get('CANCELED')!;

function isUnfinished(status: InstanceStatus): boolean {
  return status === 'PENDING' || status === 'RUNNING';
}

/** The instances of one workflow (kept after the workflow row is deleted). */
class Bucket {
  readonly list = new SlotList();
  /** Instances by status, indexed like InstanceStatuses. */
  readonly counts = new Array<number>(InstanceStatuses.length).fill(0);
  readonly unfinished = new Set<string>();
}

// ---------------------------------------------------------------- packed step rows

/** Words of one packed block: [rowCount, flags], ROW_WORDS per row, then indices when sparse. */
const HEADER_WORDS = 2;
const ROW_WORDS = 5;
const CHUNK_BITS = 16;
const CHUNK_WORDS = 1 << CHUNK_BITS;

const F_SPARSE = 1;
const F_OUTPUTS = 2;
const F_BRANCHES = 4;
const F_ERRORS = 8;

const M_STARTED_NULL = 1 << 5;
const M_COMPLETED_NULL = 1 << 6;
const M_DUE_NULL = 1 << 7;

const STEP_STATUS_CODE: ReadonlyMap<StepStatus, number> = new Map(StepStatuses.map((s, i) => [s, i]));
const TIMER_KINDS: readonly (TimerKind | null)[] = [null, 'retry', 'gate', 'sleep'];

function timerKindCode(kind: TimerKind | null): number {
  return kind === null ? 0 : kind === 'retry' ? 1 : kind === 'gate' ? 2 : kind === 'sleep' ? 3 : -1;
}

function isU16(n: number): boolean {
  return Number.isInteger(n) && n >= 0 && n <= 0xffff;
}

/** Whether `t` is null or a whole-ms offset from `base` that fits an int32 (and maps back exactly). */
function fitsOffset(t: number | null, base: number): boolean {
  if (t === null) return true;
  if (typeof t !== 'number') return false;
  const d = t - base;
  return Number.isInteger(d) && d >= -0x80000000 && d <= 0x7fffffff && base + d === t;
}

/**
 * Append-only Int32Array chunks holding packed blocks; a block never spans chunks.
 * A block bigger than a chunk (a fan-out of more than ~13,000 steps) gets a chunk
 * of its own. Offsets are chunk index * CHUNK_WORDS + position.
 */
class Arena {
  readonly #chunks: Int32Array[] = [];
  /** Words of live blocks per chunk: a chunk whose blocks were all freed is released. */
  readonly #live: number[] = [];
  /** Released chunks of the standard size, reused before allocating (and zeroing) new ones. */
  readonly #spare: Int32Array[] = [];
  /** The chunk being filled, and its first free word. */
  #current = -1;
  #top = CHUNK_WORDS;

  /** Offset of a new block of `words`. */
  alloc(words: number): number {
    if (words > CHUNK_WORDS) {
      this.#chunks.push(new Int32Array(words));
      this.#live.push(words);
      return (this.#chunks.length - 1) * CHUNK_WORDS;
    }
    if (this.#top + words > CHUNK_WORDS) {
      // A reused chunk holds old words: every block is written in full before it is read.
      this.#chunks.push(this.#spare.pop() ?? new Int32Array(CHUNK_WORDS));
      this.#live.push(0);
      this.#current = this.#chunks.length - 1;
      this.#top = 0;
    }
    const off = this.#current * CHUNK_WORDS + this.#top;
    this.#top += words;
    this.#live[this.#current]! += words;
    return off;
  }

  /** The block at `off` of `words` is no longer used; its chunk is released once all of its blocks are. */
  free(off: number, words: number): void {
    const ci = Math.floor(off / CHUNK_WORDS);
    const left = (this.#live[ci]! -= words);
    if (left > 0) return;
    if (ci === this.#current) {
      this.#top = 0; // refill the chunk being filled from its start
      return;
    }
    const chunk = this.#chunks[ci]!;
    if (chunk.length === CHUNK_WORDS && this.#spare.length < SPARE_CHUNKS) this.#spare.push(chunk);
    this.#chunks[ci] = RELEASED;
  }

  chunk(off: number): Int32Array {
    return this.#chunks[Math.floor(off / CHUNK_WORDS)]!;
  }
}

const RELEASED = new Int32Array(0);
const EMPTY_SOURCES: readonly StepRowSource[] = [];
/** Released chunks kept for reuse (4 MiB at most). */
const SPARE_CHUNKS = 16;

/** Words of the packed block at the start of `mem[p..]`. */
function blockWords(mem: Int32Array, p: number): number {
  const n = mem[p]!;
  return HEADER_WORDS + n * ROW_WORDS + ((mem[p + 1]! & F_SPARSE) !== 0 ? n : 0);
}

const NAMES_CACHE_MAX = 4096;

// ---------------------------------------------------------------- the store

function storeError(message: string): FlowspecError {
  return new FlowspecError('FSP_ERR_STORE', `Memory store: ${message}`);
}

function isFinal(status: InstanceStatus): boolean {
  return status === 'SUCCEEDED' || status === 'FAILED' || status === 'CANCELED';
}

function clampInt(n: number): number {
  return Number.isFinite(n) && n > 0 ? Math.floor(n) : 0;
}

function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function workflowComparator(
  sort: NonNullable<ListWorkflowsQuery['sort']>,
): (a: WorkflowRecord, b: WorkflowRecord) => number {
  const dir = sort.startsWith('-') ? -1 : 1;
  const key = dir === -1 ? sort.slice(1) : sort;
  if (key === 'name') return (a, b) => dir * (compareIds(a.name, b.name) || compareIds(a.id, b.id));
  const field = key === 'updatedAt' ? 'updatedAt' : 'createdAt';
  return (a, b) => dir * (a[field] - b[field] || compareIds(a.id, b.id));
}

class MemoryStore implements Store {
  readonly kind = 'memory';
  readonly durable = false;
  readonly acceptsStepSources = true;

  readonly #pack: boolean;
  readonly #maxFinished: number;
  /**
   * With a finite maxFinishedInstances: slots in the order they became finished, with the sequence number
   * of that event (from #finishedHead on); the oldest is dropped first. An entry whose slot finished again
   * later (or is gone, or unfinished) is stale and skipped.
   */
  #finished: Slot[] = [];
  #finishedSeqs: number[] = [];
  #finishedHead = 0;
  #finishSeq = 0;
  #closed = false;

  readonly #workflows = new Map<string, WorkflowRecord>();
  readonly #versions = new Map<string, Map<number, SpecVersionRecord>>();

  readonly #slots = new Map<string, Slot>();
  readonly #all = new SlotList();
  readonly #allCounts = new Array<number>(InstanceStatuses.length).fill(0);
  readonly #buckets = new Map<string, Bucket>();
  readonly #keys = new Map<string, string>();

  readonly #arena = new Arena();
  /** Step names of the last packed instance of each spec version, shared by the next ones. */
  readonly #names = new Map<string, readonly string[]>();

  readonly #schedules = new Map<string, ScheduleRecord>();
  readonly #claims = new Map<string, Set<number>>();
  readonly #leases = new LeaseTable();

  constructor(pack: boolean, maxFinished: number) {
    this.#pack = pack;
    this.#maxFinished = maxFinished;
  }

  #open(): void {
    if (this.#closed) throw storeError('the store is closed');
  }

  // ------------------------------------------------------------ workflows

  createWorkflow(workflow: WorkflowRecord, version: SpecVersionRecord): void {
    this.#open();
    if (this.#workflows.has(workflow.id)) throw storeError(`workflow ${workflow.id} exists already`);
    this.#checkNewVersion(workflow, version);
    this.#workflows.set(workflow.id, workflow);
    this.#addVersion(version);
  }

  updateWorkflow(workflow: WorkflowRecord, version?: SpecVersionRecord): void {
    this.#open();
    if (!this.#workflows.has(workflow.id)) throw storeError(`workflow ${workflow.id} does not exist`);
    if (version !== undefined) this.#checkNewVersion(workflow, version);
    this.#workflows.set(workflow.id, workflow);
    if (version !== undefined) this.#addVersion(version);
  }

  #checkNewVersion(workflow: WorkflowRecord, version: SpecVersionRecord): void {
    if (version.workflowId !== workflow.id) {
      throw storeError(`spec version of workflow ${version.workflowId} given with workflow ${workflow.id}`);
    }
    if (this.#versions.get(workflow.id)?.has(version.version)) {
      throw storeError(
        `spec version ${version.version} of workflow ${workflow.id} exists already (versions are immutable)`,
      );
    }
  }

  #addVersion(version: SpecVersionRecord): void {
    let versions = this.#versions.get(version.workflowId);
    if (versions === undefined) this.#versions.set(version.workflowId, (versions = new Map()));
    versions.set(version.version, version);
  }

  deleteWorkflow(id: string): boolean {
    this.#open();
    return this.#workflows.delete(id);
  }

  getWorkflow(id: string): WorkflowRecord | undefined {
    this.#open();
    return this.#workflows.get(id);
  }

  listWorkflows(query: ListWorkflowsQuery): Page<WorkflowRecord> {
    this.#open();
    const q = query.query === undefined ? '' : query.query.toLowerCase();
    const matches: WorkflowRecord[] = [];
    for (const wf of this.#workflows.values()) {
      if (!query.includeUnpublished && !wf.published) continue;
      if (q !== '' && !wf.name.toLowerCase().includes(q) && !wf.description.toLowerCase().includes(q)) continue;
      matches.push(wf);
    }
    matches.sort(workflowComparator(query.sort ?? '-createdAt'));
    const offset = clampInt(query.offset);
    return {
      items: matches.slice(offset, offset + clampInt(query.limit)),
      totalCount: this.#workflows.size,
      totalFilteredCount: matches.length,
    };
  }

  getSpecVersion(workflowId: string, version: number): SpecVersionRecord | undefined {
    this.#open();
    return this.#versions.get(workflowId)?.get(version);
  }

  // ------------------------------------------------------------ instances and steps

  commit(batch: CommitBatch): CommitResult {
    this.#open();
    const conflicts = new Map<string, string>();
    // Check everything first, so that a refused batch writes nothing.
    /** The record each instance of the batch ends with (last one wins). */
    const accepted = new Map<string, InstanceRecord>();
    /** Idempotency keys taken in this batch. */
    const taken = new Map<string, string>();
    for (const rec of batch.instances) {
      if (typeof rec.id !== 'string' || typeof rec.workflowId !== 'string') {
        throw storeError('an instance record has no string id or workflowId');
      }
      if (!STATUS_INDEX.has(rec.status))
        throw storeError(`instance ${rec.id} has an unknown status "${String(rec.status)}"`);
      if (typeof rec.createdAt !== 'number' || !Number.isFinite(rec.createdAt)) {
        throw storeError(`instance ${rec.id} has no finite createdAt`);
      }
      const before = accepted.get(rec.id) ?? this.#slots.get(rec.id)?.record;
      const key = rec.idempotencyKey;
      if (key !== null && key !== before?.idempotencyKey) {
        const holder = taken.get(key) ?? this.#keys.get(key);
        if (holder !== undefined && holder !== rec.id) {
          if (before === undefined) {
            conflicts.set(rec.id, holder);
            continue;
          }
          throw storeError(`instance ${rec.id} cannot take idempotency key "${key}": instance ${holder} holds it`);
        }
        taken.set(key, rec.id);
      }
      accepted.set(rec.id, rec);
    }
    // Rows of one instance usually come together: look an instance up once per run of its rows.
    let known: string | null = null;
    for (const step of batch.steps) {
      const id = step.instanceId;
      if (id !== known && !accepted.has(id) && !this.#slots.has(id)) {
        if (conflicts.has(id)) continue;
        throw storeError(
          `step row ${String(step.index)} names instance ${String(id)}, which is neither stored nor in the batch`,
        );
      }
      if (!Number.isSafeInteger(step.index) || step.index < 0) {
        throw storeError(`step row of instance ${id} has an invalid index ${String(step.index)}`);
      }
      known = id;
    }

    const sources = batch.stepSources ?? EMPTY_SOURCES;
    for (const src of sources) {
      const id = src.instanceId;
      if (!accepted.has(id) && !this.#slots.has(id)) {
        if (conflicts.has(id)) continue;
        throw storeError(`step rows of instance ${String(id)} name an instance neither stored nor in the batch`);
      }
      if (!Number.isSafeInteger(src.count) || src.count < 0 || src.count > 0x7fffffff) {
        throw storeError(`the step rows of instance ${id} have an invalid count ${String(src.count)}`);
      }
    }

    // Apply: nothing below throws.
    const touched = new Set<Slot>();
    for (const rec of accepted.values()) touched.add(this.#putInstance(rec));
    let slotId: string | null = null;
    let slot: Slot | undefined;
    for (const step of batch.steps) {
      if (step.instanceId !== slotId) {
        slotId = step.instanceId;
        slot = this.#slots.get(slotId);
        if (slot !== undefined) touched.add(slot);
      }
      if (slot === undefined) continue; // a refused instance
      if (slot.packed >= 0) this.#unpack(slot);
      putRow((slot.rows ??= []), step);
    }
    for (const src of sources) {
      const target = this.#slots.get(src.instanceId);
      if (target === undefined) continue; // a refused instance
      // A finished instance's rows, and nothing else written for it yet: packed straight from the
      // source, one short-lived record at a time.
      if (
        this.#pack &&
        target.packed < 0 &&
        target.rows === null &&
        isFinal(target.record.status) &&
        this.#packFrom(target, src.count, (i) => src.row(i), false)
      ) {
        continue;
      }
      if (target.packed >= 0) this.#unpack(target);
      const rows = (target.rows ??= []);
      for (let i = 0; i < src.count; i++) putRow(rows, src.row(i));
      touched.add(target);
    }
    if (this.#pack) {
      for (const slot of touched) {
        if (slot.packed < 0 && slot.rows !== null && isFinal(slot.record.status)) this.#packRows(slot);
      }
    }
    if (this.#finishedCount() > this.#maxFinished) this.#dropOldestFinished();
    return { idempotencyConflicts: conflicts };
  }

  /** Forget the instances that finished first until at most maxFinishedInstances finished ones are kept. */
  #dropOldestFinished(): void {
    const q = this.#finished;
    const seqs = this.#finishedSeqs;
    while (this.#finishedCount() > this.#maxFinished && this.#finishedHead < q.length) {
      const i = this.#finishedHead++;
      const slot = q[i]!;
      const seq = seqs[i]!;
      q[i] = undefined as unknown as Slot;
      if (this.#slots.get(slot.record.id) !== slot || !isFinal(slot.record.status) || slot.finishSeq !== seq) {
        continue; // stale: dropped already, unfinished again, or finished again later (a newer entry)
      }
      this.#unindex(slot);
      this.#slots.delete(slot.record.id);
      if (slot.packed >= 0) this.#freeBlock(slot);
      slot.rows = null;
    }
    if (this.#finishedHead > 1024 && this.#finishedHead * 2 > q.length) {
      this.#finished = q.slice(this.#finishedHead);
      this.#finishedSeqs = seqs.slice(this.#finishedHead);
      this.#finishedHead = 0;
    }
  }

  #finishedCount(): number {
    const c = this.#allCounts;
    return c[SUCCEEDED]! + c[FAILED]! + c[CANCELED]!;
  }

  /** Record that `slot` just became finished (only needed when the number kept is bounded). */
  #noteFinished(slot: Slot): void {
    if (this.#maxFinished === Infinity) return;
    slot.finishSeq = ++this.#finishSeq;
    this.#finished.push(slot);
    this.#finishedSeqs.push(slot.finishSeq);
  }

  #freeBlock(slot: Slot): void {
    const off = slot.packed;
    this.#arena.free(off, blockWords(this.#arena.chunk(off), off % CHUNK_WORDS));
    slot.packed = -1;
  }

  #bucket(workflowId: string): Bucket {
    let b = this.#buckets.get(workflowId);
    if (b === undefined) this.#buckets.set(workflowId, (b = new Bucket()));
    return b;
  }

  #putInstance(rec: InstanceRecord): Slot {
    let slot = this.#slots.get(rec.id);
    if (slot === undefined) {
      slot = new Slot(rec);
      this.#slots.set(rec.id, slot);
      this.#index(slot);
      if (isFinal(rec.status)) this.#noteFinished(slot);
      return slot;
    }
    const prev = slot.record;
    if (prev === rec) return slot;
    if (prev.createdAt === rec.createdAt && prev.workflowId === rec.workflowId) {
      // Same place in the ordered lists (the usual case: a status change): only counters and keys move.
      this.#restatus(prev, rec);
      slot.record = rec;
    } else {
      if (slot.packed >= 0) this.#unpack(slot); // packed offsets are from createdAt
      this.#unindex(slot);
      slot.record = rec;
      this.#index(slot);
    }
    // An instance that becomes finished (again) enters the finished order; older entries of it go stale.
    if (isFinal(rec.status) && !isFinal(prev.status)) this.#noteFinished(slot);
    return slot;
  }

  #index(slot: Slot): void {
    const rec = slot.record;
    const b = this.#bucket(rec.workflowId);
    const s = STATUS_INDEX.get(rec.status)!;
    b.list.insert(slot);
    b.counts[s]!++;
    if (isUnfinished(rec.status)) b.unfinished.add(rec.id);
    this.#all.insert(slot);
    this.#allCounts[s]!++;
    if (rec.idempotencyKey !== null) this.#keys.set(rec.idempotencyKey, rec.id);
  }

  /** Update the counters, unfinished set and idempotency key index for a record that keeps its place. */
  #restatus(prev: InstanceRecord, rec: InstanceRecord): void {
    const from = STATUS_INDEX.get(prev.status)!;
    const to = STATUS_INDEX.get(rec.status)!;
    if (from !== to) {
      const b = this.#bucket(rec.workflowId);
      b.counts[from]!--;
      b.counts[to]!++;
      this.#allCounts[from]!--;
      this.#allCounts[to]!++;
      if (isUnfinished(rec.status)) b.unfinished.add(rec.id);
      else b.unfinished.delete(rec.id);
    }
    if (prev.idempotencyKey !== rec.idempotencyKey) {
      if (prev.idempotencyKey !== null && this.#keys.get(prev.idempotencyKey) === prev.id) {
        this.#keys.delete(prev.idempotencyKey);
      }
      if (rec.idempotencyKey !== null) this.#keys.set(rec.idempotencyKey, rec.id);
    }
  }

  #unindex(slot: Slot): void {
    const rec = slot.record;
    const b = this.#bucket(rec.workflowId);
    const s = STATUS_INDEX.get(rec.status)!;
    b.list.remove(slot);
    b.counts[s]!--;
    b.unfinished.delete(rec.id);
    this.#all.remove(slot);
    this.#allCounts[s]!--;
    if (rec.idempotencyKey !== null && this.#keys.get(rec.idempotencyKey) === rec.id) {
      this.#keys.delete(rec.idempotencyKey);
    }
  }

  getInstance(id: string): InstanceRecord | undefined {
    this.#open();
    return this.#slots.get(id)?.record;
  }

  getSteps(instanceId: string): readonly StepRecord[] {
    this.#open();
    const slot = this.#slots.get(instanceId);
    if (slot === undefined) return [];
    if (slot.packed >= 0) return this.#unpackRows(slot);
    return slot.rows === null ? [] : slot.rows.slice();
  }

  findInstanceByIdempotencyKey(key: string): InstanceRecord | undefined {
    this.#open();
    const id = this.#keys.get(key);
    return id === undefined ? undefined : this.#slots.get(id)?.record;
  }

  listInstances(query: ListInstancesQuery): Page<InstanceRecord> {
    this.#open();
    let list: SlotList;
    let counts: readonly number[];
    if (query.workflowId === undefined) {
      list = this.#all;
      counts = this.#allCounts;
    } else {
      const b = this.#buckets.get(query.workflowId);
      if (b === undefined) return { items: [], totalCount: 0, totalFilteredCount: 0 };
      list = b.list;
      counts = b.counts;
    }
    const offset = clampInt(query.offset);
    const limit = clampInt(query.limit);
    const totalCount = list.size;
    const statuses = query.statuses;
    let wanted: boolean[] | null = null;
    let totalFilteredCount = totalCount;
    if (statuses !== undefined && statuses.length > 0) {
      wanted = InstanceStatuses.map((s) => statuses.includes(s));
      totalFilteredCount = 0;
      for (let s = 0; s < wanted.length; s++) if (wanted[s]) totalFilteredCount += counts[s]!;
    }
    let slots: Slot[];
    if (offset >= totalFilteredCount || limit === 0) slots = [];
    else if (wanted === null || totalFilteredCount === totalCount) slots = list.page(offset, limit);
    else {
      const w = wanted;
      slots = list.pageWhere(offset, limit, (slot) => w[STATUS_INDEX.get(slot.record.status)!] === true);
    }
    return { items: slots.map((s) => s.record), totalCount, totalFilteredCount };
  }

  countInstances(workflowId: string): InstanceCounts {
    this.#open();
    const c = this.#buckets.get(workflowId)?.counts;
    return { succeeded: c?.[SUCCEEDED] ?? 0, failed: c?.[FAILED] ?? 0, canceled: c?.[CANCELED] ?? 0 };
  }

  countStartsSince(workflowId: string, triggerKind: string, sinceMs: number): number {
    this.#open();
    const b = this.#buckets.get(workflowId);
    if (b === undefined) return 0;
    return b.list.countSince(sinceMs, (slot) => slot.record.triggerKind === triggerKind);
  }

  listUnfinishedInstanceIds(workflowId?: string): readonly string[] {
    this.#open();
    if (workflowId !== undefined) return [...(this.#buckets.get(workflowId)?.unfinished ?? [])];
    const ids: string[] = [];
    for (const b of this.#buckets.values()) for (const id of b.unfinished) ids.push(id);
    return ids;
  }

  // ------------------------------------------------------------ packing

  /** Pack `slot.rows` into the arena, unless a row does not fit the packed form. */
  #packRows(slot: Slot): void {
    const rows = slot.rows!;
    let sparse = false;
    for (let i = 0; i < rows.length; i++) {
      const index = rows[i]!.index;
      if (index !== i) sparse = true;
      if (index > 0x7fffffff) return;
    }
    if (this.#packFrom(slot, rows.length, (i) => rows[i]!, sparse)) slot.rows = null;
  }

  /**
   * Pack `n` rows given by `rowAt` (each read once) into the arena and point `slot` at them; false (and
   * nothing kept) when a row does not fit the packed form. One pass checks, packs and compares.
   */
  #packFrom(slot: Slot, n: number, rowAt: (i: number) => StepRecord, sparse: boolean): boolean {
    if (n === 0) return false;
    const rec = slot.record;
    const base = rec.createdAt;
    const words = HEADER_WORDS + n * ROW_WORDS + (sparse ? n : 0);
    const off = this.#arena.alloc(words);
    const mem = this.#arena.chunk(off);
    let p = off % CHUNK_WORDS;
    mem[p++] = n;
    const flagsAt = p++;
    const names = new Array<string>(n);
    const outputs = new Array<StepRecord['output']>(n);
    const branches = new Array<StepRecord['branch']>(n);
    const errors = new Array<StepRecord['error']>(n);
    let flags = sparse ? F_SPARSE : 0;
    for (let i = 0; i < n; i++) {
      const r = rowAt(i);
      const status = STEP_STATUS_CODE.get(r.status);
      const timer = timerKindCode(r.timerKind);
      if (
        status === undefined ||
        timer < 0 ||
        (!sparse && r.index !== i) ||
        typeof r.name !== 'string' ||
        !isU16(r.attempts) ||
        !isU16(r.errorRetries) ||
        !fitsOffset(r.startedAt, base) ||
        !fitsOffset(r.completedAt, base) ||
        !fitsOffset(r.dueAt, base)
      ) {
        this.#arena.free(off, words);
        return false;
      }
      mem[p++] =
        status |
        (timer << 3) |
        (r.startedAt === null ? M_STARTED_NULL : 0) |
        (r.completedAt === null ? M_COMPLETED_NULL : 0) |
        (r.dueAt === null ? M_DUE_NULL : 0);
      mem[p++] = r.attempts | (r.errorRetries << 16);
      mem[p++] = r.startedAt === null ? 0 : r.startedAt - base;
      mem[p++] = r.completedAt === null ? 0 : r.completedAt - base;
      mem[p++] = r.dueAt === null ? 0 : r.dueAt - base;
      if (sparse) mem[(off % CHUNK_WORDS) + HEADER_WORDS + n * ROW_WORDS + i] = r.index;
      names[i] = r.name;
      outputs[i] = r.output;
      branches[i] = r.branch;
      errors[i] = r.error;
      if (r.output !== outputs[0]) flags |= F_OUTPUTS;
      if (r.branch !== branches[0]) flags |= F_BRANCHES;
      if (r.error !== errors[0]) flags |= F_ERRORS;
    }
    mem[flagsAt] = flags;
    slot.names = this.#sharedNames(rec.specVersionId, names);
    slot.outputs = (flags & F_OUTPUTS) !== 0 ? outputs : outputs[0];
    slot.branches = (flags & F_BRANCHES) !== 0 ? branches : branches[0];
    slot.errors = (flags & F_ERRORS) !== 0 ? errors : errors[0];
    slot.packed = off;
    return true;
  }

  /** `names`, or the equal array an earlier instance of the same spec version stored (one copy for all). */
  #sharedNames(specVersionId: string, names: string[]): readonly string[] {
    const cached = this.#names.get(specVersionId);
    if (cached !== undefined && cached.length === names.length) {
      let same = true;
      for (let i = 0; i < names.length; i++) {
        if (cached[i] !== names[i]) {
          same = false;
          break;
        }
      }
      if (same) return cached;
    }
    if (this.#names.size >= NAMES_CACHE_MAX && cached === undefined) this.#names.clear();
    this.#names.set(specVersionId, names);
    return names;
  }

  /** Rebuild the StepRecords of a packed slot, ordered by index. */
  #unpackRows(slot: Slot): StepRecord[] {
    const off = slot.packed;
    const mem = this.#arena.chunk(off);
    let p = off % CHUNK_WORDS;
    const n = mem[p++]!;
    const flags = mem[p++]!;
    const rec = slot.record;
    const base = rec.createdAt;
    const names = slot.names!;
    const outputs = (flags & F_OUTPUTS) !== 0 ? (slot.outputs as StepRecord['output'][]) : null;
    const branches = (flags & F_BRANCHES) !== 0 ? (slot.branches as StepRecord['branch'][]) : null;
    const errors = (flags & F_ERRORS) !== 0 ? (slot.errors as StepRecord['error'][]) : null;
    const indexAt = p + n * ROW_WORDS;
    const rows = new Array<StepRecord>(n);
    for (let i = 0; i < n; i++) {
      const meta = mem[p++]!;
      const counts = mem[p++]!;
      const started = mem[p++]!;
      const completed = mem[p++]!;
      const due = mem[p++]!;
      rows[i] = {
        instanceId: rec.id,
        index: (flags & F_SPARSE) !== 0 ? mem[indexAt + i]! : i,
        name: names[i]!,
        status: StepStatuses[meta & 7]!,
        attempts: counts & 0xffff,
        errorRetries: (counts >>> 16) & 0xffff,
        branch: branches === null ? (slot.branches as StepRecord['branch']) : branches[i]!,
        output: outputs === null ? (slot.outputs as StepRecord['output']) : outputs[i],
        error: errors === null ? (slot.errors as StepRecord['error']) : errors[i]!,
        startedAt: (meta & M_STARTED_NULL) !== 0 ? null : base + started,
        completedAt: (meta & M_COMPLETED_NULL) !== 0 ? null : base + completed,
        dueAt: (meta & M_DUE_NULL) !== 0 ? null : base + due,
        timerKind: TIMER_KINDS[(meta >>> 3) & 3]!,
      };
    }
    return rows;
  }

  /** Turn a packed slot back into StepRecord rows (before writing rows or changing createdAt). */
  #unpack(slot: Slot): void {
    slot.rows = this.#unpackRows(slot);
    this.#freeBlock(slot);
    slot.names = null;
    slot.outputs = undefined;
    slot.branches = null;
    slot.errors = null;
  }

  // ------------------------------------------------------------ schedules

  getSchedule(workflowId: string): ScheduleRecord | undefined {
    this.#open();
    return this.#schedules.get(workflowId);
  }

  putSchedule(record: ScheduleRecord): void {
    this.#open();
    this.#schedules.set(record.workflowId, record);
  }

  claimOccurrence(claim: ScheduleClaim): boolean {
    this.#open();
    let claimed = this.#claims.get(claim.workflowId);
    if (claimed === undefined) this.#claims.set(claim.workflowId, (claimed = new Set()));
    if (claimed.has(claim.occurrenceAt)) return false;
    claimed.add(claim.occurrenceAt);
    return true;
  }

  // ------------------------------------------------------------ leases

  acquireLeases(owner: string, instanceIds: readonly string[], nowMs: number, untilMs: number): readonly string[] {
    this.#open();
    return this.#leases.acquire(owner, instanceIds, nowMs, untilMs);
  }

  releaseLeases(owner: string, instanceIds: readonly string[]): void {
    this.#open();
    this.#leases.release(owner, instanceIds);
  }

  ping(): boolean {
    return !this.#closed;
  }

  close(): void {
    this.#closed = true;
  }
}

/** Insert or replace `row` in `rows` (ordered by index). */
function putRow(rows: StepRecord[], row: StepRecord): void {
  const n = rows.length;
  if (n === 0 || rows[n - 1]!.index < row.index) {
    rows.push(row);
    return;
  }
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (rows[mid]!.index < row.index) lo = mid + 1;
    else hi = mid;
  }
  if (rows[lo]!.index === row.index) rows[lo] = row;
  else rows.splice(lo, 0, row);
}
