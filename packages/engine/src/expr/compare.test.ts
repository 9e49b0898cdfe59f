import { describe, expect, it } from 'vitest';
import { CompletionOperators } from '../spec/types.js';
import { ComparisonOfOperator, Comparisons, compareValues, deepEqual } from './compare.js';

describe('deepEqual', () => {
  it('compares scalars strictly', () => {
    expect(deepEqual(1, 1)).toBe(true);
    expect(deepEqual(1, '1')).toBe(false);
    expect(deepEqual(null, null)).toBe(true);
    expect(deepEqual(null, undefined)).toBe(false);
    expect(deepEqual(true, 1)).toBe(false);
    expect(deepEqual('a', 'a')).toBe(true);
    expect(deepEqual(0, -0)).toBe(true);
  });

  it('ignores object key order and compares nested values', () => {
    expect(deepEqual({ a: 1, b: { c: [1, 2] } }, { b: { c: [1, 2] }, a: 1 })).toBe(true);
    expect(deepEqual({ a: 1, b: { c: [1, 2] } }, { a: 1, b: { c: [2, 1] } })).toBe(false);
    expect(deepEqual({ a: 1 }, { a: 1, b: 2 })).toBe(false);
    expect(deepEqual({ a: 1, b: 2 }, { a: 1 })).toBe(false);
    expect(deepEqual({ a: 1, b: 2 }, { a: 1, c: 2 })).toBe(false);
  });

  it('keeps array order and length', () => {
    expect(deepEqual([1, 2, 3], [1, 2, 3])).toBe(true);
    expect(deepEqual([1, 2, 3], [3, 2, 1])).toBe(false);
    expect(deepEqual([1, 2], [1, 2, 3])).toBe(false);
  });

  it('treats undefined members as absent', () => {
    expect(deepEqual({ a: 1, b: undefined }, { a: 1 })).toBe(true);
    expect(deepEqual({ a: 1 }, { a: 1, b: undefined })).toBe(true);
    expect(deepEqual({ b: undefined }, { c: undefined })).toBe(true);
  });

  it('never equates arrays with objects', () => {
    expect(deepEqual([], {})).toBe(false);
    expect(deepEqual({}, [])).toBe(false);
    expect(deepEqual({ 0: 'a', length: 1 }, ['a'])).toBe(false);
  });
});

