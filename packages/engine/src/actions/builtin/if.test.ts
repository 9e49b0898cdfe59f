import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../logger.js';
import type { ActionContext } from '../types.js';
import { ActionError, ActionResult } from '../types.js';
import { ifAction } from './if.js';

const ctx: ActionContext = {
  signal: new AbortController().signal,
  idempotencyKey: 'i1:Check:1',
  logger: silentLogger,
  instanceId: 'i1',
  workflowId: 'w1',
  stepName: 'Check',
  attempt: 1,
};

interface Cond {
  comparisonOperator: string;
  leftValue?: unknown;
  rightValue?: unknown;
}

function cond(comparisonOperator: string, leftValue?: unknown, rightValue?: unknown): Cond {
  const c: Cond = { comparisonOperator };
  if (leftValue !== undefined) c.leftValue = leftValue;
  if (rightValue !== undefined) c.rightValue = rightValue;
  return c;
}

function run(params: Record<string, unknown>): ActionResult {
  const out = ifAction.handler(params, ctx);
  expect(out).toBeInstanceOf(ActionResult);
  return out as ActionResult;
}

function verdict(conditions: Cond[], joinOperator?: string): boolean {
  const params: Record<string, unknown> = { conditions };
  if (joinOperator !== undefined) params['joinOperator'] = joinOperator;
  const r = run(params);
  const result = (r.output as { result: boolean }).result;
  expect(r.branch).toBe(String(result)); // the branch always agrees with the output
  expect(r.variables).toBeNull();
  expect(r.sleepMs).toBeNull();
  return result;
}

function invalid(params: Record<string, unknown>): ActionError {
  try {
    ifAction.handler(params, ctx);
  } catch (err) {
    expect(err).toBeInstanceOf(ActionError);
    expect((err as ActionError).code).toBe('invalid_parameters');
    return err as ActionError;
  }
  throw new Error('expected invalid_parameters, nothing was thrown');
}

