import { describe, expect, it } from 'vitest';
import { FlowspecError } from '../../errors.js';
import { createActionRegistry } from '../registry.js';
import { BuiltinActionIds, createBuiltinActions } from './index.js';

describe('createBuiltinActions', () => {
  it('builds one definition per built-in id', () => {
    const actions = createBuiltinActions({});
    expect([...actions.keys()].sort()).toEqual(Object.values(BuiltinActionIds).sort());
    expect(BuiltinActionIds.httpRequest).toBe('com.datadoghq.http.request');
    expect(BuiltinActionIds.setVariables).toBe('com.datadoghq.core.setVariables');
    for (const def of actions.values()) expect(typeof def.handler).toBe('function');
  });

  it('makes every built-in but the HTTP action inline', () => {
    const actions = createBuiltinActions();
    for (const [id, def] of actions) {
      expect(def.inline === true, id).toBe(id !== BuiltinActionIds.httpRequest);
    }
  });

  it('registers cleanly into a registry, and a second registration of a built-in id is refused', () => {
    const registry = createActionRegistry();
    for (const [id, def] of createBuiltinActions({ http: { allowedHosts: ['api.example.com'] } })) {
      registry.register(id, def);
    }
    expect(registry.ids()).toHaveLength(Object.keys(BuiltinActionIds).length);
    expect(() => registry.register(BuiltinActionIds.noop, () => ({}))).toThrow(FlowspecError);
  });

  it('passes the HTTP options through (malformed ones are refused at build time)', () => {
    expect(() => createBuiltinActions({ http: { maxResponseBytes: -1 } })).toThrow(/maxResponseBytes/);
  });
});
