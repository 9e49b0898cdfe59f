/** The built-in actions (SEMANTICS.md section 10), one file per action. */
import type { ActionDefinition } from '../types.js';
import { echoAction } from './echo.js';
import { errorAction } from './error.js';
import { createHttpRequestAction } from './http-request.js';
import type { HttpActionOptions } from './http-request.js';
import { ifAction } from './if.js';
import { noopAction } from './noop.js';
import { setVariableAction, setVariablesAction } from './set-variable.js';
import { sleepAction } from './sleep.js';
import { switchAction } from './switch.js';

export type { HttpActionOptions, HttpResponseOutput, HttpVerb } from './http-request.js';

/** The `actionId` of every built-in action, by short name. */
export const BuiltinActionIds = {
  noop: 'com.datadoghq.core.noop',
  if: 'com.datadoghq.core.if',
  switch: 'com.datadoghq.core.switch',
  sleep: 'com.datadoghq.core.sleep',
  echo: 'com.datadoghq.core.echo',
  error: 'com.datadoghq.core.error',
  setVariable: 'com.datadoghq.core.setVariable',
  setVariables: 'com.datadoghq.core.setVariables',
  httpRequest: 'com.datadoghq.http.request',
} as const;

/** The `actionId` of a built-in action. */
export type BuiltinActionId = (typeof BuiltinActionIds)[keyof typeof BuiltinActionIds];

/** Options of the built-in actions (engine option `builtins`). */
export interface BuiltinActionOptions {
  /** Options of `com.datadoghq.http.request` (host allowlist, size limit, timeout). */
  readonly http?: HttpActionOptions;
}

/**
 * Build every built-in action, keyed by `actionId`, ready to register. All
 * but the HTTP action are inline (synchronous, called without queueing).
 * @throws FlowspecError `FSP_ERR_INVALID_ARGUMENT` for malformed HTTP options.
 */
export function createBuiltinActions(options: BuiltinActionOptions = {}): Map<string, ActionDefinition> {
  return new Map<string, ActionDefinition>([
    [BuiltinActionIds.noop, noopAction],
    [BuiltinActionIds.if, ifAction],
    [BuiltinActionIds.switch, switchAction],
    [BuiltinActionIds.sleep, sleepAction],
    [BuiltinActionIds.echo, echoAction],
    [BuiltinActionIds.error, errorAction],
    [BuiltinActionIds.setVariable, setVariableAction],
    [BuiltinActionIds.setVariables, setVariablesAction],
    [BuiltinActionIds.httpRequest, createHttpRequestAction(options.http ?? {})],
  ]);
}
