/** `com.datadoghq.core.switch`: picks the branch named by the first case whose value equals the expression. */
import { deepEqual } from '../../expr/compare.js';
import type { ActionDefinition } from '../types.js';
import { ActionError, actionResult } from '../types.js';
import type { ActionResult } from '../types.js';
import { show } from './params.js';

const ACTION_ID = 'com.datadoghq.core.switch';
/** The branch taken when no case matches. */
export const SWITCH_DEFAULT_BRANCH = 'default';

function runSwitch(params: Readonly<Record<string, unknown>>): ActionResult {
  const cases = params['cases'];
  if (!Array.isArray(cases)) {
    throw new ActionError(
      'invalid_parameters',
      `Parameter "cases" of ${ACTION_ID} must be an array of { name, value } objects, got ${show(cases)}.`,
    );
  }
  // Every case is checked before any is compared, so a bad case is reported whatever the expression is.
  for (let i = 0; i < cases.length; i++) {
    const c: unknown = cases[i];
    if (c === null || typeof c !== 'object' || Array.isArray(c)) {
      throw new ActionError(
        'invalid_parameters',
        `Parameter "cases[${i}]" of ${ACTION_ID} must be an object { name, value }, got ${show(c)}.`,
      );
    }
    const name = (c as { name?: unknown }).name;
    if (typeof name !== 'string' || name === '') {
      throw new ActionError(
        'invalid_parameters',
        `Parameter "cases[${i}].name" of ${ACTION_ID} must be a non-empty string (the branch name), got ${show(name)}.`,
      );
    }
  }
  // A missing expression (or case value) reads as null, as a whole-value template to a missing path does.
  const expression = params['switchExpression'] ?? null;
  let branch = SWITCH_DEFAULT_BRANCH;
  for (const c of cases as { name: string; value?: unknown }[]) {
    if (deepEqual(expression, c.value ?? null)) {
      branch = c.name;
      break;
    }
  }
  return actionResult({ output: { case: branch }, branch });
}

/**
 * The switch action: inline; parameters `switchExpression` and
 * `cases: [{ name, value }]`. Output `{ case }` and branch `case`: the name of
 * the first case whose value deep-equals the expression, else `"default"`.
 */
export const switchAction: ActionDefinition = Object.freeze({ handler: runSwitch, inline: true, pure: true });
