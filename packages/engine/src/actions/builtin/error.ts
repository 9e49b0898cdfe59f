/** `com.datadoghq.core.error`: always fails, with its `message` parameter as the step error message. */
import type { ActionContext, ActionDefinition } from '../types.js';
import { ActionError } from '../types.js';

/** The message used when the `message` parameter is missing, null or blank. */
function defaultMessage(stepName: string): string {
  return `Step "${stepName}" raised an error (com.datadoghq.core.error with no message).`;
}

function raise(params: Readonly<Record<string, unknown>>, ctx: ActionContext): never {
  const message = params['message'];
  let text: string;
  if (message === undefined || message === null) text = '';
  else if (typeof message === 'string') text = message;
  else text = JSON.stringify(message) ?? String(message);
  throw new ActionError('action_failed', text.trim() === '' ? defaultMessage(ctx.stepName) : text);
}

/**
 * The error action: inline; throws `ActionError('action_failed', message)`.
 * A non-string message is reported as its JSON text.
 */
export const errorAction: ActionDefinition = Object.freeze({ handler: raise, inline: true, pure: true });
