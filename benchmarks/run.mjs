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
const scenarios = [
  { name: 'chain-1000', args: ['scenarios/in-memory.mjs', 'chain', '1000'] },
  { name: 'chain-10000', args: ['scenarios/in-memory.mjs', 'chain', '10000'] },
  { name: 'fanout-1000', args: ['scenarios/in-memory.mjs', 'fanout', '1000'] },
  { name: 'fanout-10000', args: ['scenarios/in-memory.mjs', 'fanout', '10000'] },
  { name: 'heap-10-step', args: ['--expose-gc', 'scenarios/heap.mjs', '20000'] },
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
mkdirSync(join(here, 'results'), { recursive: true });
const file = join(here, 'results', `bench-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(file, JSON.stringify({ machine, results }, null, 2) + '\n');
console.log(`\nwrote ${file}`);
