/** The contract between the engine and action handlers. */
import type { StepErrorCode } from '../errors.js';
import type { Logger } from '../logger.js';

/** What a handler gets besides its parameters. */
export interface ActionContext {
  /** Fires when the instance is canceled or fails, or the step times out. */
  readonly signal: AbortSignal;
  /** `instanceId:stepName:attempt`: stable across a crash-and-rerun of the same attempt. */
  readonly idempotencyKey: string;
  readonly logger: Logger;
  readonly instanceId: string;
  readonly workflowId: string;
  readonly stepName: string;
  /** 1 for the first call of the step, 2 for the first retry, ... */
  readonly attempt: number;
}

/**
 * An action handler. It returns the step output (any JSON value) or an
 * {@link ActionResult} built with {@link actionResult} to choose a branch, set
 * variables or sleep durably. Throwing (or rejecting) fails the attempt.
 */
export type ActionHandler = (params: Readonly<Record<string, unknown>>, ctx: ActionContext) => unknown;

/** A handler outcome beyond a plain output. */
export class ActionResult {
  constructor(
    readonly output: unknown,
    /** The branch whose outbound edges are taken. @default "main" */
    readonly branch: string,
    /** Variables to set (`Variables.<name>`), applied when the step succeeds. */
    readonly variables: Readonly<Record<string, unknown>> | null,
    /** When set, the step succeeds with `output` after this many ms, on a durable timer. */
    readonly sleepMs: number | null,
  ) {}
}

/** Build a handler outcome: `return actionResult({ output, branch: 'true' })`. */
export function actionResult(opts: {
  output?: unknown;
  branch?: string;
  variables?: Readonly<Record<string, unknown>>;
  sleepMs?: number;
}): ActionResult {
  return new ActionResult(opts.output ?? {}, opts.branch ?? 'main', opts.variables ?? null, opts.sleepMs ?? null);
}

/** A failure with a step error code (see `StepErrorCodes`), thrown by handlers that know why they failed. */
export class ActionError extends Error {
  constructor(
    readonly code: StepErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'ActionError';
  }
}

/** A registered action. */
export interface ActionDefinition {
  readonly handler: ActionHandler;
  /** Step timeout for this action, in ms; none when absent. */
  readonly timeoutMs?: number;
  /**
   * The handler is synchronous, cheap and never blocks: the engine calls it
   * inline instead of through the concurrency queue (the built-in control-flow
   * actions are). @default false
   */
  readonly inline?: boolean;
  /**
   * The handler is inline and pure: no effect outside its result, the same result for the same
   * parameters. The engine then runs it within the turn that made the step ready and commits the
   * outcome together with that turn's other changes, instead of committing "running" first: a crash
   * re-runs it at no cost. Every built-in action but HTTP is pure. Only honoured with `inline: true`.
   * @default false
   */
  readonly pure?: boolean;
}