describe('com.datadoghq.core.if', () => {
  it('is inline and answers { result } on branch "true" / "false"', () => {
    expect(ifAction.inline).toBe(true);
    const yes = run({ joinOperator: 'and', conditions: [cond('eq', 'IAMUser', 'IAMUser')] });
    expect(yes.output).toEqual({ result: true });
    expect(yes.branch).toBe('true');
    const no = run({ joinOperator: 'and', conditions: [cond('eq', 'Role', 'IAMUser')] });
    expect(no.output).toEqual({ result: false });
    expect(no.branch).toBe('false');
  });

  it('shares one frozen result per outcome', () => {
    const a = run({ conditions: [cond('eq', 1, 1)] });
    const b = run({ conditions: [cond('gt', 2, 1)] });
    expect(a).toBe(b);
    expect(Object.isFrozen(a.output)).toBe(true);
  });

  // [operator, left, right, expected]: both outcomes of every operator (SEMANTICS.md section 5).
  const cases: [string, unknown, unknown, boolean][] = [
    ['eq', 1, 1, true],
    ['eq', { a: [1, { b: 2 }], c: 'x' }, { c: 'x', a: [1, { b: 2 }] }, true],
    ['eq', 1, '1', false],
    ['eq', [1, 2], [2, 1], false],
    ['neq', 1, 2, true],
    ['neq', 'same', 'same', false],
    ['gt', 5, 3, true],
    ['gt', '10', '9', true],
    ['gt', 3, 5, false],
    ['gt', 'abc', 1, false],
    ['gte', 3, 3, true],
    ['gte', ' 4 ', 3, true],
    ['gte', 2, 3, false],
    ['lt', 2, 3, true],
    ['lt', 3, 3, false],
    ['lt', null, 3, false],
    ['lte', 3, 3, true],
    ['lte', 2.5, '3', true],
    ['lte', 4, 3, false],
    ['contains', 'hello world', 'world', true],
    ['contains', [1, { a: 2 }], { a: 2 }, true],
    ['contains', { key: 1 }, 'key', true],
    ['contains', 'abc', 'z', false],
    ['contains', [1, 2], 3, false],
    ['contains', 42, 4, false],
    ['doesNotContain', 'abc', 'z', true],
    ['doesNotContain', [1, 2], 2, false],
    ['doesNotContain', { key: 1 }, 'other', true],
    ['isNull', null, undefined, true],
    ['isNull', undefined, undefined, true],
    ['isNull', 0, undefined, false],
    ['isNull', '', 'ignored', false],
    ['isNotNull', '', undefined, true],
    ['isNotNull', null, 'ignored', false],
    ['isEmpty', '', undefined, true],
    ['isEmpty', [], undefined, true],
    ['isEmpty', {}, undefined, true],
    ['isEmpty', null, undefined, true],
    ['isEmpty', undefined, undefined, true],
    ['isEmpty', [0], undefined, false],
    ['isEmpty', 0, undefined, false],
    ['isNotEmpty', 'x', undefined, true],
    ['isNotEmpty', { a: null }, undefined, true],
    ['isNotEmpty', {}, undefined, false],
    ['isNotEmpty', undefined, undefined, false],
  ];
  it.each(cases)('%s(%j, %j) is %s', (op, left, right, expected) => {
    expect(verdict([cond(op, left, right)])).toBe(expected);
  });

  it('covers all 12 operators', () => {
    expect(new Set(cases.map((c) => c[0])).size).toBe(12);
  });

  it('joins with "and" by default', () => {
    expect(verdict([cond('eq', 1, 1), cond('eq', 1, 2)])).toBe(false);
    expect(verdict([cond('eq', 1, 1), cond('lt', 1, 2)])).toBe(true);
  });

  it.each([
    ['and', [true, true], true],
    ['and', [true, false], false],
    ['and', [false, true], false],
    ['and', [false, false], false],
    ['or', [true, true], true],
    ['or', [true, false], true],
    ['or', [false, true], true],
    ['or', [false, false], false],
    ['and', [true], true],
    ['or', [false], false],
    ['AND', [true, false], false],
    [' Or ', [false, true], true],
  ])('joinOperator %j over %j is %s', (join, outcomes, expected) => {
    const conditions = outcomes.map((o) => cond('eq', o, true));
    expect(verdict(conditions, join)).toBe(expected);
  });

  it('treats a null joinOperator as the default "and"', () => {
    expect(
      (run({ joinOperator: null, conditions: [cond('isNull', null), cond('isNull', 1)] }).output as { result: boolean })
        .result,
    ).toBe(false);
  });

  it.each([
    [{}, '"conditions"', 'array of { comparisonOperator'],
    [{ conditions: null }, '"conditions"', 'null'],
    [{ conditions: { comparisonOperator: 'eq' } }, '"conditions"', 'comparisonOperator'],
    [{ conditions: 'a == b' }, '"conditions"', '"a == b"'],
    [{ conditions: [] }, '"conditions"', 'at least one condition'],
    [{ conditions: [null] }, '"conditions[0]"', 'null'],
    [{ conditions: [cond('eq', 1, 1), 'eq'] }, '"conditions[1]"', '"eq"'],
    [{ conditions: [{ leftValue: 1, rightValue: 1 }] }, '"conditions[0].comparisonOperator"', 'nothing'],
    [{ conditions: [cond('equals', 1, 1)] }, '"conditions[0].comparisonOperator"', '"equals"'],
    [{ conditions: [cond('EQ', 1, 1)] }, '"conditions[0].comparisonOperator"', '"EQ"'],
    [{ conditions: [cond('OPERATOR_EQUAL', 1, 1)] }, '"conditions[0].comparisonOperator"', '"OPERATOR_EQUAL"'],
    [{ conditions: [cond('eq', 1, 1)], joinOperator: 'xor' }, '"joinOperator"', '"xor"'],
    [{ conditions: [cond('eq', 1, 1)], joinOperator: 1 }, '"joinOperator"', '1'],
  ])('refuses %j naming %s and the bad value', (params, name, shown) => {
    const err = invalid(params);
    expect(err.message).toContain(`Parameter ${name}`);
    expect(err.message).toContain(shown);
  });

  it('lists the allowed operators and join operators', () => {
    expect(invalid({ conditions: [cond('like', 'a', 'b')] }).message).toContain(
      'eq, neq, gt, gte, lt, lte, contains, doesNotContain, isNull, isNotNull, isEmpty, isNotEmpty',
    );
    expect(invalid({ conditions: [cond('eq', 1, 1)], joinOperator: 'nand' }).message).toContain('and, or');
  });

  it('reports a bad later condition even when an earlier one decides the result', () => {
    const err = invalid({ joinOperator: 'or', conditions: [cond('eq', 1, 1), cond('nope', 1, 1)] });
    expect(err.message).toContain('"conditions[1].comparisonOperator"');
  });
});
