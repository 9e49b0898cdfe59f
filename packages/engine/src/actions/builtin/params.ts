/** Helpers shared by the built-in actions for checking their parameters. */
import { ActionError } from '../types.js';

/** A short, readable rendering of a bad parameter value for an error message. */
export function show(value: unknown): string {
  if (value === undefined) return 'nothing (the parameter is missing)';
  if (typeof value === 'number') return String(value);
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 100 ? `${text.slice(0, 100)}…` : text;
}

/** A step failure for parameters of the wrong shape. */
export function invalid(message: string): ActionError {
  return new ActionError('invalid_parameters', message);
}