describe('compareValues', () => {
  it('eq / neq use deep JSON equality', () => {
    expect(compareValues('eq', { a: [1, { b: 2 }] }, { a: [1, { b: 2 }] })).toBe(true);
    expect(compareValues('eq', 'done', 'done')).toBe(true);
    expect(compareValues('eq', 1, '1')).toBe(false);
    expect(compareValues('neq', 1, '1')).toBe(true);
    expect(compareValues('neq', [1], [1])).toBe(false);
  });

  it('gt / gte / lt / lte compare numbers', () => {
    expect(compareValues('gt', 2, 1)).toBe(true);
    expect(compareValues('gt', 1, 1)).toBe(false);
    expect(compareValues('gte', 1, 1)).toBe(true);
    expect(compareValues('gte', 0, 1)).toBe(false);
    expect(compareValues('lt', 1, 2)).toBe(true);
    expect(compareValues('lt', 2, 2)).toBe(false);
    expect(compareValues('lte', 2, 2)).toBe(true);
    expect(compareValues('lte', 3, 2)).toBe(false);
    expect(compareValues('lt', -1.5, -1)).toBe(true);
  });

  it('compares numeric strings as numbers', () => {
    expect(compareValues('gt', '10', 9)).toBe(true); // as strings "10" < "9"
    expect(compareValues('lt', '10', '9')).toBe(false);
    expect(compareValues('gte', ' 2.5 ', '2.5')).toBe(true);
    expect(compareValues('gt', '1e3', 999)).toBe(true);
    expect(compareValues('lt', '-3', '-2')).toBe(true);
    expect(compareValues('lte', '.5', 0.5)).toBe(true);
  });

  it('ordering is false for anything that is not a number or a numeric string', () => {
    for (const op of ['gt', 'gte', 'lt', 'lte'] as const) {
      expect(compareValues(op, 'abc', 1)).toBe(false);
      expect(compareValues(op, 1, 'abc')).toBe(false);
      expect(compareValues(op, '', 0)).toBe(false);
      expect(compareValues(op, '   ', 0)).toBe(false);
      expect(compareValues(op, null, 0)).toBe(false);
      expect(compareValues(op, undefined, 0)).toBe(false);
      expect(compareValues(op, true, 0)).toBe(false);
      expect(compareValues(op, [1], 0)).toBe(false);
      expect(compareValues(op, { a: 1 }, 0)).toBe(false);
      expect(compareValues(op, '0x10', 0)).toBe(false);
      expect(compareValues(op, 'Infinity', 0)).toBe(false);
      expect(compareValues(op, '12px', 0)).toBe(false);
      expect(compareValues(op, Number.POSITIVE_INFINITY, 0)).toBe(op === 'gt' || op === 'gte'); // Infinity is still a number
      expect(compareValues(op, NaN, 0)).toBe(false);
    }
  });

  it('contains / doesNotContain on strings is a substring test', () => {
    expect(compareValues('contains', 'hello world', 'lo w')).toBe(true);
    expect(compareValues('contains', 'hello', 'xyz')).toBe(false);
    expect(compareValues('contains', 'hello', '')).toBe(true);
    expect(compareValues('contains', 'a1', 1)).toBe(false); // right must be a string
    expect(compareValues('doesNotContain', 'a1', 1)).toBe(true);
    expect(compareValues('doesNotContain', 'hello', 'xyz')).toBe(true);
    expect(compareValues('doesNotContain', 'hello', 'ell')).toBe(false);
  });

  it('contains / doesNotContain on arrays looks for a deep-equal element', () => {
    expect(compareValues('contains', [1, 2, 3], 2)).toBe(true);
    expect(compareValues('contains', [1, 2, 3], '2')).toBe(false);
    expect(compareValues('contains', [{ id: 1, n: 'a' }], { n: 'a', id: 1 })).toBe(true);
    expect(compareValues('contains', [[1, 2]], [1, 2])).toBe(true);
    expect(compareValues('contains', [], null)).toBe(false);
    expect(compareValues('doesNotContain', [1, 2], 3)).toBe(true);
    expect(compareValues('doesNotContain', [1, 2], 2)).toBe(false);
  });

  it('contains / doesNotContain on objects looks for an own key', () => {
    expect(compareValues('contains', { a: 1 }, 'a')).toBe(true);
    expect(compareValues('contains', { a: 1 }, 'b')).toBe(false);
    expect(compareValues('contains', { a: 1 }, 'toString')).toBe(false);
    expect(compareValues('contains', { a: 1 }, '__proto__')).toBe(false);
    expect(compareValues('contains', { a: undefined }, 'a')).toBe(false);
    expect(compareValues('contains', { 1: 'x' }, 1)).toBe(false); // right must be a string
    expect(compareValues('doesNotContain', { a: 1 }, 'b')).toBe(true);
    expect(compareValues('doesNotContain', { a: 1 }, 'a')).toBe(false);
  });

  it('contains is false and doesNotContain true for other left types', () => {
    for (const left of [null, undefined, 1, true]) {
      expect(compareValues('contains', left, 1)).toBe(false);
      expect(compareValues('doesNotContain', left, 1)).toBe(true);
    }
  });

  it('isNull / isNotNull: null or missing', () => {
    expect(compareValues('isNull', null, undefined)).toBe(true);
    expect(compareValues('isNull', undefined, undefined)).toBe(true);
    for (const v of [0, '', false, [], {}]) {
      expect(compareValues('isNull', v, undefined)).toBe(false);
      expect(compareValues('isNotNull', v, undefined)).toBe(true);
    }
    expect(compareValues('isNotNull', null, 'ignored')).toBe(false);
    expect(compareValues('isNotNull', undefined, 'ignored')).toBe(false);
  });

  it('isEmpty / isNotEmpty: null, missing, "", [], {}', () => {
    for (const v of [null, undefined, '', [], {}, { a: undefined }]) {
      expect(compareValues('isEmpty', v, 'x')).toBe(true);
      expect(compareValues('isNotEmpty', v, 'x')).toBe(false);
    }
    for (const v of [0, false, ' ', [null], { a: null }, 'x']) {
      expect(compareValues('isEmpty', v, undefined)).toBe(false);
      expect(compareValues('isNotEmpty', v, undefined)).toBe(true);
    }
  });

  it('unary operators ignore the right operand', () => {
    expect(compareValues('isNull', null, 'anything')).toBe(true);
    expect(compareValues('isEmpty', '', { a: 1 })).toBe(true);
  });

  it('throws on an operator outside the closed set', () => {
    expect(() => compareValues('bogus' as never, 1, 1)).toThrow(TypeError);
  });
});

describe('ComparisonOfOperator', () => {
  it('maps every completion operator to a distinct comparison', () => {
    const mapped = CompletionOperators.map((op) => ComparisonOfOperator[op]);
    expect(new Set(mapped).size).toBe(CompletionOperators.length);
    expect([...mapped].sort()).toEqual([...Comparisons].sort());
  });

  it('maps the operators by meaning', () => {
    expect(ComparisonOfOperator).toEqual({
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
    });
  });
});
