/**
 * The driver: runs the commands `advance` produces (call actions, arm timers,
 * abort, finish), feeds results back as events, and commits every turn's state
 * changes to the store in one batch (group commit) before anything that depends
 * on them happens.
 *
 * A turn: take every queued event (from any instance), apply each with
 * `advance`, collect the changed records into one CommitBatch, commit, then
 * dispatch the commands. Inline (synchronous) handlers complete during dispatch
 * and their events are handled by the next turn of the same loop, so a chain of
 * built-in steps runs without touching the event loop.
 */
import PQueue from 'p-queue';
import type { ActionContext, ActionDefinition } from '../actions/types.js';
import { ActionError, ActionResult } from '../actions/types.js';
import type { Plan } from '../compile/plan.js';
import type { StepErrorCode } from '../errors.js';
import { FlowspecError } from '../errors.js';
import { evaluateValue } from '../expr/template.js';
import type { Logger } from '../logger.js';
import type { CommitBatch, CommitResult, InstanceRecord, StepRecord, StepRowSource, Store } from '../store/types.js';
import { advance } from './advance.js';
import { TurnBuffer } from './buffer.js';
import type { Command, RuntimeEvent } from './advance.js';
import type { Clock, TimerHandle } from './clock.js';
import { LISTEN_INSTANCE_FINISHED, LISTEN_STEP_PROGRESS, LISTEN_STEP_STARTED } from './events.js';
import type { Emitter } from './events.js';
import { toInstanceRecord, toStepRecord } from './records.js';
import type { InstanceMeta } from './records.js';
import { S, STEP_STATUS, isFinal } from './state.js';
import type { InstanceState } from './state.js';

/** One instance driven by this process. */
export interface LiveInstance {
  readonly plan: Plan;
  readonly state: InstanceState;
  readonly meta: InstanceMeta;
  readonly handlers: (ActionDefinition | null | undefined)[];
  controller: AbortController | null;
  timers: Map<number, TimerHandle> | null;
  /** The instance row has been committed at least once. */
  committed: boolean;
  /** Called once the first commit of the instance resolved (null) or failed (the error), or lost an idempotency race. */
  onCommitted: ((outcome: null | { existing: string } | { error: unknown }) => void) | null;
  waiters: ((st: InstanceState) => void)[] | null;
  dropped: boolean;
  finished: boolean;
  inFlight: number;
  turn: number;
}

export interface DriverOptions {
  readonly store: Store;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly emitter: Emitter;
  readonly lookupAction: (actionId: string) => ActionDefinition | undefined;
  readonly concurrency: number;
  /** Timeout of a step in ms, or undefined for none. */
  readonly stepTimeoutMs: (plan: Plan, step: number, def: ActionDefinition) => number | undefined;
  /** Largest step output, in bytes of JSON; undefined: no limit. */
  readonly maxOutputBytes: number | undefined;
}

const EMPTY: Readonly<Record<string, unknown>> = Object.freeze({});
/** A call command already carried out inside its turn (a pure step); dispatch skips it. */
const CONSUMED: Command = Object.freeze({ type: 'call', step: -1, attempt: 0 });
/** runPure's answer for a "pure" handler that returned a promise: its outcome comes later as an event. */
const CONSUMED_EVENT: RuntimeEvent = Object.freeze({ type: 'cancel', now: 0 });
/** dirtyMark value of a step that started and was decided inside the current turn. */
const RAN_IN_TURN = 2;
const UNSAFE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return v !== null && typeof v === 'object' && typeof (v as { then?: unknown }).then === 'function';
}

/** Parameters of a step, resolved against the instance context. */
export function resolveParams(plan: Plan, st: InstanceState, s: number): Readonly<Record<string, unknown>> {
  const p = plan.params[s];
  if (!p) return EMPTY;
  if (p.constant !== null) return p.constant;
  const out: Record<string, unknown> = {};
  const { names, values } = p;
  for (let i = 0; i < names.length; i++) {
    const name = names[i]!;
    if (UNSAFE_KEYS.has(name)) continue;
    out[name] = evaluateValue(values[i]!, st.ctx);
  }
  return out;
}

/** The step rows of a finished instance, made on demand from its final (no longer changing) state. */
class FinishedRows implements StepRowSource {
  readonly #plan: Plan;
  readonly #st: InstanceState;
  readonly instanceId: string;
  readonly count: number;

