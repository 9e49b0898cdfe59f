// In-memory engine time per noop step: a chain and a fan-out into one ALL join, at two sizes
// each (the ratio shows whether time grows linearly). Usage: node in-memory.mjs <chain|fanout> <n>
import { createEngine, createMemoryStore } from '@flowspec/engine';
import { chainSpec, fanOutSpec, measure, stats } from '../lib.mjs';

const [shape, nArg] = process.argv.slice(2);
const n = Number(nArg);
const spec = shape === 'chain' ? chainSpec(n) : fanOutSpec(n);
const stepCount = shape === 'chain' ? n : n + 2;
const engine = createEngine({ store: createMemoryStore() });
const wf = await engine.createWorkflow({ name: `${shape}-${n}`, spec });

let ran = 0;
const off = engine.on('step:finished', () => ran++);
const once = async () => {
  const { instanceId } = await engine.execute(wf.id);
  const view = await engine.waitFor(instanceId);
  if (view.status !== 'SUCCEEDED') throw new Error(`instance ended ${view.status}`);
};
// One checked run: every step ran exactly once.
await once();
if (ran !== stepCount) throw new Error(`expected ${stepCount} finished steps, saw ${ran}`);
off(); // from here on nobody listens: events cost nothing when unused

const target = Math.max(20, Math.round(200_000 / stepCount));
const samples = await measure(once, { warmup: Math.ceil(target / 4), runs: target });
const s = stats(samples);
await engine.stop();
process.stdout.write(
  JSON.stringify({ scenario: `${shape}-${n}`, steps: stepCount, ...s, usPerStep: (s.median * 1000) / stepCount }) + '\n',
);
