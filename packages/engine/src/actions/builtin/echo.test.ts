import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../logger.js';
import type { ActionContext } from '../types.js';
import { echoAction } from './echo.js';

const ctx: ActionContext = {
  signal: new AbortController().signal,
  idempotencyKey: 'i1:Echo:1',
  logger: silentLogger,
  instanceId: 'i1',
  workflowId: 'w1',
  stepName: 'Echo',
  attempt: 1,
};

describe('com.datadoghq.core.echo', () => {
  it('is inline', () => {
    expect(echoAction.inline).toBe(true);
  });

  it.each([['text'], [42], [false], [0], [''], [[1, 'two']], [{ nested: { a: [true] } }], [null]])(
    'returns { value } for %j',
    (value) => {
      const out = echoAction.handler({ value }, ctx);
      expect(out).toEqual({ value });
      expect((out as { value: unknown }).value).toBe(value); // the same value, not a copy
    },
  );

  it('echoes a missing value as null (survives a JSON round trip the same)', () => {
    const out = echoAction.handler({}, ctx);
    expect(out).toEqual({ value: null });
    expect(JSON.parse(JSON.stringify(out))).toEqual({ value: null });
  });
});
