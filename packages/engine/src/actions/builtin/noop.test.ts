import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../logger.js';
import type { ActionContext } from '../types.js';
import { NOOP_OUTPUT, noopAction } from './noop.js';

const ctx: ActionContext = {
  signal: new AbortController().signal,
  idempotencyKey: 'i1:Noop:1',
  logger: silentLogger,
  instanceId: 'i1',
  workflowId: 'w1',
  stepName: 'Noop',
  attempt: 1,
};

describe('com.datadoghq.core.noop', () => {
  it('is inline and returns {} synchronously', () => {
    expect(noopAction.inline).toBe(true);
    const out = noopAction.handler({}, ctx);
    expect(out).toEqual({});
    expect(JSON.stringify(out)).toBe('{}');
  });

  it('returns one shared frozen object for every call, whatever the parameters', () => {
    const a = noopAction.handler({}, ctx);
    const b = noopAction.handler({ anything: [1, 2] }, ctx);
    expect(a).toBe(b);
    expect(a).toBe(NOOP_OUTPUT);
    expect(Object.isFrozen(a)).toBe(true);
  });
});
