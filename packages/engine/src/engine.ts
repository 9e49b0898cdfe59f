/**
 * createEngine: the public API a backend embeds. Workflows with immutable spec
 * versions, execute with idempotency keys, instances, cancel, waitFor, typed
 * events, graceful start/stop, recovery from a durable store.
 */
import { randomUUID } from 'node:crypto';
import { createActionRegistry } from './actions/registry.js';
import { createBuiltinActions } from './actions/builtin/index.js';
import type { BuiltinActionOptions } from './actions/builtin/index.js';
import type { ActionDefinition, ActionHandler } from './actions/types.js';
import { compileSpec, parseIntervalMs, summarizeDiagnostics } from './compile/compile-spec.js';
import { checkInput } from './compile/input.js';
import type { Plan } from './compile/plan.js';
import { FlowspecError, jsonPointer } from './errors.js';
import type { Diagnostic, StepError } from './errors.js';
import { silentLogger } from './logger.js';
import type { Logger } from './logger.js';
import type { Clock } from './runtime/clock.js';
import { Driver } from './runtime/driver.js';
import type { LiveInstance } from './runtime/driver.js';
import { Emitter } from './runtime/events.js';
import type { EngineEventName, Listener } from './runtime/events.js';
import type { InstanceMeta } from './runtime/records.js';
import { toInstanceRecord, toStepRecord } from './runtime/records.js';
import { pendingWork, restoreState } from './runtime/restore.js';
import { Scheduler } from './runtime/scheduler.js';
import type { ScheduleOptions } from './runtime/scheduler.js';
import { createState, isFinal } from './runtime/state.js';
import type { InstanceState } from './runtime/state.js';
import { systemClock } from './runtime/system-clock.js';
import type { Spec } from './spec/types.js';
import { validateSpec, validateWorkflowAttributes } from './spec/validate.js';
import type {
  AccessEntry,
  InstanceCounts,
  InstanceRecord,
  InstanceSource,
  InstanceStatus,
  ListWorkflowsQuery,
  Page,
  SpecVersionRecord,
  StepRecord,
  Store,
  WorkflowRecord,
} from './store/types.js';

/** Options of {@link createEngine}. */
export interface EngineOptions {
  /** Where workflows and instances live. */
  readonly store: Store;
  /** Extra actions by actionId (same as calling registerAction for each). */
  readonly actions?: Readonly<Record<string, ActionHandler | ActionDefinition>>;
  /** @default silentLogger */
  readonly logger?: Logger;
  /** @default systemClock */
  readonly clock?: Clock;
  /** Most action calls running at once; further calls wait in a queue. @default 64 */
  readonly concurrency?: number;
  /** execute() waits while more than this many action calls are queued (backpressure). @default 10000 */
  readonly maxQueuedCalls?: number;
  /** Options of the built-in actions (HTTP allowlist, response size limit). */
  readonly builtins?: BuiltinActionOptions;
  /**
   * Reject specs that use an actionId with no registered handler (the REST server sets it).
   * @default false
   */
  readonly strictActions?: boolean;
  /** Step timeouts in ms. */
  readonly timeouts?: {
    /** For every step without a more specific timeout. */
    readonly defaultMs?: number;
    /** By actionId. */
    readonly byAction?: Readonly<Record<string, number>>;
    /** By step name (any workflow). */
    readonly byStep?: Readonly<Record<string, number>>;
  };
  /**
   * Largest step output in bytes of JSON; a bigger output fails the step (`output_too_large`).
   * Never above the store's `maxValueBytes`.
   * @default the store's maxValueBytes (unlimited for the in-memory store)
   */
  readonly maxOutputBytes?: number;
  /** How long stop() lets running handlers finish, in ms. @default 10000 */
  readonly stopTimeoutMs?: number;
  /** Schedule triggers: daylight-saving policies and catch-up after downtime (docs/guides/schedules.md). */
  readonly schedules?: ScheduleOptions;
}

/** Input of createWorkflow. */
export interface CreateWorkflowInput {
  readonly name: string;
  readonly spec: unknown;
  readonly description?: string;
  /** @default true (as the Datadog API records) */
  readonly published?: boolean;
  readonly tags?: readonly string[];
  readonly webhookSecret?: string;
  readonly creatorId?: string;
  readonly ownerId?: string;
  /** Use this id instead of a generated UUID. */
  readonly id?: string;
}

/** A partial update: only the fields given change; a changed spec makes a new spec version. */
export interface UpdateWorkflowInput {
  readonly name?: string;
  readonly spec?: unknown;
  readonly description?: string;
  readonly published?: boolean;
  readonly tags?: readonly string[];
  readonly webhookSecret?: string;
  readonly accessList?: readonly AccessEntry[] | null;
}

