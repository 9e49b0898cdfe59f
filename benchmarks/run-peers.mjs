#!/usr/bin/env node
// Flowspec side by side with a raw floor and the peer engines: each workload in a fresh process,
// adapters interleaved inside it. Prints markdown tables, writes JSON to benchmarks/results/ and the
// scaling charts (SVG) to docs/benchmarks/. Usage: node run-peers.mjs [--quick] [filter]
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureN8n } from './peers/n8n/ensure.mjs';
import { profileInMemory } from './peers/profile.mjs';
import { logLogChart } from './peers/svg.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const quick = process.argv.includes('--quick');
const filter = process.argv.slice(2).find((a) => !a.startsWith('--')) ?? '';

const ALL = 'raw,flowspec-memory,flowspec-inline,flowspec-sqlite,xstate,bpmn-engine,mastra,dbos,n8n-core';
const MEM = 'raw,flowspec-memory,flowspec-inline';
// [workload, adapters, budget ms per adapter]. Peers are left out of sizes where one run of theirs
// takes many seconds (the docs say which and why).
const full = [
  ['chain-10', ALL, 2000],
  ['chain-100', ALL, 2000],
  ['chain-1000', ALL, 2000],
  // n8n-core is left out from 10,000 steps: one chain of 1,000 already takes ~0.8 s (its per-step
  // getHighestNode walk up the chain grows with the depth of the step).
  ['chain-10000', 'raw,flowspec-memory,flowspec-inline,xstate', 3000],
  ['chain-100000', MEM, 3000],
  ['fanout-10', ALL, 2000],
  ['fanout-100', ALL, 2000],
  // xstate (a parallel state of 1,000 regions: fan-out of 300 already takes ~0.9 s, 1,000 did not end in
  // 60 s) and bpmn-engine (a 1,000-branch parallel gateway never ends) are left out here.
  ['fanout-1000', 'raw,flowspec-memory,flowspec-inline,flowspec-sqlite,mastra,dbos,n8n-core', 2000],
  ['fanout-10000', 'raw,flowspec-memory,flowspec-inline,flowspec-sqlite', 3000],
  ['fanout-100000', MEM, 3000],
  ['diamond-10', MEM, 2000],
  ['retry-100x2', MEM, 2000],
  ['concurrent-100x10', 'raw,flowspec-memory,flowspec-inline,flowspec-sqlite,xstate,mastra,dbos,n8n-core', 2000],
  ['concurrent-1000x10', 'raw,flowspec-memory,flowspec-inline,flowspec-sqlite,xstate,mastra,n8n-core', 3000],
  ['concurrent-10000x10', 'raw,flowspec-memory,flowspec-inline,xstate', 3000],
  ['concurrent-100000x10', MEM, 3000],
  ['compile-10000', '', 2000],
];
const quickSet = [
  ['chain-100', 'raw,flowspec-memory,flowspec-inline,xstate,n8n-core', 300],
  ['chain-1000', 'raw,flowspec-memory,flowspec-inline,flowspec-sqlite,xstate', 500],
  ['chain-10000', MEM, 500],
  ['fanout-1000', 'raw,flowspec-memory,flowspec-inline,flowspec-sqlite', 500],
  ['fanout-10000', MEM, 500],
  ['diamond-10', MEM, 300],
  ['retry-100x2', MEM, 300],
  ['concurrent-1000x10', 'raw,flowspec-memory,flowspec-inline,flowspec-sqlite', 1000],
  ['compile-10000', '', 500],
];
const plan = (quick ? quickSet : full).filter(([w]) => w.includes(filter));
if (plan.length === 0 && filter !== 'profile') process.exit(0);

// n8n-core has its own package (peers/n8n/), installed here the first time a workload needs it; when
// that fails, the scenarios get the reason and print it as the n8n-core row's "skipped".
if (plan.some(([, adapters]) => adapters.split(',').includes('n8n-core')) && !process.env.FLOWSPEC_N8N_SKIP) {
  try {
    ensureN8n({ log: (m) => console.error(m) });
  } catch (e) {
    process.env.FLOWSPEC_N8N_SKIP = String(e?.message ?? e);
    console.error(`n8n-core rows skipped: ${process.env.FLOWSPEC_N8N_SKIP}`);
  }
}

