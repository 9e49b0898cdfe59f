/** The table of action handlers by `actionId` (SEMANTICS.md section 10: registering an id twice is an error). */
import { FlowspecError } from '../errors.js';
import type { ActionDefinition, ActionHandler } from './types.js';

/** Action handlers by `actionId`. */
export interface ActionRegistry {
  /**
   * Add an action. A bare function is registered as `{ handler }`.
   * @throws FlowspecError `FSP_ERR_ACTION_ALREADY_REGISTERED` when the id is taken,
   *   `FSP_ERR_INVALID_ARGUMENT` when the id or the definition is malformed.
   */
  register(actionId: string, handler: ActionHandler | ActionDefinition): void;
  /** The definition registered for `actionId`, or `undefined`. */
  get(actionId: string): ActionDefinition | undefined;
  /** Whether `actionId` is registered. */
  has(actionId: string): boolean;
  /** Every registered id, in registration order. */
  ids(): string[];
}

/** Build an empty registry. */
export function createActionRegistry(): ActionRegistry {
  return new MapActionRegistry();
}

class MapActionRegistry implements ActionRegistry {
  readonly #byId = new Map<string, ActionDefinition>();

  register(actionId: string, handler: ActionHandler | ActionDefinition): void {
    if (typeof actionId !== 'string' || actionId.trim() === '') {
      throw new FlowspecError(
        'FSP_ERR_INVALID_ARGUMENT',
        `registerAction needs a non-empty string actionId, got ${describe(actionId)}.`,
        { details: { actionId } },
      );
    }
    const def = toDefinition(actionId, handler);
    if (this.#byId.has(actionId)) {
      throw new FlowspecError(
        'FSP_ERR_ACTION_ALREADY_REGISTERED',
        `An action with actionId "${actionId}" is already registered. Each actionId has one handler: ` +
          'register it once (pick another actionId, or drop the duplicate registration; built-in ids cannot be replaced).',
        { details: { actionId } },
      );
    }
    this.#byId.set(actionId, def);
  }

  get(actionId: string): ActionDefinition | undefined {
    return this.#byId.get(actionId);
  }

  has(actionId: string): boolean {
    return this.#byId.has(actionId);
  }

  ids(): string[] {
    return [...this.#byId.keys()];
  }
}

/** Normalize and check what `register` got; the result is frozen so later changes by the caller do not leak in. */
function toDefinition(actionId: string, input: unknown): ActionDefinition {
  if (typeof input === 'function') return Object.freeze({ handler: input as ActionHandler });
  if (input === null || typeof input !== 'object' || typeof (input as { handler?: unknown }).handler !== 'function') {
    throw new FlowspecError(
      'FSP_ERR_INVALID_ARGUMENT',
      `Action "${actionId}": expected a handler function or an object { handler: function, timeoutMs?, inline?, pure? }, got ${describe(input)}.`,
      { details: { actionId } },
    );
  }
  const { handler, timeoutMs, inline, pure } = input as {
    handler: ActionHandler;
    timeoutMs?: unknown;
    inline?: unknown;
    pure?: unknown;
  };
  if (timeoutMs !== undefined && (typeof timeoutMs !== 'number' || !Number.isFinite(timeoutMs) || timeoutMs <= 0)) {
    throw new FlowspecError(
      'FSP_ERR_INVALID_ARGUMENT',
      `Action "${actionId}": timeoutMs must be a positive finite number of milliseconds, got ${describe(timeoutMs)}. ` +
        'Leave it out for no timeout.',
      { details: { actionId } },
    );
  }
  if (inline !== undefined && typeof inline !== 'boolean') {
    throw new FlowspecError(
      'FSP_ERR_INVALID_ARGUMENT',
      `Action "${actionId}": inline must be a boolean, got ${describe(inline)}.`,
      { details: { actionId } },
    );
  }
  if (pure !== undefined && typeof pure !== 'boolean') {
    throw new FlowspecError(
      'FSP_ERR_INVALID_ARGUMENT',
      `Action "${actionId}": pure must be a boolean, got ${describe(pure)}.`,
    );
  }
  const def: { handler: ActionHandler; timeoutMs?: number; inline?: boolean; pure?: boolean } = { handler };
  if (pure !== undefined) def.pure = pure;
  if (timeoutMs !== undefined) def.timeoutMs = timeoutMs;
  if (inline !== undefined) def.inline = inline;
  return Object.freeze(def);
}

function describe(value: unknown): string {
  if (typeof value === 'function') return 'a function';
  if (value === undefined) return 'undefined';
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === null || typeof value !== 'object') return String(value);
  return Array.isArray(value) ? 'an array' : `an object with keys [${Object.keys(value).join(', ')}]`;
}
