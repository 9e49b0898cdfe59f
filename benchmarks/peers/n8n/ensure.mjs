// Installs this directory's own dependencies (n8n-core, n8n-workflow, zod 3) on first use, outside the
// pnpm workspace: n8n-core's tree is large (LangChain, Sentry, ssh2) and pins zod 3, so `npm test`
// never installs it. Native build scripts stay off (pnpm 10 runs none unless allowed).
// ensureN8n() returns the path of adapter.mjs, or throws with the reason the n8n rows are skipped.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const PNPM = 'pnpm@10.34.9';
const marker = join(here, 'node_modules', '.flowspec-installed');

/** Hash of what the install depends on: a changed manifest or lockfile means install again. */
function inputsHash() {
  const h = createHash('sha256');
  for (const f of ['package.json', 'pnpm-lock.yaml']) h.update(readFileSync(join(here, f)));
  return h.digest('hex');
}

export function ensureN8n({ log = () => {} } = {}) {
  // Set by run-peers.mjs when its install attempt failed, so each workload does not retry it.
  if (process.env.FLOWSPEC_N8N_SKIP) throw new Error(process.env.FLOWSPEC_N8N_SKIP);
  const want = inputsHash();
  if (existsSync(marker) && readFileSync(marker, 'utf8') === want) return join(here, 'adapter.mjs');
  log(`installing the n8n-core peer in ${here} (${PNPM} install --ignore-workspace --frozen-lockfile)`);
  const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';
  const r = spawnSync(
    npx,
    ['--yes', PNPM, 'install', '--ignore-workspace', '--frozen-lockfile', '--reporter=append-only'],
    { cwd: here, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 600_000, maxBuffer: 1 << 26 },
  );
  if (r.status !== 0) {
    const out = `${r.stderr ?? ''}\n${r.stdout ?? ''}`.trim().split('\n');
    const why = out.find((l) => /ERR|error/i.test(l)) ?? out.pop() ?? String(r.error ?? r.signal);
    throw new Error(`n8n-core install failed: ${why.trim().slice(0, 200)}`);
  }
  writeFileSync(marker, want);
  return join(here, 'adapter.mjs');
}
