import { createEngine, createMemoryStore } from '@flowspec/engine';
import type { CommitBatch, Store } from '@flowspec/engine';
import { describe, expect, it, vi } from 'vitest';
import { deferCommits } from './group-commit.js';

const spec = {
  steps: [{ name: 'A', actionId: 'com.datadoghq.core.noop' }],
  triggers: [{ startStepNames: ['A'], workflowTrigger: {} }],
};

async function commitsFor(store: Store, inner: Store, starts: number): Promise<number> {
  const engine = createEngine({ store });
  const wf = await engine.createWorkflow({ name: 'w', spec });
  const spy = vi.spyOn(inner, 'commit');
  // Each start in its own macrotask, as HTTP requests arrive in their own I/O callbacks.
  const ids = await Promise.all(
    Array.from(
      { length: starts },
      () =>
        new Promise<{ instanceId: string }>((resolve, reject) =>
          setImmediate(() => engine.execute(wf.id).then(resolve, reject)),
        ),
    ),
  );
  await Promise.all(ids.map((r) => engine.waitFor(r.instanceId)));
  const calls = spy.mock.calls.length;
  await engine.stop();
  return calls;
}

describe('deferCommits', () => {
  it('commits in the next event-loop turn and settles with the store result', async () => {
    const inner = createMemoryStore();
    const store = deferCommits(inner);
    const spy = vi.spyOn(inner, 'commit');
    const batch: CommitBatch = { instances: [], steps: [] };
    const pending = store.commit(batch);
    expect(spy).not.toHaveBeenCalled();
    await expect(pending).resolves.toEqual({ idempotencyConflicts: new Map() });
    expect(spy).toHaveBeenCalledWith(batch);
  });

  it('rejects when the store throws, and leaves every other member to the store', async () => {
    const inner = createMemoryStore();
    const store = deferCommits(inner);
    vi.spyOn(inner, 'commit').mockImplementation(() => {
      throw new Error('disk full');
    });
    await expect(store.commit({ instances: [], steps: [] })).rejects.toThrow('disk full');
    expect(store.kind).toBe('memory');
    expect(store.durable).toBe(false);
    expect(await store.ping()).toBe(true);
    expect(store.getWorkflow).toBe(store.getWorkflow); // bound once, stable
  });

  it('folds concurrent executes into a few commits', async () => {
    const direct = createMemoryStore();
    const deferredInner = createMemoryStore();
    const direct20 = await commitsFor(direct, direct, 20);
    const deferred20 = await commitsFor(deferCommits(deferredInner), deferredInner, 20);
    expect(direct20).toBeGreaterThanOrEqual(20);
    expect(deferred20).toBeLessThanOrEqual(5);
  });
});
