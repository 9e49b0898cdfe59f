#!/usr/bin/env node
// Runs every benchmark scenario in a fresh process, prints a markdown table and writes JSON to
// benchmarks/results/. Usage: npm run bench [-- <filter>]
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const filter = process.argv[2] ?? '';
// `--quick` (npm run bench:quick): only the quick subset of the side-by-side run, under 60 s.
if (process.argv.includes('--quick')) {
  const quick = spawnSync(process.execPath, [join(here, 'run-peers.mjs'), ...process.argv.slice(2)], {
    stdio: 'inherit',
  });
  process.exit(quick.status ?? 1);
}
const scenarios = [
  { name: 'chain-1000', args: ['scenarios/in-memory.mjs', 'chain', '1000'] },
  { name: 'chain-10000', args: ['scenarios/in-memory.mjs', 'chain', '10000'] },
  { name: 'fanout-1000', args: ['scenarios/in-memory.mjs', 'fanout', '1000'] },
  { name: 'fanout-10000', args: ['scenarios/in-memory.mjs', 'fanout', '10000'] },
  { name: 'heap-10-step', args: ['--expose-gc', 'scenarios/heap.mjs', '20000'] },
  // Heap capped at 1 GB: finishing proves 100,000 concurrent 10-step instances fit in it.
  {
    name: 'concurrent-heap-100000x10',
    args: ['--expose-gc', '--max-old-space-size=1024', 'scenarios/concurrent-heap.mjs', '100000'],
  },
  { name: 'sqlite-1000x10-full', args: ['scenarios/sqlite.mjs', '1000', '10', 'FULL'] },
  { name: 'sqlite-1000x10-normal', args: ['scenarios/sqlite.mjs', '1000', '10', 'NORMAL'] },
  { name: 'sqlite-1000x10-full-effects', args: ['scenarios/sqlite.mjs', '1000', '10', 'FULL', 'effect'] },
  { name: 'rest-sqlite', args: ['scenarios/rest.mjs', '10', '50'] },
].filter((s) => s.name.includes(filter));

const results = [];
for (const s of scenarios) {
  const r = spawnSync(process.execPath, s.args, { cwd: here, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (r.status !== 0) {
    console.error(`benchmark ${s.name} failed (exit ${r.status ?? r.signal})`);
    process.exit(1);
  }
  results.push(JSON.parse(r.stdout.trim().split('\n').pop()));
}

const byName = Object.fromEntries(results.map((r) => [r.scenario, r]));
const machine = `${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`;
console.log(`\nmachine: ${machine}\n`);
console.log('| scenario | steps | median ms | p25-p75 ms | runs | µs per step |');
console.log('|---|---:|---:|---:|---:|---:|');
for (const r of results.filter((x) => x.usPerStep !== undefined)) {
  console.log(
    `| ${r.scenario} | ${r.steps} | ${r.median.toFixed(3)} | ${r.p25.toFixed(3)}-${r.p75.toFixed(3)} | ${r.runs} | ${r.usPerStep.toFixed(3)} |`,
  );
}
for (const [a, b] of [
  ['chain-1000', 'chain-10000'],
  ['fanout-1000', 'fanout-10000'],
]) {
  if (byName[a] && byName[b])
    console.log(`\ngrowth ${b} / ${a}: ${(byName[b].median / byName[a].median).toFixed(2)} (linear: 10)`);
}
if (byName['heap-10-step']) {
  console.log(
    `\nheap per finished 10-step instance in the memory store: ${byName['heap-10-step'].bytesPerInstance.toFixed(0)} bytes`,
  );
}
const ch = byName['concurrent-heap-100000x10'];
if (ch) {
  const mb = (b) => (b / 2 ** 20).toFixed(0);
  console.log(
    `\n${ch.instances} concurrent 10-step instances (user action per step, default memory store) with the heap ` +
      `capped at ${ch.heapLimitMb} MB: completed in ${(ch.ms / 1000).toFixed(1)} s ` +
      `(${((ch.ms * 1000) / ch.steps).toFixed(2)} µs/step); peak heap in use ${mb(ch.heapUsedPeakBytes)} MB, ` +
      `${mb(ch.heapUsedAfterGcBytes)} MB after a full GC (the ${ch.instances} finished instances the store keeps)`,
  );
}
const durable = results.filter((r) => r.durableStepsPerSecond !== undefined);
if (durable.length > 0) {
  console.log(
    '\n| scenario | synchronous | durable steps/s | ratio to in-memory | start latency median ms (p25-p75) | commits/round |',
  );
  console.log('|---|---|---:|---:|---:|---:|');
  for (const r of durable) {
    console.log(
      `| ${r.scenario} | ${r.synchronous} | ${Math.round(r.durableStepsPerSecond)} | ${r.ratioToMemory.toFixed(2)} | ` +
        `${r.startLatencyMedianMs.toFixed(3)} (${r.startLatencyP25Ms.toFixed(3)}-${r.startLatencyP75Ms.toFixed(3)}) | ${r.commitsPerRound} |`,
    );
  }
}
if (byName['rest-sqlite']) {
  const r = byName['rest-sqlite'];
  console.log(`\nREST server on SQLite (${r.connections} connections, ${r.durationS} s each, 3-step noop workflow):`);
  console.log('| request | requests/s | p50 ms | p99 ms |');
  console.log('|---|---:|---:|---:|');
  console.log(`| execute (POST .../instances) | ${Math.round(r.executeRps)} | ${r.executeP50} | ${r.executeP99} |`);
  console.log(`| get instance (GET .../instances/{id}) | ${Math.round(r.getRps)} | ${r.getP50} | ${r.getP99} |`);
}
mkdirSync(join(here, 'results'), { recursive: true });
const file = join(here, 'results', `bench-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(file, JSON.stringify({ machine, results }, null, 2) + '\n');
console.log(`\nwrote ${file}`);

// Flowspec side by side with the raw floor and the peer engines (docs/benchmarks-peers.md).
const peers = spawnSync(process.execPath, [join(here, 'run-peers.mjs'), ...process.argv.slice(2)], {
  stdio: 'inherit',
});
if (peers.status !== 0) process.exit(1);
