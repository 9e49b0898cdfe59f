/** `com.datadoghq.core.if`: evaluates conditions and takes the branch "true" or "false". */
import { Comparisons, compareValues } from '../../expr/compare.js';
import type { Comparison } from '../../expr/compare.js';
import type { ActionDefinition } from '../types.js';
import { actionResult } from '../types.js';
import type { ActionResult } from '../types.js';
import { show, invalid } from './params.js';

const ACTION_ID = 'com.datadoghq.core.if';
const OPERATORS: ReadonlySet<string> = new Set<string>(Comparisons);
/** How the results of several conditions combine. */
const JOIN_OPERATORS = ['and', 'or'] as const;
type JoinOperator = (typeof JOIN_OPERATORS)[number];

// The only two outcomes, built once: an if-heavy workflow allocates nothing per call.
const TRUE_RESULT = actionResult({ output: Object.freeze({ result: true }), branch: 'true' });
const FALSE_RESULT = actionResult({ output: Object.freeze({ result: false }), branch: 'false' });

function parseJoin(raw: unknown): JoinOperator {
  if (raw === undefined || raw === null) return 'and';
  const join = typeof raw === 'string' ? raw.trim().toLowerCase() : '';
  if (join !== 'and' && join !== 'or') {
    throw invalid(
      `Parameter "joinOperator" of ${ACTION_ID} must be one of ${JOIN_OPERATORS.join(', ')} (default and), got ${show(raw)}.`,
    );
  }
  return join;
}

interface Condition {
  readonly op: Comparison;
  readonly left: unknown;
  readonly right: unknown;
}

function parseConditions(raw: unknown): Condition[] {
  if (!Array.isArray(raw)) {
    throw invalid(
      `Parameter "conditions" of ${ACTION_ID} must be an array of { comparisonOperator, leftValue, rightValue } ` +
        `objects, got ${show(raw)}.`,
    );
  }
  if (raw.length === 0) {
    // An empty list would be vacuously true for "and" and false for "or": almost surely a mistake, so say so.
    throw invalid(`Parameter "conditions" of ${ACTION_ID} must hold at least one condition, got [].`);
  }
  const out: Condition[] = [];
  for (let i = 0; i < raw.length; i++) {
    const c: unknown = raw[i];
    if (c === null || typeof c !== 'object' || Array.isArray(c)) {
      throw invalid(
        `Parameter "conditions[${i}]" of ${ACTION_ID} must be an object { comparisonOperator, leftValue, rightValue }, ` +
          `got ${show(c)}.`,
      );
    }
    const {
      comparisonOperator: op,
      leftValue,
      rightValue,
    } = c as {
      comparisonOperator?: unknown;
      leftValue?: unknown;
      rightValue?: unknown;
    };
    if (typeof op !== 'string' || !OPERATORS.has(op)) {
      throw invalid(
        `Parameter "conditions[${i}].comparisonOperator" of ${ACTION_ID} must be one of ${Comparisons.join(', ')}, ` +
          `got ${show(op)}.`,
      );
    }
    out.push({ op: op as Comparison, left: leftValue, right: rightValue });
  }
  return out;
}

function runIf(params: Readonly<Record<string, unknown>>): ActionResult {
  const join = parseJoin(params['joinOperator']);
  // Every condition is checked before any is evaluated, so a bad one is reported whatever the data is.
  const conditions = parseConditions(params['conditions']);
  let result: boolean;
  if (join === 'and') {
    result = true;
    for (const c of conditions) {
      if (!compareValues(c.op, c.left, c.right)) {
        result = false;
        break;
      }
    }
  } else {
    result = false;
    for (const c of conditions) {
      if (compareValues(c.op, c.left, c.right)) {
        result = true;
        break;
      }
    }
  }
  return result ? TRUE_RESULT : FALSE_RESULT;
}

/**
 * The if action: inline; parameters `conditions: [{ comparisonOperator,
 * leftValue, rightValue }]` (at least one) and `joinOperator` (`and`, the
 * default, or `or`). Output `{ result }`, branch `"true"` or `"false"`.
 * Operators mean what they mean in completion conditions (SEMANTICS.md section 5).
 */
export const ifAction: ActionDefinition = Object.freeze({ handler: runIf, inline: true, pure: true });
