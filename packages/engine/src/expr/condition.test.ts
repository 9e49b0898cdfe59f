import { describe, expect, it } from 'vitest';
import type { CompletionCondition, CompletionOperator } from '../spec/types.js';
import { compileCondition, evaluateCondition } from './condition.js';
import type { EvalContext } from './types.js';

const NAMES = ['Poll', 'Other'];
const resolveStep = (name: string): number => NAMES.indexOf(name);

function ctxWith(pollOutput: unknown): EvalContext {
  return {
    trigger: { want: 'done', min: '10', tags: ['a', 'b'] },
    source: { type: 'api' },
    variables: {},
    workflowName: 'wf',
    workflowId: 'wf-1',
    instanceId: 'i-1',
    outputs: [pollOutput, { ready: true }],
    stepNames: NAMES,
  };
}

function check(cond: CompletionCondition, pollOutput: unknown): boolean {
  const r = compileCondition(cond, resolveStep);
  expect(r.problems).toEqual([]);
  return evaluateCondition(r.condition, ctxWith(pollOutput));
}

const cond = (operator: CompletionOperator, operand1: unknown, operand2?: unknown): CompletionCondition =>
  operand2 === undefined ? { operator, operand1 } : { operator, operand1, operand2 };

describe('evaluateCondition', () => {
  it('OPERATOR_EQUAL / OPERATOR_NOT_EQUAL compare deeply', () => {
    const out = { status: 'done', data: { items: [1, { a: 2 }] } };
    expect(check(cond('OPERATOR_EQUAL', '{{ Steps.Poll.status }}', '{{ Trigger.want }}'), out)).toBe(true);
    expect(check(cond('OPERATOR_EQUAL', '{{ Steps.Poll.data }}', { items: [1, { a: 2 }] }), out)).toBe(true);
    expect(check(cond('OPERATOR_EQUAL', '{{ Steps.Poll.status }}', 'pending'), out)).toBe(false);
    expect(check(cond('OPERATOR_NOT_EQUAL', '{{ Steps.Poll.status }}', 'pending'), out)).toBe(true);
    expect(check(cond('OPERATOR_NOT_EQUAL', '{{ Steps.Poll.data }}', { items: [1, { a: 2 }] }), out)).toBe(false);
  });

  it('ordering operators compare numbers and numeric strings', () => {
    const out = { count: 12, text: '12' };
    expect(check(cond('OPERATOR_GREATER_THAN', '{{ Steps.Poll.count }}', '{{ Trigger.min }}'), out)).toBe(true);
    expect(check(cond('OPERATOR_GREATER_THAN', '{{ Steps.Poll.text }}', 9), out)).toBe(true);
    expect(check(cond('OPERATOR_GREATER_THAN_OR_EQUAL_TO', '{{ Steps.Poll.count }}', '12'), out)).toBe(true);
    expect(check(cond('OPERATOR_LESS_THAN', '{{ Steps.Poll.count }}', 12), out)).toBe(false);
    expect(check(cond('OPERATOR_LESS_THAN_OR_EQUAL_TO', '{{ Steps.Poll.count }}', 12), out)).toBe(true);
    expect(check(cond('OPERATOR_GREATER_THAN', '{{ Steps.Poll.missing }}', 0), out)).toBe(false);
    expect(check(cond('OPERATOR_LESS_THAN', 'abc', 5), out)).toBe(false);
  });

  it('CONTAINS / DOES_NOT_CONTAIN on strings, arrays and objects', () => {
    const out = { msg: 'job finished ok', ids: [3, 4], map: { k: 1 } };
    expect(check(cond('OPERATOR_CONTAINS', '{{ Steps.Poll.msg }}', 'finished'), out)).toBe(true);
    expect(check(cond('OPERATOR_CONTAINS', '{{ Steps.Poll.ids }}', 4), out)).toBe(true);
    expect(check(cond('OPERATOR_CONTAINS', '{{ Steps.Poll.map }}', 'k'), out)).toBe(true);
    expect(check(cond('OPERATOR_CONTAINS', '{{ Trigger.tags }}', 'c'), out)).toBe(false);
    expect(check(cond('OPERATOR_DOES_NOT_CONTAIN', '{{ Steps.Poll.msg }}', 'error'), out)).toBe(true);
    expect(check(cond('OPERATOR_DOES_NOT_CONTAIN', '{{ Steps.Poll.ids }}', 3), out)).toBe(false);
  });

  it('IS_NULL / IS_NOT_NULL: null or missing', () => {
    expect(check(cond('OPERATOR_IS_NULL', '{{ Steps.Poll.error }}'), { ok: 1 })).toBe(true);
    expect(check(cond('OPERATOR_IS_NULL', '{{ Steps.Poll.v }}'), { v: null })).toBe(true);
    expect(check(cond('OPERATOR_IS_NULL', '{{ Steps.Poll.v }}'), { v: 0 })).toBe(false);
    expect(check(cond('OPERATOR_IS_NOT_NULL', '{{ Steps.Poll.v }}'), { v: 0 })).toBe(true);
    expect(check(cond('OPERATOR_IS_NOT_NULL', '{{ Steps.Poll.v }}'), {})).toBe(false);
  });

  it('IS_EMPTY / IS_NOT_EMPTY: null, missing, "", [], {}', () => {
    for (const v of [null, '', [], {}]) {
      expect(check(cond('OPERATOR_IS_EMPTY', '{{ Steps.Poll.v }}'), { v })).toBe(true);
      expect(check(cond('OPERATOR_IS_NOT_EMPTY', '{{ Steps.Poll.v }}'), { v })).toBe(false);
    }
    expect(check(cond('OPERATOR_IS_EMPTY', '{{ Steps.Poll.v }}'), {})).toBe(true);
    expect(check(cond('OPERATOR_IS_NOT_EMPTY', '{{ Steps.Poll.v }}'), { v: [0] })).toBe(true);
  });

  it('unary operators ignore operand2', () => {
    expect(check(cond('OPERATOR_IS_NULL', '{{ Steps.Poll.v }}', 'ignored'), {})).toBe(true);
    expect(check(cond('OPERATOR_IS_NOT_EMPTY', 'x', ''), {})).toBe(true);
  });

  it('a missing operand2 compares as missing', () => {
    expect(check(cond('OPERATOR_EQUAL', '{{ Steps.Poll.v }}'), {})).toBe(false); // null vs undefined
    expect(check(cond('OPERATOR_CONTAINS', ['a']), {})).toBe(false);
  });

  it('reads the bound output of each call', () => {
    const r = compileCondition(cond('OPERATOR_EQUAL', '{{ Steps.Poll.state }}', 'READY'), resolveStep);
    expect(evaluateCondition(r.condition, ctxWith({ state: 'PENDING' }))).toBe(false);
    expect(evaluateCondition(r.condition, ctxWith({ state: 'READY' }))).toBe(true);
  });

  it('supports JSONPath operands', () => {
    const out = { jobs: [{ s: 'ok' }, { s: 'ok' }] };
    const c = cond('OPERATOR_DOES_NOT_CONTAIN', '{{ $.Steps.Poll.jobs[*].s }}', 'failed');
    expect(check(c, out)).toBe(true);
    expect(check(c, { jobs: [{ s: 'failed' }] })).toBe(false);
  });
});

