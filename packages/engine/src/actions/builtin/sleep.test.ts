import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../logger.js';
import type { ActionContext } from '../types.js';
import { ActionError, ActionResult } from '../types.js';
import { sleepAction } from './sleep.js';

const ctx: ActionContext = {
  signal: new AbortController().signal,
  idempotencyKey: 'i1:Sleep:1',
  logger: silentLogger,
  instanceId: 'i1',
  workflowId: 'w1',
  stepName: 'Sleep',
  attempt: 1,
};

function run(params: Record<string, unknown>): ActionResult {
  const out = sleepAction.handler(params, ctx);
  expect(out).toBeInstanceOf(ActionResult);
  return out as ActionResult;
}

describe('com.datadoghq.core.sleep', () => {
  it('is inline and asks for a durable sleep instead of blocking', () => {
    expect(sleepAction.inline).toBe(true);
    const r = run({ durationSeconds: 300 });
    expect(r.sleepMs).toBe(300_000);
    expect(r.output).toEqual({});
    expect(r.branch).toBe('main');
    expect(r.variables).toBeNull();
  });

  it('accepts 0 and fractions, rounding up to whole milliseconds', () => {
    expect(run({ durationSeconds: 0 }).sleepMs).toBe(0);
    expect(run({ durationSeconds: 1.5 }).sleepMs).toBe(1500);
    expect(run({ durationSeconds: 0.0001 }).sleepMs).toBe(1);
  });

  it.each([
    [{}, 'nothing'],
    [{ durationSeconds: null }, 'null'],
    [{ durationSeconds: '300' }, '"300"'],
    [{ durationSeconds: -1 }, '-1'],
    [{ durationSeconds: Number.NaN }, 'NaN'],
    [{ durationSeconds: Number.POSITIVE_INFINITY }, 'Infinity'],
    [{ durationSeconds: [5] }, '[5]'],
  ])('refuses %j with invalid_parameters', (params, shown) => {
    let err: unknown;
    try {
      sleepAction.handler(params, ctx);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ActionError);
    expect((err as ActionError).code).toBe('invalid_parameters');
    expect((err as ActionError).message).toContain('"durationSeconds"');
    expect((err as ActionError).message).toContain('>= 0');
    expect((err as ActionError).message).toContain(shown);
  });
});
