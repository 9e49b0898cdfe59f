// 100,000 concurrent 10-step instances in one engine on the default in-memory store (which keeps every
// finished instance), each step calling a user action: run by run.mjs with V8's heap capped at 1,024 MB
// (--max-old-space-size=1024), so completing at all shows the run fits in 1 GB of heap. Reports the
// time, the peak heap in use (sampled every 256 steps from the step function: this workload never
// yields to a timer) and the heap still in use after a full GC (the store's finished instances).
// Usage: node --expose-gc --max-old-space-size=1024 concurrent-heap.mjs [instances]
import { getHeapStatistics } from 'node:v8';
import { createEngine, createMemoryStore } from '@flowspec/engine';
import { chainSpec, finishedWaiter } from '../lib.mjs';

if (typeof globalThis.gc !== 'function') throw new Error('run with node --expose-gc');
const count = Number(process.argv[2] ?? 100_000);
let calls = 0;
let peak = 0;
const engine = createEngine({
  store: createMemoryStore(),
  concurrency: 1024,
  actions: {
    'bench.noop': () => {
      if ((++calls & 255) === 0) peak = Math.max(peak, getHeapStatistics().used_heap_size);
      return {};
    },
  },
});
const spec = chainSpec(10, 'bench.noop');
const wf = await engine.createWorkflow({ name: 'chain-10', spec });
const finished = finishedWaiter(engine);
const run = async (n) => {
  const started = [];
  for (let i = 0; i < n; i++) started.push(engine.execute(wf.id));
  const ids = (await Promise.all(started)).map((r) => r.instanceId);
  const statuses = await Promise.all(ids.map(finished));
  if (statuses.some((s) => s !== 'SUCCEEDED')) throw new Error('an instance did not succeed');
};
await run(1000); // warm-up
for (let i = 0; i < 4; i++) globalThis.gc();
const base = process.memoryUsage().heapUsed;
peak = base;
calls = 0;
const t0 = performance.now();
await run(count);
const ms = performance.now() - t0;
if (calls !== count * 10) throw new Error(`expected ${count * 10} step calls, saw ${calls}`);
peak = Math.max(peak, process.memoryUsage().heapUsed);
for (let i = 0; i < 4; i++) globalThis.gc();
const kept = process.memoryUsage().heapUsed;
const limitMb = Number(/--max-old-space-size=(\d+)/.exec(process.execArgv.join(' '))?.[1] ?? NaN);
await engine.stop();
process.stdout.write(
  JSON.stringify({
    scenario: `concurrent-heap-${count}x10`,
    instances: count,
    steps: count * 10,
    ms,
    usPerStep: undefined,
    heapLimitMb: limitMb,
    heapUsedPeakBytes: peak,
    heapUsedAfterGcBytes: kept,
    heapBaseBytes: base,
  }) + '\n',
);