/** A workflow with its current spec. */
export interface WorkflowView extends WorkflowRecord {
  readonly spec: Spec;
  readonly specVersionId: string;
}

export interface ExecuteOptions {
  /** The trigger kind to start through. @default apiTrigger if the spec has one, else workflowTrigger */
  readonly trigger?: string;
  /** Trigger event data (`Source`). @default { type: 'api' | 'manual' | ... } */
  readonly source?: InstanceSource;
  /** An execute with a key already used returns the instance that used it. */
  readonly idempotencyKey?: string;
  /** Run an earlier spec version. @default the current one */
  readonly specVersion?: number;
  /** Free-form label recorded on the instance (Domo `messageName`). */
  readonly messageName?: string;
}

export interface ExecuteResult {
  readonly instanceId: string;
  readonly workflowId: string;
  /** True when the idempotency key had been used: no new instance was started. */
  readonly existing: boolean;
}

export interface StepView {
  readonly name: string;
  readonly index: number;
  readonly actionId: string;
  readonly status: StepRecord['status'];
  readonly attempts: number;
  readonly branch: string | null;
  readonly output: unknown;
  readonly error: StepError | null;
  readonly startedAt: number | null;
  readonly completedAt: number | null;
  readonly dueAt: number | null;
}

export interface InstanceView extends InstanceRecord {
  /** Every step of the spec version, in spec order. */
  readonly steps: readonly StepView[];
}

export interface Engine {
  registerAction(actionId: string, handler: ActionHandler | ActionDefinition): void;
  /** Validate a spec with this engine's options (known actions when strict). */
  validate(spec: unknown): { ok: boolean; diagnostics: readonly Diagnostic[] };
  createWorkflow(input: CreateWorkflowInput): Promise<WorkflowView>;
  getWorkflow(id: string): Promise<WorkflowView>;
  updateWorkflow(id: string, patch: UpdateWorkflowInput): Promise<WorkflowView>;
  /** Refuses while instances run unless `cancelRunning` (then cancels them first). */
  deleteWorkflow(id: string, options?: { cancelRunning?: boolean }): Promise<void>;
  listWorkflows(query?: Partial<ListWorkflowsQuery>): Promise<Page<WorkflowView | WorkflowRecord>>;
  getSpecVersion(workflowId: string, version: number): Promise<SpecVersionRecord>;
  execute(workflowId: string, input?: unknown, options?: ExecuteOptions): Promise<ExecuteResult>;
  getInstance(instanceId: string): Promise<InstanceView>;
  listInstances(query: {
    workflowId?: string;
    limit?: number;
    offset?: number;
    statuses?: readonly InstanceStatus[];
  }): Promise<Page<InstanceRecord>>;
  countInstances(workflowId: string): Promise<InstanceCounts>;
  /**
   * The next `count` fire times of the workflow's scheduleTrigger after now, as ISO strings (none when it is
   * unpublished). With the engine's daylight-saving policies; an EXCLUSIVE_RUN skip is not foreseen.
   * @param count 1 to 1000. @default 10
   */
  previewSchedule(workflowId: string, count?: number): Promise<string[]>;
  /** Cancel; a finished instance is returned unchanged (not an error). */
  cancel(instanceId: string): Promise<InstanceView>;
  /** Resolves with the instance once it is finished. */
  waitFor(instanceId: string, options?: { timeoutMs?: number }): Promise<InstanceView>;
  on<K extends EngineEventName>(event: K, listener: Listener<K>): () => void;
  /** Recover unfinished instances of a durable store and accept work. Idempotent. */
  start(): Promise<void>;
  /** Stop accepting work, let running handlers finish (bounded), keep the rest for recovery. */
  stop(): Promise<void>;
  readonly store: Store;
  readonly clock: Clock;
}

/** Compiled plans kept (least recently used dropped first); a miss costs a compile of the stored spec. */
const PLAN_CACHE_LIMIT = 10_000;

/**
 * A UUID as a flat string. Node builds randomUUID() by concatenation, a rope of ~15 pieces
 * (~490 bytes of heap); toLowerCase() returns a flat copy (~60 bytes). Ids are kept per instance,
 * so this is most of an instance's footprint in the in-memory store.
 */
function newId(): string {
  return randomUUID().toLowerCase();
}

/** One frozen Source per trigger kind: instances started without event data share it. */
const defaultSources = new Map<string, InstanceSource>();
function defaultSource(kind: string): InstanceSource {
  let source = defaultSources.get(kind);
  if (source === undefined) defaultSources.set(kind, (source = Object.freeze({ type: sourceType(kind) })));
  return source;
}

/** Build an engine. Call `start()` before use when the store is durable (recovery). */
export function createEngine(options: EngineOptions): Engine {
  return new FlowspecEngine(options);
}

