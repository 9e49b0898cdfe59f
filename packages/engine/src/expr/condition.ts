/**
 * Completion conditions (SEMANTICS.md section 5): two operands compiled as
 * template values and a comparison, evaluated after each successful call of a
 * gated step.
 */
import type { CompletionCondition } from '../spec/types.js';
import { ComparisonOfOperator, compareValues } from './compare.js';
import type { Comparison } from './compare.js';
import { compileValue, evaluateValue } from './template.js';
import type { CompiledValue, EvalContext, ExprProblem } from './types.js';

/** A compiled completion condition; evaluate it with {@link evaluateCondition}. */
export interface CompiledCondition {
  /** The comparison, or null when the operator was unknown (the condition is then always false). */
  readonly comparison: Comparison | null;
  readonly operand1: CompiledValue;
  /** Null when the condition has no `operand2` (it is then `undefined` to the comparison). */
  readonly operand2: CompiledValue | null;
}

/** The result of {@link compileCondition}. */
export interface CompiledConditionResult {
  readonly condition: CompiledCondition;
  /** Problems with paths below the condition: `['operand1', ...]`, `['operand2', ...]` or `['operator']`. */
  readonly problems: readonly ExprProblem[];
  /** Indices of the steps the operands read. */
  readonly stepRefs: readonly number[];
  /** Names under `Steps.` that name no step. */
  readonly unknownStepRefs: readonly string[];
}

/**
 * Compile a completion condition: both operands with `compileValue`, the operator
 * through `ComparisonOfOperator`.
 *
 * @param resolveStep - the plan index of a step name, or -1.
 */
export function compileCondition(
  cond: CompletionCondition,
  resolveStep: (name: string) => number,
): CompiledConditionResult {
  const problems: ExprProblem[] = [];
  const stepRefs: number[] = [];
  const unknownStepRefs: string[] = [];
  const compile = (value: unknown, at: string): CompiledValue => {
    const r = compileValue(value, resolveStep);
    for (const p of r.problems) problems.push({ message: p.message, path: [at, ...p.path] });
    for (const s of r.stepRefs) if (!stepRefs.includes(s)) stepRefs.push(s);
    for (const n of r.unknownStepRefs) if (!unknownStepRefs.includes(n)) unknownStepRefs.push(n);
    return r.value;
  };
  const operand1 = compile(cond.operand1, 'operand1');
  const operand2 = cond.operand2 === undefined ? null : compile(cond.operand2, 'operand2');
  const op: unknown = cond.operator;
  let comparison: Comparison | null = null;
  if (typeof op === 'string' && Object.hasOwn(ComparisonOfOperator, op)) {
    comparison = ComparisonOfOperator[op as keyof typeof ComparisonOfOperator];
  } else {
    problems.push({
      message: `unknown operator ${JSON.stringify(op)}; use one of ${Object.keys(ComparisonOfOperator).join(', ')}`,
      path: ['operator'],
    });
  }
  return { condition: { comparison, operand1, operand2 }, problems, stepRefs, unknownStepRefs };
}

/** Evaluate a compiled condition against the context (see `compareValues` for each operator). */
export function evaluateCondition(c: CompiledCondition, ctx: EvalContext): boolean {
  if (c.comparison === null) return false;
  const left = evaluateValue(c.operand1, ctx);
  const right = c.operand2 === null ? undefined : evaluateValue(c.operand2, ctx);
  return compareValues(c.comparison, left, right);
}
