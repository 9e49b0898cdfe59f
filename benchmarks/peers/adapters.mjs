// Adapters that run the same workloads on Flowspec, a raw floor and the peer engines. Each adapter's
// prepare(workload) returns { run } where run() executes the workload once and throws unless every
// step ran exactly once (so no engine wins by skipping work). Workloads:
//   { kind: 'chain', n }               n noop steps in order
//   { kind: 'fanout', n }              Start -> n noop steps in parallel -> one ALL join (n + 2 steps)
//   { kind: 'concurrent', n, steps }   n instances of a `steps`-step chain started at once
//   { kind: 'diamond', branch }        Start -> if -> (true: branch steps | false: branch steps) -> Join
//   { kind: 'retry', n, failures }     n steps in order, each failing `failures` times before succeeding
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getHeapStatistics } from 'node:v8';
import { pathToFileURL } from 'node:url';
import { createEngine, createMemoryStore, createSimulatedClock } from '@flowspec/engine';
import { chainSpec, fanOutSpec, finishedWaiter } from '../lib.mjs';

/** Steps one run of the workload executes (skipped steps of a diamond do not count). */
export function stepsOf(w) {
  if (w.kind === 'chain') return w.n;
  if (w.kind === 'fanout') return w.n + 2;
  if (w.kind === 'concurrent') return w.n * w.steps;
  if (w.kind === 'diamond') return w.branch + 3;
  if (w.kind === 'retry') return w.n;
  throw new Error(`unknown workload ${w.kind}`);
}

/**
 * Peak heap while a run executes. A workload that runs entirely in microtasks (Flowspec, raw) never
 * yields to a timer, so an interval sampler would see only the start and the end: every adapter's
 * step function samples instead, once every 256 steps, while `on` is set (only for the heap run).
 */
export const heapProbe = { on: false, peak: 0 };
function sampleHeap() {
  const used = getHeapStatistics().used_heap_size;
  if (used > heapProbe.peak) heapProbe.peak = used;
}

/** A counter of step executions with a check that the run did what the workload says. */
function counter() {
  let count = 0;
  return {
    hit() {
      count++;
      if (heapProbe.on && (count & 255) === 0) sampleHeap();
    },
    reset() {
      count = 0;
    },
    expect(n, who) {
      if (count !== n) throw new Error(`${who}: expected ${n} step executions, saw ${count}`);
    },
  };
}

// ---------------------------------------------------------------- raw floor

/** Plain async functions awaited in order; Promise.all for the fan-out. */
export const raw = {
  name: 'raw',
  supports: () => true,
  async prepare(w) {
    const c = counter();
    const noop = async () => {
      c.hit();
    };
    const chain = async (n) => {
      for (let i = 0; i < n; i++) await noop();
    };
    let run;
    if (w.kind === 'chain') run = () => chain(w.n);
    else if (w.kind === 'fanout')
      run = async () => {
        await noop();
        const all = [];
        for (let i = 0; i < w.n; i++) all.push(noop());
        await Promise.all(all);
        await noop();
      };
    else if (w.kind === 'concurrent')
      run = async () => {
        const all = [];
        for (let i = 0; i < w.n; i++) all.push(chain(w.steps));
        await Promise.all(all);
      };
    else if (w.kind === 'diamond')
      run = async () => {
        await noop();
        const cond = await (async () => (c.hit(), 1 === 1))();
        if (cond) await chain(w.branch);
        else await chain(w.branch);
        await noop();
      };
    else if (w.kind === 'retry')
      run = async () => {
        for (let i = 0; i < w.n; i++) {
          let failed = 0;
          for (;;) {
            try {
              if (failed < w.failures) throw new Error('flaky');
              await noop();
              break;
            } catch {
              failed++;
            }
          }
        }
      };
    return {
      async run() {
        c.reset();
        await run();
        c.expect(stepsOf(w), 'raw');
      },
    };
  },
};

// ---------------------------------------------------------------- Flowspec

