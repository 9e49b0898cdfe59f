/**
 * The scheduler of `scheduleTrigger`s (SEMANTICS.md section 8): fires an instance of each published
 * workflow at every occurrence of its recurrence rule.
 *
 * - One timer for all workflows: a min-heap of schedules keyed by their next due time; a tick pops only
 *   the due ones, so its cost does not grow with the number of idle schedules.
 * - Exactly once per occurrence: the occurrence is claimed in the store (unique workflow + occurrence
 *   time) before the instance starts, and the instance's idempotency key is
 *   `schedule:<workflowId>:<occurrence ISO time>`. Whoever finds a claim without its instance (the
 *   claimant crashed between claim and start, or is starting it right now) starts it with that key, and
 *   a second start returns the first instance, so a crash or a race never doubles or drops it.
 * - Overlap: EXCLUSIVE_RUN skips an occurrence while an earlier scheduled instance of the workflow is
 *   unfinished (in the store); the decision is taken before claiming, so a claim always means "fire".
 * - Downtime: on start, occurrences that fell due while no scheduler ran are "missed" and the catch-up
 *   policy decides which fire; `ScheduleRecord.lastOccurrenceAt` says what was handled. While running,
 *   when several occurrences of one schedule are due at one tick (the process stalled), the latest is on
 *   time and the earlier ones are missed.
 * - Changes take effect at once: the engine calls track() after create/update (publish, unpublish, a new
 *   rule) and untrack() after delete; before firing, the workflow is read again from the store, so a change
 *   made by another engine on the same store is seen too.
 */
import { FlowspecError } from '../errors.js';
import type { Logger } from '../logger.js';
import {
  compileSchedule,
  latestOccurrence,
  nextOccurrence,
  nextOccurrences,
  occurrencesBetween,
} from '../schedule/next-occurrence.js';
import type {
  CompiledSchedule,
  DstPolicy,
  RepeatedTimePolicy,
  SkippedTimePolicy,
} from '../schedule/next-occurrence.js';
import type { ScheduleTriggerBody, Spec } from '../spec/types.js';
import type { InstanceSource, Store, WorkflowRecord } from '../store/types.js';
import type { Clock, TimerHandle } from './clock.js';
import { isFinal } from './state.js';

/** Which missed occurrences fire after downtime. */
export const CatchUpPolicies = ['none', 'latest', 'all'] as const;
/** `none`: none; `latest` (default): only the latest one, once; `all`: all within `catchUpWindowMs`. */
export type CatchUpPolicy = (typeof CatchUpPolicies)[number];

/** Schedule options of the engine (`EngineOptions.schedules`). */
export interface ScheduleOptions {
  /**
   * An occurrence at a local time that does not exist (spring forward): `shift` fires it as far after the
   * gap's start as it was meant to be (02:30 in a 02:00-03:00 gap fires at 03:30), `skip` drops it.
   * @default 'shift'
   */
  readonly skippedTime?: SkippedTimePolicy;
  /**
   * An occurrence at a local time that happens twice (fall back): fire at the `first`, the `last`, or
   * `both`.
   * @default 'first'
   */
  readonly repeatedTime?: RepeatedTimePolicy;
  /**
   * Which occurrences missed while no engine ran fire when the engine starts: `none`, only the `latest`
   * (once), or `all` of those within `catchUpWindowMs` (oldest first, at most 1000 per workflow).
   * @default 'latest'
   */
  readonly catchUp?: CatchUpPolicy;
  /**
   * With `catchUp: 'all'`: how far back missed occurrences still fire, in ms.
   * @default 86400000 (one day)
   */
  readonly catchUpWindowMs?: number;
}

/** What the scheduler needs from its engine. */
export interface SchedulerOptions {
  readonly store: Store;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Start an instance through the workflow's scheduleTrigger (the engine's execute). */
  readonly fire: (workflowId: string, source: InstanceSource, idempotencyKey: string) => Promise<unknown>;
  /** Called with failures that are logged and survived (store errors, a refused start). */
  readonly onError?: (error: unknown) => void;
  readonly options?: ScheduleOptions;
}

