/**
 * Workflow access lists (set through the Domo permissions route). A workflow
 * without a list is open to every key pair with the right scope; with one,
 * only admin pairs and the users (or groups) it lists may act on it, each as
 * its permissions allow.
 */
import type { AccessEntry } from '@flowspec/engine';
import type { Principal } from './auth.js';
import { RestError } from './errors.js';

/** The permissions an access-list entry may grant (Domo's names). */
export const Permissions = [
  'ADMIN',
  'SHARE',
  'DELETE',
  'WRITE',
  'READ',
  'EXPORT',
  'EXECUTE',
  'UPDATE_CONTENT',
] as const;
/** One permission. */
export type Permission = (typeof Permissions)[number];

/** What a request does to a workflow. */
export type WorkflowAction = 'read' | 'run' | 'write' | 'delete' | 'share';

/** Which permissions allow each action (REST.md: READ to read, EXECUTE to run/cancel, WRITE/UPDATE_CONTENT to
 * change, DELETE to delete, ADMIN for all; SHARE changes the list itself). */
const allowedBy: Readonly<Record<WorkflowAction, readonly Permission[]>> = {
  read: ['ADMIN', 'READ'],
  run: ['ADMIN', 'EXECUTE'],
  write: ['ADMIN', 'WRITE', 'UPDATE_CONTENT'],
  delete: ['ADMIN', 'DELETE'],
  share: ['ADMIN', 'SHARE'],
};

/** Whether `principal` may do `action` on a workflow with this access list. */
export function mayAct(
  principal: Principal,
  accessList: readonly AccessEntry[] | null,
  action: WorkflowAction,
): boolean {
  if (principal.admin || accessList === null) return true;
  const allowed = allowedBy[action];
  for (const entry of accessList) {
    const matches = entry.type === 'GROUP' ? principal.groups.includes(entry.id) : entry.id === principal.user;
    if (matches && entry.permissions.some((p) => (allowed as readonly string[]).includes(p))) return true;
  }
  return false;
}

/** Throw a 403 unless `principal` may do `action` on the workflow. */
export function assertMayAct(
  principal: Principal,
  workflow: { readonly id: string; readonly accessList: readonly AccessEntry[] | null },
  action: WorkflowAction,
): void {
  if (!mayAct(principal, workflow.accessList, action)) {
    throw new RestError(
      403,
      'PERMISSION_DENIED',
      `The access list of workflow ${workflow.id} does not let user "${principal.user}" ${actionWords[action]} it.`,
    );
  }
}

const actionWords: Readonly<Record<WorkflowAction, string>> = {
  read: 'read',
  run: 'run or cancel instances of',
  write: 'change',
  delete: 'delete',
  share: 'change the permissions of',
};
