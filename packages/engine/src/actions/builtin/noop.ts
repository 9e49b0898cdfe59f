/** `com.datadoghq.core.noop`: does nothing and succeeds with `{}`. */
import type { ActionDefinition } from '../types.js';

/**
 * The one output of every noop call. Shared and frozen: a noop-heavy workflow
 * allocates nothing per call (benchmarks run thousands of them).
 */
export const NOOP_OUTPUT: Readonly<Record<string, never>> = Object.freeze({});

/** The noop action: inline, ignores its parameters, returns {@link NOOP_OUTPUT}. */
export const noopAction: ActionDefinition = Object.freeze({
  handler: (): Readonly<Record<string, never>> => NOOP_OUTPUT,
  inline: true,
  pure: true,
});