/** Most missed occurrences one workflow fires on catch-up `all`. */
const MAX_CATCH_UP = 1000;
const PAGE = 500;
const DEFAULT_WINDOW_MS = 86_400_000;

/** The schedule of one workflow as its current spec and publication define it. */
interface Definition {
  readonly specVersion: number;
  readonly expression: string;
  /** The DTSTART of a rule without one: the publish time. */
  readonly anchor: number;
  readonly exclusive: boolean;
  readonly schedule: CompiledSchedule;
  /** Occurrences before this instant are never due (the workflow got this rule and publication then). */
  readonly since: number;
}

/** One tracked workflow. */
class Entry {
  readonly workflowId: string;
  def: Definition;
  /** The latest occurrence handled (fired, skipped or passed over), or null. */
  last: number | null;
  /** The next occurrence due, or null when the rule has ended. */
  next: number | null = null;
  /** Position in the heap, -1 when not in it (busy, ended or removed). */
  heapIndex = -1;
  /** Set while the entry is being processed (it is out of the heap meanwhile). */
  busy = false;
  /** Due occurrences at the next processing were missed during downtime (set when loaded on start). */
  catchingUp = false;
  removed = false;

  constructor(workflowId: string, def: Definition, last: number | null) {
    this.workflowId = workflowId;
    this.def = def;
    this.last = last;
  }
}

/** A binary min-heap of entries by `next`, each knowing its index (so it can be removed or moved). */
class EntryHeap {
  readonly #items: Entry[] = [];

  get size(): number {
    return this.#items.length;
  }

  peek(): Entry | undefined {
    return this.#items[0];
  }

  push(e: Entry): void {
    e.heapIndex = this.#items.length;
    this.#items.push(e);
    this.#up(e.heapIndex);
  }

  pop(): Entry | undefined {
    const top = this.#items[0];
    if (top !== undefined) this.remove(top);
    return top;
  }

  remove(e: Entry): void {
    const i = e.heapIndex;
    const items = this.#items;
    if (i < 0 || items[i] !== e) return;
    const last = items.pop()!;
    e.heapIndex = -1;
    if (last === e) return;
    items[i] = last;
    last.heapIndex = i;
    this.#down(i);
    this.#up(last.heapIndex);
  }

  clear(): void {
    for (const e of this.#items) e.heapIndex = -1;
    this.#items.length = 0;
  }

  #key(i: number): number {
    return this.#items[i]!.next ?? Infinity;
  }

  #swap(i: number, j: number): void {
    const items = this.#items;
    const a = items[i]!;
    const b = items[j]!;
    items[i] = b;
    items[j] = a;
    b.heapIndex = i;
    a.heapIndex = j;
  }

  #up(i: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.#key(parent) <= this.#key(i)) return;
      this.#swap(i, parent);
      i = parent;
    }
  }

  #down(i: number): void {
    const n = this.#items.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) return;
      const r = l + 1;
      const c = r < n && this.#key(r) < this.#key(l) ? r : l;
      if (this.#key(i) <= this.#key(c)) return;
      this.#swap(i, c);
      i = c;
    }
  }
}

/** The scheduleTrigger body of a spec, or undefined. */
function scheduleTriggerOf(spec: Spec | undefined): ScheduleTriggerBody | undefined {
  const triggers = (spec as { triggers?: unknown } | undefined)?.triggers;
  if (!Array.isArray(triggers)) return undefined;
  for (const t of triggers as { scheduleTrigger?: ScheduleTriggerBody }[]) {
    const body = t?.scheduleTrigger;
    if (body !== null && typeof body === 'object' && typeof body.rruleExpression === 'string') return body;
  }
  return undefined;
}

function sameTrigger(a: Spec | undefined, b: Spec | undefined): boolean {
  return JSON.stringify(scheduleTriggerOf(a) ?? null) === JSON.stringify(scheduleTriggerOf(b) ?? null);
}

function maxOf(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  if (b === null) return a;
  return Math.max(a, b);
}

