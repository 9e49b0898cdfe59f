// A Flowspec engine process for the crash tests (test/crash/crash.test.ts). It imports the BUILT
// packages (run `tsc -b` first) and runs workflows on a SQLite file; a fault point named by
// FLOWSPEC_FAULT makes it kill itself with SIGKILL there. Every action call is appended to a log file
// (one JSON object per line, fs.appendFileSync: it survives the kill), so the parent counts calls.
//
// Environment:
//   FLOWSPEC_DB          database file
//   FLOWSPEC_LOG         append-only log file
//   FLOWSPEC_MODE        run: create the workflow, start FLOWSPEC_INSTANCES instances, wait for them
//                        recover: start the engine (recovery) and wait until no instance is unfinished
//                        hold: open the store, print "ready", keep it open until killed
//   FLOWSPEC_WORKFLOW    chain (A -> B -> C -> D) | sleep (A -> Nap (60 s sleep) -> B)
//   FLOWSPEC_INSTANCES   how many instances to start (run mode), default 50
//   FLOWSPEC_FAULT       none | before-commit | after-commit | sleep | mid-commit
//   FLOWSPEC_CLOCK_OFFSET_MS  added to the wall clock (a restart "later" without waiting)
import { appendFileSync } from 'node:fs';
import { createEngine, systemClock } from '@flowspec/engine';
import { createSqliteStore } from '@flowspec/store-sqlite';

const env = process.env;
const dbPath = env.FLOWSPEC_DB;
const logPath = env.FLOWSPEC_LOG;
const mode = env.FLOWSPEC_MODE ?? 'run';
const shape = env.FLOWSPEC_WORKFLOW ?? 'chain';
const count = Number(env.FLOWSPEC_INSTANCES ?? 50);
const fault = env.FLOWSPEC_FAULT ?? 'none';
const offset = Number(env.FLOWSPEC_CLOCK_OFFSET_MS ?? 0);

const log = (entry) => appendFileSync(logPath, JSON.stringify({ pid: process.pid, ...entry }) + '\n');
const die = (point) => {
  log({ type: 'fault', point });
  process.kill(process.pid, 'SIGKILL');
};

/** The step whose results the fault points watch: all its calls finish together (a barrier). */
const watched = { 'before-commit': 'B', 'after-commit': 'B', 'mid-commit': 'A', sleep: 'A' }[fault] ?? null;

/** The wall clock shifted by `offset` ms. */
const clock = {
  now: () => Date.now() + offset,
  setTimer: (at, fn) => ({ at, inner: systemClock.setTimer(at - offset, fn) }),
  clearTimer: (handle) => systemClock.clearTimer(handle.inner),
};

let barrier = null;
let waiting = 0;
let release = () => {};
if (mode === 'run' && watched !== null) {
  barrier = new Promise((resolve) => {
    release = resolve;
  });
}

async function work(_params, ctx) {
  log({ type: 'call', instanceId: ctx.instanceId, step: ctx.stepName, attempt: ctx.attempt, key: ctx.idempotencyKey });
  await new Promise((resolve) => setImmediate(resolve));
  if (barrier !== null && ctx.stepName === watched) {
    // Every instance's call of the watched step returns in the same microtask run (nothing may
    // yield to the event loop after the barrier): one engine turn, one group commit of 50 instances.
    if (++waiting === count) release();
    await barrier;
  }
  // mid-commit: big outputs, so the batch overflows SQLite's page cache and spills uncommitted pages
  // into the WAL before the process dies (recovery must ignore them).
  if (fault === 'mid-commit' && ctx.stepName === 'A') return { step: ctx.stepName, pad: 'p'.repeat(900_000) };
  return { step: ctx.stepName };
}

const batchHas = (batch, step, pred) => batch.steps.some((s) => s.name === step && pred(s));

const hooks = {};
if (mode === 'run' && fault === 'mid-commit') {
  hooks.midCommit = (batch) => {
    if (batchHas(batch, 'A', (s) => s.status === 'SUCCEEDED')) die('mid-commit');
  };
}

function openStore() {
  try {
    return createSqliteStore({ path: dbPath, hooks });
  } catch (err) {
    process.stderr.write(`${err.code}: ${err.message}\n`);
    process.exit(3);
  }
}

const store = openStore();
if (mode === 'hold') {
  process.stdout.write('ready\n');
  setInterval(() => {}, 1 << 30);
} else {
  // Fault points around the real commit, through a wrapper the engine calls instead.
  const commit = store.commit.bind(store);
  const engineStore = new Proxy(store, {
    get: (target, key) => {
      if (key === 'commit') {
        return (batch) => {
          const succeededB = batchHas(batch, 'B', (s) => s.status === 'SUCCEEDED');
          if (mode === 'run' && fault === 'before-commit' && succeededB) die('before-commit');
          const result = commit(batch);
          if (mode === 'run' && fault === 'after-commit' && succeededB) die('after-commit');
          if (mode === 'run' && fault === 'sleep' && batchHas(batch, 'Nap', (s) => s.timerKind === 'sleep')) {
            die('sleep');
          }
          return result;
        };
      }
      const value = target[key];
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });

  const engine = createEngine({ store: engineStore, clock, actions: { 't.work': work }, concurrency: 64 });
  // Done once `expected` instances finished (the ids are checked by the parent from the log).
  const expected = mode === 'recover' ? (await store.listUnfinishedInstanceIds()).length : count;
  let finished = 0;
  let allDone = () => {};
  const done = new Promise((resolve) => {
    allDone = resolve;
  });
  engine.on('instance:finished', (e) => {
    log({ type: 'finished', instanceId: e.instanceId, status: e.status });
    if (++finished === expected) allDone();
  });

  if (mode === 'recover') {
    log({ type: 'recovering', instances: expected });
    if (expected === 0) allDone();
    await engine.start();
  } else {
    await engine.start();
    const steps =
      shape === 'sleep'
        ? [
            { name: 'A', actionId: 't.work', outboundEdges: [{ nextStepName: 'Nap', branchName: 'main' }] },
            {
              name: 'Nap',
              actionId: 'com.datadoghq.core.sleep',
              parameters: [{ name: 'durationSeconds', value: 60 }],
              outboundEdges: [{ nextStepName: 'B', branchName: 'main' }],
            },
            { name: 'B', actionId: 't.work' },
          ]
        : ['A', 'B', 'C', 'D'].map((name, i, all) => ({
            name,
            actionId: 't.work',
            outboundEdges: i + 1 < all.length ? [{ nextStepName: all[i + 1], branchName: 'main' }] : [],
          }));
    const wf = await engine.createWorkflow({
      name: `crash-${shape}`,
      spec: { triggers: [{ startStepNames: ['A'], workflowTrigger: {} }], steps },
    });
    await Promise.all(
      Array.from({ length: count }, async () => {
        const { instanceId } = await engine.execute(wf.id);
        log({ type: 'accepted', instanceId });
      }),
    );
  }
  await done;
  await engine.stop();
  await store.close();
  log({ type: 'exit', mode });
}
