// One workload on every adapter that supports it, interleaved (round-robin, one run each per round)
// so that machine drift hits all alike. Prints one JSON line.
// Usage: node --expose-gc peers.mjs <workload> [budgetMs] [adapter,adapter,...]
//   workload: chain-<n> | fanout-<n> | concurrent-<n>x<steps> | diamond-<branch> | retry-<n>x<failures>
//             | compile-<n>
import { performance } from 'node:perf_hooks';
import { compileSpec, createEngine, createMemoryStore, validateSpec } from '@flowspec/engine';
import { allAdapters, heapProbe, stepsOf } from '../peers/adapters.mjs';
import { chainSpec, parseWorkload, stats } from '../lib.mjs';

const [name, budgetArg, only] = process.argv.slice(2);
const budgetMs = Number(budgetArg ?? 2000);
const gc = typeof globalThis.gc === 'function' ? globalThis.gc : () => {};

const w = parseWorkload(name);

if (w.kind === 'compile') {
  // Validate + compile a w.n-step chain spec (what createWorkflow does before storing it).
  const spec = chainSpec(w.n);
  const engine = createEngine({ store: createMemoryStore() });
  const sample = (fn) => {
    for (let i = 0; i < 3; i++) fn();
    const s = [];
    const t = performance.now();
    while (s.length < 5 || (performance.now() - t < budgetMs && s.length < 200)) {
      const t0 = performance.now();
      fn();
      s.push(performance.now() - t0);
    }
    return stats(s);
  };
  const validate = sample(() => {
    if (!validateSpec(spec).ok) throw new Error('spec invalid');
  });
  const engineValidate = sample(() => {
    if (!engine.validate(spec).ok) throw new Error('spec invalid');
  });
  const compile = sample(() => compileSpec(spec));
  await engine.stop();
  process.stdout.write(
    JSON.stringify({ workload: name, kind: 'compile', steps: w.n, validate, engineValidate, compile }) + '\n',
  );
  process.exit(0);
}

const steps = stepsOf(w);
const wanted = only ? only.split(',') : null;
const adapters = allAdapters.filter((a) => a.supports(w) && (!wanted || wanted.includes(a.name)));
const prepared = [];
const skipped = [];
for (const a of adapters) {
  try {
    const p = await a.prepare(w);
    // First run: checks the adapter (every step exactly once) and measures its cost for the budget.
    const t0 = performance.now();
    await p.run();
    prepared.push({ adapter: a, p, first: performance.now() - t0, samples: [], heapBytes: null });
  } catch (e) {
    skipped.push({ adapter: a.name, reason: String(e?.message ?? e).slice(0, 300) });
  }
}

// Warm-up: up to 3 more runs each, within a quarter of the budget.
for (const e of prepared) {
  if (e.first > budgetMs) continue; // one run that long already warmed it up
  const t = performance.now();
  for (let i = 0; i < 3 && performance.now() - t < budgetMs / 4; i++) await e.p.run();
}
// Interleaved measured rounds: each adapter runs once per round until it has spent its budget
// (at least 5 runs, or 3 when a single run is longer than the budget; at most 300).
const minRuns = (e) => (e.first > budgetMs ? 3 : 5);
const spent = new Map(prepared.map((e) => [e, 0]));
for (;;) {
  const active = prepared.filter(
    (e) => e.samples.length < minRuns(e) || (spent.get(e) < budgetMs && e.samples.length < 300),
  );
  if (active.length === 0) break;
  for (const e of active) {
    const t0 = performance.now();
    await e.p.run();
    const ms = performance.now() - t0;
    e.samples.push(ms);
    spent.set(e, spent.get(e) + ms);
  }
}
// Heap: one more run per adapter from a collected heap; peak heap in use (sampled every 256 steps by
// the step functions, and every millisecond by a timer for engines that yield to timers), divided by the
// instances of the run; then the heap still in use after a full collection (what the adapter keeps).
for (const e of prepared) {
  gc();
  gc();
  const base = process.memoryUsage().heapUsed;
  let peak = base;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().heapUsed);
  }, 1);
  heapProbe.peak = base;
  heapProbe.on = true;
  await e.p.run();
  heapProbe.on = false;
  clearInterval(timer);
  peak = Math.max(peak, heapProbe.peak, process.memoryUsage().heapUsed);
  gc();
  gc();
  const kept = process.memoryUsage().heapUsed - base;
  const instances = w.kind === 'concurrent' ? w.n : 1;
  e.heapBytes = { peakAboveBase: peak - base, perInstance: (peak - base) / instances, keptAfterGc: kept, peak };
}
for (const e of prepared) await e.p.close?.();

process.stdout.write(
  JSON.stringify({
    workload: name,
    kind: w.kind,
    steps,
    budgetMs,
    adapters: prepared.map((e) => ({
      adapter: e.adapter.name,
      ...stats(e.samples),
      stepsPerSecond: steps / (stats(e.samples).median / 1000),
      heapPeakBytes: e.heapBytes.peakAboveBase,
      heapPerInstanceBytes: e.heapBytes.perInstance,
      heapUsedPeakBytes: e.heapBytes.peak,
      heapKeptAfterGcBytes: e.heapBytes.keptAfterGc,
      maxOldSpaceMb: Number(/--max-old-space-size=(\d+)/.exec(process.execArgv.join(' '))?.[1] ?? NaN),
    })),
    skipped,
  }) + '\n',
);
process.exit(0);
