// Durable throughput on SQLite: `instances` concurrent instances of a `steps`-step noop chain, as
// durable steps committed per second, next to the same run on the in-memory store; and the
// instance-start latency (execute() called -> first step's handler running) on an idle engine.
// Each round's wall time is also given as CPU time of this process (a shared machine inflates the
// former, not the latter).
// Usage: node sqlite.mjs [instances=1000] [steps=10] [synchronous=FULL|NORMAL] [kind=pure|effect]
// kind=pure uses the built-in noop, which is pure: a run of them commits once per turn, not per step.
// kind=effect uses an action registered without `pure` (a handler returning {}): every step is
// committed RUNNING before its call and again with its result, as for any side-effecting action.
// The database goes to $FLOWSPEC_BENCH_DIR or the OS temp directory (its file system is printed).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createEngine, createMemoryStore } from '@flowspec/engine';
import { createSqliteStore } from '@flowspec/store-sqlite';
import { chainSpec, finishedWaiter, stats } from '../lib.mjs';

const instances = Number(process.argv[2] ?? 1000);
const steps = Number(process.argv[3] ?? 10);
const synchronous = process.argv[4] ?? 'FULL';
const kind = process.argv[5] ?? 'pure';
const EFFECT = 'bench.effect';
const ROUNDS = 7;
const LATENCY_SAMPLES = 300;

const dir = mkdtempSync(join(process.env.FLOWSPEC_BENCH_DIR ?? tmpdir(), 'flowspec-bench-'));
let fileSystem = 'unknown';
try {
  fileSystem = execFileSync('df', ['-T', dir], { encoding: 'utf8' }).trim().split('\n').pop().split(/\s+/)[1];
} catch {
  // df is not everywhere; the figure is still valid, only unlabelled
}

/** Count commits and rows going through a store (a thin wrapper: one extra call per commit). */
function counting(store) {
  const counts = { commits: 0, instanceRows: 0, stepRows: 0 };
  const commit = (batch) => {
    counts.commits++;
    counts.instanceRows += batch.instances.length;
    counts.stepRows += batch.steps.length;
    return store.commit(batch);
  };
  // A Proxy, not a subclass: the stores keep their state in #private fields, bound to the real object.
  const wrapped = new Proxy(store, {
    get: (target, key) => {
      if (key === 'commit') return commit;
      const value = target[key];
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { store: wrapped, counts };
}

async function setUp(store) {
  const engine = createEngine({ store, actions: { [EFFECT]: () => ({}) } });
  await engine.start();
  const spec = kind === 'effect' ? chainSpec(steps, EFFECT) : chainSpec(steps);
  const wf = await engine.createWorkflow({ name: `chain-${steps}`, spec });
  const finished = finishedWaiter(engine);
  return { engine, wf, finished };
}

/** One round: `instances` executes at once, until every instance finished. Returns ms. */
async function round({ engine, wf, finished }) {
  const t0 = performance.now();
  const started = await Promise.all(Array.from({ length: instances }, () => engine.execute(wf.id)));
  const statuses = await Promise.all(started.map((r) => finished(r.instanceId)));
  const ms = performance.now() - t0;
  if (statuses.some((s) => s !== 'SUCCEEDED')) throw new Error('an instance did not succeed');
  return { ms, ids: started.map((r) => r.instanceId) };
}

async function throughput(makeStore) {
  const { store, counts } = counting(makeStore());
  const ctx = await setUp(store);
  await round(ctx); // warm-up
  const samples = [];
  const cpuSamples = [];
  let lastIds = [];
  const before = { ...counts };
  for (let i = 0; i < ROUNDS; i++) {
    const cpu0 = process.cpuUsage();
    const r = await round(ctx);
    const cpu = process.cpuUsage(cpu0);
    samples.push(r.ms);
    cpuSamples.push((cpu.user + cpu.system) / 1000);
    lastIds = r.ids;
  }
  // Check a finished instance as stored: every step SUCCEEDED after exactly one attempt.
  const rows = await store.getSteps(lastIds[lastIds.length - 1]);
  if (rows.length !== steps || rows.some((r) => r.status !== 'SUCCEEDED' || r.attempts !== 1)) {
    throw new Error(`stored steps are wrong: ${JSON.stringify(rows.map((r) => [r.status, r.attempts]))}`);
  }
  const perRound = {
    commits: (counts.commits - before.commits) / ROUNDS,
    stepRows: (counts.stepRows - before.stepRows) / ROUNDS,
    instanceRows: (counts.instanceRows - before.instanceRows) / ROUNDS,
  };
  await ctx.engine.stop();
  await store.close();
  return { ...stats(samples), cpuMedianMs: stats(cpuSamples).median, perRound };
}

/** Sequential starts on an idle engine: execute() called -> step:started of the first step. */
async function startLatency(makeStore) {
  const store = makeStore();
  const ctx = await setUp(store);
  let mark = null;
  ctx.engine.on('step:started', (e) => {
    if (mark !== null && e.step === 'S0' && mark.t1 === 0) mark.t1 = performance.now();
  });
  const samples = [];
  for (let i = 0; i < LATENCY_SAMPLES + 50; i++) {
    mark = { t1: 0 };
    const t0 = performance.now();
    const { instanceId } = await ctx.engine.execute(ctx.wf.id);
    await ctx.finished(instanceId);
    if (i >= 50) samples.push(mark.t1 - t0); // the first 50 warm up
  }
  await ctx.engine.stop();
  await store.close();
  return stats(samples);
}

let n = 0;
const sqlite = () => createSqliteStore({ path: join(dir, `bench-${n++}.db`), synchronous });
const memory = () => createMemoryStore();
try {
  const durable = await throughput(sqlite);
  const inMemory = await throughput(memory);
  const latency = await startLatency(sqlite);
  const totalSteps = instances * steps;
  const result = {
    scenario: `sqlite-${instances}x${steps}-${synchronous.toLowerCase()}${kind === 'effect' ? '-effects' : ''}`,
    kind,
    synchronous,
    fileSystem,
    instances,
    stepsPerInstance: steps,
    rounds: ROUNDS,
    sqliteMedianMs: durable.median,
    sqliteP25Ms: durable.p25,
    sqliteP75Ms: durable.p75,
    durableStepsPerSecond: totalSteps / (durable.median / 1000),
    memoryMedianMs: inMemory.median,
    memoryStepsPerSecond: totalSteps / (inMemory.median / 1000),
    ratioToMemory: totalSteps / (durable.median / 1000) / (totalSteps / (inMemory.median / 1000)),
    // CPU time of this process per round (user + system): what the run costs apart from waiting for
    // the disk and for other processes on a shared machine.
    sqliteCpuMedianMs: durable.cpuMedianMs,
    memoryCpuMedianMs: inMemory.cpuMedianMs,
    commitsPerRound: durable.perRound.commits,
    stepRowsPerCommit: durable.perRound.stepRows / durable.perRound.commits,
    startLatencyMedianMs: latency.median,
    startLatencyP25Ms: latency.p25,
    startLatencyP75Ms: latency.p75,
    startLatencyMaxMs: latency.max,
  };
  process.stdout.write(JSON.stringify(result) + '\n');
} finally {
  rmSync(dir, { recursive: true, force: true });
}