/** The idempotency key of the instance of an occurrence: the claim's link to its instance. */
export function occurrenceKey(workflowId: string, occurrenceAt: number): string {
  return `schedule:${workflowId}:${new Date(occurrenceAt).toISOString()}`;
}

/**
 * Fires schedule triggers: see the file comment. Created by the engine; `start()` and `stop()` follow the
 * engine's.
 */
export class Scheduler {
  readonly #store: Store;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #fire: SchedulerOptions['fire'];
  readonly #onError: (error: unknown) => void;
  readonly #policy: DstPolicy;
  readonly #catchUp: CatchUpPolicy;
  readonly #windowMs: number;
  readonly #entries = new Map<string, Entry>();
  readonly #heap = new EntryHeap();
  readonly #inFlight = new Set<Promise<void>>();
  #timer: TimerHandle | null = null;
  #running = false;

  constructor(options: SchedulerOptions) {
    const o = options.options ?? {};
    checkOptions(o);
    this.#store = options.store;
    this.#clock = options.clock;
    this.#log = options.logger.child({ component: 'scheduler' });
    this.#fire = options.fire;
    this.#onError = options.onError ?? (() => {});
    this.#policy = { skippedTime: o.skippedTime ?? 'shift', repeatedTime: o.repeatedTime ?? 'first' };
    this.#catchUp = o.catchUp ?? 'latest';
    this.#windowMs = o.catchUpWindowMs ?? DEFAULT_WINDOW_MS;
  }

  /** Workflows with a live schedule. */
  get size(): number {
    return this.#entries.size;
  }

  /** When the timer is due next (the earliest next occurrence of all schedules), or null. */
  get nextDueAt(): number | null {
    return this.#heap.peek()?.next ?? null;
  }

