import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../logger.js';
import type { ActionContext } from '../types.js';
import { ActionError, ActionResult } from '../types.js';
import { switchAction } from './switch.js';

const ctx: ActionContext = {
  signal: new AbortController().signal,
  idempotencyKey: 'i1:Route:1',
  logger: silentLogger,
  instanceId: 'i1',
  workflowId: 'w1',
  stepName: 'Route',
  attempt: 1,
};

function run(params: Record<string, unknown>): ActionResult {
  const out = switchAction.handler(params, ctx);
  expect(out).toBeInstanceOf(ActionResult);
  const r = out as ActionResult;
  expect(r.output).toEqual({ case: r.branch }); // output and branch always agree
  expect(r.variables).toBeNull();
  expect(r.sleepMs).toBeNull();
  return r;
}

function invalid(params: Record<string, unknown>): ActionError {
  try {
    switchAction.handler(params, ctx);
  } catch (err) {
    expect(err).toBeInstanceOf(ActionError);
    expect((err as ActionError).code).toBe('invalid_parameters');
    return err as ActionError;
  }
  throw new Error('expected invalid_parameters, nothing was thrown');
}

const severity = [
  { name: 'critical', value: 'P1' },
  { name: 'high', value: 'P2' },
  { name: 'structured', value: { level: 3, tags: ['a'] } },
  { name: 'numeric', value: 4 },
];

describe('com.datadoghq.core.switch', () => {
  it('is inline', () => {
    expect(switchAction.inline).toBe(true);
  });

  it('takes the branch of the matching case', () => {
    expect(run({ switchExpression: 'P2', cases: severity }).branch).toBe('high');
    expect(run({ switchExpression: 'P1', cases: severity }).output).toEqual({ case: 'critical' });
  });

  it('compares by deep JSON equality, not identity or loose equality', () => {
    expect(run({ switchExpression: { tags: ['a'], level: 3 }, cases: severity }).branch).toBe('structured');
    expect(run({ switchExpression: 4, cases: severity }).branch).toBe('numeric');
    expect(run({ switchExpression: '4', cases: severity }).branch).toBe('default');
    expect(run({ switchExpression: { level: 3, tags: ['a', 'b'] }, cases: severity }).branch).toBe('default');
  });

  it('takes the first matching case when several match', () => {
    const cases = [
      { name: 'first', value: 1 },
      { name: 'second', value: 1 },
    ];
    expect(run({ switchExpression: 1, cases }).branch).toBe('first');
  });

  it('takes "default" when no case matches or there are no cases', () => {
    const r = run({ switchExpression: 'P9', cases: severity });
    expect(r.branch).toBe('default');
    expect(r.output).toEqual({ case: 'default' });
    expect(run({ switchExpression: 'x', cases: [] }).branch).toBe('default');
  });

  it('reads a missing expression or case value as null', () => {
    expect(run({ cases: [{ name: 'nothing', value: null }] }).branch).toBe('nothing');
    expect(run({ switchExpression: null, cases: [{ name: 'absent' }] }).branch).toBe('absent');
    expect(run({ switchExpression: 0, cases: [{ name: 'absent' }] }).branch).toBe('default');
  });

  it.each([
    [{ switchExpression: 1 }, '"cases"', 'nothing'],
    [{ switchExpression: 1, cases: { a: 1 } }, '"cases"', '{"a":1}'],
    [{ switchExpression: 1, cases: [null] }, '"cases[0]"', 'null'],
    [{ switchExpression: 1, cases: [['a', 1]] }, '"cases[0]"', '["a",1]'],
    [{ switchExpression: 1, cases: [{ value: 1 }] }, '"cases[0].name"', 'nothing'],
    [{ switchExpression: 1, cases: [{ name: '', value: 1 }] }, '"cases[0].name"', '""'],
    [
      {
        switchExpression: 1,
        cases: [
          { name: 'ok', value: 1 },
          { name: 2, value: 1 },
        ],
      },
      '"cases[1].name"',
      '2',
    ],
  ])('refuses %j naming %s', (params, name, shown) => {
    const err = invalid(params);
    expect(err.message).toContain(`Parameter ${name}`);
    expect(err.message).toContain(shown);
  });
});
