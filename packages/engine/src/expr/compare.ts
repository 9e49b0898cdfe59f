/**
 * Value comparisons shared by completion gates (SEMANTICS.md section 5) and
 * the built-in `if` action. Pure functions over JSON values.
 */
import type { CompletionOperator } from '../spec/types.js';

/** Every comparison operator, in the order of the spec's completion operators. */
export const Comparisons = [
  'eq',
  'neq',
  'gt',
  'gte',
  'lt',
  'lte',
  'contains',
  'doesNotContain',
  'isNull',
  'isNotNull',
  'isEmpty',
  'isNotEmpty',
] as const;

/** A comparison operator. */
export type Comparison = (typeof Comparisons)[number];

/** The comparison each spec completion operator stands for. */
export const ComparisonOfOperator: Readonly<Record<CompletionOperator, Comparison>> = {
  OPERATOR_EQUAL: 'eq',
  OPERATOR_NOT_EQUAL: 'neq',
  OPERATOR_GREATER_THAN: 'gt',
  OPERATOR_GREATER_THAN_OR_EQUAL_TO: 'gte',
  OPERATOR_LESS_THAN: 'lt',
  OPERATOR_LESS_THAN_OR_EQUAL_TO: 'lte',
  OPERATOR_CONTAINS: 'contains',
  OPERATOR_DOES_NOT_CONTAIN: 'doesNotContain',
  OPERATOR_IS_NULL: 'isNull',
  OPERATOR_IS_NOT_NULL: 'isNotNull',
  OPERATOR_IS_EMPTY: 'isEmpty',
  OPERATOR_IS_NOT_EMPTY: 'isNotEmpty',
};

/** True for a non-null, non-array object. */
function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Own enumerable keys whose value is not `undefined` (JSON has no `undefined` members). */
function presentKeys(o: Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const k of Object.keys(o)) if (o[k] !== undefined) out.push(k);
  return out;
}

/**
 * JSON deep equality: object key order is irrelevant, arrays are ordered,
 * object members whose value is `undefined` count as absent. Numbers compare
 * with `===` (so `0` equals `-0`, as in JSON).
 */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!deepEqual(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  const ka = presentKeys(ra);
  if (ka.length !== presentKeys(rb).length) return false;
  for (const k of ka) {
    if (!Object.hasOwn(rb, k) || !deepEqual(ra[k], rb[k])) return false;
  }
  return true;
}

/**
 * A decimal number literal (optional sign, digits with optional fraction, optional exponent).
 * Deliberately narrower than `Number()`: `"0x10"`, `"0b1"` and `"Infinity"` are not numeric.
 */
const NUMERIC = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** The number a value stands for in an ordering comparison, or `undefined` when it is not numeric. */
function toNumber(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isNaN(v) ? undefined : v;
  if (typeof v !== 'string') return undefined;
  const s = v.trim();
  if (s === '' || !NUMERIC.test(s)) return undefined;
  const n = Number(s);
  return Number.isFinite(n) ? n : undefined;
}

function ordered(op: 'gt' | 'gte' | 'lt' | 'lte', left: unknown, right: unknown): boolean {
  const l = toNumber(left);
  const r = toNumber(right);
  if (l === undefined || r === undefined) return false;
  switch (op) {
    case 'gt':
      return l > r;
    case 'gte':
      return l >= r;
    case 'lt':
      return l < r;
    case 'lte':
      return l <= r;
  }
}

function contains(left: unknown, right: unknown): boolean {
  if (typeof left === 'string') return typeof right === 'string' && left.includes(right);
  if (Array.isArray(left)) {
    for (const el of left) if (deepEqual(el, right)) return true;
    return false;
  }
  if (isRecord(left)) return typeof right === 'string' && Object.hasOwn(left, right) && left[right] !== undefined;
  return false;
}

function isEmpty(v: unknown): boolean {
  if (v === null || v === undefined || v === '') return true;
  if (Array.isArray(v)) return v.length === 0;
  if (isRecord(v)) return presentKeys(v).length === 0;
  return false;
}

/**
 * Compare two values (SEMANTICS.md section 5).
 *
 * - `eq` / `neq`: {@link deepEqual}.
 * - `gt` / `gte` / `lt` / `lte`: both sides must be numbers or numeric strings
 *   (a decimal literal after trimming, e.g. `" 12.5 "`, `"1e3"`); otherwise the result is `false`.
 * - `contains`: substring when `left` is a string (`right` must be a string), a deep-equal element
 *   when `left` is an array, an own key when `left` is an object (`right` must be a string);
 *   `false` for any other `left`. `doesNotContain` is its negation.
 * - `isNull` / `isNotNull`: `null` or `undefined` (missing).
 * - `isEmpty` / `isNotEmpty`: `null`, `undefined`, `""`, `[]`, `{}`.
 *
 * Unary operators ignore `right`.
 */
export function compareValues(op: Comparison, left: unknown, right: unknown): boolean {
  switch (op) {
    case 'eq':
      return deepEqual(left, right);
    case 'neq':
      return !deepEqual(left, right);
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte':
      return ordered(op, left, right);
    case 'contains':
      return contains(left, right);
    case 'doesNotContain':
      return !contains(left, right);
    case 'isNull':
      return left === null || left === undefined;
    case 'isNotNull':
      return left !== null && left !== undefined;
    case 'isEmpty':
      return isEmpty(left);
    case 'isNotEmpty':
      return !isEmpty(left);
    default: {
      const never: never = op;
      throw new TypeError(`unknown comparison ${String(never)}`);
    }
  }
}
