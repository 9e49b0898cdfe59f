#!/usr/bin/env node
// Heap bytes per finished 10-step instance kept in the in-memory store (the engine's issue
// asks for under 2 KB), plus a few timings that show a big store stays workable.
//
//   npx tsc -b packages/engine
//   node --expose-gc packages/testing/scripts/store-memory.mjs [--count 20000] [--no-pack] [--flat-ids] [--engine path/to/index.js]
//
// --flat-ids: make ids with randomUUID().toLowerCase(). Node's randomUUID() returns a tree of
// concatenated pieces (a V8 cons string, about 490 bytes) rather than a flat 36-char string
// (about 60 bytes); toLowerCase() returns a flat copy. This shows what the engine would save
// by flattening the ids it makes.
//
// Records are shaped like the engine makes them (runtime/records.ts): per instance a new
// record with its own UUID and timestamps and a new `{}` of outputs; shared between
// instances: the step names of the plan, the frozen `{}` output of noop, the input `{}`,
// the source `{ type: 'manual' }` and the variables `{}`. Each instance is committed twice,
// as the engine does with a non-durable store: its row when it starts (RUNNING, no steps)
// and its final row with all step rows when it ends; commits are batched (group commit).
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';

const args = process.argv.slice(2);
const flag = (name) => args.includes(name);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : fallback;
};
const count = Number(option('--count', '20000'));
const pack = !flag('--no-pack');
const flatIds = flag('--flat-ids');
const enginePath = option('--engine', undefined);

if (typeof globalThis.gc !== 'function') {
  console.error('Run with node --expose-gc (the figure needs a full GC before each reading).');
  process.exit(2);
}
const gc = () => {
  globalThis.gc();
  globalThis.gc();
};

const { createMemoryStore } = await import(enginePath ? pathToFileURL(resolve(enginePath)).href : '@flowspec/engine');

const STEPS = 10;
const BATCH = 100;
const T0 = Date.UTC(2026, 0, 1);
const workflowId = randomUUID();
const specVersionId = randomUUID();
const names = Array.from({ length: STEPS }, (_, i) => `Step${i + 1}`);
const NOOP = Object.freeze({});
const INPUT = {};
const SOURCE = { type: 'manual' };
const VARIABLES = Object.freeze({});

function instanceRecord(id, createdAt, status, endedAt) {
  return {
    id,
    workflowId,
    workflowName: 'memory bench',
    specVersion: 1,
    specVersionId,
    status,
    triggerKind: 'workflowTrigger',
    input: INPUT,
    source: SOURCE,
    variables: VARIABLES,
    outputs: status === 'SUCCEEDED' ? {} : null,
    error: null,
    idempotencyKey: null,
    messageName: null,
    createdAt,
    startedAt: createdAt,
    endedAt,
  };
}

function stepRecord(instanceId, s, createdAt) {
  return {
    instanceId,
    index: s,
    name: names[s],
    status: 'SUCCEEDED',
    attempts: 1,
    errorRetries: 0,
    branch: 'main',
    output: NOOP,
    error: null,
    startedAt: createdAt + s,
    completedAt: createdAt + s + 1,
    dueAt: null,
    timerKind: null,
  };
}

// The packed rows live in ArrayBuffers, which V8 keeps outside the JS heap: count both.
const used = () => {
  const m = process.memoryUsage();
  return { heap: m.heapUsed, buffers: m.arrayBuffers };
};
gc();
const before = used();
const store = createMemoryStore({ packFinishedSteps: pack });
const started = performance.now();
let sample = null;
for (let i = 0; i < count; i += BATCH) {
  const n = Math.min(BATCH, count - i);
  const ids = Array.from({ length: n }, () => (flatIds ? randomUUID().toLowerCase() : randomUUID()));
  const createdAt = (k) => T0 + (i + k) * 3;
  await store.commit({ instances: ids.map((id, k) => instanceRecord(id, createdAt(k), 'RUNNING', null)), steps: [] });
  const steps = [];
  for (let k = 0; k < n; k++) for (let s = 0; s < STEPS; s++) steps.push(stepRecord(ids[k], s, createdAt(k)));
  await store.commit({
    instances: ids.map((id, k) => instanceRecord(id, createdAt(k), 'SUCCEEDED', createdAt(k) + STEPS + 1)),
    steps,
  });
  if (i === 0) sample = ids[0];
}
const commitMs = performance.now() - started;
gc();
const after = used();
const heapPerInstance = (after.heap - before.heap) / count;
const buffersPerInstance = (after.buffers - before.buffers) / count;

const time = async (fn) => {
  const t = performance.now();
  const r = await fn();
  return [performance.now() - t, r];
};
const [firstPageMs] = await time(() => store.listInstances({ workflowId, limit: 100, offset: 0 }));
const [deepPageMs] = await time(() => store.listInstances({ workflowId, limit: 100, offset: Math.floor(count / 2) }));
const [filteredMs] = await time(() => store.listInstances({ workflowId, limit: 10, offset: 0, statuses: ['FAILED'] }));
const [countMs, counts] = await time(() => store.countInstances(workflowId));
const [stepsMs, rows] = await time(() => store.getSteps(sample));
if (rows.length !== STEPS || counts.succeeded !== count) throw new Error('the store lost data');

console.log(
  JSON.stringify(
    {
      command: `node --expose-gc packages/testing/scripts/store-memory.mjs --count ${count}${pack ? '' : ' --no-pack'}${flatIds ? ' --flat-ids' : ''}`,
      node: process.version,
      instances: count,
      stepsPerInstance: STEPS,
      packFinishedSteps: pack,
      flatIds,
      bytesPerInstance: Math.round(heapPerInstance + buffersPerInstance),
      ofWhichJsHeap: Math.round(heapPerInstance),
      ofWhichArrayBuffers: Math.round(buffersPerInstance),
      totalMiB: Math.round(((heapPerInstance + buffersPerInstance) * count * 10) / 2 ** 20) / 10,
      commitMs: Math.round(commitMs),
      listFirstPageMs: round(firstPageMs),
      listMiddlePageMs: round(deepPageMs),
      listFailedScanMs: round(filteredMs),
      countInstancesMs: round(countMs),
      getStepsMs: round(stepsMs),
    },
    null,
    2,
  ),
);

function round(ms) {
  return Math.round(ms * 1000) / 1000;
}
