/** `com.datadoghq.core.echo`: succeeds with its `value` parameter as `{ value }`. */
import type { ActionDefinition } from '../types.js';

/**
 * The echo action: inline; output `{ value }`. A missing `value` is `null`, so
 * the output reads the same after a JSON round trip through a durable store.
 */
export const echoAction: ActionDefinition = Object.freeze({
  handler: (params: Readonly<Record<string, unknown>>): { value: unknown } => ({ value: params['value'] ?? null }),
  inline: true,
  pure: true,
});