describe('compileCondition', () => {
  it('lists step references of both operands once', () => {
    const r = compileCondition(
      cond('OPERATOR_EQUAL', '{{ Steps.Poll.a }} {{ Steps.Nope }}', ['{{ Steps.Other.ready }}', '{{ Steps.Poll.b }}']),
      resolveStep,
    );
    expect(r.problems).toEqual([]);
    expect(r.stepRefs).toEqual([0, 1]);
    expect(r.unknownStepRefs).toEqual(['Nope']);
  });

  it('prefixes operand problems with operand1 / operand2', () => {
    const r = compileCondition(cond('OPERATOR_EQUAL', '{{ Trigerr.x }}', { deep: ['{{ }}'] }), resolveStep);
    expect(r.problems.map((p) => p.path)).toEqual([['operand1'], ['operand2', 'deep', 0]]);
    expect(r.problems[0]!.message).toMatch(/unknown root "Trigerr"/);
    expect(r.problems[1]!.message).toMatch(/empty template/);
  });

  it('reports an unknown operator at ["operator"] and the condition is then false', () => {
    const bad = { operator: 'OPERATOR_MATCHES', operand1: 'a', operand2: 'a' } as unknown as CompletionCondition;
    const r = compileCondition(bad, resolveStep);
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0]!.path).toEqual(['operator']);
    expect(r.problems[0]!.message).toMatch(/unknown operator "OPERATOR_MATCHES"; use one of OPERATOR_EQUAL/);
    expect(evaluateCondition(r.condition, ctxWith({}))).toBe(false);
  });

  it('does not take inherited names for operators', () => {
    const bad = { operator: 'toString', operand1: 'a' } as unknown as CompletionCondition;
    expect(compileCondition(bad, resolveStep).problems[0]!.path).toEqual(['operator']);
  });
});
