import { createEngine, createMemoryStore } from '@flowspec/engine';
import type { InstanceRecord, InstanceStatus, StepRecord, StepStatus, Store } from '@flowspec/engine';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { T0, describeStoreConformance, makeInstance, makeStep, testUuid } from './store-conformance.js';

describeStoreConformance('memory', async () => ({ store: createMemoryStore(), cleanup: async () => undefined }));

describeStoreConformance('memory without packing', async () => ({
  store: createMemoryStore({ packFinishedSteps: false }),
  cleanup: async () => undefined,
}));

/**
 * A memory store seen through a wrapper that can be "reopened" over the same data:
 * runs the suite's durability cases, which the memory store itself skips.
 */
function reopenable(inner: Store): Store {
  let closed = false;
  return new Proxy(inner, {
    get(target, prop) {
      if (prop === 'durable') return true;
      if (prop === 'kind') return 'memory (reopenable)';
      if (prop === 'ping') return () => !closed;
      if (prop === 'close') {
        return () => {
          closed = true;
        };
      }
      const value: unknown = Reflect.get(target, prop);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        if (closed) throw new Error('closed');
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

describeStoreConformance('memory behind a reopenable wrapper', async () => {
  const inner = createMemoryStore();
  return { store: reopenable(inner), reopen: async () => reopenable(inner), cleanup: async () => undefined };
});

/** Read a store method's result, which the in-memory store gives synchronously. */
async function steps(store: Store, id: string): Promise<readonly StepRecord[]> {
  return store.getSteps(id);
}

describe('createMemoryStore', () => {
  it('is the non-durable kind "memory"', () => {
    const store = createMemoryStore();
    expect(store.kind).toBe('memory');
    expect(store.durable).toBe(false);
  });

  it('keeps instance records by reference', async () => {
    const store = createMemoryStore();
    const inst = makeInstance();
    await store.commit({ instances: [inst], steps: [] });
    expect(await store.getInstance(inst.id)).toBe(inst);
    expect((await store.listInstances({ limit: 1, offset: 0 })).items[0]).toBe(inst);
    expect((await store.getSteps(inst.id)) === (await store.getSteps(inst.id))).toBe(false); // a copy each time
  });

  it('keeps the step rows of an unfinished instance as given, and packs them once it finishes', async () => {
    const store = createMemoryStore();
    const inst = makeInstance({ status: 'RUNNING' });
    const rows = Array.from({ length: 10 }, (_, i) => makeStep(inst.id, i));
    await store.commit({ instances: [inst], steps: rows });
    const live = await steps(store, inst.id);
    live.forEach((r, i) => expect(r).toBe(rows[i]));
    await store.commit({ instances: [{ ...inst, status: 'SUCCEEDED', endedAt: T0 + 50 }], steps: [] });
    const packed = await steps(store, inst.id);
    expect(packed).toStrictEqual(rows);
    expect(packed[0]).not.toBe(rows[0]); // rebuilt from the packed form
    expect(packed[0]!.output).toBe(rows[0]!.output); // outputs are kept by reference
  });

  it('packs every column shape and rebuilds equal rows (nulls, per-row values, sparse indices)', async () => {
    const store = createMemoryStore();
    const inst = makeInstance({ status: 'FAILED', createdAt: T0 + 100 });
    const shared = Object.freeze({});
    const rows: StepRecord[] = [
      makeStep(inst.id, 1, { output: shared, startedAt: T0, completedAt: T0 + 2 ** 31 - 1 }),
      makeStep(inst.id, 4, { output: shared, status: 'WAITING', dueAt: T0 + 100 - 2 ** 31, timerKind: 'gate' }),
      makeStep(inst.id, 7, {
        output: undefined,
        status: 'FAILED',
        branch: null,
        error: { code: 'action_failed', message: 'x', attempts: 65535 },
        attempts: 65535,
        errorRetries: 65535,
        startedAt: null,
        completedAt: null,
      }),
      makeStep(inst.id, 9, { output: null, status: 'CANCELED', timerKind: 'sleep', dueAt: T0 + 100 }),
      makeStep(inst.id, 12, { output: [1, 2], status: 'SKIPPED', timerKind: 'retry', branch: 'true' }),
    ];
    await store.commit({ instances: [inst], steps: rows });
    const back = await steps(store, inst.id);
    expect(back).toStrictEqual(rows);
    expect(back[0]).not.toBe(rows[0]);
  });

  it('packs a 20,000-step fan-out (a block bigger than an arena chunk) between small instances', async () => {
    const store = createMemoryStore();
    const small = [makeInstance({ status: 'SUCCEEDED' }), makeInstance({ status: 'SUCCEEDED' })];
    const big = makeInstance({ status: 'SUCCEEDED', createdAt: T0 + 1 });
    const bigRows = Array.from({ length: 20_000 }, (_, i) => makeStep(big.id, i, { output: { i } }));
    const smallRows = small.map((inst) => Array.from({ length: 3 }, (_, i) => makeStep(inst.id, i)));
    await store.commit({ instances: [small[0]!], steps: smallRows[0]! });
    await store.commit({ instances: [big], steps: bigRows });
    await store.commit({ instances: [small[1]!], steps: smallRows[1]! });
    const back = await steps(store, big.id);
    expect(back).toStrictEqual(bigRows);
    expect(back[19_999]).not.toBe(bigRows[19_999]);
    expect(await steps(store, small[0]!.id)).toStrictEqual(smallRows[0]);
    expect(await steps(store, small[1]!.id)).toStrictEqual(smallRows[1]);
  });

  it('keeps rows that do not fit the packed form as given', async () => {
    const cases: Partial<StepRecord>[] = [
      { attempts: 65536 },
      { errorRetries: -1 },
      { startedAt: T0 + 0.5 },
      { completedAt: T0 + 2 ** 31 },
      { dueAt: T0 - 2 ** 31 - 1 },
      { status: 'BOGUS' as StepStatus },
      { timerKind: 'bogus' as StepRecord['timerKind'] },
    ];
    for (const over of cases) {
      const store = createMemoryStore();
      const inst = makeInstance({ status: 'SUCCEEDED' });
      const rows = [makeStep(inst.id, 0), makeStep(inst.id, 1, over)];
      await store.commit({ instances: [inst], steps: rows });
      const back = await steps(store, inst.id);
      expect(back[0]).toBe(rows[0]);
      expect(back[1]).toBe(rows[1]);
    }
  });

  it('packs the next instances exactly after giving back the block of rows that did not fit', async () => {
    const store = createMemoryStore();
    const kept: { id: string; rows: StepRecord[] }[] = [];
    for (let j = 0; j < 30; j++) {
      const inst = makeInstance({ status: 'SUCCEEDED', createdAt: T0 + j });
      const rows = Array.from({ length: 1 + (j % 7) * 300 }, (_, i) =>
        makeStep(inst.id, i, { startedAt: T0 + j + i, attempts: 1 + (i % 3), output: { i } }),
      );
      // Every third instance has a last row that cannot be packed (a fractional timestamp).
      if (j % 3 === 0) rows[rows.length - 1] = { ...rows[rows.length - 1]!, completedAt: T0 + 0.5 };
      await store.commit({ instances: [inst], steps: rows });
      kept.push({ id: inst.id, rows });
    }
    for (const k of kept) expect(await steps(store, k.id)).toStrictEqual(k.rows);
  });

  it('rebuilds packed rows against the new createdAt when a finished instance record moves in time', async () => {
    const store = createMemoryStore();
    const inst = makeInstance({ status: 'SUCCEEDED', createdAt: T0 });
    const rows = [makeStep(inst.id, 0, { startedAt: T0 + 5, completedAt: T0 + 6 })];
    await store.commit({ instances: [inst], steps: rows });
    await store.commit({ instances: [{ ...inst, createdAt: T0 + 1000 }], steps: [] });
    expect(await steps(store, inst.id)).toStrictEqual(rows);
    expect((await store.listInstances({ limit: 1, offset: 0 })).items[0]!.createdAt).toBe(T0 + 1000);
  });

  it('moves an instance between workflows when its record changes workflowId', async () => {
    const store = createMemoryStore();
    const inst = makeInstance({ workflowId: testUuid(1), status: 'SUCCEEDED' });
    await store.commit({ instances: [inst], steps: [] });
    await store.commit({ instances: [{ ...inst, workflowId: testUuid(2) }], steps: [] });
    expect((await store.listInstances({ workflowId: testUuid(1), limit: 5, offset: 0 })).totalCount).toBe(0);
    expect((await store.listInstances({ workflowId: testUuid(2), limit: 5, offset: 0 })).totalCount).toBe(1);
    expect(await store.countInstances(testUuid(1))).toEqual({ succeeded: 0, failed: 0, canceled: 0 });
    expect(await store.countInstances(testUuid(2))).toEqual({ succeeded: 1, failed: 0, canceled: 0 });
  });

  it('refuses a batch with a step row of an unknown instance and writes none of it', async () => {
    const store = createMemoryStore();
    const inst = makeInstance();
    await expect(
      Promise.resolve().then(() => store.commit({ instances: [inst], steps: [makeStep(testUuid(99), 0)] })),
    ).rejects.toMatchObject({ code: 'FSP_ERR_STORE' });
    expect(await store.getInstance(inst.id)).toBeUndefined();
  });

  it('refuses bad records (unknown status, non-finite createdAt, bad step index) and writes none of the batch', async () => {
    const bad: { instances: InstanceRecord[]; steps: StepRecord[] }[] = [];
    const ok = makeInstance();
    bad.push({ instances: [ok, makeInstance({ status: 'DONE' as InstanceStatus })], steps: [] });
    bad.push({ instances: [ok, makeInstance({ createdAt: Number.NaN })], steps: [] });
    bad.push({ instances: [ok], steps: [makeStep(ok.id, -1)] });
    bad.push({ instances: [ok], steps: [makeStep(ok.id, 1.5)] });
    for (const batch of bad) {
      const store = createMemoryStore();
      await expect(Promise.resolve().then(() => store.commit(batch))).rejects.toMatchObject({ code: 'FSP_ERR_STORE' });
      expect(await store.getInstance(ok.id)).toBeUndefined();
    }
  });

  it('refuses to move a stored instance onto an idempotency key another instance holds', async () => {
    const store = createMemoryStore();
    const a = makeInstance({ idempotencyKey: 'a' });
    const b = makeInstance({ idempotencyKey: 'b' });
    await store.commit({ instances: [a, b], steps: [] });
    await expect(
      Promise.resolve().then(() => store.commit({ instances: [{ ...b, idempotencyKey: 'a' }], steps: [] })),
    ).rejects.toMatchObject({ code: 'FSP_ERR_STORE' });
    expect(await store.getInstance(b.id)).toBe(b);
    // dropping a key frees it
    await store.commit({ instances: [{ ...a, idempotencyKey: null }], steps: [] });
    expect(await store.findInstanceByIdempotencyKey('a')).toBeUndefined();
    const c = makeInstance({ idempotencyKey: 'a' });
    expect((await store.commit({ instances: [c], steps: [] })).idempotencyConflicts.size).toBe(0);
  });

  it('after close, ping is false and every other call throws FSP_ERR_STORE', async () => {
    const store = createMemoryStore();
    await store.close();
    expect(await store.ping()).toBe(false);
    expect(() => store.getInstance('x')).toThrow(expect.objectContaining({ code: 'FSP_ERR_STORE' }));
    expect(() => store.commit({ instances: [], steps: [] })).toThrow(
      expect.objectContaining({ code: 'FSP_ERR_STORE' }),
    );
    await store.close(); // twice is fine
  });

  it('keeps listing fast and ordered when many instances share one createdAt (simulated clock)', async () => {
    const store = createMemoryStore();
    const n = 20_000;
    const ids: string[] = [];
    let x = 7;
    for (let i = 0; i < n; i++) {
      x = (x * 48271) % 2147483647;
      ids.push(testUuid(x, 3));
    }
    for (let i = 0; i < n; i += 500) {
      await store.commit({
        instances: ids.slice(i, i + 500).map((id) => makeInstance({ id, createdAt: T0, status: 'SUCCEEDED' })),
        steps: [],
      });
    }
    const newest = [...ids].sort().reverse();
    const page = await store.listInstances({ limit: 50, offset: 10_000 });
    expect(page.items.map((r) => r.id)).toEqual(newest.slice(10_000, 10_050));
    expect(page.totalCount).toBe(n);
  });

  it('keeps the order across chunks when thousands of instances move in time and between workflows', async () => {
    const store = createMemoryStore();
    const n = 5000;
    const W = [testUuid(1, 12), testUuid(2, 12)];
    const recs = Array.from({ length: n }, (_, i) =>
      makeInstance({ id: testUuid(i, 12), workflowId: W[0]!, createdAt: T0 + ((i * 7919) % n), status: 'RUNNING' }),
    );
    await store.commit({ instances: recs, steps: [] });
    // every record moves: reversed times, every third to the other workflow, all finished
    const moved = recs.map((r, i) => ({
      ...r,
      createdAt: T0 + n - ((i * 7919) % n),
      workflowId: W[i % 3 === 0 ? 1 : 0]!,
      status: 'SUCCEEDED' as const,
    }));
    for (let i = 0; i < n; i += 700) await store.commit({ instances: moved.slice(i, i + 700), steps: [] });
    const expectList = (wf: string | undefined) =>
      moved
        .filter((r) => wf === undefined || r.workflowId === wf)
        .sort((a, b) => b.createdAt - a.createdAt)
        .map((r) => r.id);
    for (const wf of [undefined, ...W]) {
      const page = await store.listInstances({ limit: n, offset: 0, ...(wf ? { workflowId: wf } : {}) });
      expect(page.items.map((r) => r.id)).toEqual(expectList(wf));
      expect(page.totalCount).toBe(expectList(wf).length);
    }
    expect(await store.listUnfinishedInstanceIds()).toEqual([]);
    expect(await store.countInstances(W[1]!)).toEqual({ succeeded: Math.ceil(n / 3), failed: 0, canceled: 0 });
  });
});

// ---------------------------------------------------------------- model-based property test

/** A plain reference implementation of the instance/step part of the port. */
class Model {
  readonly instances = new Map<string, InstanceRecord>();
  readonly steps = new Map<string, Map<number, StepRecord>>();

  commit(instances: readonly InstanceRecord[], rows: readonly StepRecord[]): Map<string, string> {
    const conflicts = new Map<string, string>();
    const accepted = new Map<string, InstanceRecord>();
    for (const rec of instances) {
      if (!this.instances.has(rec.id) && !accepted.has(rec.id) && rec.idempotencyKey !== null) {
        const holder = [...this.instances.values(), ...accepted.values()].find(
          (r) => r.idempotencyKey === rec.idempotencyKey,
        );
        if (holder !== undefined) {
          conflicts.set(rec.id, holder.id);
          continue;
        }
      }
      accepted.set(rec.id, rec);
    }
    for (const rec of accepted.values()) this.instances.set(rec.id, rec);
    for (const row of rows) {
      if (!this.instances.has(row.instanceId)) continue;
      let m = this.steps.get(row.instanceId);
      if (m === undefined) this.steps.set(row.instanceId, (m = new Map()));
      m.set(row.index, row);
    }
    return conflicts;
  }

  list(workflowId: string | undefined, statuses: readonly InstanceStatus[] | undefined, offset: number, limit: number) {
    const all = [...this.instances.values()]
      .filter((r) => workflowId === undefined || r.workflowId === workflowId)
      .sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
    const filtered = statuses && statuses.length > 0 ? all.filter((r) => statuses.includes(r.status)) : all;
    return {
      items: filtered.slice(offset, offset + limit),
      totalCount: all.length,
      totalFilteredCount: filtered.length,
    };
  }
}

const STATUSES: readonly InstanceStatus[] = ['PENDING', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELED'];
const STEP_STATUSES: readonly StepStatus[] = [
  'PENDING',
  'RUNNING',
  'WAITING',
  'SUCCEEDED',
  'FAILED',
  'SKIPPED',
  'CANCELED',
];
const SHARED_OUTPUT = Object.freeze({});
const WORKFLOWS = [testUuid(1, 10), testUuid(2, 10), testUuid(3, 10)];
const idOf = (j: number): string => testUuid(j, 11);
/** Each id keeps one key for life; several ids share a key, so conflicts happen. */
const keyOf = (j: number): string | null => (j % 3 === 0 ? null : `key-${j % 4}`);

const instanceArb = fc.record({
  j: fc.integer({ min: 0, max: 11 }),
  wf: fc.integer({ min: 0, max: 2 }),
  status: fc.constantFrom(...STATUSES),
  createdAt: fc.integer({ min: 0, max: 5 }),
  trigger: fc.constantFrom('apiTrigger', 'workflowTrigger'),
});
const stepArb = fc.record({
  pick: fc.nat(),
  index: fc.integer({ min: 0, max: 12 }),
  status: fc.constantFrom(...STEP_STATUSES),
  attempts: fc.oneof(fc.integer({ min: 0, max: 3 }), fc.constant(70_000)),
  output: fc.constantFrom<'shared' | 'undefined' | 'null' | 'fresh'>('shared', 'undefined', 'null', 'fresh'),
  branch: fc.constantFrom('main', 'true', null),
  failed: fc.boolean(),
  started: fc.oneof(fc.constant<number | null>(null), fc.integer({ min: -5, max: 1000 }), fc.constant(0.5)),
  due: fc.oneof(fc.constant<number | null>(null), fc.integer({ min: 0, max: 10 ** 9 })),
});
const batchArb = fc.record({
  instances: fc.array(instanceArb, { minLength: 1, maxLength: 6 }),
  steps: fc.array(stepArb, { maxLength: 12 }),
});

describe('memory store against a reference model', () => {
  it('agrees on commits, conflicts, rows, listings and counts, packed or not', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(batchArb, { minLength: 1, maxLength: 8 }), fc.boolean(), async (batches, pack) => {
        const store = createMemoryStore({ packFinishedSteps: pack });
        const model = new Model();
        for (const b of batches) {
          const instances = b.instances.map((p) =>
            makeInstance({
              id: idOf(p.j),
              workflowId: WORKFLOWS[p.wf]!,
              status: p.status,
              createdAt: T0 + p.createdAt,
              triggerKind: p.trigger,
              idempotencyKey: keyOf(p.j),
            }),
          );
          const rows = b.steps.map((s) => {
            const inst = instances[s.pick % instances.length]!;
            return makeStep(inst.id, s.index, {
              status: s.status,
              attempts: s.attempts,
              branch: s.branch,
              output:
                s.output === 'shared'
                  ? SHARED_OUTPUT
                  : s.output === 'null'
                    ? null
                    : s.output === 'fresh'
                      ? { i: s.index }
                      : undefined,
              error: s.failed ? { code: 'action_failed', message: `m${s.index}`, attempts: s.attempts } : null,
              startedAt: s.started === null ? null : inst.createdAt + s.started,
              dueAt: s.due === null ? null : inst.createdAt + s.due,
              timerKind: s.due === null ? null : 'retry',
            });
          });
          const expected = model.commit(instances, rows);
          const got = await store.commit({ instances, steps: rows });
          expect(new Map(got.idempotencyConflicts)).toEqual(expected);

          for (let j = 0; j < 12; j++) {
            const id = idOf(j);
            expect(await store.getInstance(id)).toBe(model.instances.get(id));
            const want = [...(model.steps.get(id)?.values() ?? [])].sort((x, y) => x.index - y.index);
            expect(await store.getSteps(id)).toStrictEqual(want);
          }
          for (const wf of [undefined, ...WORKFLOWS]) {
            for (const [offset, limit, statuses] of [
              [0, 100, undefined],
              [1, 2, undefined],
              [0, 3, ['SUCCEEDED', 'FAILED']],
              [2, 2, ['RUNNING']],
            ] as const) {
              const q = { limit, offset, ...(wf ? { workflowId: wf } : {}), ...(statuses ? { statuses } : {}) };
              expect(await store.listInstances(q)).toEqual(model.list(wf, statuses, offset, limit));
            }
          }
          for (const wf of WORKFLOWS) {
            const mine = [...model.instances.values()].filter((r) => r.workflowId === wf);
            const n = (s: InstanceStatus): number => mine.filter((r) => r.status === s).length;
            expect(await store.countInstances(wf)).toEqual({
              succeeded: n('SUCCEEDED'),
              failed: n('FAILED'),
              canceled: n('CANCELED'),
            });
            for (const since of [T0, T0 + 3]) {
              const starts = mine.filter((r) => r.triggerKind === 'apiTrigger' && r.createdAt >= since).length;
              expect(await store.countStartsSince(wf, 'apiTrigger', since)).toBe(starts);
            }
            const unfinished = mine.filter((r) => r.status === 'PENDING' || r.status === 'RUNNING').map((r) => r.id);
            expect([...(await store.listUnfinishedInstanceIds(wf))].sort()).toEqual(unfinished.sort());
          }
          for (let k = 0; k < 4; k++) {
            const holder = [...model.instances.values()].find((r) => r.idempotencyKey === `key-${k}`);
            expect(await store.findInstanceByIdempotencyKey(`key-${k}`)).toBe(holder);
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('memory store: maxFinishedInstances', () => {
  const finished = (id: string, createdAt: number, key: string | null = null): InstanceRecord =>
    makeInstance({ id, status: 'SUCCEEDED', createdAt, idempotencyKey: key, endedAt: createdAt + 5 });

  it('keeps the instances that finished last, dropping the one that finished first (not the oldest created)', async () => {
    const store = createMemoryStore({ maxFinishedInstances: 2 });
    const [a, b, c, d] = [1, 2, 3, 4].map((n) => testUuid(n, 7));
    // a is created first but finishes last.
    await store.commit({ instances: [makeInstance({ id: a!, status: 'RUNNING', createdAt: T0 })], steps: [] });
    await store.commit({ instances: [finished(b!, T0 + 1, 'key-b')], steps: [makeStep(b!, 0)] });
    await store.commit({ instances: [finished(c!, T0 + 2)], steps: [makeStep(c!, 0)] });
    await store.commit({ instances: [finished(a!, T0)], steps: [makeStep(a!, 0)] });
    expect(await store.getInstance(b!)).toBeUndefined();
    expect(await steps(store, b!)).toEqual([]);
    expect(await store.findInstanceByIdempotencyKey('key-b')).toBeUndefined();
    expect((await store.getInstance(a!))?.status).toBe('SUCCEEDED');
    expect(await steps(store, a!)).toStrictEqual([makeStep(a!, 0)]);
    expect(await store.getInstance(c!)).toBeDefined();
    const page = await store.listInstances({ offset: 0, limit: 10 });
    expect(page.items.map((r) => r.id)).toEqual([c, a]);
    expect(page.totalCount).toBe(2);
    expect(await store.countInstances(makeInstance().workflowId)).toEqual({ succeeded: 2, failed: 0, canceled: 0 });
    // The key of a dropped instance can be taken again.
    const again = await store.commit({ instances: [finished(d!, T0 + 3, 'key-b')], steps: [] });
    expect(again.idempotencyConflicts.size).toBe(0);
    expect((await store.findInstanceByIdempotencyKey('key-b'))?.id).toBe(d);
    expect(await store.getInstance(c!)).toBeUndefined();
  });

  it('counts an instance once when it finishes, goes back to running and finishes again', async () => {
    const store = createMemoryStore({ maxFinishedInstances: 1 });
    const a = makeInstance({ status: 'SUCCEEDED' });
    await store.commit({ instances: [a], steps: [] });
    await store.commit({ instances: [{ ...a, status: 'RUNNING' }], steps: [] });
    await store.commit({ instances: [{ ...a, status: 'FAILED' }], steps: [] });
    expect((await store.getInstance(a.id))?.status).toBe('FAILED');
    const b = makeInstance({ status: 'SUCCEEDED', createdAt: T0 + 1 });
    await store.commit({ instances: [b], steps: [] });
    expect(await store.getInstance(a.id)).toBeUndefined();
    expect((await store.getInstance(b.id))?.status).toBe('SUCCEEDED');
  });

  it('agrees with a model under random finishes, un-finishes and re-finishes', async () => {
    const op = fc.record({ kind: fc.constantFrom('new', 'unfinish', 'refinish'), pick: fc.nat(50) });
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 4 }), fc.array(op, { maxLength: 60 }), async (max, ops) => {
        const store = createMemoryStore({ maxFinishedInstances: max });
        const created: InstanceRecord[] = [];
        const kept = new Map<string, InstanceStatus>();
        let order: string[] = []; // finished ids, oldest finish first
        for (const o of ops) {
          const alive = created.filter((r) => kept.has(r.id));
          if (o.kind === 'new') {
            const rec = makeInstance({ id: testUuid(created.length, 12), status: 'SUCCEEDED', createdAt: T0 });
            created.push(rec);
            await store.commit({ instances: [rec], steps: [] });
            kept.set(rec.id, 'SUCCEEDED');
            order.push(rec.id);
          } else {
            const candidates = alive.filter((r) => (kept.get(r.id) === 'RUNNING') === (o.kind === 'refinish'));
            if (candidates.length === 0) continue;
            const rec = candidates[o.pick % candidates.length]!;
            const status: InstanceStatus = o.kind === 'unfinish' ? 'RUNNING' : 'FAILED';
            await store.commit({ instances: [{ ...rec, status }], steps: [] });
            kept.set(rec.id, status);
            order = order.filter((id) => id !== rec.id);
            if (status === 'FAILED') order.push(rec.id);
          }
          while (order.length > max) kept.delete(order.shift()!);
        }
        for (const rec of created) expect((await store.getInstance(rec.id))?.status).toBe(kept.get(rec.id));
        const total = (await store.listInstances({ offset: 0, limit: 1 })).totalCount;
        expect(total).toBe(kept.size);
      }),
      { numRuns: 150 },
    );
  });

  it('never drops an unfinished instance, even with maxFinishedInstances 0', async () => {
    const store = createMemoryStore({ maxFinishedInstances: 0 });
    const running = makeInstance({ status: 'RUNNING' });
    await store.commit({ instances: [running], steps: [makeStep(running.id, 0, { status: 'RUNNING' })] });
    const done = finished(testUuid(9, 7), T0);
    await store.commit({ instances: [done], steps: [makeStep(done.id, 0)] });
    expect(await store.getInstance(done.id)).toBeUndefined();
    expect((await store.getInstance(running.id))?.status).toBe('RUNNING');
    expect(await store.listUnfinishedInstanceIds()).toEqual([running.id]);
  });

  it('refuses a maxFinishedInstances that is not a whole number >= 0', () => {
    for (const bad of [-1, 1.5, Number.NaN, '10' as unknown as number]) {
      expect(() => createMemoryStore({ maxFinishedInstances: bad })).toThrow(/maxFinishedInstances must be/);
    }
    expect(() => createMemoryStore({ maxFinishedInstances: Infinity })).not.toThrow();
  });

  it('keeps exact rows of the kept instances while dropped blocks are released and reused (random sizes)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 4 }),
        fc.array(fc.integer({ min: 1, max: 3_000 }), { minLength: 1, maxLength: 40 }),
        async (max, sizes) => {
          const store = createMemoryStore({ maxFinishedInstances: max });
          const written: { id: string; rows: StepRecord[] }[] = [];
          for (let j = 0; j < sizes.length; j++) {
            const inst = finished(testUuid(j, 8), T0 + j);
            const rows = Array.from({ length: sizes[j]! }, (_, i) =>
              makeStep(inst.id, i, { attempts: 1 + ((i + j) % 5), output: { j, i } }),
            );
            await store.commit({ instances: [inst], steps: rows });
            written.push({ id: inst.id, rows });
          }
          const kept = written.slice(Math.max(0, written.length - max));
          for (const w of written) {
            if (kept.includes(w)) expect(await steps(store, w.id)).toStrictEqual(w.rows);
            else expect(await store.getInstance(w.id)).toBeUndefined();
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('releases the memory of dropped instances (200,000 finished 10-step instances, keeping 100)', async () => {
    const store = createMemoryStore({ maxFinishedInstances: 100 });
    const before = process.memoryUsage().arrayBuffers;
    for (let j = 0; j < 200_000; j++) {
      const inst = finished(testUuid(j, 9), T0 + j);
      await store.commit({
        instances: [inst],
        steps: Array.from({ length: 10 }, (_, i) => makeStep(inst.id, i)),
      });
    }
    // Kept forever, the packed rows alone would take 200,000 x 52 words x 4 bytes = 41.6 MB.
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(4 * 1024 * 1024);
    expect((await store.listInstances({ offset: 0, limit: 1 })).totalCount).toBe(100);
    expect(await steps(store, testUuid(199_999, 9))).toHaveLength(10);
  });
});

describe('engine on a memory store with maxFinishedInstances', () => {
  it('forgets the instance that finished first and answers not found for it', async () => {
    const engine = createEngine({ store: createMemoryStore({ maxFinishedInstances: 1 }) });
    const wf = await engine.createWorkflow({
      name: 'one',
      spec: {
        triggers: [{ startStepNames: ['A'], workflowTrigger: {} }],
        steps: [{ name: 'A', actionId: 'com.datadoghq.core.noop' }],
      },
    });
    const first = await engine.execute(wf.id);
    await engine.waitFor(first.instanceId);
    const second = await engine.execute(wf.id);
    expect((await engine.waitFor(second.instanceId)).status).toBe('SUCCEEDED');
    await expect(engine.getInstance(first.instanceId)).rejects.toMatchObject({ code: 'FSP_ERR_INSTANCE_NOT_FOUND' });
    await engine.stop();
  });
});
