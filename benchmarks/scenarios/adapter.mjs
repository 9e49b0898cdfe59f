// One adapter on one workload, alone in its process: the quickest before/after check of a change.
// Prints the median time per run and per step. Usage:
//   node scenarios/adapter.mjs <adapter> <workload> [runs]
//   e.g. node scenarios/adapter.mjs flowspec-memory chain-1000 2000
import { performance } from 'node:perf_hooks';
import { allAdapters, stepsOf } from '../peers/adapters.mjs';
import { parseWorkload, stats } from '../lib.mjs';

const [name, workload, runsArg] = process.argv.slice(2);
const adapter = allAdapters.find((a) => a.name === name);
if (!adapter) throw new Error(`unknown adapter "${name}"; adapters: ${allAdapters.map((a) => a.name).join(', ')}`);
const w = parseWorkload(workload ?? '');
if (!adapter.supports(w)) throw new Error(`${name} does not run ${workload}`);
const steps = stepsOf(w);
const runs = Number(runsArg ?? Math.max(20, Math.round(2_000_000 / steps)));
const p = await adapter.prepare(w);
for (let i = 0; i < Math.max(5, runs / 10); i++) await p.run();
const samples = [];
for (let i = 0; i < runs; i++) {
  const t0 = performance.now();
  await p.run();
  samples.push(performance.now() - t0);
}
await p.close?.();
const s = stats(samples);
console.log(
  `${name} ${workload}: median ${s.median.toFixed(3)} ms (p25-p75 ${s.p25.toFixed(3)}-${s.p75.toFixed(3)}, ` +
    `${s.runs} runs), ${((s.median * 1000) / steps).toFixed(2)} µs per step`,
);
process.exit(0);