function diamondSpec(branch) {
  const steps = [
    { name: 'Start', actionId: 'com.datadoghq.core.noop', outboundEdges: [{ nextStepName: 'If', branchName: 'main' }] },
    {
      name: 'If',
      actionId: 'com.datadoghq.core.if',
      parameters: [{ name: 'conditions', value: [{ comparisonOperator: 'eq', leftValue: 1, rightValue: 1 }] }],
      outboundEdges: [
        { nextStepName: 'T0', branchName: 'true' },
        { nextStepName: 'F0', branchName: 'false' },
      ],
    },
  ];
  for (const side of ['T', 'F']) {
    for (let i = 0; i < branch; i++) {
      const next = i + 1 < branch ? `${side}${i + 1}` : 'Join';
      steps.push({
        name: `${side}${i}`,
        actionId: 'bench.noop',
        outboundEdges: [{ nextStepName: next, branchName: 'main' }],
      });
    }
  }
  steps.push({ name: 'Join', actionId: 'com.datadoghq.core.noop', readinessGate: { thresholdType: 'ALL' } });
  return { triggers: [{ startStepNames: ['Start'], workflowTrigger: {} }], steps };
}

function retrySpec(n, failures) {
  // Every step retries up to `failures` times, 1 s apart; the fallback (never reached) is SKIPPED.
  const spec = chainSpec(n);
  for (const s of spec.steps) {
    s.actionId = 'bench.flaky';
    s.errorHandlers = [
      {
        fallbackStepName: 'Fallback',
        retryStrategy: { kind: 'RETRY_STRATEGY_LINEAR', linear: { interval: '1s', maxRetries: failures } },
      },
    ];
  }
  spec.steps.push({ name: 'Fallback', actionId: 'com.datadoghq.core.noop' });
  return spec;
}

/** Flowspec with a given store factory; the engine is created once, each run is one or more instances. */
function flowspec(name, makeStore, { durable = false, inline = false } = {}) {
  return {
    name,
    supports: (w) => !durable || w.kind === 'chain' || w.kind === 'fanout' || w.kind === 'concurrent',
    async prepare(w) {
      const store = await makeStore(w);
      const c = counter();
      const clock = w.kind === 'retry' ? createSimulatedClock() : undefined;
      const engine = createEngine({
        store,
        ...(clock ? { clock } : {}),
        ...(w.kind === 'concurrent' ? { concurrency: 1024 } : {}),
        actions: {
          // A user action per step, like the peers' step functions; `inline` declares it synchronous
          // so the engine calls it without the concurrency queue (as it does its built-in noop).
          'bench.noop': {
            inline,
            handler: () => {
              c.hit();
              return {};
            },
          },
          'bench.flaky': (_p, ctx) => {
            if (ctx.attempt <= w.failures) throw new Error('flaky');
            c.hit();
            return {};
          },
        },
      });
      await engine.start?.();
      let spec;
      if (w.kind === 'chain') spec = chainSpec(w.n);
      else if (w.kind === 'fanout') spec = fanOutSpec(w.n);
      else if (w.kind === 'concurrent') spec = chainSpec(w.steps);
      else if (w.kind === 'diamond') spec = diamondSpec(w.branch);
      else spec = retrySpec(w.n, w.failures);
      if (w.kind === 'chain' || w.kind === 'fanout' || w.kind === 'concurrent')
        for (const s of spec.steps) s.actionId = 'bench.noop';
      const wf = await engine.createWorkflow({ name: `${w.kind}`, spec });
      const finished = finishedWaiter(engine);
      const one = async () => {
        const { instanceId } = await engine.execute(wf.id);
        return instanceId;
      };
      let skippedCheck = w.kind === 'diamond';
      return {
        async run() {
          c.reset();
          const count = w.kind === 'concurrent' ? w.n : 1;
          const started = [];
          for (let i = 0; i < count; i++) started.push(one());
          const ids = await Promise.all(started);
          let statuses;
          if (clock) {
            const p = Promise.all(ids.map(finished));
            await clock.runAll(1_000_000);
            statuses = await p;
          } else statuses = await Promise.all(ids.map(finished));
          if (statuses.some((s) => s !== 'SUCCEEDED')) throw new Error(`${name}: an instance did not succeed`);
          if (w.kind === 'diamond') {
            // Start, If and Join are built-ins: count them from the stored view once.
            c.expect(w.branch, name);
            if (skippedCheck) {
              const view = await engine.getInstance(ids[0]);
              const skipped = view.steps.filter((s) => s.status === 'SKIPPED').length;
              const ok = view.steps.filter((s) => s.status === 'SUCCEEDED' && s.attempts === 1).length;
              if (skipped !== w.branch || ok !== w.branch + 3) throw new Error(`${name}: dead path not eliminated`);
              skippedCheck = false;
            }
          } else c.expect(stepsOf(w), name);
        },
        async close() {
          await engine.stop();
          await store.close?.();
        },
      };
    },
  };
}

