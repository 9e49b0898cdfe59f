// In-memory engine time per noop step: a chain and a fan-out into one ALL join, at two sizes
// each (the ratio shows whether time grows linearly). Usage: node in-memory.mjs <chain|fanout> <n>
import { createEngine, createMemoryStore } from '@flowspec/engine';
import { chainSpec, fanOutSpec, finishedWaiter, measure, stats } from '../lib.mjs';

const [shape, nArg] = process.argv.slice(2);
const n = Number(nArg);
const spec = shape === 'chain' ? chainSpec(n) : fanOutSpec(n);
const stepCount = shape === 'chain' ? n : n + 2;
// Keeps the last 10 finished instances (as a long-running process would bound it): an unbounded store
// would keep every measured run's rows, and the time per step would include the GC walking them.
const engine = createEngine({ store: createMemoryStore({ maxFinishedInstances: 10 }) });
const wf = await engine.createWorkflow({ name: `${shape}-${n}`, spec });

// Engine time: from execute() until the instance:finished event. Reading the finished instance back
// (getInstance/waitFor build a view of every step) is a separate cost, measured as its own row.
const finished = finishedWaiter(engine);
const once = async () => {
  const { instanceId } = await engine.execute(wf.id);
  const status = await finished(instanceId);
  if (status !== 'SUCCEEDED') throw new Error(`instance ended ${status}`);
  return instanceId;
};
// One checked run: every step ran exactly once.
let ran = 0;
const off = engine.on('step:finished', () => ran++);
const checkedId = await once();
off(); // from here on nobody listens to step events: they cost nothing when unused
if (ran !== stepCount) throw new Error(`expected ${stepCount} finished steps, saw ${ran}`);
const view = await engine.getInstance(checkedId);
if (view.steps.length !== stepCount || view.steps.some((s) => s.status !== 'SUCCEEDED' || s.attempts !== 1)) {
  throw new Error('a step did not run exactly once');
}
const readSamples = await measure(() => engine.getInstance(checkedId), { warmup: 5, runs: 20 });

const target = Math.max(50, Math.round(2_000_000 / stepCount));
const samples = await measure(once, { warmup: Math.ceil(target / 4), runs: target });
const s = stats(samples);
await engine.stop();
process.stdout.write(
  JSON.stringify({
    scenario: `${shape}-${n}`,
    steps: stepCount,
    ...s,
    usPerStep: (s.median * 1000) / stepCount,
    readMs: stats(readSamples).median,
  }) + '\n',
);