  constructor(plan: Plan, st: InstanceState) {
    this.#plan = plan;
    this.#st = st;
    this.instanceId = st.id;
    this.count = plan.stepCount;
  }

  row(index: number): StepRecord {
    return toStepRecord(this.#plan, this.#st, index);
  }
}

class CallContext implements ActionContext {
  readonly #live: LiveInstance;
  readonly #signal: AbortSignal | null;
  readonly #logger: Logger;
  readonly stepName: string;
  readonly attempt: number;

  constructor(live: LiveInstance, step: number, attempt: number, signal: AbortSignal | null, logger: Logger) {
    this.#live = live;
    this.stepName = live.plan.names[step]!;
    this.attempt = attempt;
    this.#signal = signal;
    this.#logger = logger;
  }
  get signal(): AbortSignal {
    return this.#signal ?? liveSignal(this.#live);
  }
  get idempotencyKey(): string {
    return `${this.#live.state.id}:${this.stepName}:${this.attempt}`;
  }
  get instanceId(): string {
    return this.#live.state.id;
  }
  get workflowId(): string {
    return this.#live.state.workflowId;
  }
  get logger(): Logger {
    return this.#logger.child({ instanceId: this.#live.state.id, step: this.stepName, attempt: this.attempt });
  }
}

function liveSignal(live: LiveInstance): AbortSignal {
  return (live.controller ??= new AbortController()).signal;
}

/** Map a thrown value to a step error code and message. */
function describeFailure(err: unknown): { code: StepErrorCode; message: string } {
  // Never throws: whatever a handler throws (a circular object, a BigInt, a getter that throws) becomes a
  // step failure, not an exception inside the driver.
  try {
    if (err instanceof ActionError) return { code: err.code, message: err.message };
    if (err instanceof Error) return { code: 'action_failed', message: err.message || err.name };
    if (typeof err === 'string') return { code: 'action_failed', message: err };
    return { code: 'action_failed', message: JSON.stringify(err) ?? String(err) };
  } catch {
    return { code: 'action_failed', message: 'The handler failed with a value that cannot be shown as text.' };
  }
}

export class Driver {
  readonly #o: DriverOptions;
  readonly #queue: PQueue;
  readonly #persistProgress: boolean;
  /** The store takes a finished instance's rows as a StepRowSource (CommitBatch.stepSources). */
  readonly #rowSources: boolean;
  readonly live = new Map<string, LiveInstance>();
  // Per-turn work lists: reused, never reallocated (see TurnBuffer).
  #inLive = new TurnBuffer<LiveInstance>();
  #inEv = new TurnBuffer<RuntimeEvent>();
  #spareLive = new TurnBuffer<LiveInstance>();
  #spareEv = new TurnBuffer<RuntimeEvent>();
  readonly #cmds = new TurnBuffer<Command>();
  readonly #cmdLive = new TurnBuffer<LiveInstance>();
  readonly #touched = new TurnBuffer<LiveInstance>();
  readonly #fresh: LiveInstance[] = [];
  /** Step changes to report after the commit: [instance, step, started?]. */
  #stepNotices: [LiveInstance, number, boolean][] = [];
  #turnId = 0;
  #now = 0;
  #pumping = false;
  #scheduled = false;
  #stopping = false;
  /** stop() finished: nothing more is written (see push). */
  #stopped = false;
  #inFlight = 0;
  #idleWaiters: (() => void)[] = [];

  constructor(options: DriverOptions) {
    this.#o = options;
    this.#queue = new PQueue({ concurrency: options.concurrency });
    this.#persistProgress = options.store.durable;
    this.#rowSources = options.store.acceptsStepSources === true;
  }

  /** Queued (not yet started) action calls. */
  get queuedCalls(): number {
    return this.#queue.size;
  }

