import { ErrorCodes, FlowspecError } from '@flowspec/engine';
import type { ErrorCode } from '@flowspec/engine';
import { describe, expect, it } from 'vitest';
import { toRestError } from './errors.js';
import { httpStatusByCode, restCodeOf } from './status-map.js';

describe('httpStatusByCode', () => {
  it('has exactly one HTTP status for every engine error code', () => {
    expect(Object.keys(httpStatusByCode).sort()).toEqual(Object.keys(ErrorCodes).sort());
    for (const status of Object.values(httpStatusByCode)) {
      expect(status >= 400 && status <= 599).toBe(true);
    }
  });

  it('maps the codes clients act on to the statuses they expect', () => {
    const expected: Partial<Record<ErrorCode, number>> = {
      FSP_ERR_SPEC_INVALID: 400,
      FSP_ERR_INPUT_INVALID: 400,
      FSP_ERR_WORKFLOW_NOT_FOUND: 404,
      FSP_ERR_INSTANCE_NOT_FOUND: 404,
      FSP_ERR_NO_EXECUTE_TRIGGER: 400,
      FSP_ERR_RATE_LIMITED: 429,
      FSP_ERR_WORKFLOW_HAS_RUNNING_INSTANCES: 409,
      FSP_ERR_ENGINE_STOPPED: 503,
      FSP_ERR_STORE: 500,
    };
    for (const [code, status] of Object.entries(expected))
      expect(httpStatusByCode[code as ErrorCode], code).toBe(status);
  });

  it('reuses the recorded Datadog codes for not-found errors', () => {
    expect(restCodeOf('FSP_ERR_WORKFLOW_NOT_FOUND')).toBe('WORKFLOW_NOT_FOUND');
    expect(restCodeOf('FSP_ERR_INSTANCE_NOT_FOUND')).toBe('INSTANCE_NOT_FOUND');
    expect(restCodeOf('FSP_ERR_RATE_LIMITED')).toBe('FSP_ERR_RATE_LIMITED');
  });
});

describe('toRestError', () => {
  it('turns each diagnostic into one error object with a prefixed pointer', () => {
    const err = new FlowspecError('FSP_ERR_SPEC_INVALID', 'Invalid', {
      diagnostics: [
        { code: 'FSP_ERR_SPEC_CYCLE', severity: 'error', message: 'cycle', pointer: '/spec/steps/0' },
        { code: 'FSP_WARN_UNREACHABLE_STEP', severity: 'warning', message: 'unreachable', pointer: '/spec/steps/1' },
        { code: 'FSP_ERR_WORKFLOW_NAME', severity: 'error', message: 'name', pointer: '/name' },
      ],
    });
    const rest = toRestError(err, '/data/attributes');
    expect(rest.statusCode).toBe(400);
    expect(rest.body()).toEqual({
      errors: [
        {
          status: '400',
          title: 'Bad Request',
          code: 'FSP_ERR_SPEC_CYCLE',
          detail: 'cycle',
          source: { pointer: '/data/attributes/spec/steps/0' },
        },
        {
          status: '400',
          title: 'Bad Request',
          code: 'FSP_ERR_WORKFLOW_NAME',
          detail: 'name',
          source: { pointer: '/data/attributes/name' },
        },
      ],
    });
  });

  it('sets Retry-After from the rate window, rounded up to seconds', () => {
    const err = new FlowspecError('FSP_ERR_RATE_LIMITED', 'slow down', { details: { retryAfterMs: 1500 } });
    expect(toRestError(err).headers).toEqual({ 'retry-after': '2' });
  });

  it('keeps internal messages out of 5xx bodies', () => {
    const store = toRestError(new FlowspecError('FSP_ERR_STORE', 'SQLITE_FULL at /var/db/x.db'));
    expect(store.statusCode).toBe(500);
    expect(store.items[0]!.detail).not.toContain('/var/db');
    const bug = toRestError(new TypeError('x is undefined'));
    expect(bug.statusCode).toBe(500);
    expect(bug.items[0]).toMatchObject({ code: 'INTERNAL_ERROR' });
    expect(bug.items[0]!.detail).not.toContain('undefined');
  });
});