  /**
   * Load the schedules of all published workflows and fire what was missed while no scheduler ran
   * (the catch-up policy). Resolves once the missed occurrences were handled. Never rejects: failures
   * are logged and reported to `onError`.
   */
  async start(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    try {
      for (let offset = 0; this.#running; offset += PAGE) {
        const page = await this.#store.listWorkflows({
          limit: PAGE,
          offset,
          includeUnpublished: false,
          sort: 'createdAt',
        });
        for (const wf of page.items) {
          try {
            await this.#load(wf);
          } catch (error) {
            this.#failed(error, 'loading a schedule failed', wf.id);
          }
        }
        if (page.items.length < PAGE) break;
      }
    } catch (error) {
      this.#failed(error, 'loading schedules failed');
    }
    await this.#tick();
  }

  /** Stop firing: clears the timer and waits for occurrences being fired. */
  async stop(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    if (this.#timer !== null) this.#clock.clearTimer(this.#timer);
    this.#timer = null;
    while (this.#inFlight.size > 0) await Promise.all(this.#inFlight);
    this.#heap.clear();
    for (const e of this.#entries.values()) e.removed = true;
    this.#entries.clear();
  }

  /**
   * Follow a workflow after it was created or updated: a published workflow whose spec has a scheduleTrigger
   * is (re)scheduled, anything else is dropped. A changed rule, overlap behaviour or publication applies
   * from now on (no past occurrence fires because of it); other changes leave the schedule as it is.
   */
  async track(workflow: WorkflowRecord, spec: Spec): Promise<void> {
    if (!this.#running) return;
    const current = this.#entries.get(workflow.id);
    const now = this.#clock.now();
    const def = this.#definition(workflow, spec, now);
    if (def === null) {
      this.untrack(workflow.id);
      return;
    }
    if (current !== undefined) {
      const old = current.def;
      if (old.expression === def.expression && old.anchor === def.anchor && old.exclusive === def.exclusive) {
        current.def = { ...old, specVersion: def.specVersion };
        return;
      }
      current.def = def;
      if (!current.busy) this.#reschedule(current);
      return;
    }
    let last: number | null = null;
    try {
      last = (await this.#store.getSchedule(workflow.id))?.lastOccurrenceAt ?? null;
    } catch (error) {
      this.#failed(error, 'reading a schedule record failed', workflow.id);
    }
    if (!this.#running || this.#entries.has(workflow.id)) return;
    const e = new Entry(workflow.id, def, last);
    this.#entries.set(workflow.id, e);
    this.#reschedule(e);
  }

  /** Stop following a workflow (deleted). */
  untrack(workflowId: string): void {
    const e = this.#entries.get(workflowId);
    if (e === undefined) return;
    this.#entries.delete(workflowId);
    e.removed = true;
    this.#heap.remove(e);
    this.#arm();
  }

  /**
   * The next `count` fire times (epoch ms) of a workflow, after now: none when it is unpublished or has no
   * scheduleTrigger. An overlap skip (EXCLUSIVE_RUN) is not foreseen.
   */
  preview(workflow: WorkflowRecord, spec: Spec, count: number): number[] {
    const body = scheduleTriggerOf(spec);
    if (body === undefined || !workflow.published) return [];
    const anchor = workflow.publishedAt ?? workflow.updatedAt;
    const compiled = compileSchedule(body.rruleExpression, ruleAnchor(anchor));
    if (!compiled.ok) return [];
    const entry = this.#entries.get(workflow.id);
    const after = Math.max(this.#clock.now(), anchor - 1, entry?.last ?? -Infinity);
    return nextOccurrences(compiled.schedule, after, count, this.#policy);
  }

  // ---------------------------------------------------------------- internals

  #definition(workflow: WorkflowRecord, spec: Spec | undefined, since: number): Definition | null {
    if (!workflow.published) return null;
    const body = scheduleTriggerOf(spec);
    if (body === undefined) return null;
    const anchor = workflow.publishedAt ?? workflow.updatedAt;
    const compiled = compileSchedule(body.rruleExpression, ruleAnchor(anchor));
    if (!compiled.ok) {
      // Validation rejects bad rules; a stored one that no longer compiles is reported, not fatal.
      this.#failed(
        new FlowspecError('FSP_ERR_SPEC_INVALID', `rruleExpression does not compile: ${compiled.reason}`),
        'schedule rule does not compile',
        workflow.id,
      );
      return null;
    }
    return {
      specVersion: workflow.specVersion,
      expression: body.rruleExpression,
      anchor,
      exclusive: body.overlapBehavior === 'EXCLUSIVE_RUN',
      schedule: compiled.schedule,
      since: Math.max(since, anchor),
    };
  }

  /**
   * Since when the workflow has had its current rule and publication: the publish time, or the creation
   * of the first of the spec versions in a row with the same scheduleTrigger. The walk back stops at the
   * last handled occurrence, so it reads only versions made during a downtime.
   */
  async #ruleSince(workflow: WorkflowRecord, spec: Spec, createdAt: number, last: number | null): Promise<number> {
    const published = workflow.publishedAt ?? workflow.updatedAt;
    let since = createdAt;
    let version = workflow.specVersion;
    while (version > 1 && since > published && (last === null || since > last)) {
      const prev = await this.#store.getSpecVersion(workflow.id, version - 1);
      if (prev === undefined || !sameTrigger(prev.spec, spec)) break;
      since = prev.createdAt;
      version--;
    }
    return Math.max(since, published);
  }

  async #load(workflow: WorkflowRecord): Promise<void> {
    if (this.#entries.has(workflow.id)) return;
    const version = await this.#store.getSpecVersion(workflow.id, workflow.specVersion);
    if (version === undefined || scheduleTriggerOf(version.spec) === undefined) return;
    const last = (await this.#store.getSchedule(workflow.id))?.lastOccurrenceAt ?? null;
    const since = await this.#ruleSince(workflow, version.spec, version.createdAt, last);
    const def = this.#definition(workflow, version.spec, since);
    if (def === null || this.#entries.has(workflow.id)) return;
    const e = new Entry(workflow.id, def, last);
    this.#entries.set(workflow.id, e);
    this.#reschedule(e, false);
    // What is due already fell due while no scheduler ran: the catch-up policy decides about it.
    e.catchingUp = e.next !== null && e.next <= this.#clock.now();
  }

  /** Compute the entry's next occurrence and put it (back) in the heap. */
  #reschedule(e: Entry, arm = true): void {
    this.#heap.remove(e);
    const after = maxOf(e.last, e.def.since - 1)!;
    e.next = nextOccurrence(e.def.schedule, after, this.#policy);
    if (e.next !== null && !e.removed) this.#heap.push(e);
    if (arm) this.#arm();
  }

  #arm(): void {
    const at = this.#running ? (this.#heap.peek()?.next ?? null) : null;
    if (this.#timer !== null) {
      if (this.#timer.at === at) return;
      this.#clock.clearTimer(this.#timer);
      this.#timer = null;
    }
    if (at !== null) this.#timer = this.#clock.setTimer(at, this.#onTimer);
  }

  readonly #onTimer = (): void => {
    this.#timer = null;
    void this.#tick();
  };

  /** Handle every entry that is due now; resolves when they were handled. */
  async #tick(): Promise<void> {
    if (!this.#running) return;
    const now = this.#clock.now();
    const due: Entry[] = [];
    for (let top = this.#heap.peek(); top !== undefined && top.next !== null && top.next <= now;) {
      this.#heap.pop();
      top.busy = true;
      due.push(top);
      top = this.#heap.peek();
    }
    this.#arm();
    const work = due.map((e) => this.#watch(this.#process(e, now)));
    await Promise.all(work);
  }

  #watch(p: Promise<void>): Promise<void> {
    this.#inFlight.add(p);
    return p.finally(() => this.#inFlight.delete(p));
  }

  /** Fire what is due of one entry, then schedule its next occurrence. */
  async #process(e: Entry, now: number): Promise<void> {
    const catchingUp = e.catchingUp;
    e.catchingUp = false;
    let handled: number | null = null;
    try {
      // Another engine on the same store may have changed the workflow or handled the occurrence.
      const workflow = await this.#store.getWorkflow(e.workflowId);
      if (workflow === undefined || !workflow.published) {
        this.untrack(e.workflowId);
        return;
      }
      if (workflow.specVersion !== e.def.specVersion || (workflow.publishedAt ?? workflow.updatedAt) !== e.def.anchor) {
        const version = await this.#store.getSpecVersion(workflow.id, workflow.specVersion);
        const def = this.#definition(workflow, version?.spec, now);
        if (def === null) {
          this.untrack(e.workflowId);
          return;
        }
        const old = e.def;
        const same = old.expression === def.expression && old.anchor === def.anchor && old.exclusive === def.exclusive;
        e.def = same ? { ...old, specVersion: def.specVersion } : def;
      }
      const record = await this.#store.getSchedule(e.workflowId);
      e.last = maxOf(e.last, record?.lastOccurrenceAt ?? null);
      const { schedule, since } = e.def;
      const after = maxOf(e.last, since - 1)!;
      const latest = latestOccurrence(schedule, after, now, this.#policy);
      if (latest === null) return;
      for (const occurrence of this.#toFire(schedule, after, latest, now, catchingUp)) {
        if (e.removed || !this.#running) return;
        await this.#fireOne(e, occurrence);
      }
      e.last = handled = latest;
    } catch (error) {
      this.#failed(error, 'firing a schedule failed', e.workflowId);
    } finally {
      e.busy = false;
      if (!e.removed && this.#running) this.#reschedule(e);
    }
    if (handled !== null) await this.#record(e, handled);
  }

  /** The due occurrences in `(after, latest]` that fire, oldest first. */
  #toFire(schedule: CompiledSchedule, after: number, latest: number, now: number, catchingUp: boolean): number[] {
    switch (this.#catchUp) {
      case 'none':
        // Missed occurrences are dropped; while running the latest due one is on time.
        return catchingUp ? [] : [latest];
      case 'latest':
        return [latest];
      case 'all': {
        const from = Math.max(after, now - this.#windowMs);
        const list = occurrencesBetween(schedule, from, latest, this.#policy, MAX_CATCH_UP);
        if (!catchingUp && list[list.length - 1] !== latest) list.push(latest);
        return list;
      }
    }
  }

  /** Claim one occurrence and start its instance (or skip it: EXCLUSIVE_RUN). */
  async #fireOne(e: Entry, occurrenceAt: number): Promise<void> {
    const workflowId = e.workflowId;
    const key = occurrenceKey(workflowId, occurrenceAt);
    if (e.def.exclusive && (await this.#runsScheduled(workflowId))) {
      this.#log.info({ workflowId, occurrenceAt }, 'occurrence skipped: a scheduled instance still runs');
      return;
    }
    const claimed = await this.#store.claimOccurrence({
      workflowId,
      occurrenceAt,
      claimedAt: this.#clock.now(),
      instanceId: null,
    });
    if (!claimed && (await this.#store.findInstanceByIdempotencyKey(key)) !== undefined) return;
    // Claimed now, or claimed before without an instance (a crash between claim and start, or a racing
    // engine): start it; the idempotency key makes a second start return the first instance.
    const source: InstanceSource = {
      type: 'schedule',
      schedule: { occurrenceAt: new Date(occurrenceAt).toISOString(), rule: e.def.expression },
    };
    try {
      await this.#fire(workflowId, source, key);
    } catch (error) {
      this.#failed(error, 'a scheduled instance could not start', workflowId);
    }
  }

  async #runsScheduled(workflowId: string): Promise<boolean> {
    for (const id of await this.#store.listUnfinishedInstanceIds(workflowId)) {
      const rec = await this.#store.getInstance(id);
      if (rec !== undefined && rec.triggerKind === 'scheduleTrigger' && !isFinal(rec.status)) return true;
    }
    return false;
  }

  /** Record the handled occurrence; never moves lastOccurrenceAt back (another engine may be ahead). */
  async #record(e: Entry, occurrenceAt: number): Promise<void> {
    try {
      const before = await this.#store.getSchedule(e.workflowId);
      const last = maxOf(before?.lastOccurrenceAt ?? null, occurrenceAt)!;
      await this.#store.putSchedule({ workflowId: e.workflowId, lastOccurrenceAt: last, nextAt: e.next });
    } catch (error) {
      this.#failed(error, 'recording a schedule failed', e.workflowId);
    }
  }

  #failed(error: unknown, message: string, workflowId?: string): void {
    this.#log.error({ err: error, ...(workflowId === undefined ? {} : { workflowId }) }, message);
    this.#onError(error);
  }
}

function checkOptions(o: ScheduleOptions): void {
  const bad = (what: string): never => {
    throw new FlowspecError('FSP_ERR_INVALID_ARGUMENT', `schedules.${what}`);
  };
  if (o.skippedTime !== undefined && o.skippedTime !== 'shift' && o.skippedTime !== 'skip') {
    bad(`skippedTime must be 'shift' or 'skip', got ${JSON.stringify(o.skippedTime)}.`);
  }
  if (o.repeatedTime !== undefined && !['first', 'last', 'both'].includes(o.repeatedTime)) {
    bad(`repeatedTime must be 'first', 'last' or 'both', got ${JSON.stringify(o.repeatedTime)}.`);
  }
  if (o.catchUp !== undefined && !(CatchUpPolicies as readonly string[]).includes(o.catchUp)) {
    bad(`catchUp must be 'none', 'latest' or 'all', got ${JSON.stringify(o.catchUp)}.`);
  }
  if (o.catchUpWindowMs !== undefined && !(o.catchUpWindowMs >= 0 && Number.isFinite(o.catchUpWindowMs))) {
    bad(`catchUpWindowMs must be a finite number of ms >= 0, got ${String(o.catchUpWindowMs)}.`);
  }
}

/**
 * The DTSTART of a rule that has none: the publish time, truncated to the whole minute. RFC 5545 takes
 * every unspecified BY-part from DTSTART, so an untruncated anchor makes `FREQ=DAILY;BYHOUR=2;BYMINUTE=0`
 * fire at 02:00:19 when the workflow was published at hh:mm:19. Occurrences before the (untruncated)
 * publish time never fire, so the truncation cannot fire anything early.
 */
function ruleAnchor(publishedAt: number): number {
  return Math.floor(publishedAt / 60_000) * 60_000;
}