// The in-memory store keeps the finished instances of the last run only (maxFinishedInstances = the
// instances of one run): without a bound, repeated runs would pile up finished instances (the peers
// keep nothing), and the benchmark would measure the garbage collector walking them.
const boundedMemoryStore = (w) => createMemoryStore({ maxFinishedInstances: w.kind === 'concurrent' ? w.n : 1 });
export const flowspecMemory = flowspec('flowspec-memory', boundedMemoryStore);
export const flowspecInline = flowspec('flowspec-inline', boundedMemoryStore, { inline: true });

let sqliteDir = null;
let sqliteN = 0;
export const flowspecSqlite = flowspec(
  'flowspec-sqlite',
  async () => {
    const { createSqliteStore } = await import('@flowspec/store-sqlite');
    sqliteDir ??= mkdtempSync(join(process.env.FLOWSPEC_BENCH_DIR ?? tmpdir(), 'flowspec-peers-'));
    return createSqliteStore({ path: join(sqliteDir, `p-${sqliteN++}.db`), synchronous: 'FULL' });
  },
  { durable: true },
);
process.on('exit', () => {
  if (sqliteDir) rmSync(sqliteDir, { recursive: true, force: true });
});

// ---------------------------------------------------------------- xstate v5

export const xstate = {
  name: 'xstate',
  supports: (w) => w.kind === 'chain' || w.kind === 'fanout' || w.kind === 'concurrent',
  async prepare(w) {
    const { setup, createActor, fromPromise, toPromise } = await import('xstate');
    const c = counter();
    const noop = fromPromise(async () => {
      c.hit();
    });
    const chainStates = (n, last) => {
      const states = {};
      for (let i = 0; i < n; i++) states[`S${i}`] = { invoke: { src: 'noop', onDone: i + 1 < n ? `S${i + 1}` : last } };
      return states;
    };
    let config;
    if (w.kind === 'chain' || w.kind === 'concurrent') {
      const n = w.kind === 'chain' ? w.n : w.steps;
      config = { id: 'chain', initial: 'S0', states: { ...chainStates(n, 'done'), done: { type: 'final' } } };
    } else {
      const regions = {};
      for (let i = 0; i < w.n; i++)
        regions[`F${i}`] = {
          initial: 'run',
          states: { run: { invoke: { src: 'noop', onDone: 'ok' } }, ok: { type: 'final' } },
        };
      config = {
        id: 'fanout',
        initial: 'Start',
        states: {
          Start: { invoke: { src: 'noop', onDone: 'Fan' } },
          Fan: { type: 'parallel', states: regions, onDone: 'Join' },
          Join: { invoke: { src: 'noop', onDone: 'done' } },
          done: { type: 'final' },
        },
      };
    }
    const machine = setup({ actors: { noop } }).createMachine(config);
    const one = () => toPromise(createActor(machine).start());
    return {
      async run() {
        c.reset();
        if (w.kind === 'concurrent') {
          const all = [];
          for (let i = 0; i < w.n; i++) all.push(one());
          await Promise.all(all);
        } else await one();
        c.expect(stepsOf(w), 'xstate');
      },
    };
  },
};

