/** `com.datadoghq.core.sleep`: waits `durationSeconds` on a durable timer, then succeeds with `{}`. */
import type { ActionDefinition } from '../types.js';
import { ActionError, actionResult } from '../types.js';
import type { ActionResult } from '../types.js';
import { show } from './params.js';

const SLEEP_OUTPUT: Readonly<Record<string, never>> = Object.freeze({});

function sleep(params: Readonly<Record<string, unknown>>): ActionResult {
  const seconds = params['durationSeconds'];
  if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < 0) {
    throw new ActionError(
      'invalid_parameters',
      `Parameter "durationSeconds" of com.datadoghq.core.sleep must be a finite number of seconds >= 0, got ${show(seconds)}.`,
    );
  }
  // Rounded up: a sleep never ends before the time asked for.
  return actionResult({ output: SLEEP_OUTPUT, sleepMs: Math.ceil(seconds * 1000) });
}

/**
 * The sleep action: inline; the handler does not block, it returns
 * `actionResult({ output: {}, sleepMs })` and the engine arms a durable timer
 * (the step stays RUNNING until it fires, and survives restarts).
 */
export const sleepAction: ActionDefinition = Object.freeze({ handler: sleep, inline: true, pure: true });