class FlowspecEngine implements Engine {
  readonly store: Store;
  readonly clock: Clock;
  readonly #logger: Logger;
  readonly #registry = createActionRegistry();
  readonly #emitter = new Emitter();
  readonly #driver: Driver;
  /** Compiled plans by `workflowId@version`, least recently used first; a promise while one compiles. */
  readonly #plans = new Map<string, Plan | Promise<Plan>>();
  /** Action definitions by step index, per plan: shared by all of the plan's instances. */
  readonly #handlers = new WeakMap<Plan, (ActionDefinition | null | undefined)[]>();
  readonly #pendingKeys = new Map<string, Promise<ExecuteResult>>();
  readonly #pendingStarts = new Map<string, number>();
  readonly #scheduler: Scheduler;
  readonly #options: EngineOptions;
  #state: 'new' | 'started' | 'stopping' | 'stopped' = 'new';
  #starting: Promise<void> | null = null;

  constructor(options: EngineOptions) {
    if (options === null || typeof options !== 'object' || !options.store) {
      throw new FlowspecError(
        'FSP_ERR_INVALID_ARGUMENT',
        'createEngine needs { store }: pass createMemoryStore() or a durable store.',
      );
    }
    this.#options = options;
    this.store = options.store;
    this.clock = options.clock ?? systemClock;
    this.#logger = options.logger ?? silentLogger;
    for (const [id, def] of createBuiltinActions(options.builtins ?? {})) this.#registry.register(id, def);
    for (const [id, def] of Object.entries(options.actions ?? {})) this.#registry.register(id, def);
    const concurrency = options.concurrency ?? 64;
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw new FlowspecError(
        'FSP_ERR_INVALID_ARGUMENT',
        `concurrency must be a positive integer, got ${String(concurrency)}.`,
      );
    }
    const timeouts = options.timeouts ?? {};
    this.#driver = new Driver({
      store: this.store,
      clock: this.clock,
      logger: this.#logger,
      emitter: this.#emitter,
      lookupAction: (id) => this.#registry.get(id),
      concurrency,
      maxOutputBytes: smallestLimit(options.maxOutputBytes, this.store.maxValueBytes),
      stepTimeoutMs: (plan, s, def) =>
        timeouts.byStep?.[plan.names[s]!] ??
        def.timeoutMs ??
        timeouts.byAction?.[plan.actionIds[s]!] ??
        timeouts.defaultMs,
    });
    this.#scheduler = new Scheduler({
      store: this.store,
      clock: this.clock,
      logger: this.#logger,
      fire: (workflowId, source, idempotencyKey) =>
        this.execute(workflowId, {}, { trigger: 'scheduleTrigger', source, idempotencyKey }),
      onError: (error) => this.#emitter.emit('engine:error', { error }),
      ...(options.schedules !== undefined ? { options: options.schedules } : {}),
    });
  }

  registerAction(actionId: string, handler: ActionHandler | ActionDefinition): void {
    this.#registry.register(actionId, handler);
  }

  on<K extends EngineEventName>(event: K, listener: Listener<K>): () => void {
    return this.#emitter.on(event, listener);
  }

  validate(spec: unknown): { ok: boolean; diagnostics: readonly Diagnostic[] } {
    return validateSpec(spec, this.#validateOptions());
  }

  #validateOptions(): { knownActionIds?: (id: string) => boolean } {
    return this.#options.strictActions === true ? { knownActionIds: (id) => this.#registry.has(id) } : {};
  }

  // ---------------------------------------------------------------- lifecycle

  async start(): Promise<void> {
    if (this.#state === 'started') return;
    if (this.#state === 'stopping')
      throw new FlowspecError('FSP_ERR_ENGINE_STOPPED', 'The engine is stopping; create a new engine to start again.');
    this.#starting ??= this.#recover()
      .then(() => {
        this.#state = 'started';
      })
      .then(() => this.#scheduler.start())
      .catch((err: unknown) => {
        this.#starting = null; // fix the cause (e.g. register the missing actions) and call start() again
        throw err;
      });
    await this.#starting;
  }

  async #recover(): Promise<void> {
    if (!this.store.durable) return;
    const ids = await this.store.listUnfinishedInstanceIds();
    const recovered: { live: LiveInstance; calls: number[]; timers: number[] }[] = [];
    const missing = new Set<string>();
    for (const id of ids) {
      if (this.#driver.live.has(id)) continue;
      const rec = await this.store.getInstance(id);
      if (!rec || isFinal(rec.status)) continue;
      const plan = await this.#plan(rec.workflowId, rec.specVersion);
      const steps = await this.store.getSteps(id);
      const state = restoreState(plan, rec, steps);
      for (const actionId of plan.actionIds) if (!this.#registry.has(actionId)) missing.add(actionId);
      const work = pendingWork(state);
      recovered.push({ live: this.#newLive(plan, state, metaOf(rec)), calls: work.calls, timers: work.timers });
    }
    // Recovered calls are re-issued at once: an action registered only after start() would make them
    // fail with action_not_registered. Refuse before resuming anything; nothing is changed.
    if (missing.size > 0) {
      throw new FlowspecError(
        'FSP_ERR_INVALID_ARGUMENT',
        `Cannot recover ${recovered.length} unfinished instance(s): no handler is registered for ${[...missing]
          .map((a) => `"${a}"`)
          .join(', ')}. Register every action (engine.registerAction or createEngine({ actions })) before start().`,
        { details: { missingActions: [...missing] } },
      );
    }
    for (const { live, calls, timers } of recovered) {
      this.#driver.resume(live, calls, timers);
      this.#logger.info(
        { instanceId: live.state.id, calls: calls.length, timers: timers.length },
        'recovered instance',
      );
    }
  }

  async stop(): Promise<void> {
    if (this.#state === 'stopped') return;
    // First: occurrences being fired still start their instances (a claim is never left without one).
    await this.#scheduler.stop();
    this.#state = 'stopping';
    await this.#driver.stop(this.#options.stopTimeoutMs ?? 10_000);
    this.#state = 'stopped';
  }

  async #ready(): Promise<void> {
    if (this.#state === 'started') return;
    if (this.#state === 'stopping' || this.#state === 'stopped') {
      throw new FlowspecError('FSP_ERR_ENGINE_STOPPED', 'The engine is stopped: it accepts no new instances.');
    }
    await this.start();
  }

  // ---------------------------------------------------------------- workflows

  async createWorkflow(input: CreateWorkflowInput): Promise<WorkflowView> {
    if (input === null || typeof input !== 'object') {
      throw new FlowspecError('FSP_ERR_INVALID_ARGUMENT', 'createWorkflow needs { name, spec }.');
    }
    const diagnostics = [
      ...validateWorkflowAttributes({ name: input.name, description: input.description }, ''),
      ...validateSpec(input.spec, { ...this.#validateOptions(), pointerPrefix: '/spec' }).diagnostics,
    ];
    throwIfInvalid(diagnostics);
    const now = this.clock.now();
    const id = input.id ?? newId();
    if ((await this.store.getWorkflow(id)) || (await this.store.getSpecVersion(id, 1))) {
      throw new FlowspecError(
        'FSP_ERR_INVALID_ARGUMENT',
        `The workflow id ${id} is taken (by a workflow, or by a deleted one whose history is kept). Omit id to get a fresh one.`,
      );
    }
    const published = input.published ?? true;
    const workflow: WorkflowRecord = {
      id,
      name: input.name,
      description: input.description ?? '',
      published,
      tags: [...(input.tags ?? [])],
      specVersion: 1,
      createdAt: now,
      updatedAt: now,
      publishedAt: published ? now : null,
      webhookSecret: input.webhookSecret ?? null,
      creatorId: input.creatorId ?? null,
      ownerId: input.ownerId ?? input.creatorId ?? null,
      accessList: null,
    };
    const version: SpecVersionRecord = {
      workflowId: id,
      version: 1,
      id: newId(),
      spec: input.spec as Spec,
      createdAt: now,
    };
    await this.store.createWorkflow(workflow, version);
    await this.#scheduler.track(workflow, version.spec);
    return { ...workflow, spec: version.spec, specVersionId: version.id };
  }

  async getWorkflow(id: string): Promise<WorkflowView> {
    const wf = await this.#workflow(id);
    const version = await this.getSpecVersion(id, wf.specVersion);
    return { ...wf, spec: version.spec, specVersionId: version.id };
  }

  async #workflow(id: string): Promise<WorkflowRecord> {
    const wf = typeof id === 'string' ? await this.store.getWorkflow(id) : undefined;
    if (!wf) throw new FlowspecError('FSP_ERR_WORKFLOW_NOT_FOUND', `No workflow has id "${String(id)}".`);
    return wf;
  }

  async getSpecVersion(workflowId: string, version: number): Promise<SpecVersionRecord> {
    const rec = await this.store.getSpecVersion(workflowId, version);
    if (!rec) {
      throw new FlowspecError(
        'FSP_ERR_SPEC_VERSION_NOT_FOUND',
        `Workflow "${workflowId}" has no spec version ${version}.`,
      );
    }
    return rec;
  }

  async updateWorkflow(id: string, patch: UpdateWorkflowInput): Promise<WorkflowView> {
    const wf = await this.#workflow(id);
    const diagnostics: Diagnostic[] = [];
    if (patch.name !== undefined || patch.description !== undefined) {
      diagnostics.push(
        ...validateWorkflowAttributes(
          { name: patch.name ?? wf.name, description: patch.description ?? wf.description },
          '',
        ),
      );
    }
    if (patch.spec !== undefined) {
      diagnostics.push(...validateSpec(patch.spec, { ...this.#validateOptions(), pointerPrefix: '/spec' }).diagnostics);
    }
    throwIfInvalid(diagnostics);
    const now = this.clock.now();
    const current = await this.getSpecVersion(id, wf.specVersion);
    let version: SpecVersionRecord | undefined;
    if (patch.spec !== undefined && JSON.stringify(patch.spec) !== JSON.stringify(current.spec)) {
      version = { workflowId: id, version: wf.specVersion + 1, id: newId(), spec: patch.spec as Spec, createdAt: now };
    }
    const published = patch.published ?? wf.published;
    const next: WorkflowRecord = {
      ...wf,
      name: patch.name ?? wf.name,
      description: patch.description ?? wf.description,
      published,
      publishedAt: published ? (wf.published ? wf.publishedAt : now) : null,
      tags: patch.tags ? [...patch.tags] : wf.tags,
      webhookSecret: patch.webhookSecret ?? wf.webhookSecret,
      accessList: patch.accessList === undefined ? wf.accessList : patch.accessList,
      specVersion: version ? version.version : wf.specVersion,
      updatedAt: now,
    };
    await this.store.updateWorkflow(next, version);
    const spec = version ?? current;
    await this.#scheduler.track(next, spec.spec);
    return { ...next, spec: spec.spec, specVersionId: spec.id };
  }

  async deleteWorkflow(id: string, options: { cancelRunning?: boolean } = {}): Promise<void> {
    await this.#workflow(id);
    const running = await this.store.listUnfinishedInstanceIds(id);
    if (running.length > 0) {
      if (options.cancelRunning !== true) {
        throw new FlowspecError(
          'FSP_ERR_WORKFLOW_HAS_RUNNING_INSTANCES',
          `Workflow "${id}" has ${running.length} running instance(s). Cancel them first, or delete with { cancelRunning: true }.`,
          { details: { running: running.length } },
        );
      }
      for (const instanceId of running) await this.cancel(instanceId);
    }
    await this.store.deleteWorkflow(id);
    this.#scheduler.untrack(id);
  }

  async listWorkflows(query: Partial<ListWorkflowsQuery> = {}): Promise<Page<WorkflowRecord>> {
    return this.store.listWorkflows({
      limit: query.limit ?? 100,
      offset: query.offset ?? 0,
      includeUnpublished: query.includeUnpublished ?? true,
      ...(query.query !== undefined ? { query: query.query } : {}),
      ...(query.sort !== undefined ? { sort: query.sort } : {}),
    });
  }

  #plan(workflowId: string, version: number): Plan | Promise<Plan> {
    const key = `${workflowId}@${version}`;
    const cached = this.#plans.get(key);
    if (cached !== undefined) {
      // Move to the back of the Map's insertion order: the front is the least recently used.
      this.#plans.delete(key);
      this.#plans.set(key, cached);
      return cached;
    }
    // Executions that arrive while the plan loads share this one load and compile (10,000 starts at
    // once must not compile the spec 10,000 times, nor keep 10,000 copies of the plan alive).
    const loading: Promise<Plan> = this.getSpecVersion(workflowId, version)
      // Known actions are checked at create/update; a stored version always compiles.
      .then((rec) => compileSpec(rec.spec))
      .then(
        (plan) => {
          if (this.#plans.get(key) === loading) this.#plans.set(key, plan);
          return plan;
        },
        // A failed load or compile is not cached: the next execution tries again.
        (err: unknown) => {
          if (this.#plans.get(key) === loading) this.#plans.delete(key);
          throw err;
        },
      );
    if (this.#plans.size >= PLAN_CACHE_LIMIT) this.#plans.delete(this.#plans.keys().next().value!);
    this.#plans.set(key, loading);
    return loading;
  }

  // ---------------------------------------------------------------- instances

  async execute(workflowId: string, input: unknown = {}, options: ExecuteOptions = {}): Promise<ExecuteResult> {
    await this.#ready();
    const key = options.idempotencyKey;
    if (key === undefined) return this.#execute(workflowId, input, options);
    const pending = this.#pendingKeys.get(key);
    if (pending) return { ...(await checkSameWorkflow(await pending, workflowId, key)), existing: true };
    const run = (async () => {
      const existing = await this.store.findInstanceByIdempotencyKey(key);
      if (existing)
        return checkSameWorkflow(
          { instanceId: existing.id, workflowId: existing.workflowId, existing: true },
          workflowId,
          key,
        );
      return this.#execute(workflowId, input, options);
    })();
    this.#pendingKeys.set(key, run);
    try {
      return await run;
    } finally {
      this.#pendingKeys.delete(key);
    }
  }

  async #execute(workflowId: string, input: unknown, options: ExecuteOptions): Promise<ExecuteResult> {
    const wf = await this.#workflow(workflowId);
    const plan = await this.#plan(workflowId, options.specVersion ?? wf.specVersion);
    const trigger = pickTrigger(plan, options.trigger);
    const kind = plan.triggers[trigger]!.kind;
    if (kind === 'apiTrigger') await this.#admitApi(wf, plan.triggers[trigger]!.body);
    const checked = checkInput(plan.inputSchema, ownJson(input, 'input'));
    if (!checked.ok) {
      throw new FlowspecError('FSP_ERR_INPUT_INVALID', `Invalid input: ${summarizeDiagnostics(checked.diagnostics)}`, {
        diagnostics: checked.diagnostics,
      });
    }
    const storeLimit = this.store.maxValueBytes;
    if (storeLimit !== undefined) {
      checkStoredSize(checked.input, 'input', storeLimit);
      if (options.source !== undefined) checkStoredSize(options.source, 'source', storeLimit);
    }
    const version = await this.getSpecVersion(workflowId, options.specVersion ?? wf.specVersion);
    const id = newId();
    const meta: InstanceMeta = {
      workflowName: wf.name,
      specVersion: version.version,
      specVersionId: version.id,
      triggerKind: kind,
      input: checked.input,
      source:
        options.source === undefined ? defaultSource(kind) : (ownJson(options.source, 'source') as InstanceSource),
      idempotencyKey: options.idempotencyKey ?? null,
      messageName: options.messageName ?? null,
      createdAt: this.clock.now(),
    };
    const state = createState(plan, {
      id,
      workflowId,
      workflowName: wf.name,
      trigger,
      input: meta.input,
      source: meta.source,
    });
    const live = this.#newLive(plan, state, meta);
    const committed = new Promise<null | { existing: string } | { error: unknown }>((resolve) => {
      live.onCommitted = resolve;
    });
    const limit = this.#options.maxQueuedCalls ?? 10_000;
    if (this.#driver.queuedCalls >= limit) await this.#driver.whenQueueBelow(limit);
    this.#countStart(workflowId, kind, +1);
    this.#driver.add(live);
    if (this.#emitter.has('instance:started')) this.#emitter.emit('instance:started', { instanceId: id, workflowId });
    const outcome = await committed.finally(() => this.#countStart(workflowId, kind, -1));
    if (outcome === null) return { instanceId: id, workflowId, existing: false };
    if ('existing' in outcome) return { instanceId: outcome.existing, workflowId, existing: true };
    throw new FlowspecError(
      'FSP_ERR_STORE',
      `The store refused the new instance: ${String(outcome.error)}. Nothing was started.`,
      {
        cause: outcome.error,
      },
    );
  }

  #countStart(workflowId: string, kind: string, delta: number): void {
    const k = `${workflowId}\u0000${kind}`;
    const n = (this.#pendingStarts.get(k) ?? 0) + delta;
    if (n <= 0) this.#pendingStarts.delete(k);
    else this.#pendingStarts.set(k, n);
  }

  async #admitApi(wf: WorkflowRecord, body: unknown): Promise<void> {
    if (!wf.published) {
      throw new FlowspecError(
        'FSP_ERR_WORKFLOW_UNPUBLISHED',
        `Workflow "${wf.id}" is not published; its apiTrigger only runs published workflows. Publish it (published: true) or run it through a workflowTrigger.`,
      );
    }
    const rate = (body as { rateLimit?: { count: number; interval: string } } | undefined)?.rateLimit;
    if (!rate) return;
    const windowMs = parseIntervalMs(rate.interval);
    const since = this.clock.now() - windowMs;
    const started =
      (await this.store.countStartsSince(wf.id, 'apiTrigger', since)) +
      (this.#pendingStarts.get(`${wf.id}\u0000apiTrigger`) ?? 0);
    if (started >= rate.count) {
      throw new FlowspecError(
        'FSP_ERR_RATE_LIMITED',
        `Workflow "${wf.id}" admits ${rate.count} API start(s) per ${rate.interval}; try again later.`,
        { details: { retryAfterMs: windowMs, limit: rate.count, interval: rate.interval } },
      );
    }
  }

  #handlersOf(plan: Plan): (ActionDefinition | null | undefined)[] {
    let list = this.#handlers.get(plan);
    if (list === undefined)
      this.#handlers.set(plan, (list = new Array<ActionDefinition | null | undefined>(plan.stepCount)));
    return list;
  }

  #newLive(plan: Plan, state: InstanceState, meta: InstanceMeta): LiveInstance {
    return {
      plan,
      state,
      meta,
      handlers: this.#handlersOf(plan),
      controller: null,
      timers: null,
      committed: false,
      onCommitted: null,
      waiters: null,
      dropped: false,
      finished: false,
      inFlight: 0,
      turn: 0,
    };
  }

  async getInstance(instanceId: string): Promise<InstanceView> {
    const live = this.#driver.live.get(instanceId);
    if (live && live.committed) return liveView(live);
    const rec = typeof instanceId === 'string' ? await this.store.getInstance(instanceId) : undefined;
    if (!rec) throw new FlowspecError('FSP_ERR_INSTANCE_NOT_FOUND', `No instance has id "${String(instanceId)}".`);
    const [steps, plan] = await Promise.all([
      this.store.getSteps(instanceId),
      this.#plan(rec.workflowId, rec.specVersion),
    ]);
    return recordView(plan, rec, steps);
  }

  async listInstances(query: {
    workflowId?: string;
    limit?: number;
    offset?: number;
    statuses?: readonly InstanceStatus[];
  }): Promise<Page<InstanceRecord>> {
    const page = await this.store.listInstances({
      limit: query.limit ?? 10,
      offset: query.offset ?? 0,
      ...(query.workflowId !== undefined ? { workflowId: query.workflowId } : {}),
      ...(query.statuses !== undefined ? { statuses: query.statuses } : {}),
    });
    // Running instances change in memory between commits of a non-durable store: show their live status.
    return {
      ...page,
      items: page.items.map((r) => {
        const live = this.#driver.live.get(r.id);
        return live && live.committed ? toInstanceRecord(live.state, live.meta) : r;
      }),
    };
  }

  countInstances(workflowId: string): Promise<InstanceCounts> {
    return Promise.resolve(this.store.countInstances(workflowId));
  }

  async previewSchedule(workflowId: string, count = 10): Promise<string[]> {
    if (!Number.isInteger(count) || count < 1 || count > 1000) {
      throw new FlowspecError(
        'FSP_ERR_INVALID_ARGUMENT',
        `count must be an integer from 1 to 1000, got ${String(count)}.`,
      );
    }
    const wf = await this.getWorkflow(workflowId);
    pickTrigger(await this.#plan(workflowId, wf.specVersion), 'scheduleTrigger');
    return this.#scheduler.preview(wf, wf.spec, count).map((t) => new Date(t).toISOString());
  }

  async cancel(instanceId: string): Promise<InstanceView> {
    const live = this.#driver.live.get(instanceId);
    if (!live) return this.getInstance(instanceId); // finished (or unknown: not found)
    const done = this.#finished(live);
    this.#driver.push(live, { type: 'cancel', now: this.clock.now() });
    await done;
    return this.getInstance(instanceId);
  }

  #finished(live: LiveInstance): Promise<void> {
    return new Promise<void>((resolve) => {
      (live.waiters ??= []).push(() => resolve());
    });
  }

  async waitFor(instanceId: string, options: { timeoutMs?: number } = {}): Promise<InstanceView> {
    const live = this.#driver.live.get(instanceId);
    if (live) {
      const done = this.#finished(live);
      if (options.timeoutMs === undefined) await done;
      else {
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<never>((_, reject) => {
          timer = setTimeout(
            () =>
              reject(
                new FlowspecError(
                  'FSP_ERR_INVALID_ARGUMENT',
                  `Instance ${instanceId} did not finish within ${options.timeoutMs} ms.`,
                ),
              ),
            options.timeoutMs,
          );
        });
        try {
          await Promise.race([done, timeout]);
        } finally {
          clearTimeout(timer);
        }
      }
      // the final commit may still be in flight: the finished state is in memory
      return liveView(live);
    }
    return this.getInstance(instanceId);
  }
}

const EMPTY_INPUT: Readonly<Record<string, unknown>> = Object.freeze({});

/**
 * A private JSON copy of caller data kept on the instance (input, source): the caller may mutate
 * its object after execute() returns, and stores must be able to serialise it. Empty objects share
 * one frozen instance.
 */
function ownJson(value: unknown, what: 'input' | 'source'): unknown {
  if (value === undefined || value === null) return EMPTY_INPUT;
  if (typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length === 0) return EMPTY_INPUT;
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (err) {
    throw new FlowspecError(
      'FSP_ERR_INPUT_INVALID',
      `The ${what} is not JSON (${(err as Error).message}); pass plain objects, arrays, strings, numbers, booleans and null.`,
      {
        diagnostics: [
          { code: 'FSP_ERR_INPUT_TYPE', severity: 'error', message: `The ${what} is not JSON.`, pointer: '' },
        ],
      },
    );
  }
  return text === undefined ? EMPTY_INPUT : (JSON.parse(text) as unknown);
}

/** The smaller of two optional limits (undefined: no limit). */
function smallestLimit(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined ? b : b === undefined ? a : Math.min(a, b);
}

/** Refuse an instance input or source the store would not keep (its maxValueBytes). */
function checkStoredSize(value: unknown, what: 'input' | 'source', limit: number): void {
  const bytes = Buffer.byteLength(JSON.stringify(value) ?? '');
  if (bytes <= limit) return;
  const message = `The ${what} is ${bytes} bytes of JSON, over the store's limit of ${limit} bytes per value (store option maxValueBytes).`;
  throw new FlowspecError('FSP_ERR_INPUT_INVALID', `${message} Nothing was started.`, {
    diagnostics: [{ code: 'FSP_ERR_INPUT_INVALID', severity: 'error', message, pointer: '' }],
    details: { bytes, limit },
  });
}

function throwIfInvalid(diagnostics: readonly Diagnostic[]): void {
  if (diagnostics.some((d) => d.severity === 'error')) {
    throw new FlowspecError('FSP_ERR_SPEC_INVALID', `Invalid workflow: ${summarizeDiagnostics(diagnostics)}`, {
      diagnostics,
    });
  }
}

function checkSameWorkflow(result: ExecuteResult, workflowId: string, key: string): ExecuteResult {
  if (result.workflowId !== workflowId) {
    throw new FlowspecError(
      'FSP_ERR_IDEMPOTENCY_CONFLICT',
      `Idempotency key "${key}" was already used for workflow ${result.workflowId}; use a new key for workflow ${workflowId}.`,
    );
  }
  return { ...result, existing: true };
}

function pickTrigger(plan: Plan, kind: string | undefined): number {
  if (kind !== undefined) {
    const i = plan.triggers.findIndex((t) => t.kind === kind);
    if (i < 0) {
      throw new FlowspecError(
        'FSP_ERR_TRIGGER_NOT_FOUND',
        `The spec has no ${kind}; it has ${plan.triggers.map((t) => t.kind).join(', ') || 'no triggers'}.`,
        { details: { pointer: jsonPointer('spec', 'triggers') } },
      );
    }
    return i;
  }
  const api = plan.triggers.findIndex((t) => t.kind === 'apiTrigger');
  if (api >= 0) return api;
  const manual = plan.triggers.findIndex((t) => t.kind === 'workflowTrigger');
  if (manual >= 0) return manual;
  throw new FlowspecError(
    'FSP_ERR_NO_EXECUTE_TRIGGER',
    'The spec has neither an apiTrigger nor a workflowTrigger, so it cannot be executed through the API. Add one of them to spec.triggers.',
  );
}

function sourceType(kind: string): string {
  if (kind === 'apiTrigger') return 'api';
  if (kind === 'workflowTrigger') return 'manual';
  if (kind === 'scheduleTrigger') return 'schedule';
  return kind.replace(/Trigger$/, '');
}

function metaOf(rec: InstanceRecord): InstanceMeta {
  return {
    workflowName: rec.workflowName,
    specVersion: rec.specVersion,
    specVersionId: rec.specVersionId,
    triggerKind: rec.triggerKind,
    input: rec.input,
    source: rec.source,
    idempotencyKey: rec.idempotencyKey,
    messageName: rec.messageName,
    createdAt: rec.createdAt,
  };
}

function liveView(live: LiveInstance): InstanceView {
  const rec = toInstanceRecord(live.state, live.meta);
  const steps: StepView[] = [];
  for (let s = 0; s < live.plan.stepCount; s++) steps.push(stepView(live.plan, toStepRecord(live.plan, live.state, s)));
  return { ...rec, steps };
}

function stepView(plan: Plan, r: StepRecord): StepView {
  return {
    name: r.name,
    index: r.index,
    actionId: plan.actionIds[r.index] ?? '',
    status: r.status,
    attempts: r.attempts,
    branch: r.branch,
    output: r.output,
    error: r.error,
    startedAt: r.startedAt,
    completedAt: r.completedAt,
    dueAt: r.dueAt,
  };
}

function recordView(plan: Plan, rec: InstanceRecord, rows: readonly StepRecord[]): InstanceView {
  const byIndex = new Array<StepRecord | undefined>(plan.stepCount);
  for (const r of rows) if (r.index < plan.stepCount) byIndex[r.index] = r;
  const steps: StepView[] = [];
  for (let s = 0; s < plan.stepCount; s++) {
    const r = byIndex[s];
    steps.push(
      r
        ? stepView(plan, r)
        : {
            name: plan.names[s]!,
            index: s,
            actionId: plan.actionIds[s]!,
            status: 'PENDING',
            attempts: 0,
            branch: null,
            output: undefined,
            error: null,
            startedAt: null,
            completedAt: null,
            dueAt: null,
          },
    );
  }
  return { ...rec, steps };
}