  /** Resolves once fewer than `limit` calls are queued (backpressure for producers). */
  async whenQueueBelow(limit: number): Promise<void> {
    if (this.#queue.size < limit) return;
    await this.#queue.onSizeLessThan(limit);
  }

  /** Start driving a new instance: commits its row, then runs its start steps. */
  add(live: LiveInstance): void {
    this.live.set(live.state.id, live);
    this.push(live, { type: 'start', now: this.#o.clock.now() });
  }

  /** Drive a recovered instance: re-issue its RUNNING calls (same attempt) and re-arm its timers. */
  resume(live: LiveInstance, calls: readonly number[], timers: readonly number[]): void {
    live.committed = true;
    this.live.set(live.state.id, live);
    if (live.state.status === 'PENDING') {
      this.push(live, { type: 'start', now: this.#o.clock.now() });
      return;
    }
    for (const s of timers) {
      this.#cmds.push({ type: 'timer', step: s, attempt: live.state.attempts[s]!, dueAt: live.state.dueAt[s]! });
      this.#cmdLive.push(live);
    }
    for (const s of calls) {
      this.#cmds.push({ type: 'call', step: s, attempt: live.state.attempts[s]! });
      this.#cmdLive.push(live);
    }
    if (!this.#pumping) {
      this.#pumping = true;
      this.#dispatch(this.#o.clock.now());
      this.#loop();
    }
  }

  /** Queue an event for an instance. */
  push(live: LiveInstance, ev: RuntimeEvent): void {
    // After stop() a late handler result is dropped: its store may be closed already, and a durable
    // store re-runs that step on recovery with the same idempotency key.
    if (this.#stopped) return;
    this.#inLive.push(live);
    this.#inEv.push(ev);
    if (!this.#pumping && !this.#scheduled) {
      this.#scheduled = true;
      queueMicrotask(this.#run);
    }
  }

  readonly #run = (): void => {
    this.#scheduled = false;
    if (this.#pumping) return;
    this.#pumping = true;
    this.#loop();
  };

  #loop(): void {
    while (this.#inLive.length > 0) {
      const batch = this.#turn();
      if (batch !== null) {
        let result: CommitResult | Promise<CommitResult>;
        try {
          result = this.#o.store.commit(batch);
        } catch (err) {
          this.#commitFailed(batch, err, 0);
          return;
        }
        if (isThenable(result)) {
          result.then(
            (r) => {
              this.#committed(r);
              this.#dispatch(this.#o.clock.now());
              this.#loop();
            },
            (err: unknown) => this.#commitFailed(batch, err, 0),
          );
          return;
        }
        this.#committed(result);
      }
      // The commit was synchronous (or there was none): the turn's clock reading is still current.
      this.#dispatch(this.#now);
    }
    this.#pumping = false;
    if (this.#idleWaiters.length > 0 && this.#inFlight === 0) {
      const waiters = this.#idleWaiters;
      this.#idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  /** Apply every queued event; return the batch of changed records, or null. */
  #turn(): CommitBatch | null {
    const lives = this.#inLive;
    const evs = this.#inEv;
    this.#inLive = this.#spareLive;
    this.#inEv = this.#spareEv;
    const turn = ++this.#turnId;
    const cmds = this.#cmds;
    const cmdLive = this.#cmdLive;
    const touched = this.#touched;
    const now = (this.#now = this.#o.clock.now());
    for (let i = 0; i < lives.length; i++) {
      const live = lives.at(i);
      if (live.dropped || live.finished) continue;
      const before = cmds.length;
      advance(live.plan, live.state, evs.at(i), cmds);
      // Pure steps run here and their outcome is applied at once; the commands that produces are
      // appended and scanned by this same loop (iterative: a chain of pure steps needs no recursion).
      for (let j = before; j < cmds.length; j++) {
        cmdLive.push(live);
        const c = cmds.at(j);
        if (c.type !== 'call') continue;
        const outcome = this.#runPure(live, c.step, c.attempt, now);
        if (outcome === null) continue;
        cmds.set(j, CONSUMED);
        live.state.dirtyMark[c.step] = RAN_IN_TURN;
        if (outcome !== CONSUMED_EVENT) advance(live.plan, live.state, outcome, cmds);
      }
      if (live.turn !== turn) {
        live.turn = turn;
        touched.push(live);
      }
    }
    lives.clear();
    evs.clear();
    this.#spareLive = lives;
    this.#spareEv = evs;

    // Most turns of a non-durable store write nothing: allocate the batch only when needed.
    let instances: InstanceRecord[] | null = null;
    let steps: StepRecord[] | null = null;
    let sources: StepRowSource[] | null = null;
    const listening = this.#o.emitter.mask;
    const notify = (listening & LISTEN_STEP_PROGRESS) !== 0;
    const notifyStarted = (listening & LISTEN_STEP_STARTED) !== 0;
    for (let t = 0; t < touched.length; t++) {
      const live = touched.at(t);
      const st = live.state;
      const final = isFinal(st.status);
      if (!live.committed || (st.instanceDirty && (this.#persistProgress || final))) {
        (instances ??= []).push(toInstanceRecord(st, live.meta));
        st.instanceDirty = false;
        if (!live.committed) this.#fresh.push(live);
      }
      const dirty = st.dirty;
      const dirtyCount = st.dirtyCount;
      if (this.#persistProgress) {
        if (dirtyCount > 0) steps ??= [];
        for (let k = 0; k < dirtyCount; k++) steps!.push(toStepRecord(live.plan, st, dirty[k]!));
      } else if (final) {
        // Every row at once, made one at a time by the store (the finished state no longer changes).
        if (this.#rowSources) (sources ??= []).push(new FinishedRows(live.plan, st));
        else {
          steps ??= [];
          for (let s = 0; s < live.plan.stepCount; s++) steps.push(toStepRecord(live.plan, st, s));
        }
      }
      for (let k = 0; k < dirtyCount; k++) {
        const s = dirty[k]!;
        // A pure step that ran inside this turn reports its start just before its outcome.
        if (notifyStarted && st.dirtyMark[s] === RAN_IN_TURN) this.#stepNotices.push([live, s, true]);
        st.dirtyMark[s] = 0;
        if (notify) this.#stepNotices.push([live, s, false]);
      }
      st.dirtyCount = 0;
    }
    touched.clear();
    if (instances === null && steps === null && sources === null) return null;
    const batch: CommitBatch = { instances: instances ?? [], steps: steps ?? [] };
    return sources === null ? batch : { ...batch, stepSources: sources };
  }

  #committed(result: CommitResult): void {
    const fresh = this.#fresh;
    for (const live of fresh) {
      const holder = result.idempotencyConflicts.get(live.state.id);
      if (holder !== undefined) {
        live.dropped = true;
        this.live.delete(live.state.id);
        live.onCommitted?.({ existing: holder });
      } else {
        live.committed = true;
        live.onCommitted?.(null);
      }
      live.onCommitted = null;
    }
    fresh.length = 0;
  }

  #commitFailed(batch: CommitBatch, err: unknown, tries: number): void {
    this.#o.emitter.emit('engine:error', { error: err });
    this.#o.logger.error({ err, store: this.#o.store.kind, tries }, 'store commit failed; retrying');
    // Instances whose row was never committed are refused (their execute rejects); nothing of them is kept.
    const refused = new Set<string>();
    for (const live of this.#fresh) {
      live.dropped = true;
      this.live.delete(live.state.id);
      refused.add(live.state.id);
      live.onCommitted?.({ error: err });
      live.onCommitted = null;
    }
    this.#fresh.length = 0;
    const sources = batch.stepSources?.filter((r) => !refused.has(r.instanceId)) ?? [];
    const rest: CommitBatch = {
      instances: batch.instances.filter((r) => !refused.has(r.id)),
      steps: batch.steps.filter((r) => !refused.has(r.instanceId)),
      ...(sources.length > 0 ? { stepSources: sources } : {}),
    };
    if (rest.instances.length === 0 && rest.steps.length === 0 && sources.length === 0) {
      this.#dispatch(this.#o.clock.now());
      this.#loop();
      return;
    }
    const delay = Math.min(5000, 50 * 2 ** tries);
    setTimeout(() => {
      if (this.#stopped) return; // the retry of an unfinished commit is recovery's job now
      Promise.resolve()
        .then(() => this.#o.store.commit(rest))
        .then(
          (r) => {
            this.#committed(r);
            this.#dispatch(this.#o.clock.now());
            this.#loop();
          },
          (e: unknown) => this.#commitFailed(rest, e, tries + 1),
        );
    }, delay);
  }

  /** Carry out the commands of the committed turn; `now` stamps every call it starts. */
  #dispatch(now: number): void {
    // Report what the committed turn changed before acting on it: "A finished" precedes "B started".
    if (this.#stepNotices.length > 0) this.#notifySteps();
    this.#now = now;
    const cmds = this.#cmds;
    const lives = this.#cmdLive;
    for (let i = 0; i < cmds.length; i++) {
      const live = lives.at(i);
      if (live.dropped) continue;
      const cmd = cmds.at(i);
      if (cmd === CONSUMED) continue;
      switch (cmd.type) {
        case 'call':
          this.#call(live, cmd.step, cmd.attempt);
          break;
        case 'timer':
          this.#arm(live, cmd.step, cmd.attempt, cmd.dueAt);
          break;
        case 'abort':
          live.controller?.abort(
            new ActionError('canceled', 'The instance was canceled or failed while this step ran.'),
          );
          this.#clearTimers(live);
          break;
        case 'finished':
          this.#finish(live);
          break;
      }
    }
    cmds.clear();
    lives.clear();
  }

  #notifySteps(): void {
    const notices = this.#stepNotices;
    this.#stepNotices = [];
    const em = this.#o.emitter;
    for (const [live, s, started] of notices) {
      const st = live.state;
      const code = st.stepStatus[s]!;
      if (started) {
        em.emit('step:started', {
          instanceId: st.id,
          workflowId: st.workflowId,
          step: live.plan.names[s]!,
          attempt: st.attempts[s]!,
        });
      } else if (code === S.WAITING) {
        em.emit('step:waiting', {
          instanceId: st.id,
          workflowId: st.workflowId,
          step: live.plan.names[s]!,
          attempts: st.attempts[s]!,
          dueAt: st.dueAt[s]!,
        });
      } else if (code >= S.SUCCEEDED) {
        em.emit('step:finished', {
          instanceId: st.id,
          workflowId: st.workflowId,
          step: live.plan.names[s]!,
          status: STEP_STATUS[code]!,
          attempts: st.attempts[s]!,
          error: st.errors[s] ?? null,
        });
      }
    }
  }

  #arm(live: LiveInstance, s: number, attempt: number, dueAt: number): void {
    const timers = (live.timers ??= new Map());
    const old = timers.get(s);
    if (old) this.#o.clock.clearTimer(old);
    timers.set(
      s,
      this.#o.clock.setTimer(dueAt, () => {
        live.timers?.delete(s);
        if (!this.#stopping) this.push(live, { type: 'timer', step: s, attempt, now: this.#o.clock.now() });
      }),
    );
  }

  #clearTimers(live: LiveInstance): void {
    if (live.timers === null) return;
    for (const h of live.timers.values()) this.#o.clock.clearTimer(h);
    live.timers.clear();
  }

  #finish(live: LiveInstance): void {
    live.finished = true;
    this.#clearTimers(live);
    this.live.delete(live.state.id);
    const waiters = live.waiters;
    live.waiters = null;
    if (waiters) for (const w of waiters) w(live.state);
    if ((this.#o.emitter.mask & LISTEN_INSTANCE_FINISHED) !== 0) {
      this.#o.emitter.emit('instance:finished', {
        instanceId: live.state.id,
        workflowId: live.state.workflowId,
        status: live.state.status,
        error: live.state.error,
      });
    }
  }

  #call(live: LiveInstance, s: number, attempt: number): void {
    if (this.#stopping) return; // left RUNNING: a durable store re-runs it on recovery with the same key
    // Canceled in the same turn (the instance failed or was canceled): the handler is never started.
    if (live.state.stepStatus[s] !== S.RUNNING || live.state.attempts[s] !== attempt) return;
    const plan = live.plan;
    // live.handlers is shared by every instance of the plan; a miss is looked up again (it may be registered later).
    let def = live.handlers[s];
    if (def === undefined || def === null) def = live.handlers[s] = this.#o.lookupAction(plan.actionIds[s]!) ?? null;
    const now = this.#now;
    if (def === null) {
      this.push(live, {
        type: 'failed',
        step: s,
        attempt,
        code: 'action_not_registered',
        message: `No handler is registered for actionId "${plan.actionIds[s]}" (step "${plan.names[s]}"). Register one with engine.registerAction().`,
        now,
      });
      return;
    }
    if ((this.#o.emitter.mask & LISTEN_STEP_STARTED) !== 0) {
      this.#o.emitter.emit('step:started', {
        instanceId: live.state.id,
        workflowId: live.state.workflowId,
        step: plan.names[s]!,
        attempt,
      });
    }
    let params: Readonly<Record<string, unknown>>;
    try {
      params = resolveParams(plan, live.state, s);
    } catch (err) {
      this.push(live, {
        type: 'failed',
        step: s,
        attempt,
        code: 'invalid_parameters',
        message: describeFailure(err).message,
        now,
      });
      return;
    }
    const timeoutMs = this.#o.stepTimeoutMs(plan, s, def);
    if (timeoutMs === undefined) {
      // Inline: no queue at all. Otherwise only while a slot is free and no call waits for one.
      if (def.inline === true) {
        this.#callNow(live, s, attempt, def, params, now, false);
        return;
      }
      if (this.#queue.size === 0 && this.#queue.pending < this.#o.concurrency) {
        this.#callNow(live, s, attempt, def, params, now, true);
        return;
      }
    }
    this.#track(live, +1);
    void this.#queue.add(() => this.#invoke(live, s, attempt, def, params, timeoutMs));
  }

  /**
   * Call the handler now. A plain return value has finished within this call: its outcome is queued for
   * the next turn. A promise settles later as an event; with `queued` it is handed to p-queue, which
   * starts that task at once (the caller checked a slot is free, as p-queue itself does inside add()) and
   * counts it against the limit until it settles. So the limit stays p-queue's, and a synchronous handler
   * skips the queue's per-task cost (ADR 0007).
   */
  #callNow(
    live: LiveInstance,
    s: number,
    attempt: number,
    def: ActionDefinition,
    params: Readonly<Record<string, unknown>>,
    now: number,
    queued: boolean,
  ): void {
    let result: unknown;
    try {
      result = def.handler(params, new CallContext(live, s, attempt, null, this.#o.logger));
    } catch (err) {
      const f = describeFailure(err);
      this.push(live, { type: 'failed', step: s, attempt, code: f.code, message: f.message, now });
      return;
    }
    if (!isThenable(result)) {
      this.#settle(live, s, attempt, result, now);
      return;
    }
    if (queued) void this.#queue.add(() => this.#settleLater(live, s, attempt, result));
    else void this.#settleLater(live, s, attempt, result);
  }

  /** A handler returned a promise: its outcome arrives as a later event; counted in flight until then. */
  #settleLater(live: LiveInstance, s: number, attempt: number, result: PromiseLike<unknown>): Promise<void> {
    this.#track(live, +1);
    return Promise.resolve(result).then(
      // The outcome is queued before the call stops counting as in flight, so idle() cannot resolve between.
      (v) => {
        try {
          this.#settle(live, s, attempt, v, this.#o.clock.now());
        } finally {
          this.#track(live, -1);
        }
      },
      (err: unknown) => {
        try {
          this.#fail(live, s, attempt, err);
        } finally {
          this.#track(live, -1);
        }
      },
    );
  }

  #track(live: LiveInstance, delta: number): void {
    live.inFlight += delta;
    this.#inFlight += delta;
    if (this.#inFlight === 0 && !this.#pumping && this.#idleWaiters.length > 0 && this.#inLive.length === 0) {
      const waiters = this.#idleWaiters;
      this.#idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  async #invoke(
    live: LiveInstance,
    s: number,
    attempt: number,
    def: ActionDefinition,
    params: Readonly<Record<string, unknown>>,
    timeoutMs: number | undefined,
  ): Promise<void> {
    const st = live.state;
    if (
      live.finished ||
      live.dropped ||
      st.stepStatus[s] !== S.RUNNING ||
      st.attempts[s] !== attempt ||
      this.#stopping
    ) {
      this.#track(live, -1);
      return;
    }
    let timer: TimerHandle | null = null;
    let signal: AbortSignal | null = null;
    if (timeoutMs !== undefined) {
      const stepController = new AbortController();
      signal = AbortSignal.any([liveSignal(live), stepController.signal]);
      timer = this.#o.clock.setTimer(this.#o.clock.now() + timeoutMs, () => {
        timer = null;
        stepController.abort(new ActionError('step_timeout', `timed out after ${timeoutMs} ms`));
        this.push(live, {
          type: 'failed',
          step: s,
          attempt,
          code: 'step_timeout',
          message: `Step "${live.plan.names[s]}" timed out after ${timeoutMs} ms`,
          now: this.#o.clock.now(),
        });
      });
    }
    try {
      const value = await def.handler(params, new CallContext(live, s, attempt, signal, this.#o.logger));
      this.#settle(live, s, attempt, value, this.#o.clock.now());
    } catch (err) {
      this.#fail(live, s, attempt, err);
    } finally {
      if (timer !== null) this.#o.clock.clearTimer(timer);
      this.#track(live, -1);
    }
  }

  #fail(live: LiveInstance, s: number, attempt: number, err: unknown): void {
    const f = describeFailure(err);
    this.push(live, { type: 'failed', step: s, attempt, code: f.code, message: f.message, now: this.#o.clock.now() });
  }

  #settle(live: LiveInstance, s: number, attempt: number, value: unknown, now: number): void {
    this.push(live, this.#outcome(live, s, attempt, value, now));
  }

  /** The event a handler's return value makes: success, or a failure when the output is not JSON or too large. */
  #outcome(live: LiveInstance, s: number, attempt: number, value: unknown, now: number): RuntimeEvent {
    let ev: RuntimeEvent;
    if (value instanceof ActionResult) {
      ev = {
        type: 'succeeded',
        step: s,
        attempt,
        output: value.output,
        branch: value.branch,
        variables: value.variables,
        sleepMs: value.sleepMs,
        now,
      };
    } else {
      ev = {
        type: 'succeeded',
        step: s,
        attempt,
        output: value === undefined ? EMPTY : value,
        branch: 'main',
        variables: null,
        sleepMs: null,
        now,
      };
    }
    const limit = this.#o.maxOutputBytes;
    if (limit !== undefined) {
      let size: number;
      try {
        size = Buffer.byteLength(JSON.stringify(ev.type === 'succeeded' ? ev.output : null) ?? 'null');
      } catch (err) {
        return {
          type: 'failed',
          step: s,
          attempt,
          code: 'invalid_parameters',
          message: `Step output is not JSON: ${describeFailure(err).message}`,
          now,
        };
      }
      if (size > limit) {
        return {
          type: 'failed',
          step: s,
          attempt,
          code: 'output_too_large',
          message: `Step "${live.plan.names[s]}" output is ${size} bytes of JSON, over the limit of ${limit} bytes (engine option maxOutputBytes or the store option maxValueBytes). Return less data, e.g. only the fields later steps read.`,
          now,
        };
      }
    }
    return ev;
  }

  /**
   * Run a pure inline step at once, inside the turn that made it ready (see ActionDefinition.pure):
   * returns its outcome event, or null when the step does not qualify (it is then dispatched after
   * the commit like any other call).
   */
  #runPure(live: LiveInstance, s: number, attempt: number, now: number): RuntimeEvent | null {
    if (this.#stopping) return null;
    const plan = live.plan;
    let def = live.handlers[s];
    if (def === undefined || def === null) def = live.handlers[s] = this.#o.lookupAction(plan.actionIds[s]!) ?? null;
    if (def === null || def.pure !== true || def.inline !== true) return null;
    if (this.#o.stepTimeoutMs(plan, s, def) !== undefined) return null;
    let params: Readonly<Record<string, unknown>>;
    try {
      params = resolveParams(plan, live.state, s);
    } catch (err) {
      return {
        type: 'failed',
        step: s,
        attempt,
        code: 'invalid_parameters',
        message: describeFailure(err).message,
        now,
      };
    }
    let result: unknown;
    try {
      result = def.handler(params, new CallContext(live, s, attempt, null, this.#o.logger));
    } catch (err) {
      const f = describeFailure(err);
      return { type: 'failed', step: s, attempt, code: f.code, message: f.message, now };
    }
    if (isThenable(result)) {
      // Not pure after all (a promise): finish it like any inline call, as a later event.
      void this.#settleLater(live, s, attempt, result);
      return CONSUMED_EVENT;
    }
    return this.#outcome(live, s, attempt, result, now);
  }

  /** Stop dispatching; resolve once in-flight handlers finished or `timeoutMs` passed; drop all timers. */
  async stop(timeoutMs: number): Promise<void> {
    this.#stopping = true;
    if (this.#inFlight > 0 || this.#pumping || this.#inLive.length > 0) {
      await Promise.race([
        new Promise<void>((r) => this.#idleWaiters.push(r)),
        new Promise<void>((r) => setTimeout(r, timeoutMs).unref()),
      ]);
    }
    this.#queue.clear();
    for (const live of this.live.values()) {
      this.#clearTimers(live);
      live.controller?.abort(new FlowspecError('FSP_ERR_ENGINE_STOPPED', 'engine stopping'));
    }
    this.live.clear();
    this.#stopped = true;
  }

  /** Resolves when no event is queued, no commit is pending and no handler is in flight. */
  async idle(): Promise<void> {
    if (!this.#pumping && this.#inLive.length === 0 && this.#inFlight === 0) return;
    await new Promise<void>((r) => this.#idleWaiters.push(r));
  }
}
