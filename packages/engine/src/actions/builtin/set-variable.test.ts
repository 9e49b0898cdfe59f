import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../logger.js';
import type { ActionContext } from '../types.js';
import { ActionError, ActionResult } from '../types.js';
import { setVariableAction, setVariablesAction } from './set-variable.js';

const ctx: ActionContext = {
  signal: new AbortController().signal,
  idempotencyKey: 'i1:Set:1',
  logger: silentLogger,
  instanceId: 'i1',
  workflowId: 'w1',
  stepName: 'Set',
  attempt: 1,
};

function result(out: unknown): ActionResult {
  expect(out).toBeInstanceOf(ActionResult);
  return out as ActionResult;
}

function invalid(fn: () => unknown): ActionError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ActionError);
    expect((err as ActionError).code).toBe('invalid_parameters');
    return err as ActionError;
  }
  throw new Error('expected invalid_parameters, nothing was thrown');
}

describe('com.datadoghq.core.setVariable', () => {
  it('is inline and sets one variable with output {} on branch main', () => {
    expect(setVariableAction.inline).toBe(true);
    const r = result(setVariableAction.handler({ variableName: 'count', variableValue: 3 }, ctx));
    expect(r.output).toEqual({});
    expect(r.branch).toBe('main');
    expect(r.sleepMs).toBeNull();
    expect({ ...r.variables }).toEqual({ count: 3 });
  });

  it('keeps any JSON value and stores a missing value as null', () => {
    const value = { list: [1, { a: 'b' }] };
    expect(result(setVariableAction.handler({ variableName: 'v', variableValue: value }, ctx)).variables?.['v']).toBe(
      value,
    );
    expect({ ...result(setVariableAction.handler({ variableName: 'v' }, ctx)).variables }).toEqual({ v: null });
  });

  it.each([[undefined], [''], [42], [null], [['a']]])('refuses variableName %j', (variableName) => {
    const err = invalid(() => setVariableAction.handler({ variableName, variableValue: 1 }, ctx));
    expect(err.message).toContain('"variableName"');
    expect(err.message).toContain('non-empty string');
  });

  it.each([['__proto__'], ['constructor'], ['prototype']])('refuses the reserved name %s', (name) => {
    const err = invalid(() =>
      setVariableAction.handler({ variableName: name, variableValue: { polluted: true } }, ctx),
    );
    expect(err.message).toContain(JSON.stringify(name));
    expect(err.message).toMatch(/reserved/);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });
});

describe('com.datadoghq.core.setVariables', () => {
  it('is inline and sets every listed variable', () => {
    expect(setVariablesAction.inline).toBe(true);
    const r = result(
      setVariablesAction.handler(
        {
          variables: [
            { name: 'detection_rule_name', value: 'Root login' },
            { name: 'iam_entity_name', value: 'alice' },
            { name: 'n', value: 0 },
          ],
        },
        ctx,
      ),
    );
    expect(r.output).toEqual({});
    expect(r.branch).toBe('main');
    expect({ ...r.variables }).toEqual({ detection_rule_name: 'Root login', iam_entity_name: 'alice', n: 0 });
  });

  it('lets a later entry with the same name win, and stores a missing value as null', () => {
    const r = result(
      setVariablesAction.handler({ variables: [{ name: 'x', value: 1 }, { name: 'x', value: 2 }, { name: 'y' }] }, ctx),
    );
    expect({ ...r.variables }).toEqual({ x: 2, y: null });
  });

  it('accepts an empty list (sets nothing)', () => {
    expect({ ...result(setVariablesAction.handler({ variables: [] }, ctx)).variables }).toEqual({});
  });

  it.each([[undefined], [null], ['a=1'], [{ name: 'x', value: 1 }]])('refuses variables %j', (variables) => {
    const err = invalid(() => setVariablesAction.handler({ variables }, ctx));
    expect(err.message).toContain('"variables"');
    expect(err.message).toContain('array of { name, value }');
  });

  it.each([
    [[null], 'variables[0]'],
    [[['x', 1]], 'variables[0]'],
    [[{ name: 'ok', value: 1 }, { value: 2 }], 'variables[1].name'],
    [[{ name: '', value: 2 }], 'variables[0].name'],
    [[{ name: 7, value: 2 }], 'variables[0].name'],
    [
      [
        { name: 'ok', value: 1 },
        { name: '__proto__', value: {} },
      ],
      'variables[1].name',
    ],
    [[{ name: 'constructor', value: {} }], 'variables[0].name'],
    [[{ name: 'prototype', value: {} }], 'variables[0].name'],
  ])('refuses the entry in %j, naming %s', (variables, where) => {
    const err = invalid(() => setVariablesAction.handler({ variables }, ctx));
    expect(err.message).toContain(`"${where}"`);
  });
});
