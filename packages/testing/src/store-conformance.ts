/**
 * The Store conformance suite: one set of vitest cases that every Store
 * implementation (in-memory, SQLite, PostgreSQL) runs. It uses the Store port
 * only and awaits every result, since methods may answer synchronously or with
 * a promise. Ids are UUIDs and timestamps whole milliseconds, so that stores
 * with typed columns (uuid, bigint) take them as they are.
 *
 * Beyond the comments on store/types.ts, the suite pins these readings:
 * - listInstances: `totalCount` counts the instances of the workflow (of all
 *   workflows without `workflowId`); `totalFilteredCount` those that also pass
 *   `statuses`; an empty `statuses` list means no status filter.
 * - listWorkflows: `totalCount` counts every workflow row; `totalFilteredCount`
 *   those that pass `query` and `includeUnpublished`; the default sort is
 *   `-createdAt`; ties are broken by id in the direction of the sort; `query` is
 *   a literal substring (`%`, `_` and `.` are no wildcards).
 * - Writes the port forbids throw a FlowspecError with code `FSP_ERR_STORE`
 *   (a spec version that exists, a workflow id that exists) and change nothing.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type {
  InstanceRecord,
  InstanceStatus,
  ScheduleClaim,
  SpecVersionRecord,
  StepRecord,
  Store,
  WorkflowRecord,
} from '@flowspec/engine';

/** What a store implementation gives the suite for one test. */
export interface StoreFixture {
  /** A store with no data. */
  readonly store: Store;
  /**
   * Open the same data as a new Store, as a restarted process would (durable
   * stores); leave it out for stores that keep nothing. The suite closes `store`
   * before and closes the reopened store itself.
   */
  readonly reopen?: () => Promise<Store>;
  /** Release what the fixture made (files, schemas, connections); `store` may already be closed. */
  cleanup(): Promise<void>;
}

/** A fixed instant (2026-01-01T00:00:00Z) the builders use as the default time. */
export const T0 = Date.UTC(2026, 0, 1);

/** A deterministic UUID for `n` (and an optional group): ordering by the string orders by n. */
export function testUuid(n: number, group = 0): string {
  const hex = (v: number, width: number): string => Math.trunc(v).toString(16).padStart(width, '0');
  return `${hex(group, 8)}-0000-4000-8000-${hex(n, 12)}`;
}

/** A workflow record with test defaults (a random id, published, created at T0). */
export function makeWorkflow(overrides: Partial<WorkflowRecord> = {}): WorkflowRecord {
  return {
    id: randomUUID(),
    name: 'workflow',
    description: '',
    published: true,
    tags: [],
    specVersion: 1,
    createdAt: T0,
    updatedAt: T0,
    publishedAt: T0,
    webhookSecret: null,
    creatorId: null,
    ownerId: null,
    accessList: null,
    ...overrides,
  };
}

/** A spec version record of `workflowId` with a one-step spec. */
export function makeSpecVersion(
  workflowId: string,
  version = 1,
  overrides: Partial<SpecVersionRecord> = {},
): SpecVersionRecord {
  return {
    workflowId,
    version,
    id: randomUUID(),
    spec: {
      triggers: [{ startStepNames: ['Step0'], workflowTrigger: {} }],
      steps: [{ name: 'Step0', actionId: 'com.datadoghq.core.noop' }],
    },
    createdAt: T0,
    ...overrides,
  };
}

/** The workflow id makeInstance uses when none is given. */
export const DEFAULT_WORKFLOW_ID = testUuid(0, 0xffff);

/** An instance record with test defaults (a random id, PENDING, created at T0, no idempotency key). */
export function makeInstance(overrides: Partial<InstanceRecord> = {}): InstanceRecord {
  return {
    id: randomUUID(),
    workflowId: DEFAULT_WORKFLOW_ID,
    workflowName: 'workflow',
    specVersion: 1,
    specVersionId: testUuid(1, 0xfffe),
    status: 'PENDING',
    triggerKind: 'workflowTrigger',
    input: {},
    source: { type: 'manual' },
    variables: {},
    outputs: null,
    error: null,
    idempotencyKey: null,
    messageName: null,
    createdAt: T0,
    startedAt: null,
    endedAt: null,
    ...overrides,
  };
}

/** A SUCCEEDED step row `index` of `instanceId` (name `Step<index>`, output `{}`). */
export function makeStep(instanceId: string, index: number, overrides: Partial<StepRecord> = {}): StepRecord {
  return {
    instanceId,
    index,
    name: `Step${index}`,
    status: 'SUCCEEDED',
    attempts: 1,
    errorRetries: 0,
    branch: 'main',
    output: {},
    error: null,
    startedAt: T0 + index,
    completedAt: T0 + index + 1,
    dueAt: null,
    timerKind: null,
    ...overrides,
  };
}

/** Run `fn` so that a synchronous throw becomes a rejection. */
function attempt(fn: () => unknown): Promise<unknown> {
  return Promise.resolve().then(fn);
}

async function expectStoreError(fn: () => unknown): Promise<void> {
  await expect(attempt(fn)).rejects.toMatchObject({ code: 'FSP_ERR_STORE' });
}

function sorted(ids: readonly string[]): string[] {
  return [...ids].sort();
}

/**
 * Declare the conformance suite for one Store implementation. `open` is called
 * before each test and must give an empty store; `cleanup` after each.
 */
