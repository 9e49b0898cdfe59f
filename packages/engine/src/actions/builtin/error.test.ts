import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../logger.js';
import type { ActionContext } from '../types.js';
import { ActionError } from '../types.js';
import { errorAction } from './error.js';

const ctx: ActionContext = {
  signal: new AbortController().signal,
  idempotencyKey: 'i1:Fail_here:1',
  logger: silentLogger,
  instanceId: 'i1',
  workflowId: 'w1',
  stepName: 'Fail_here',
  attempt: 1,
};

function failure(params: Record<string, unknown>): ActionError {
  try {
    errorAction.handler(params, ctx);
  } catch (err) {
    expect(err).toBeInstanceOf(ActionError);
    return err as ActionError;
  }
  throw new Error('the error action returned instead of throwing');
}

describe('com.datadoghq.core.error', () => {
  it('is inline and throws synchronously with code action_failed and the message', () => {
    expect(errorAction.inline).toBe(true);
    const err = failure({ message: 'Disk is full on host-3' });
    expect(err.code).toBe('action_failed');
    expect(err.message).toBe('Disk is full on host-3');
  });

  it.each([[{}], [{ message: null }], [{ message: '' }], [{ message: '   ' }]])(
    'uses a default message naming the step for %j',
    (params) => {
      const err = failure(params);
      expect(err.code).toBe('action_failed');
      expect(err.message).toContain('"Fail_here"');
      expect(err.message).toContain('no message');
    },
  );

  it('reports a non-string message as its JSON text', () => {
    expect(failure({ message: { reason: 'quota', left: 0 } }).message).toBe('{"reason":"quota","left":0}');
    expect(failure({ message: 404 }).message).toBe('404');
  });
});
