import { describe, expect, it } from 'vitest';
import { createKeyring, presentedKeys, Scopes } from './auth.js';
import type { ApiKeyEntry } from './auth.js';

const alice: ApiKeyEntry = {
  apiKey: 'a'.repeat(32),
  appKey: 'b'.repeat(40),
  user: 'alice',
  scopes: ['workflows_read'],
};
const root: ApiKeyEntry = { apiKey: 'c'.repeat(32), appKey: 'd'.repeat(40), user: 'root', admin: true, scopes: [] };

describe('createKeyring', () => {
  it('finds the principal of a matching pair and nothing else', () => {
    const ring = createKeyring([alice, root]);
    expect(ring.size).toBe(2);
    expect(ring.authenticate(alice.apiKey, alice.appKey)).toMatchObject({
      user: 'alice',
      name: 'alice',
      email: '',
      admin: false,
    });
    expect([...ring.authenticate(alice.apiKey, alice.appKey)!.scopes]).toEqual(['workflows_read']);
    expect(ring.authenticate(alice.apiKey, root.appKey)).toBeNull();
    expect(ring.authenticate(alice.apiKey, alice.appKey + 'x')).toBeNull();
    expect(ring.authenticate(alice.apiKey.slice(1), alice.appKey)).toBeNull();
    expect(ring.authenticate(undefined, alice.appKey)).toBeNull();
    expect(ring.authenticate('', '')).toBeNull();
  });

  it('gives admin pairs every scope', () => {
    const p = createKeyring([root]).authenticate(root.apiKey, root.appKey)!;
    expect(p.admin).toBe(true);
    expect([...p.scopes].sort()).toEqual([...Scopes].sort());
  });

  it('refuses malformed entries without quoting a key', () => {
    const cases: unknown[] = [
      [{ ...alice, apiKey: 'short-key' }],
      [{ ...alice, user: '' }],
      [{ ...alice, scopes: ['workflows_admin'] }],
      [{ ...alice, groups: 'ops' }],
      [{ ...alice, admin: 'yes' }],
      [alice, { ...alice }],
      ['not an object'],
      { not: 'an array' },
    ];
    for (const entries of cases) {
      let message = '';
      try {
        createKeyring(entries as ApiKeyEntry[]);
      } catch (err) {
        message = (err as Error).message;
      }
      expect(message, JSON.stringify(entries)).not.toBe('');
      expect(message).not.toContain(alice.apiKey);
      expect(message).not.toContain(alice.appKey);
    }
  });
});

describe('presentedKeys', () => {
  it('reads the Datadog headers first, then the Domo token', () => {
    expect(presentedKeys({ 'dd-api-key': 'k', 'dd-application-key': 'a' })).toEqual({ apiKey: 'k', appKey: 'a' });
    expect(presentedKeys({ 'x-domo-developer-token': 'k:a:b' })).toEqual({ apiKey: 'k', appKey: 'a:b' });
    expect(presentedKeys({ 'x-domo-developer-token': 'nocolon' })).toEqual({ apiKey: undefined, appKey: undefined });
    expect(presentedKeys({ 'dd-api-key': 'k', 'x-domo-developer-token': 'x:y' })).toEqual({
      apiKey: 'k',
      appKey: undefined,
    });
    expect(presentedKeys({})).toEqual({ apiKey: undefined, appKey: undefined });
  });
});
