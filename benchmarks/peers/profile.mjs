// CPU profile of the in-memory hot path: runs scenarios/in-memory.mjs under node --cpu-prof and
// sums self time per function (by name and file:line) from the .cpuprofile.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const benchDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const repoRoot = join(benchDir, '..');

/** Profile `node in-memory.mjs <shape> <n>`; returns the top `top` functions by self time. */
export function profileInMemory(shape, n, top = 15) {
  const dir = mkdtempSync(join(tmpdir(), 'flowspec-prof-'));
  try {
    const r = spawnSync(
      process.execPath,
      ['--cpu-prof', '--cpu-prof-dir', dir, 'scenarios/in-memory.mjs', shape, String(n)],
      { cwd: benchDir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
    );
    if (r.status !== 0) throw new Error(`profiled run failed (exit ${r.status ?? r.signal})`);
    const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
    const prof = JSON.parse(readFileSync(join(dir, file), 'utf8'));
    const dt = new Map();
    // samples[i] hit node samples[i] for timeDeltas[i+1] µs (the first delta is the start offset).
    for (let i = 0; i < prof.samples.length; i++) {
      const d = prof.timeDeltas[i + 1] ?? 0;
      dt.set(prof.samples[i], (dt.get(prof.samples[i]) ?? 0) + d);
    }
    const byFn = new Map();
    let total = 0;
    for (const node of prof.nodes) {
      const t = dt.get(node.id) ?? 0;
      total += t;
      const cf = node.callFrame;
      let where = cf.url ? cf.url.replace(/^file:\/\//, '') : '';
      if (where.startsWith(repoRoot)) where = relative(repoRoot, where);
      const key = `${cf.functionName || '(anonymous)'} ${where ? `${where}:${cf.lineNumber + 1}` : ''}`.trim();
      byFn.set(key, (byFn.get(key) ?? 0) + t);
    }
    const rows = [...byFn.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([fn, us]) => ({ fn, selfMs: us / 1000, share: us / total }));
    return { shape, n, totalMs: total / 1000, top: rows };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
