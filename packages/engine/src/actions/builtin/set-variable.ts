/**
 * `com.datadoghq.core.setVariable` and `com.datadoghq.core.setVariables`: set
 * `Variables.<name>` for the steps that run after this one.
 */
import type { ActionDefinition } from '../types.js';
import { ActionError, actionResult } from '../types.js';
import type { ActionResult } from '../types.js';
import { show } from './params.js';

const SET_OUTPUT: Readonly<Record<string, never>> = Object.freeze({});
/** Names that could reach an object prototype; never written (SEMANTICS.md section 2). */
const UNSAFE_NAMES: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/** Check a variable name; `where` names the parameter it came from. */
function checkName(name: unknown, where: string, actionId: string): string {
  if (typeof name !== 'string' || name === '') {
    throw new ActionError(
      'invalid_parameters',
      `Parameter "${where}" of ${actionId} must be a non-empty string, got ${show(name)}.`,
    );
  }
  if (UNSAFE_NAMES.has(name)) {
    throw new ActionError(
      'invalid_parameters',
      `Parameter "${where}" of ${actionId} is ${JSON.stringify(name)}, a reserved name that is never set ` +
        '(__proto__, constructor and prototype are refused). Pick another variable name.',
    );
  }
  return name;
}

function setVariable(params: Readonly<Record<string, unknown>>): ActionResult {
  const name = checkName(params['variableName'], 'variableName', 'com.datadoghq.core.setVariable');
  const variables: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  variables[name] = params['variableValue'] ?? null;
  return actionResult({ output: SET_OUTPUT, variables });
}

function setVariables(params: Readonly<Record<string, unknown>>): ActionResult {
  const list = params['variables'];
  const actionId = 'com.datadoghq.core.setVariables';
  if (!Array.isArray(list)) {
    throw new ActionError(
      'invalid_parameters',
      `Parameter "variables" of ${actionId} must be an array of { name, value } objects, got ${show(list)}.`,
    );
  }
  const variables: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  for (let i = 0; i < list.length; i++) {
    const entry: unknown = list[i];
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) {
      throw new ActionError(
        'invalid_parameters',
        `Parameter "variables[${i}]" of ${actionId} must be an object { name, value }, got ${show(entry)}.`,
      );
    }
    const { name, value } = entry as { name?: unknown; value?: unknown };
    // A later entry with the same name wins, as if the variables were set one after the other.
    variables[checkName(name, `variables[${i}].name`, actionId)] = value ?? null;
  }
  return actionResult({ output: SET_OUTPUT, variables });
}

/**
 * The setVariable action: inline; parameters `variableName` (non-empty string)
 * and `variableValue` (any JSON; missing is `null`). Output `{}`.
 */
export const setVariableAction: ActionDefinition = Object.freeze({ handler: setVariable, inline: true, pure: true });

/**
 * The setVariables action: inline; parameter `variables: [{ name, value }]`.
 * Output `{}`. Every name is checked before any variable is set.
 */
export const setVariablesAction: ActionDefinition = Object.freeze({ handler: setVariables, inline: true, pure: true });
