/**
 * Helpers of the crash tests: run test/crash/child.mjs (it imports the BUILT packages, so `tsc -b`
 * must have run: `npm test` does) against a database file and read back its call log.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const child = join(here, 'child.mjs');
const built = join(here, '..', '..', 'packages', 'store-sqlite', 'dist', 'index.js');

/** Fail early with the fix when the packages were not built. */
export function requireBuild(): void {
  if (!existsSync(built)) {
    throw new Error(`${built} is missing: the crash tests run the built packages; run "npx tsc -b" first.`);
  }
}

/** One entry of the child's append-only log. */
export type LogEntry =
  | { type: 'call'; pid: number; instanceId: string; step: string; attempt: number; key: string }
  | { type: 'accepted'; pid: number; instanceId: string }
  | { type: 'finished'; pid: number; instanceId: string; status: string }
  | { type: 'fault'; pid: number; point: string }
  | { type: 'recovering'; pid: number; instances: number }
  | { type: 'exit'; pid: number; mode: string };

/** A temporary directory with a database path and a log path in it. */
export interface Scratch {
  readonly dir: string;
  readonly db: string;
  readonly log: string;
  remove(): void;
}

export function scratch(): Scratch {
  const dir = mkdtempSync(join(tmpdir(), 'flowspec-crash-'));
  return {
    dir,
    db: join(dir, 'flowspec.db'),
    log: join(dir, 'calls.log'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** How a child process ended. */
export interface ChildResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

/** Run the child with `env` (FLOWSPEC_* variables) until it exits; kill it after `timeoutMs`. */
export function runChild(env: Record<string, string>, timeoutMs = 20_000): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const p = spawn(process.execPath, [child], {
      cwd: here,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.on('error', reject);
    p.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: performance.now() - started });
    });
  });
}

/** Start a child in `hold` mode; resolves once it holds the database. */
export function holdDatabase(db: string, log: string): Promise<{ pid: number; kill(): Promise<void> }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [child], {
      cwd: here,
      env: { ...process.env, FLOWSPEC_DB: db, FLOWSPEC_LOG: log, FLOWSPEC_MODE: 'hold' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('error', reject);
    p.on('exit', (code) => reject(new Error(`hold child exited early (${code}): ${stderr}`)));
    p.stdout.on('data', (d: Buffer) => {
      if (!d.toString().includes('ready')) return;
      p.removeAllListeners('exit');
      resolve({
        pid: p.pid!,
        kill: () =>
          new Promise<void>((done) => {
            p.on('exit', () => done());
            p.kill('SIGKILL');
          }),
      });
    });
  });
}

/** The child's log entries, in order. */
export function readLog(path: string): LogEntry[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as LogEntry);
}

/** Calls per `instanceId/step`, with the idempotency keys they got. */
export function callsByStep(entries: readonly LogEntry[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const e of entries) {
    if (e.type !== 'call') continue;
    const k = `${e.instanceId}/${e.step}`;
    const list = out.get(k) ?? [];
    list.push(e.key);
    out.set(k, list);
  }
  return out;
}
