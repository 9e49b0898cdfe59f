import type { AccessEntry } from '@flowspec/engine';
import { describe, expect, it } from 'vitest';
import { mayAct } from './access.js';
import type { WorkflowAction } from './access.js';
import type { Principal } from './auth.js';

function principal(user: string, extra: Partial<Principal> = {}): Principal {
  return { user, name: user, email: '', admin: false, scopes: new Set(), groups: [], ...extra };
}

const actions: WorkflowAction[] = ['read', 'run', 'write', 'delete', 'share'];

function allowed(p: Principal, list: readonly AccessEntry[] | null): WorkflowAction[] {
  return actions.filter((a) => mayAct(p, list, a));
}

describe('mayAct', () => {
  it('lets everyone act on a workflow without an access list', () => {
    expect(allowed(principal('anyone'), null)).toEqual(actions);
  });

  it('grants each permission its actions only', () => {
    const table: Record<string, WorkflowAction[]> = {
      READ: ['read'],
      EXECUTE: ['run'],
      WRITE: ['write'],
      UPDATE_CONTENT: ['write'],
      DELETE: ['delete'],
      SHARE: ['share'],
      EXPORT: [],
      ADMIN: actions,
    };
    for (const [permission, expected] of Object.entries(table)) {
      expect(allowed(principal('u'), [{ id: 'u', type: 'USER', permissions: [permission] }]), permission).toEqual(
        expected,
      );
    }
  });

  it('matches users by id, groups by membership, and lets admins through', () => {
    const list: AccessEntry[] = [
      { id: 'ops', type: 'GROUP', permissions: ['READ'] },
      { id: 'ops-lead', type: 'USER', permissions: ['EXECUTE'] },
    ];
    expect(allowed(principal('ops'), list)).toEqual([]); // a user named like the group is not in it
    expect(allowed(principal('x', { groups: ['ops'] }), list)).toEqual(['read']);
    expect(allowed(principal('ops-lead'), list)).toEqual(['run']);
    expect(allowed(principal('root', { admin: true }), [])).toEqual(actions);
    expect(allowed(principal('u'), [])).toEqual([]);
  });
});