// ---------------------------------------------------------------- bpmn-engine

function bpmnXml(w) {
  const parts = [];
  const flows = [];
  const task = (id) => parts.push(`<serviceTask id="${id}" implementation="\${environment.services.noop}" />`);
  const flow = (a, b) => flows.push(`<sequenceFlow id="f${flows.length}" sourceRef="${a}" targetRef="${b}" />`);
  parts.push('<startEvent id="start" />', '<endEvent id="end" />');
  if (w.kind === 'chain' || w.kind === 'concurrent') {
    const n = w.kind === 'chain' ? w.n : w.steps;
    for (let i = 0; i < n; i++) task(`S${i}`);
    flow('start', 'S0');
    for (let i = 0; i + 1 < n; i++) flow(`S${i}`, `S${i + 1}`);
    flow(`S${n - 1}`, 'end');
  } else {
    task('Start');
    task('Join');
    parts.push('<parallelGateway id="fork" />', '<parallelGateway id="join" />');
    flow('start', 'Start');
    flow('Start', 'fork');
    for (let i = 0; i < w.n; i++) {
      task(`F${i}`);
      flow('fork', `F${i}`);
      flow(`F${i}`, 'join');
    }
    flow('join', 'Join');
    flow('Join', 'end');
  }
  return (
    '<?xml version="1.0" encoding="UTF-8"?>' +
    '<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="http://bench">' +
    `<process id="p" isExecutable="true">${parts.join('')}${flows.join('')}</process></definitions>`
  );
}

export const bpmnEngine = {
  name: 'bpmn-engine',
  supports: (w) => w.kind === 'chain' || w.kind === 'fanout' || w.kind === 'concurrent',
  async prepare(w) {
    const { Engine } = await import('bpmn-engine');
    const c = counter();
    const source = bpmnXml(w);
    // Parse and serialize the XML once (outside the timed run), as a deployed engine keeps the parsed model:
    // every run's Engine gets the serialized context (the documented `sourceContext` option), so a run does
    // not parse XML. Fail rather than fall back to `source`, which would parse on every run.
    const [definition] = await new Engine({ source }).getDefinitions();
    const sourceContext = definition?.context?.definitionContext;
    if (typeof sourceContext?.getActivities !== 'function')
      throw new Error('bpmn-engine: no serialized source context');
    const services = {
      noop(_ctx, next) {
        c.hit();
        next();
      },
    };
    const one = () =>
      new Promise((resolve, reject) => {
        const engine = new Engine({ sourceContext });
        engine.once('end', () => resolve());
        engine.once('error', reject);
        engine.execute({ services }).catch(reject);
      });
    return {
      async run() {
        c.reset();
        if (w.kind === 'concurrent') {
          const all = [];
          for (let i = 0; i < w.n; i++) all.push(one());
          await Promise.all(all);
        } else await one();
        c.expect(stepsOf(w), 'bpmn-engine');
      },
    };
  },
};

// ---------------------------------------------------------------- Mastra

export const mastra = {
  name: 'mastra',
  supports: (w) => w.kind === 'chain' || w.kind === 'fanout' || w.kind === 'concurrent',
  async prepare(w) {
    const { createWorkflow, createStep } = await import('@mastra/core/workflows');
    const { z } = await import('zod');
    const c = counter();
    const any = z.any();
    const step = (id) =>
      createStep({
        id,
        inputSchema: any,
        outputSchema: any,
        execute: async () => {
          c.hit();
          return {};
        },
      });
    let wf = createWorkflow({ id: `${w.kind}-${w.n}`, inputSchema: any, outputSchema: any });
    if (w.kind === 'chain' || w.kind === 'concurrent') {
      const n = w.kind === 'chain' ? w.n : w.steps;
      for (let i = 0; i < n; i++) wf = wf.then(step(`S${i}`));
    } else {
      const fan = [];
      for (let i = 0; i < w.n; i++) fan.push(step(`F${i}`));
      wf = wf.then(step('Start')).parallel(fan).then(step('Join'));
    }
    wf.commit();
    const one = async () => {
      const run = await wf.createRun();
      const r = await run.start({ inputData: {} });
      if (r.status !== 'success') throw new Error(`mastra: run ended ${r.status}`);
    };
    return {
      async run() {
        c.reset();
        if (w.kind === 'concurrent') {
          const all = [];
          for (let i = 0; i < w.n; i++) all.push(one());
          await Promise.all(all);
        } else await one();
        c.expect(stepsOf(w), 'mastra');
      },
    };
  },
};

