/** Typed engine events. Payloads are built only when someone listens. */
import type { StepError } from '../errors.js';
import type { InstanceErrorRecord, InstanceStatus, StepStatus } from '../store/types.js';

export interface EngineEvents {
  'instance:started': { readonly instanceId: string; readonly workflowId: string };
  'instance:finished': {
    readonly instanceId: string;
    readonly workflowId: string;
    readonly status: InstanceStatus;
    readonly error: InstanceErrorRecord | null;
  };
  'step:started': {
    readonly instanceId: string;
    readonly workflowId: string;
    readonly step: string;
    readonly attempt: number;
  };
  'step:finished': {
    readonly instanceId: string;
    readonly workflowId: string;
    readonly step: string;
    readonly status: StepStatus;
    readonly attempts: number;
    readonly error: StepError | null;
  };
  'step:waiting': {
    readonly instanceId: string;
    readonly workflowId: string;
    readonly step: string;
    readonly attempts: number;
    readonly dueAt: number;
  };
  /** The store failed to commit; the engine retries. */
  'engine:error': { readonly error: unknown };
}

export type EngineEventName = keyof EngineEvents;
export type Listener<K extends EngineEventName> = (payload: EngineEvents[K]) => void;

/** Bits of Emitter.mask. */
export const LISTEN_STEP_STARTED = 1;
/** step:finished or step:waiting. */
export const LISTEN_STEP_PROGRESS = 2;
export const LISTEN_INSTANCE_FINISHED = 4;

/** A minimal typed emitter: `has()` lets callers skip building payloads. */
export class Emitter {
  // Every name is present from the start: one fixed object shape keeps has(), called per step, a cheap lookup.
  readonly #listeners: { [K in EngineEventName]: Listener<K>[] } = {
    'instance:started': [],
    'instance:finished': [],
    'step:started': [],
    'step:finished': [],
    'step:waiting': [],
    'engine:error': [],
  };

  on<K extends EngineEventName>(name: K, listener: Listener<K>): () => void {
    const list = Object.hasOwn(this.#listeners, name) ? (this.#listeners[name] as Listener<K>[]) : undefined;
    if (list === undefined) {
      const known = Object.keys(this.#listeners).join(', ');
      throw new TypeError(`engine.on(): unknown event "${String(name)}"; the events are: ${known}.`);
    }
    list.push(listener);
    this.#remask();
    return () => {
      const i = list.indexOf(listener);
      if (i >= 0) list.splice(i, 1);
      this.#remask();
    };
  }

  /**
   * Which step-level events have listeners, as bits (STEP_STARTED, STEP_PROGRESS, INSTANCE_FINISHED):
   * read once per engine turn instead of a lookup per event name per step.
   */
  mask = 0;

  #remask(): void {
    const l = this.#listeners;
    this.mask =
      (l['step:started'].length > 0 ? LISTEN_STEP_STARTED : 0) |
      (l['step:finished'].length > 0 || l['step:waiting'].length > 0 ? LISTEN_STEP_PROGRESS : 0) |
      (l['instance:finished'].length > 0 ? LISTEN_INSTANCE_FINISHED : 0);
  }

  has(name: EngineEventName): boolean {
    return this.#listeners[name].length > 0;
  }

  emit<K extends EngineEventName>(name: K, payload: EngineEvents[K]): void {
    const list = this.#listeners[name] as Listener<K>[];
    if (list.length === 0) return;
    for (const l of list.slice()) {
      try {
        l(payload);
      } catch {
        // a listener's bug never unwinds the engine
      }
    }
  }
}
