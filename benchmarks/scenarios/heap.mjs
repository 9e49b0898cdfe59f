// Heap kept per finished 10-step noop instance in the in-memory store.
// Usage: node --expose-gc heap.mjs [instances]
import { createEngine, createMemoryStore } from '@flowspec/engine';
import { chainSpec } from '../lib.mjs';

if (typeof globalThis.gc !== 'function') throw new Error('run with node --expose-gc');
const count = Number(process.argv[2] ?? 20_000);
const engine = createEngine({ store: createMemoryStore() });
const wf = await engine.createWorkflow({ name: 'chain-10', spec: chainSpec(10) });
// Warm up the plan cache and the engine's code paths, then measure from a settled heap.
for (let i = 0; i < 100; i++) await engine.waitFor((await engine.execute(wf.id)).instanceId);
const settle = () => {
  for (let i = 0; i < 4; i++) globalThis.gc();
  // Packed rows of the memory store live in ArrayBuffers, outside the JS heap: count both.
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
};
const before = settle();
const batch = 1000;
for (let done = 0; done < count; done += batch) {
  const ids = [];
  for (let i = 0; i < batch; i++) ids.push(engine.execute(wf.id));
  for (const p of ids) await engine.waitFor((await p).instanceId);
}
const after = settle();
const page = await engine.listInstances({ workflowId: wf.id, limit: 1 });
if (page.totalCount !== count + 100)
  throw new Error(`store holds ${page.totalCount} instances, expected ${count + 100}`);
const last = await engine.getInstance(page.items[0].id);
if (last.steps.some((s) => s.status !== 'SUCCEEDED')) throw new Error('a kept instance lost its step states');
process.stdout.write(
  JSON.stringify({ scenario: 'heap-10-step', instances: count, bytesPerInstance: (after - before) / count }) + '\n',
);
await engine.stop();