// ---------------------------------------------------------------- DBOS Transact (durable, PostgreSQL)

export const dbos = {
  name: 'dbos',
  supports: (w) => w.kind === 'chain' || w.kind === 'fanout' || w.kind === 'concurrent',
  async prepare(w) {
    const { DBOS } = await import('@dbos-inc/dbos-sdk');
    const pg = (await import('pg')).default;
    const base = process.env.FLOWSPEC_BENCH_PG ?? 'postgresql://postgres@127.0.0.1:5432';
    const dbName = `flowspec_bench_dbos_${process.pid}_${Date.now()}`;
    const admin = new pg.Client({ connectionString: `${base}/postgres` });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${dbName}`);
    await admin.end();
    const c = counter();
    const noop = async () => {
      c.hit();
    };
    const chain = DBOS.registerWorkflow(
      async (n) => {
        for (let i = 0; i < n; i++) await DBOS.runStep(noop, { name: `S${i}` });
      },
      { name: 'chain' },
    );
    const fanout = DBOS.registerWorkflow(
      async (n) => {
        await DBOS.runStep(noop, { name: 'Start' });
        const all = [];
        for (let i = 0; i < n; i++) all.push(DBOS.runStep(noop, { name: `F${i}` }));
        await Promise.all(all);
        await DBOS.runStep(noop, { name: 'Join' });
      },
      { name: 'fanout' },
    );
    DBOS.setConfig({ name: 'flowspec-bench', systemDatabaseUrl: `${base}/${dbName}`, logLevel: 'error' });
    await DBOS.launch();
    return {
      async run() {
        c.reset();
        if (w.kind === 'chain') await chain(w.n);
        else if (w.kind === 'fanout') await fanout(w.n);
        else {
          const all = [];
          for (let i = 0; i < w.n; i++) all.push(chain(w.steps));
          await Promise.all(all);
        }
        c.expect(stepsOf(w), 'dbos');
      },
      async close() {
        await DBOS.shutdown();
        const a = new pg.Client({ connectionString: `${base}/postgres` });
        await a.connect();
        await a.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
        await a.end();
      },
    };
  },
};

// ---------------------------------------------------------------- n8n-core (own package, installed on demand)

// n8n's WorkflowExecute on a Workflow with a noop node type per step; the fan-out's join is one node
// with n main inputs (what n8n's Merge node does with one input per branch). n8n-core lives in
// peers/n8n/ with its own lockfile (it pins zod 3 and pulls in LangChain, Sentry and ssh2), installed
// the first time this adapter is prepared; loaded by path so this package never resolves n8n.
export const n8nCore = {
  name: 'n8n-core',
  supports: (w) => w.kind === 'chain' || w.kind === 'fanout' || w.kind === 'concurrent',
  async prepare(w) {
    const { ensureN8n } = await import('./n8n/ensure.mjs');
    const adapterFile = ensureN8n({ log: (m) => console.error(m) });
    const { makeN8nAdapter } = await import(pathToFileURL(adapterFile).href);
    return makeN8nAdapter(counter, stepsOf).prepare(w);
  },
};

export const allAdapters = [
  raw,
  flowspecMemory,
  flowspecInline,
  flowspecSqlite,
  xstate,
  bpmnEngine,
  mastra,
  dbos,
  n8nCore,
];