export function describeStoreConformance(name: string, open: () => Promise<StoreFixture>): void {
  describe(`Store conformance: ${name}`, () => {
    let fixture: StoreFixture;
    let store: Store;

    beforeEach(async () => {
      fixture = await open();
      store = fixture.store;
    });

    afterEach(async () => {
      await fixture.cleanup();
    });

    /** Create workflow `id` with spec version 1. */
    async function createWorkflow(overrides: Partial<WorkflowRecord> = {}): Promise<WorkflowRecord> {
      const wf = makeWorkflow(overrides);
      await store.createWorkflow(wf, makeSpecVersion(wf.id, wf.specVersion));
      return wf;
    }

    async function commit(instances: readonly InstanceRecord[], steps: readonly StepRecord[] = []) {
      return store.commit({ instances, steps });
    }

    async function listIds(query: Parameters<Store['listInstances']>[0]): Promise<string[]> {
      return (await store.listInstances(query)).items.map((r) => r.id);
    }

    describe('basics', () => {
      it('has a kind, says whether it is durable, and answers ping', async () => {
        expect(typeof store.kind).toBe('string');
        expect(store.kind.length).toBeGreaterThan(0);
        expect(typeof store.durable).toBe('boolean');
        if (fixture.reopen !== undefined) expect(store.durable).toBe(true);
        expect(await store.ping()).toBe(true);
      });

      it('answers an empty store without errors', async () => {
        expect(await store.getWorkflow(randomUUID())).toBeUndefined();
        expect(await store.getSpecVersion(randomUUID(), 1)).toBeUndefined();
        expect(await store.getInstance(randomUUID())).toBeUndefined();
        expect(await store.getSteps(randomUUID())).toEqual([]);
        expect(await store.findInstanceByIdempotencyKey('nope')).toBeUndefined();
        expect(await store.listInstances({ limit: 10, offset: 0 })).toEqual({
          items: [],
          totalCount: 0,
          totalFilteredCount: 0,
        });
        expect(await store.listInstances({ workflowId: randomUUID(), limit: 10, offset: 0 })).toEqual({
          items: [],
          totalCount: 0,
          totalFilteredCount: 0,
        });
        expect(await store.listWorkflows({ limit: 10, offset: 0, includeUnpublished: true })).toEqual({
          items: [],
          totalCount: 0,
          totalFilteredCount: 0,
        });
        expect(await store.countInstances(randomUUID())).toEqual({ succeeded: 0, failed: 0, canceled: 0 });
        expect(await store.countStartsSince(randomUUID(), 'apiTrigger', 0)).toBe(0);
        expect(await store.listUnfinishedInstanceIds()).toEqual([]);
        expect(await store.getSchedule(randomUUID())).toBeUndefined();
      });
    });

    describe('workflows and spec versions', () => {
      it('creates a workflow with its first spec version and returns both as given', async () => {
        const wf = makeWorkflow({
          name: 'Rich workflow ✓',
          description: 'a "quoted" description',
          published: false,
          tags: ['team:a', 'env:prod'],
          createdAt: T0 + 1,
          updatedAt: T0 + 2,
          publishedAt: null,
          webhookSecret: 's3cret',
          creatorId: randomUUID(),
          ownerId: randomUUID(),
          accessList: [
            { id: randomUUID(), name: 'Ann', type: 'USER', permissions: ['READ', 'EXECUTE'] },
            { id: randomUUID(), type: 'GROUP', permissions: [] },
          ],
        });
        const version = makeSpecVersion(wf.id, 1, {
          spec: {
            triggers: [{ startStepNames: ['A'], apiTrigger: { rateLimit: { count: 2, interval: '60s' } } }],
            steps: [
              {
                name: 'A',
                actionId: 'com.datadoghq.core.echo',
                parameters: [{ name: 'value', value: { nested: [1, 0.5, null, true, 'x'], empty: {} } }],
              },
            ],
            inputSchema: { parameters: [{ name: 'n', type: 'NUMBER', defaultValue: 3 }] },
          },
          createdAt: T0 + 1,
        });
        await store.createWorkflow(wf, version);
        expect(await store.getWorkflow(wf.id)).toEqual(wf);
        expect(await store.getSpecVersion(wf.id, 1)).toEqual(version);
        expect(await store.getSpecVersion(wf.id, 2)).toBeUndefined();
        expect(await store.getSpecVersion(randomUUID(), 1)).toBeUndefined();
      });

      it('refuses to create a workflow whose id exists, and changes nothing', async () => {
        const wf = await createWorkflow({ name: 'first' });
        await expectStoreError(() =>
          store.createWorkflow(makeWorkflow({ id: wf.id, name: 'second', specVersion: 2 }), makeSpecVersion(wf.id, 2)),
        );
        expect(await store.getWorkflow(wf.id)).toEqual(wf);
        expect(await store.getSpecVersion(wf.id, 2)).toBeUndefined();
      });

      it('updateWorkflow replaces the row; with a version it adds that version and keeps the earlier ones', async () => {
        const wf = await createWorkflow({ name: 'before' });
        const v1 = await store.getSpecVersion(wf.id, 1);
        const renamed = { ...wf, name: 'after', tags: ['x'], updatedAt: T0 + 10 };
        await store.updateWorkflow(renamed);
        expect(await store.getWorkflow(wf.id)).toEqual(renamed);
        const v2 = makeSpecVersion(wf.id, 2, {
          spec: { triggers: [{ startStepNames: [], workflowTrigger: {} }], steps: [] },
          createdAt: T0 + 20,
        });
        const bumped = { ...renamed, specVersion: 2, updatedAt: T0 + 20 };
        await store.updateWorkflow(bumped, v2);
        expect(await store.getWorkflow(wf.id)).toEqual(bumped);
        expect(await store.getSpecVersion(wf.id, 2)).toEqual(v2);
        expect(await store.getSpecVersion(wf.id, 1)).toEqual(v1);
      });

      it('spec versions are immutable: updateWorkflow with an existing version throws and changes nothing', async () => {
        const wf = await createWorkflow();
        const v1 = await store.getSpecVersion(wf.id, 1);
        const changed = { ...wf, name: 'changed', updatedAt: T0 + 5 };
        await expectStoreError(() =>
          store.updateWorkflow(changed, makeSpecVersion(wf.id, 1, { spec: { steps: [], triggers: [] } })),
        );
        expect(await store.getWorkflow(wf.id)).toEqual(wf);
        expect(await store.getSpecVersion(wf.id, 1)).toEqual(v1);
      });

      it('spec versions of different workflows are independent', async () => {
        const a = await createWorkflow();
        const b = await createWorkflow();
        const va = await store.getSpecVersion(a.id, 1);
        const vb = await store.getSpecVersion(b.id, 1);
        expect(va?.workflowId).toBe(a.id);
        expect(vb?.workflowId).toBe(b.id);
        expect(va?.id).not.toBe(vb?.id);
      });

      it('deleteWorkflow removes the row but keeps its spec versions and instances readable', async () => {
        const wf = await createWorkflow();
        const v1 = await store.getSpecVersion(wf.id, 1);
        const inst = makeInstance({ workflowId: wf.id, status: 'SUCCEEDED', endedAt: T0 + 5 });
        await commit([inst], [makeStep(inst.id, 0)]);
        expect(await store.deleteWorkflow(wf.id)).toBe(true);
        expect(await store.getWorkflow(wf.id)).toBeUndefined();
        expect(await store.deleteWorkflow(wf.id)).toBe(false);
        expect(await store.deleteWorkflow(randomUUID())).toBe(false);
        expect(await store.getSpecVersion(wf.id, 1)).toEqual(v1);
        expect(await store.getInstance(inst.id)).toEqual(inst);
        expect(await store.getSteps(inst.id)).toEqual([makeStep(inst.id, 0)]);
        expect(await listIds({ workflowId: wf.id, limit: 10, offset: 0 })).toEqual([inst.id]);
        expect(await store.countInstances(wf.id)).toEqual({ succeeded: 1, failed: 0, canceled: 0 });
        const page = await store.listWorkflows({ limit: 10, offset: 0, includeUnpublished: true });
        expect(page.items).toEqual([]);
        expect(page.totalCount).toBe(0);
      });

      it('a deleted workflow id cannot be created again with a spec version that exists', async () => {
        const wf = await createWorkflow();
        const v1 = await store.getSpecVersion(wf.id, 1);
        await store.deleteWorkflow(wf.id);
        await expectStoreError(() => store.createWorkflow(makeWorkflow({ id: wf.id }), makeSpecVersion(wf.id, 1)));
        expect(await store.getWorkflow(wf.id)).toBeUndefined();
        expect(await store.getSpecVersion(wf.id, 1)).toEqual(v1);
      });
    });

    describe('listWorkflows', () => {
      async function seed(): Promise<WorkflowRecord[]> {
        const rows = [
          {
            name: 'alpha deploy',
            description: 'Ships the app',
            published: true,
            createdAt: T0 + 3,
            updatedAt: T0 + 30,
          },
          {
            name: 'beta backup',
            description: 'nightly DEPLOY check',
            published: false,
            createdAt: T0 + 1,
            updatedAt: T0 + 50,
          },
          { name: 'gamma', description: '', published: true, createdAt: T0 + 2, updatedAt: T0 + 10 },
          { name: 'delta 100%_done', description: 'literal', published: true, createdAt: T0 + 4, updatedAt: T0 + 40 },
        ];
        const out: WorkflowRecord[] = [];
        for (let i = 0; i < rows.length; i++) out.push(await createWorkflow({ id: testUuid(i + 1, 7), ...rows[i]! }));
        return out;
      }
      const names = (page: { items: readonly WorkflowRecord[] }): string[] => page.items.map((w) => w.name);

      it('lists newest first by default, with totalCount and totalFilteredCount', async () => {
        await seed();
        const page = await store.listWorkflows({ limit: 10, offset: 0, includeUnpublished: true });
        expect(names(page)).toEqual(['delta 100%_done', 'alpha deploy', 'gamma', 'beta backup']);
        expect(page.totalCount).toBe(4);
        expect(page.totalFilteredCount).toBe(4);
      });

      it('leaves unpublished workflows out unless includeUnpublished', async () => {
        await seed();
        const page = await store.listWorkflows({ limit: 10, offset: 0, includeUnpublished: false });
        expect(names(page)).toEqual(['delta 100%_done', 'alpha deploy', 'gamma']);
        expect(page.totalCount).toBe(4);
        expect(page.totalFilteredCount).toBe(3);
      });

      it('query matches a case-insensitive substring of the name or the description', async () => {
        await seed();
        const page = await store.listWorkflows({ limit: 10, offset: 0, includeUnpublished: true, query: 'DePlOy' });
        expect(names(page)).toEqual(['alpha deploy', 'beta backup']);
        expect(page.totalCount).toBe(4);
        expect(page.totalFilteredCount).toBe(2);
        const both = await store.listWorkflows({ limit: 10, offset: 0, includeUnpublished: false, query: 'deploy' });
        expect(names(both)).toEqual(['alpha deploy']);
        expect(both.totalFilteredCount).toBe(1);
        const none = await store.listWorkflows({ limit: 10, offset: 0, includeUnpublished: true, query: 'zzz' });
        expect(none).toEqual({ items: [], totalCount: 4, totalFilteredCount: 0 });
      });

      it('query is a literal substring: % _ . match only themselves', async () => {
        await seed();
        for (const q of ['%', '_', '0%_d']) {
          const page = await store.listWorkflows({ limit: 10, offset: 0, includeUnpublished: true, query: q });
          expect(names(page)).toEqual(['delta 100%_done']);
        }
        const dot = await store.listWorkflows({ limit: 10, offset: 0, includeUnpublished: true, query: 'a.p' });
        expect(dot.items).toEqual([]);
      });

      it('sorts by name, createdAt and updatedAt, both directions', async () => {
        await seed();
        const list = async (sort: 'name' | '-name' | 'createdAt' | '-createdAt' | 'updatedAt' | '-updatedAt') =>
          names(await store.listWorkflows({ limit: 10, offset: 0, includeUnpublished: true, sort }));
        expect(await list('name')).toEqual(['alpha deploy', 'beta backup', 'delta 100%_done', 'gamma']);
        expect(await list('-name')).toEqual(['gamma', 'delta 100%_done', 'beta backup', 'alpha deploy']);
        expect(await list('createdAt')).toEqual(['beta backup', 'gamma', 'alpha deploy', 'delta 100%_done']);
        expect(await list('-createdAt')).toEqual(['delta 100%_done', 'alpha deploy', 'gamma', 'beta backup']);
        expect(await list('updatedAt')).toEqual(['gamma', 'alpha deploy', 'delta 100%_done', 'beta backup']);
        expect(await list('-updatedAt')).toEqual(['beta backup', 'delta 100%_done', 'alpha deploy', 'gamma']);
      });

      it('breaks ties by id in the direction of the sort', async () => {
        for (const n of [3, 1, 2])
          await createWorkflow({ id: testUuid(n, 9), name: 'same', createdAt: T0, updatedAt: T0 });
        const ids = async (sort: 'name' | '-name' | 'createdAt' | '-createdAt') =>
          (await store.listWorkflows({ limit: 10, offset: 0, includeUnpublished: true, sort })).items.map((w) => w.id);
        const up = [testUuid(1, 9), testUuid(2, 9), testUuid(3, 9)];
        expect(await ids('name')).toEqual(up);
        expect(await ids('createdAt')).toEqual(up);
        expect(await ids('-name')).toEqual([...up].reverse());
        expect(await ids('-createdAt')).toEqual([...up].reverse());
      });

      it('pages with offset and limit; the counts cover every page', async () => {
        await seed();
        const page = (offset: number, limit: number) =>
          store.listWorkflows({ limit, offset, includeUnpublished: true, sort: 'name' });
        expect(names(await page(0, 2))).toEqual(['alpha deploy', 'beta backup']);
        expect(names(await page(2, 2))).toEqual(['delta 100%_done', 'gamma']);
        expect(names(await page(3, 5))).toEqual(['gamma']);
        expect(await page(4, 2)).toEqual({ items: [], totalCount: 4, totalFilteredCount: 4 });
        expect(await page(0, 0)).toEqual({ items: [], totalCount: 4, totalFilteredCount: 4 });
        const filtered = await store.listWorkflows({
          limit: 1,
          offset: 1,
          includeUnpublished: true,
          query: 'deploy',
          sort: 'name',
        });
        expect(names(filtered)).toEqual(['beta backup']);
        expect(filtered.totalFilteredCount).toBe(2);
      });
    });

    describe('commit, instances and steps', () => {
      it('writes instance and step rows and returns them as given, steps ordered by index', async () => {
        const inst = makeInstance({
          status: 'FAILED',
          triggerKind: 'apiTrigger',
          input: { n: 7, list: ['a', 'b'], deep: { x: null, y: 0.25, z: -3 } },
          source: { type: 'api', actingUser: { userUuid: randomUUID(), userName: 'Ann' } },
          variables: { v: [1, { w: 'ü' }] },
          outputs: { out: 'x' },
          error: { step: 'Step2', code: 'action_failed', message: 'it broke' },
          idempotencyKey: 'key-rich',
          messageName: 'msg',
          startedAt: T0 + 1,
          endedAt: T0 + 9,
        });
        const steps = [
          makeStep(inst.id, 2, {
            status: 'FAILED',
            attempts: 3,
            errorRetries: 2,
            branch: null,
            output: undefined,
            error: { code: 'action_failed', message: 'it broke', attempts: 3 },
          }),
          makeStep(inst.id, 0, { output: { value: [1, 2, { three: 3 }] } }),
          makeStep(inst.id, 1, { output: null, branch: 'true' }),
          makeStep(inst.id, 3, {
            status: 'WAITING',
            output: { ready: false },
            completedAt: null,
            dueAt: T0 + 30_000,
            timerKind: 'gate',
            attempts: 2,
          }),
          makeStep(inst.id, 4, {
            status: 'SKIPPED',
            attempts: 0,
            branch: null,
            output: undefined,
            startedAt: null,
            completedAt: null,
          }),
        ];
        const result = await commit([inst], steps);
        expect(result.idempotencyConflicts.size).toBe(0);
        expect(await store.getInstance(inst.id)).toEqual(inst);
        const back = await store.getSteps(inst.id);
        expect(back.map((s) => s.index)).toEqual([0, 1, 2, 3, 4]);
        expect(back).toEqual([steps[1], steps[2], steps[0], steps[3], steps[4]]);
        expect(back[1]!.output).toBeNull();
        expect(back[2]!.output).toBeUndefined();
        expect(back[4]!.output).toBeUndefined();
      });

      it('an empty batch is fine', async () => {
        const result = await commit([]);
        expect(result.idempotencyConflicts.size).toBe(0);
      });

      it('commits many instances of many workflows in one batch (group commit)', async () => {
        const instances: InstanceRecord[] = [];
        const steps: StepRecord[] = [];
        for (let i = 0; i < 300; i++) {
          const inst = makeInstance({ workflowId: testUuid(i % 3, 5), createdAt: T0 + i, status: 'SUCCEEDED' });
          instances.push(inst);
          for (let s = 0; s < 3; s++) steps.push(makeStep(inst.id, s));
        }
        await commit(instances, steps);
        for (const inst of [instances[0]!, instances[150]!, instances[299]!]) {
          expect(await store.getInstance(inst.id)).toEqual(inst);
          expect((await store.getSteps(inst.id)).map((s) => s.index)).toEqual([0, 1, 2]);
        }
        expect((await store.listInstances({ limit: 1, offset: 0 })).totalCount).toBe(300);
        expect((await store.listInstances({ workflowId: testUuid(1, 5), limit: 1, offset: 0 })).totalCount).toBe(100);
      });

      it('upserts an instance row: the later record replaces the earlier one', async () => {
        const inst = makeInstance({ status: 'PENDING' });
        await commit([inst]);
        const running = { ...inst, status: 'RUNNING' as const, startedAt: T0 + 1 };
        await commit([running]);
        expect(await store.getInstance(inst.id)).toEqual(running);
        const done = { ...running, status: 'SUCCEEDED' as const, endedAt: T0 + 2, outputs: { a: 1 } };
        await commit([done]);
        expect(await store.getInstance(inst.id)).toEqual(done);
        const page = await store.listInstances({ limit: 10, offset: 0 });
        expect(page.items).toEqual([done]);
        expect(page.totalCount).toBe(1);
      });

      it('the last record of an instance in one batch wins', async () => {
        const inst = makeInstance({ status: 'PENDING' });
        const done = { ...inst, status: 'SUCCEEDED' as const, endedAt: T0 + 2 };
        await commit([inst, done]);
        expect(await store.getInstance(inst.id)).toEqual(done);
      });

      it('upserts a step row keyed (instanceId, index); rewriting the same row is harmless', async () => {
        const inst = makeInstance({ status: 'RUNNING' });
        const running = makeStep(inst.id, 0, { status: 'RUNNING', completedAt: null, output: undefined });
        await commit([inst], [running, makeStep(inst.id, 1, { status: 'PENDING' })]);
        const done = { ...running, status: 'SUCCEEDED' as const, completedAt: T0 + 5, output: { ok: true } };
        await commit([], [done]);
        await commit([], [done]);
        expect(await store.getSteps(inst.id)).toEqual([done, makeStep(inst.id, 1, { status: 'PENDING' })]);
        const retry = { ...done, attempts: 2, errorRetries: 1 };
        await commit([], [retry]);
        expect(await store.getSteps(inst.id)).toEqual([retry, makeStep(inst.id, 1, { status: 'PENDING' })]);
      });

      it('step rows stay with their instance and keep their order when written across batches', async () => {
        const a = makeInstance();
        const b = makeInstance();
        await commit([a, b], [makeStep(a.id, 5), makeStep(b.id, 0)]);
        await commit([], [makeStep(a.id, 1), makeStep(a.id, 3), makeStep(b.id, 2)]);
        await commit([{ ...a, status: 'SUCCEEDED', endedAt: T0 + 9 }], [makeStep(a.id, 0), makeStep(a.id, 4)]);
        expect((await store.getSteps(a.id)).map((s) => s.index)).toEqual([0, 1, 3, 4, 5]);
        expect((await store.getSteps(b.id)).map((s) => s.index)).toEqual([0, 2]);
        expect((await store.getSteps(a.id)).every((s) => s.instanceId === a.id)).toBe(true);
      });

      it('step rows of a finished instance can still be rewritten (recovery repeats writes)', async () => {
        const inst = makeInstance({ status: 'SUCCEEDED', startedAt: T0, endedAt: T0 + 100 });
        const rows = Array.from({ length: 10 }, (_, i) => makeStep(inst.id, i));
        await commit([inst], rows);
        const changed = makeStep(inst.id, 4, {
          status: 'FAILED',
          output: undefined,
          error: { code: 'canceled', message: 'x', attempts: 1 },
        });
        await commit([], [changed, makeStep(inst.id, 10)]);
        const back = await store.getSteps(inst.id);
        expect(back).toEqual([...rows.slice(0, 4), changed, ...rows.slice(5), makeStep(inst.id, 10)]);
      });

      it('refuses a new instance whose idempotency key another instance holds, writes the rest of the batch', async () => {
        const holder = makeInstance({ idempotencyKey: 'k1', status: 'RUNNING' });
        await commit([holder], [makeStep(holder.id, 0)]);
        const dup = makeInstance({ idempotencyKey: 'k1' });
        const other = makeInstance({ idempotencyKey: 'k2' });
        const plain = makeInstance();
        const holderDone = { ...holder, status: 'SUCCEEDED' as const, endedAt: T0 + 1 };
        const result = await commit(
          [dup, other, plain, holderDone],
          [makeStep(dup.id, 0), makeStep(other.id, 0), makeStep(holder.id, 1)],
        );
        expect([...result.idempotencyConflicts]).toEqual([[dup.id, holder.id]]);
        expect(await store.getInstance(dup.id)).toBeUndefined();
        expect(await store.getSteps(dup.id)).toEqual([]);
        expect(await store.getInstance(other.id)).toEqual(other);
        expect(await store.getSteps(other.id)).toEqual([makeStep(other.id, 0)]);
        expect(await store.getInstance(plain.id)).toEqual(plain);
        expect(await store.getInstance(holder.id)).toEqual(holderDone);
        expect((await store.getSteps(holder.id)).map((s) => s.index)).toEqual([0, 1]);
        expect(await store.findInstanceByIdempotencyKey('k1')).toEqual(holderDone);
        expect(await store.findInstanceByIdempotencyKey('k2')).toEqual(other);
        expect((await store.listInstances({ limit: 10, offset: 0 })).totalCount).toBe(3);
      });

      it('of two new instances with one key in a batch, the first is written and the second refused', async () => {
        const first = makeInstance({ idempotencyKey: 'same' });
        const second = makeInstance({ idempotencyKey: 'same' });
        const result = await commit([first, second], [makeStep(second.id, 0)]);
        expect(result.idempotencyConflicts.get(second.id)).toBe(first.id);
        expect(result.idempotencyConflicts.size).toBe(1);
        expect(await store.getInstance(first.id)).toEqual(first);
        expect(await store.getInstance(second.id)).toBeUndefined();
        expect(await store.getSteps(second.id)).toEqual([]);
      });

      it('rewriting the holder of a key is no conflict; instances without a key never conflict', async () => {
        const holder = makeInstance({ idempotencyKey: 'mine' });
        await commit([holder]);
        const again = await commit([{ ...holder, status: 'RUNNING' }]);
        expect(again.idempotencyConflicts.size).toBe(0);
        const a = makeInstance();
        const b = makeInstance();
        const none = await commit([a, b]);
        expect(none.idempotencyConflicts.size).toBe(0);
        expect(await store.getInstance(a.id)).toEqual(a);
        expect(await store.getInstance(b.id)).toEqual(b);
        expect(await store.findInstanceByIdempotencyKey('mine')).toEqual({ ...holder, status: 'RUNNING' });
        expect(await store.findInstanceByIdempotencyKey('other')).toBeUndefined();
      });

      it('idempotency keys are global: another workflow cannot reuse one either', async () => {
        const holder = makeInstance({ workflowId: testUuid(1, 3), idempotencyKey: 'global' });
        await commit([holder]);
        const dup = makeInstance({ workflowId: testUuid(2, 3), idempotencyKey: 'global' });
        const result = await commit([dup]);
        expect(result.idempotencyConflicts.get(dup.id)).toBe(holder.id);
        expect(await store.getInstance(dup.id)).toBeUndefined();
      });
    });

    describe('commit with step row sources (stores that declare acceptsStepSources)', () => {
      beforeEach((ctx) => {
        if (store.acceptsStepSources !== true) ctx.skip();
      });

      /** A StepRowSource over `rows` (row i must have index i), counting how often each row is read. */
      function sourceOf(instanceId: string, rows: readonly StepRecord[]) {
        const reads = new Array<number>(rows.length).fill(0);
        return {
          reads,
          source: {
            instanceId,
            count: rows.length,
            row(index: number): StepRecord {
              reads[index]!++;
              return { ...rows[index]! };
            },
          },
        };
      }
      const rowsOf = (id: string, n: number, over: (i: number) => Partial<StepRecord> = () => ({})) =>
        Array.from({ length: n }, (_, i) =>
          makeStep(id, i, { attempts: 1 + (i % 4), output: { i }, branch: i % 2 ? 'true' : 'main', ...over(i) }),
        );

      it('writes the same rows as `steps` would, for a finished and for a running instance', async () => {
        const done = makeInstance({ status: 'SUCCEEDED', endedAt: T0 + 9 });
        const running = makeInstance({ status: 'RUNNING' });
        const doneRows = rowsOf(done.id, 40);
        const runningRows = rowsOf(running.id, 3, (i) => (i === 2 ? { status: 'RUNNING', completedAt: null } : {}));
        const a = sourceOf(done.id, doneRows);
        const b = sourceOf(running.id, runningRows);
        await store.commit({ instances: [done, running], steps: [], stepSources: [a.source, b.source] });
        expect(await store.getSteps(done.id)).toEqual(doneRows);
        expect(await store.getSteps(running.id)).toEqual(runningRows);
        expect(a.reads.every((n) => n >= 1)).toBe(true);
      });

      it('applies sources after `steps`: a source row replaces the step row with the same index', async () => {
        const inst = makeInstance({ status: 'SUCCEEDED' });
        const early = [makeStep(inst.id, 0, { output: { old: true } }), makeStep(inst.id, 5, { output: { extra: 1 } })];
        const rows = rowsOf(inst.id, 3);
        await store.commit({ instances: [inst], steps: early, stepSources: [sourceOf(inst.id, rows).source] });
        expect(await store.getSteps(inst.id)).toEqual([...rows, early[1]]);
      });

      it('rewrites the rows of an instance stored earlier, and keeps values that are hard to pack exactly', async () => {
        const inst = makeInstance({ status: 'RUNNING' });
        await commit([inst], rowsOf(inst.id, 4));
        const done = { ...inst, status: 'SUCCEEDED' as const, endedAt: T0 + 99 };
        const rows = rowsOf(inst.id, 4, (i) =>
          i === 3 ? { attempts: 70_000, startedAt: T0 + 0.5, completedAt: T0 + 2 ** 33 } : { status: 'SUCCEEDED' },
        );
        await store.commit({ instances: [done], steps: [], stepSources: [sourceOf(inst.id, rows).source] });
        expect(await store.getSteps(inst.id)).toEqual(rows);
      });

      it('keeps exact rows of a new finished instance whose last row is hard to pack', async () => {
        const inst = makeInstance({ status: 'FAILED', endedAt: T0 + 9 });
        const rows = rowsOf(inst.id, 30, (i) => (i === 29 ? { dueAt: T0 - 2 ** 31 - 1.5, timerKind: 'retry' } : {}));
        await store.commit({ instances: [inst], steps: [], stepSources: [sourceOf(inst.id, rows).source] });
        expect(await store.getSteps(inst.id)).toEqual(rows);
        // The store is still sound for the next instance.
        const next = makeInstance({ status: 'SUCCEEDED' });
        const nextRows = rowsOf(next.id, 30);
        await store.commit({ instances: [next], steps: [], stepSources: [sourceOf(next.id, nextRows).source] });
        expect(await store.getSteps(next.id)).toEqual(nextRows);
        expect(await store.getSteps(inst.id)).toEqual(rows);
      });

      it('refuses the whole batch when a source names an instance neither stored nor in the batch', async () => {
        const inst = makeInstance({ status: 'SUCCEEDED' });
        const stray = randomUUID();
        await expect(
          Promise.resolve().then(() =>
            store.commit({
              instances: [inst],
              steps: [makeStep(inst.id, 0)],
              stepSources: [sourceOf(stray, rowsOf(stray, 2)).source],
            }),
          ),
        ).rejects.toMatchObject({ code: 'FSP_ERR_STORE' });
        expect(await store.getInstance(inst.id)).toBeUndefined();
        expect(await store.getSteps(stray)).toEqual([]);
      });

      it('skips the source of an instance refused for a taken idempotency key', async () => {
        const holder = makeInstance({ idempotencyKey: 'source-key' });
        await commit([holder]);
        const loser = makeInstance({ idempotencyKey: 'source-key', status: 'SUCCEEDED' });
        const result = await store.commit({
          instances: [loser],
          steps: [],
          stepSources: [sourceOf(loser.id, rowsOf(loser.id, 2)).source],
        });
        expect(result.idempotencyConflicts.get(loser.id)).toBe(holder.id);
        expect(await store.getInstance(loser.id)).toBeUndefined();
        expect(await store.getSteps(loser.id)).toEqual([]);
      });
    });

    describe('listInstances and counts', () => {
      const W1 = testUuid(1, 1);
      const W2 = testUuid(2, 1);
      const statuses: InstanceStatus[] = ['SUCCEEDED', 'FAILED', 'RUNNING', 'CANCELED', 'PENDING', 'SUCCEEDED'];

      /** 12 instances of W1 (createdAt T0 + 10*i, status cycling), 3 of W2, ids ordered by i. */
      async function seed(): Promise<{ w1: InstanceRecord[]; w2: InstanceRecord[] }> {
        const w1 = Array.from({ length: 12 }, (_, i) =>
          makeInstance({ id: testUuid(i, 1), workflowId: W1, createdAt: T0 + 10 * i, status: statuses[i % 6]! }),
        );
        const w2 = Array.from({ length: 3 }, (_, i) =>
          makeInstance({ id: testUuid(100 + i, 1), workflowId: W2, createdAt: T0 + 5 + 10 * i, status: 'SUCCEEDED' }),
        );
        // committed out of order, in two batches
        await commit([...w1.slice(6), ...w2]);
        await commit(w1.slice(0, 6).reverse());
        return { w1, w2 };
      }

      it('lists newest first (createdAt, then id), paging with offset and limit', async () => {
        const { w1 } = await seed();
        const newest = [...w1].reverse().map((r) => r.id);
        expect(await listIds({ workflowId: W1, limit: 100, offset: 0 })).toEqual(newest);
        expect(await listIds({ workflowId: W1, limit: 5, offset: 0 })).toEqual(newest.slice(0, 5));
        expect(await listIds({ workflowId: W1, limit: 5, offset: 5 })).toEqual(newest.slice(5, 10));
        expect(await listIds({ workflowId: W1, limit: 5, offset: 10 })).toEqual(newest.slice(10));
        const beyond = await store.listInstances({ workflowId: W1, limit: 5, offset: 12 });
        expect(beyond).toEqual({ items: [], totalCount: 12, totalFilteredCount: 12 });
        const none = await store.listInstances({ workflowId: W1, limit: 0, offset: 0 });
        expect(none).toEqual({ items: [], totalCount: 12, totalFilteredCount: 12 });
        const page = await store.listInstances({ workflowId: W1, limit: 1, offset: 0 });
        expect(page.items).toEqual([w1[11]]);
      });

      it('breaks createdAt ties by id, descending', async () => {
        const ids = [7, 2, 9, 4].map((n) => testUuid(n, 2));
        await commit(ids.map((id) => makeInstance({ id, workflowId: W1, createdAt: T0 })));
        await commit([makeInstance({ id: testUuid(1, 2), workflowId: W1, createdAt: T0 + 1 })]);
        expect(await listIds({ workflowId: W1, limit: 10, offset: 0 })).toEqual(
          [1, 9, 7, 4, 2].map((n) => testUuid(n, 2)),
        );
        expect(await listIds({ workflowId: W1, limit: 2, offset: 2 })).toEqual([7, 4].map((n) => testUuid(n, 2)));
      });

      it('without workflowId lists the instances of every workflow', async () => {
        const { w1, w2 } = await seed();
        const all = [...w1, ...w2].sort((a, b) => b.createdAt - a.createdAt).map((r) => r.id);
        const page = await store.listInstances({ limit: 100, offset: 0 });
        expect(page.items.map((r) => r.id)).toEqual(all);
        expect(page.totalCount).toBe(15);
        expect(page.totalFilteredCount).toBe(15);
        expect(await listIds({ limit: 4, offset: 3 })).toEqual(all.slice(3, 7));
      });

      it('filters by statuses: totalCount counts the workflow, totalFilteredCount the matches', async () => {
        const { w1 } = await seed();
        const newest = [...w1].reverse();
        const want = (sts: InstanceStatus[]) => newest.filter((r) => sts.includes(r.status)).map((r) => r.id);
        const page = await store.listInstances({ workflowId: W1, limit: 100, offset: 0, statuses: ['SUCCEEDED'] });
        expect(page.items.map((r) => r.id)).toEqual(want(['SUCCEEDED']));
        expect(page.totalCount).toBe(12);
        expect(page.totalFilteredCount).toBe(4);
        const two = await store.listInstances({
          workflowId: W1,
          limit: 2,
          offset: 1,
          statuses: ['FAILED', 'CANCELED'],
        });
        expect(two.items.map((r) => r.id)).toEqual(want(['FAILED', 'CANCELED']).slice(1, 3));
        expect(two.totalFilteredCount).toBe(4);
        const everywhere = await store.listInstances({ limit: 100, offset: 0, statuses: ['SUCCEEDED'] });
        expect(everywhere.totalCount).toBe(15);
        expect(everywhere.totalFilteredCount).toBe(7);
        const none = await store.listInstances({ workflowId: W2, limit: 10, offset: 0, statuses: ['FAILED'] });
        expect(none).toEqual({ items: [], totalCount: 3, totalFilteredCount: 0 });
      });

      it('an empty statuses list means no status filter', async () => {
        await seed();
        const page = await store.listInstances({ workflowId: W1, limit: 100, offset: 0, statuses: [] });
        expect(page.items).toHaveLength(12);
        expect(page.totalFilteredCount).toBe(12);
      });

      it('follows status changes of upserted instances', async () => {
        const { w1 } = await seed();
        const pending = w1[4]!;
        expect(pending.status).toBe('PENDING');
        await commit([{ ...pending, status: 'FAILED', endedAt: T0 + 100 }]);
        const failed = await store.listInstances({ workflowId: W1, limit: 100, offset: 0, statuses: ['FAILED'] });
        expect(failed.items.map((r) => r.id)).toContain(pending.id);
        expect(failed.totalFilteredCount).toBe(3);
        const pend = await store.listInstances({ workflowId: W1, limit: 100, offset: 0, statuses: ['PENDING'] });
        expect(pend.items.map((r) => r.id)).not.toContain(pending.id);
        expect(await store.countInstances(W1)).toEqual({ succeeded: 4, failed: 3, canceled: 2 });
      });

      it('countInstances counts finished instances by status, per workflow', async () => {
        await seed();
        expect(await store.countInstances(W1)).toEqual({ succeeded: 4, failed: 2, canceled: 2 });
        expect(await store.countInstances(W2)).toEqual({ succeeded: 3, failed: 0, canceled: 0 });
        expect(await store.countInstances(testUuid(3, 1))).toEqual({ succeeded: 0, failed: 0, canceled: 0 });
      });

      it('countStartsSince counts instances of a workflow and trigger kind created at or after the time', async () => {
        const rows = [
          makeInstance({ workflowId: W1, triggerKind: 'apiTrigger', createdAt: T0 - 1 }),
          makeInstance({ workflowId: W1, triggerKind: 'apiTrigger', createdAt: T0 }),
          makeInstance({ workflowId: W1, triggerKind: 'apiTrigger', createdAt: T0 + 500, status: 'SUCCEEDED' }),
          makeInstance({ workflowId: W1, triggerKind: 'workflowTrigger', createdAt: T0 + 10 }),
          makeInstance({ workflowId: W2, triggerKind: 'apiTrigger', createdAt: T0 + 10 }),
        ];
        await commit(rows);
        expect(await store.countStartsSince(W1, 'apiTrigger', T0)).toBe(2);
        expect(await store.countStartsSince(W1, 'apiTrigger', T0 - 1)).toBe(3);
        expect(await store.countStartsSince(W1, 'apiTrigger', T0 + 501)).toBe(0);
        expect(await store.countStartsSince(W1, 'workflowTrigger', 0)).toBe(1);
        expect(await store.countStartsSince(W2, 'apiTrigger', T0)).toBe(1);
        expect(await store.countStartsSince(W2, 'scheduleTrigger', 0)).toBe(0);
      });

      it('listUnfinishedInstanceIds returns PENDING and RUNNING instances, optionally of one workflow', async () => {
        const { w1 } = await seed();
        const extra = makeInstance({ workflowId: W2, status: 'RUNNING', createdAt: T0 + 1000 });
        await commit([extra]);
        const unfinished = w1.filter((r) => r.status === 'PENDING' || r.status === 'RUNNING').map((r) => r.id);
        expect(sorted(await store.listUnfinishedInstanceIds(W1))).toEqual(sorted(unfinished));
        expect(sorted(await store.listUnfinishedInstanceIds(W2))).toEqual([extra.id]);
        expect(sorted(await store.listUnfinishedInstanceIds())).toEqual(sorted([...unfinished, extra.id]));
        await commit([{ ...extra, status: 'CANCELED', endedAt: T0 + 2000 }]);
        expect(await store.listUnfinishedInstanceIds(W2)).toEqual([]);
        expect(await store.listUnfinishedInstanceIds(testUuid(9, 9))).toEqual([]);
      });

      it('pages through a few thousand instances without gaps or repeats', async () => {
        const n = 2500;
        const rows: InstanceRecord[] = [];
        for (let i = 0; i < n; i++) {
          // createdAt collides in groups of 7 and arrives out of order
          const k = (i * 7919) % n;
          rows.push(makeInstance({ id: testUuid(k, 4), workflowId: W1, createdAt: T0 + Math.floor(k / 7) }));
        }
        await commit(rows.slice(0, 1200));
        await commit(rows.slice(1200));
        const expected = Array.from({ length: n }, (_, i) => testUuid(n - 1 - i, 4));
        const seen: string[] = [];
        for (let offset = 0; offset < n; offset += 300) {
          seen.push(...(await listIds({ workflowId: W1, limit: 300, offset })));
        }
        expect(seen).toEqual(expected);
      });
    });

    describe('schedules', () => {
      it('getSchedule / putSchedule store one record per workflow; a later put replaces it', async () => {
        const wf = testUuid(1, 6);
        expect(await store.getSchedule(wf)).toBeUndefined();
        const first = { workflowId: wf, lastOccurrenceAt: null, nextAt: T0 + 60_000 };
        await store.putSchedule(first);
        expect(await store.getSchedule(wf)).toEqual(first);
        const second = { workflowId: wf, lastOccurrenceAt: T0 + 60_000, nextAt: null };
        await store.putSchedule(second);
        expect(await store.getSchedule(wf)).toEqual(second);
        expect(await store.getSchedule(testUuid(2, 6))).toBeUndefined();
      });

      it('claimOccurrence is unique on (workflowId, occurrenceAt)', async () => {
        const wf = testUuid(1, 6);
        const claim = (over: Partial<ScheduleClaim>): ScheduleClaim => ({
          workflowId: wf,
          occurrenceAt: T0,
          claimedAt: T0 + 5,
          instanceId: null,
          ...over,
        });
        expect(await store.claimOccurrence(claim({}))).toBe(true);
        expect(await store.claimOccurrence(claim({}))).toBe(false);
        expect(await store.claimOccurrence(claim({ claimedAt: T0 + 99, instanceId: randomUUID() }))).toBe(false);
        expect(await store.claimOccurrence(claim({ occurrenceAt: T0 + 60_000 }))).toBe(true);
        expect(await store.claimOccurrence(claim({ workflowId: testUuid(2, 6) }))).toBe(true);
        expect(await store.claimOccurrence(claim({ workflowId: testUuid(2, 6) }))).toBe(false);
      });

      it('concurrent claims of one occurrence: exactly one wins', async () => {
        const wf = testUuid(3, 6);
        const results = await Promise.all(
          Array.from({ length: 8 }, (_, i) =>
            attempt(() =>
              store.claimOccurrence({ workflowId: wf, occurrenceAt: T0, claimedAt: T0 + i, instanceId: null }),
            ),
          ),
        );
        expect(results.filter((r) => r === true)).toHaveLength(1);
      });
    });

    describe('leases', () => {
      const A = 'owner-a';
      const B = 'owner-b';
      const [i1, i2, i3] = [testUuid(1, 8), testUuid(2, 8), testUuid(3, 8)];

      it('takes free instances, and another owner gets none of them before they expire', async () => {
        expect(sorted(await store.acquireLeases(A, [i1, i2], T0, T0 + 1000))).toEqual(sorted([i1, i2]));
        expect(await store.acquireLeases(B, [i1, i2], T0 + 999, T0 + 2000)).toEqual([]);
        expect(await store.acquireLeases(B, [i1, i3], T0 + 500, T0 + 2000)).toEqual([i3]);
      });

      it('an owner renews its own lease, which moves the expiry', async () => {
        await store.acquireLeases(A, [i1], T0, T0 + 1000);
        expect(await store.acquireLeases(A, [i1], T0 + 900, T0 + 5000)).toEqual([i1]);
        expect(await store.acquireLeases(B, [i1], T0 + 2000, T0 + 9000)).toEqual([]);
        expect(await store.acquireLeases(B, [i1], T0 + 5000, T0 + 9000)).toEqual([i1]);
      });

      it('an expired lease (until <= now) goes to the next owner asking', async () => {
        await store.acquireLeases(A, [i1, i2], T0, T0 + 1000);
        expect(sorted(await store.acquireLeases(B, [i1, i2], T0 + 1000, T0 + 3000))).toEqual(sorted([i1, i2]));
        expect(await store.acquireLeases(A, [i1, i2], T0 + 1500, T0 + 4000)).toEqual([]);
      });

      it('releaseLeases frees only the caller’s leases', async () => {
        await store.acquireLeases(A, [i1], T0, T0 + 1000);
        await store.acquireLeases(B, [i2], T0, T0 + 1000);
        await store.releaseLeases(B, [i1, i2, i3]);
        expect(await store.acquireLeases(B, [i1], T0 + 1, T0 + 1000)).toEqual([]);
        expect(await store.acquireLeases(A, [i2], T0 + 1, T0 + 1000)).toEqual([i2]);
        await store.releaseLeases(A, [i1]);
        expect(await store.acquireLeases(B, [i1], T0 + 2, T0 + 1000)).toEqual([i1]);
      });

      it('two owners racing for the same instances never both hold one', async () => {
        const ids = Array.from({ length: 20 }, (_, i) => testUuid(100 + i, 8));
        const [a, b] = await Promise.all([
          attempt(() => store.acquireLeases(A, ids, T0, T0 + 1000)),
          attempt(() => store.acquireLeases(B, [...ids].reverse(), T0, T0 + 1000)),
        ]);
        const held = [...(a as string[]), ...(b as string[])];
        expect(sorted(held)).toEqual(sorted(ids));
      });
    });

    describe('durability (when the fixture can reopen)', () => {
      it('committed rows survive a close and reopen', async (ctx) => {
        if (fixture.reopen === undefined) {
          ctx.skip('this store cannot be reopened (not durable): nothing is meant to survive');
          return;
        }
        const wf = await createWorkflow({ name: 'durable' });
        const v2 = makeSpecVersion(wf.id, 2);
        const wf2 = { ...wf, specVersion: 2, updatedAt: T0 + 1 };
        await store.updateWorkflow(wf2, v2);
        const gone = await createWorkflow({ name: 'gone' });
        await store.deleteWorkflow(gone.id);
        const done = makeInstance({ workflowId: wf.id, status: 'SUCCEEDED', idempotencyKey: 'dk', endedAt: T0 + 9 });
        const running = makeInstance({ workflowId: wf.id, status: 'RUNNING', createdAt: T0 + 1 });
        const doneSteps = [makeStep(done.id, 0), makeStep(done.id, 1, { output: undefined, status: 'SKIPPED' })];
        const runningSteps = [
          makeStep(running.id, 0, { status: 'WAITING', dueAt: T0 + 60_000, timerKind: 'retry', completedAt: null }),
        ];
        await commit([done, running], [...doneSteps, ...runningSteps]);
        const schedule = { workflowId: wf.id, lastOccurrenceAt: T0, nextAt: T0 + 3_600_000 };
        await store.putSchedule(schedule);
        await store.claimOccurrence({ workflowId: wf.id, occurrenceAt: T0, claimedAt: T0, instanceId: done.id });
        const v1 = await store.getSpecVersion(wf.id, 1);

        await store.close();
        const again = await fixture.reopen();
        try {
          expect(await again.getWorkflow(wf.id)).toEqual(wf2);
          expect(await again.getWorkflow(gone.id)).toBeUndefined();
          expect(await again.getSpecVersion(wf.id, 1)).toEqual(v1);
          expect(await again.getSpecVersion(wf.id, 2)).toEqual(v2);
          expect(await again.getInstance(done.id)).toEqual(done);
          expect(await again.getInstance(running.id)).toEqual(running);
          expect(await again.getSteps(done.id)).toEqual(doneSteps);
          expect((await again.getSteps(done.id))[1]!.output).toBeUndefined();
          expect(await again.getSteps(running.id)).toEqual(runningSteps);
          expect(await again.findInstanceByIdempotencyKey('dk')).toEqual(done);
          expect(await again.listUnfinishedInstanceIds()).toEqual([running.id]);
          expect((await again.listInstances({ workflowId: wf.id, limit: 10, offset: 0 })).items).toEqual([
            running,
            done,
          ]);
          expect(await again.countInstances(wf.id)).toEqual({ succeeded: 1, failed: 0, canceled: 0 });
          expect(await again.getSchedule(wf.id)).toEqual(schedule);
          expect(
            await again.claimOccurrence({ workflowId: wf.id, occurrenceAt: T0, claimedAt: T0 + 1, instanceId: null }),
          ).toBe(false);
          const dup = makeInstance({ workflowId: wf.id, idempotencyKey: 'dk' });
          const result = await again.commit({ instances: [dup], steps: [] });
          expect(result.idempotencyConflicts.get(dup.id)).toBe(done.id);
          await expectStoreError(() => again.updateWorkflow(wf2, makeSpecVersion(wf.id, 2)));
        } finally {
          await again.close();
        }
      });
    });
  });
}
