import { describe, expect, it } from 'vitest';
import { FlowspecError } from '../errors.js';
import { createActionRegistry } from './registry.js';
import type { ActionHandler } from './types.js';

function thrown(fn: () => void): FlowspecError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(FlowspecError);
    return err as FlowspecError;
  }
  throw new Error('expected a FlowspecError, nothing was thrown');
}

describe('createActionRegistry', () => {
  const handler: ActionHandler = () => ({ ok: true });

  it('registers a bare function as { handler }', () => {
    const reg = createActionRegistry();
    reg.register('acme.ping', handler);
    expect(reg.has('acme.ping')).toBe(true);
    expect(reg.get('acme.ping')).toEqual({ handler });
    expect(reg.get('acme.ping')?.handler).toBe(handler);
  });

  it('keeps timeoutMs and inline of a definition, and a copy of it', () => {
    const reg = createActionRegistry();
    const def = { handler, timeoutMs: 1500, inline: true };
    reg.register('acme.def', def);
    def.timeoutMs = 1; // later changes by the caller do not leak in
    expect(reg.get('acme.def')).toEqual({ handler, timeoutMs: 1500, inline: true });
    expect(Object.isFrozen(reg.get('acme.def'))).toBe(true);
  });

  it('answers undefined / false for unknown ids and lists ids in registration order', () => {
    const reg = createActionRegistry();
    expect(reg.get('nope')).toBeUndefined();
    expect(reg.has('nope')).toBe(false);
    reg.register('b', handler);
    reg.register('a', { handler });
    expect(reg.ids()).toEqual(['b', 'a']);
    const ids = reg.ids();
    ids.push('mutated');
    expect(reg.ids()).toEqual(['b', 'a']);
  });

  it('refuses an id registered twice, naming the id and the fix', () => {
    const reg = createActionRegistry();
    reg.register('com.datadoghq.core.noop', handler);
    const err = thrown(() => reg.register('com.datadoghq.core.noop', { handler }));
    expect(err.code).toBe('FSP_ERR_ACTION_ALREADY_REGISTERED');
    expect(err.message).toContain('"com.datadoghq.core.noop"');
    expect(err.message).toMatch(/register it once/);
    expect(err.details).toEqual({ actionId: 'com.datadoghq.core.noop' });
    expect(reg.get('com.datadoghq.core.noop')?.handler).toBe(handler);
  });

  it.each([[''], ['   '], [42], [null], [undefined], [{}]])('refuses the id %j', (id) => {
    const reg = createActionRegistry();
    const err = thrown(() => reg.register(id as string, handler));
    expect(err.code).toBe('FSP_ERR_INVALID_ARGUMENT');
    expect(err.message).toMatch(/non-empty string actionId/);
    expect(reg.ids()).toEqual([]);
  });

  it.each([[null], [undefined], ['fn'], [42], [{}], [{ handler: 'x' }], [[handler]]])(
    'refuses the handler %j',
    (bad) => {
      const reg = createActionRegistry();
      const err = thrown(() => reg.register('acme.bad', bad as ActionHandler));
      expect(err.code).toBe('FSP_ERR_INVALID_ARGUMENT');
      expect(err.message).toContain('"acme.bad"');
      expect(err.message).toMatch(/handler function/);
      expect(reg.has('acme.bad')).toBe(false);
    },
  );

  it.each([[0], [-5], [Number.NaN], [Number.POSITIVE_INFINITY], ['100'], [null]])(
    'refuses timeoutMs %j',
    (timeoutMs) => {
      const reg = createActionRegistry();
      const err = thrown(() => reg.register('acme.slow', { handler, timeoutMs } as unknown as ActionHandler));
      expect(err.code).toBe('FSP_ERR_INVALID_ARGUMENT');
      expect(err.message).toMatch(/timeoutMs must be a positive finite number/);
      expect(reg.has('acme.slow')).toBe(false);
    },
  );

  it('accepts a fractional positive timeoutMs and refuses a non-boolean inline', () => {
    const reg = createActionRegistry();
    reg.register('acme.frac', { handler, timeoutMs: 0.5 });
    expect(reg.get('acme.frac')?.timeoutMs).toBe(0.5);
    const err = thrown(() => reg.register('acme.inline', { handler, inline: 'yes' } as unknown as ActionHandler));
    expect(err.code).toBe('FSP_ERR_INVALID_ARGUMENT');
    expect(err.message).toMatch(/inline must be a boolean/);
  });

  it('does not take a malformed definition even when the id is already taken (the argument error wins)', () => {
    const reg = createActionRegistry();
    reg.register('acme.x', handler);
    expect(thrown(() => reg.register('acme.x', null as unknown as ActionHandler)).code).toBe(
      'FSP_ERR_INVALID_ARGUMENT',
    );
  });
});
