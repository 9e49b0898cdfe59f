/**
 * Checking path and query parameters by hand: ids must be UUIDs (400 as
 * recorded), numbers must be whole and in range, booleans `true`/`false`.
 * Each problem is a 400 whose `source.parameter` names the parameter.
 */
import { RestError } from './errors.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether a string is a UUID (any version, any case). */
export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}

/** Which recorded error shape a route family uses for a malformed id. */
export type IdStyle = 'workflow' | 'instance';

/**
 * A path id, lower-cased (ids are stored lower case). A malformed one is a 400
 * with the recorded wording: workflow routes name the parameter and its
 * expected type, instance routes the field (`INVALID_FIELD_VALUE`).
 */
export function pathId(value: unknown, name: string, style: IdStyle): string {
  if (isUuid(value)) return value.toLowerCase();
  const detail =
    style === 'workflow'
      ? `invalid parameter "${camel(name)}" in "path"; expected type "uuid"`
      : `value ${JSON.stringify(String(value ?? ''))} is invalid for field ${name}: expected a UUID`;
  throw new RestError(400, 'INVALID_FIELD_VALUE', detail, { source: { parameter: name } });
}

function camel(name: string): string {
  return name.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
}

type Query = Readonly<Record<string, unknown>>;

function single(query: Query, name: string): string | undefined {
  const v = query[name];
  if (v === undefined) return undefined;
  if (typeof v === 'string') return v;
  throw new RestError(400, 'INVALID_FIELD_VALUE', `Give the query parameter "${name}" once.`, {
    source: { parameter: name },
  });
}

/** A whole-number query parameter in [min, max], or `fallback` when absent. */
export function intParam(query: Query, name: string, fallback: number, min: number, max: number): number {
  const raw = single(query, name);
  if (raw === undefined || raw === '') return fallback;
  const n = /^-?\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `${min} or more` : `from ${min} to ${max}`;
    throw new RestError(
      400,
      'INVALID_FIELD_VALUE',
      `The query parameter "${name}" must be a whole number ${range}, got ${JSON.stringify(raw)}.`,
      { source: { parameter: name } },
    );
  }
  return n;
}

/** A boolean query parameter (`true`/`false`), or `fallback` when absent. */
export function boolParam(query: Query, name: string, fallback: boolean): boolean {
  const raw = single(query, name);
  if (raw === undefined || raw === '') return fallback;
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  throw new RestError(
    400,
    'INVALID_FIELD_VALUE',
    `The query parameter "${name}" must be true or false, got ${JSON.stringify(raw)}.`,
    { source: { parameter: name } },
  );
}

/** A string query parameter restricted to `allowed`, or undefined when absent. */
export function enumParam<T extends string>(query: Query, name: string, allowed: readonly T[]): T | undefined {
  const raw = single(query, name);
  if (raw === undefined || raw === '') return undefined;
  if ((allowed as readonly string[]).includes(raw)) return raw as T;
  throw new RestError(
    400,
    'INVALID_FIELD_VALUE',
    `The query parameter "${name}" must be one of ${allowed.join(', ')}, got ${JSON.stringify(raw)}.`,
    { source: { parameter: name } },
  );
}

/** A free string query parameter, or undefined when absent or empty. */
export function stringParam(query: Query, name: string): string | undefined {
  const raw = single(query, name);
  return raw === undefined || raw === '' ? undefined : raw;
}