// Mastra and DBOS run their steps inside an AsyncLocalStorage context, which turns on Node's promise
// hooks for the whole process: every `await` of every adapter in that process then costs about 4x
// (measured: a chain of 1,000 raw awaits 0.042 ms alone, 0.15-0.23 ms next to Mastra or DBOS). They run
// in a process of their own (still interleaved with each other), so they cannot slow the raw floor,
// Flowspec or the other peers; each pays only for its own hooks.
const OWN_PROCESS = new Set(['mastra', 'dbos']);

function runScenario(workload, adapters, budget) {
  const r = spawnSync(
    process.execPath,
    ['--expose-gc', '--max-old-space-size=4096', 'scenarios/peers.mjs', workload, String(budget), adapters],
    { cwd: here, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 600_000, maxBuffer: 1 << 26 },
  );
  const line = (r.stdout ?? '').trim().split('\n').pop();
  if (r.status !== 0 || !line) {
    throw new Error(`exit ${r.status ?? r.signal}: ${(r.stderr ?? '').slice(-2000)}`);
  }
  return JSON.parse(line);
}

const results = [];
for (const [workload, adapters, budget] of plan) {
  const t0 = Date.now();
  const names = adapters === '' ? [] : adapters.split(',');
  const groups = [names.filter((a) => !OWN_PROCESS.has(a)), names.filter((a) => OWN_PROCESS.has(a))].filter(
    (g, i) => i === 0 || g.length > 0,
  );
  try {
    const parts = groups.map((g) => runScenario(workload, g.join(','), budget));
    const res = parts[0];
    for (const more of parts.slice(1)) {
      res.adapters.push(...more.adapters);
      res.skipped.push(...more.skipped);
    }
    console.error(`${workload}: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    results.push(res);
  } catch (e) {
    const error = String(e?.message ?? e);
    console.error(`workload ${workload} failed (${error})`);
    results.push({ workload, failed: true, error });
  }
}

const machine = `${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`;
console.log(`\nmachine: ${machine}${quick ? ' (quick subset)' : ''}\n`);

const f = (v, d = 1) => (v === undefined || v === null || Number.isNaN(v) ? '-' : v.toFixed(d));
const kB = (b) => (b === undefined ? '-' : (b / 1024).toFixed(1));
console.log(
  '| workload | adapter | steps | median ms | p25-p75 ms (runs) | steps/s | µs/step above raw | ratio to raw | Flowspec (memory) faster by | heap peak per instance kB |',
);
console.log('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const r of results.filter((x) => x.adapters)) {
  const raw = r.adapters.find((a) => a.adapter === 'raw');
  const fs = r.adapters.find((a) => a.adapter === 'flowspec-memory');
  const fsd = r.adapters.find((a) => a.adapter === 'flowspec-sqlite');
  for (const a of r.adapters) {
    a.usPerStepAboveRaw = raw ? ((a.median - raw.median) * 1000) / r.steps : undefined;
    a.ratioToRaw = raw ? a.median / raw.median : undefined;
    // Flowspec against this adapter: in-memory engines against Flowspec in memory, durable ones
    // (dbos) against Flowspec on SQLite.
    const mine = a.adapter === 'dbos' ? fsd : fs;
    a.flowspecSpeedup =
      mine && !a.adapter.startsWith('flowspec') && a.adapter !== 'raw' ? a.median / mine.median : undefined;
    console.log(
      `| ${r.workload} | ${a.adapter} | ${r.steps} | ${f(a.median, 3)} | ${f(a.p25, 3)}-${f(a.p75, 3)} (${a.runs}) | ` +
        `${Math.round(a.stepsPerSecond)} | ${f(a.usPerStepAboveRaw, 2)} | ${f(a.ratioToRaw)} | ` +
        `${a.flowspecSpeedup === undefined ? '' : `${f(a.flowspecSpeedup)}x${a.adapter === 'dbos' ? ' (SQLite)' : ''}`} | ` +
        `${kB(a.heapPerInstanceBytes)} |`,
    );
  }
  for (const s of r.skipped ?? [])
    console.log(`| ${r.workload} | ${s.adapter} | skipped: ${s.reason.replace(/\|/g, '/')} |||||||`);
}

const compile = results.find((r) => r.kind === 'compile');
if (compile) {
  console.log(`\ncompile/validate a ${compile.steps}-step spec (median ms, p25-p75):`);
  for (const k of ['validate', 'engineValidate', 'compile'])
    console.log(
      `- ${k}: ${f(compile[k].median, 2)} (${f(compile[k].p25, 2)}-${f(compile[k].p75, 2)}, ${compile[k].runs} runs)`,
    );
}

// Scaling: time (and heap) against N for Flowspec in memory, beside raw and the peers measured there.
const scaling = {};
const charts = [];
for (const [kind, xLabel] of [
  ['chain', 'steps in the chain (N)'],
  ['fanout', 'parallel steps (N)'],
  ['concurrent', 'concurrent 10-step instances (N)'],
]) {
  const rows = results.filter((r) => r.kind === kind && r.adapters);
  const sizeOf = (r) => Number(r.workload.split('-')[1].split('x')[0]);
  const names = [...new Set(rows.flatMap((r) => r.adapters.map((a) => a.adapter)))];
  const series = names.map((name) => ({
    name,
    points: rows.flatMap((r) => r.adapters.filter((a) => a.adapter === name).map((a) => [sizeOf(r), a.median])),
  }));
  const fsPts = series.find((s) => s.name === 'flowspec-memory')?.points.sort((a, b) => a[0] - b[0]) ?? [];
  const growth = [];
  for (let i = 1; i < fsPts.length; i++)
    if (fsPts[i][0] === fsPts[i - 1][0] * 10)
      growth.push({ from: fsPts[i - 1][0], to: fsPts[i][0], ratio: fsPts[i][1] / fsPts[i - 1][1] });
  scaling[kind] = { growth };
  if (growth.length > 0) {
    console.log(`\ngrowth of Flowspec in memory, ${kind} (time at 10N / time at N; linear = 10):`);
    for (const g of growth) console.log(`- ${g.from} -> ${g.to}: ${g.ratio.toFixed(2)}`);
  }
  if (!quick && rows.length > 1) {
    charts.push([
      `scaling-${kind}.svg`,
      logLogChart({ title: `${kind}: median time per run`, xLabel, yLabel: 'ms (log)', series }),
    ]);
    charts.push([
      `heap-${kind}.svg`,
      logLogChart({
        title: `${kind}: peak heap above baseline`,
        xLabel,
        yLabel: 'bytes (log)',
        series: names.map((name) => ({
          name,
          points: rows.flatMap((r) =>
            r.adapters.filter((a) => a.adapter === name).map((a) => [sizeOf(r), Math.max(1, a.heapPeakBytes)]),
          ),
        })),
      }),
    ]);
  }
}
if (charts.length > 0 && !filter) {
  const docs = join(here, '..', 'docs', 'benchmarks');
  mkdirSync(docs, { recursive: true });
  for (const [file, svg] of charts) if (svg) writeFileSync(join(docs, file), svg);
  console.log(`\nwrote ${charts.length} charts to docs/benchmarks/`);
}

let profile = null;
if (!quick && (!filter || filter === 'profile')) {
  profile = [profileInMemory('chain', 1000), profileInMemory('fanout', 1000)];
  for (const p of profile) {
    console.log(`\nCPU profile, in-memory ${p.shape}-${p.n} (${f(p.totalMs, 0)} ms sampled), top self time:`);
    console.log('| self ms | share | function |');
    console.log('|---:|---:|---|');
    for (const t of p.top) console.log(`| ${f(t.selfMs, 0)} | ${f(t.share * 100)}% | \`${t.fn}\` |`);
  }
}

mkdirSync(join(here, 'results'), { recursive: true });
const file = join(
  here,
  'results',
  `peers-${quick ? 'quick-' : ''}${new Date().toISOString().replace(/[:.]/g, '-')}.json`,
);
writeFileSync(file, JSON.stringify({ machine, quick, results, scaling, profile }, null, 2) + '\n');
console.log(`\nwrote ${file}`);
if (results.some((r) => r.failed)) process.exit(1);
