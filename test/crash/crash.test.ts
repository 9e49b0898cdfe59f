/**
 * Crash tests (SEMANTICS.md section 9, issue 3): a real engine process on a real SQLite file is
 * killed with SIGKILL at named fault points, then a new process recovers the same file. After the
 * restart every accepted instance finishes, no instance is lost or duplicated, a step whose result
 * had been committed is never called again, and the step in flight is called at most twice, with
 * the same idempotency key both times.
 */
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createSqliteStore } from '@flowspec/store-sqlite';
import type { StepRecord } from '@flowspec/engine';
import { callsByStep, holdDatabase, readLog, requireBuild, runChild, scratch } from './harness.js';
import type { LogEntry, Scratch } from './harness.js';

const INSTANCES = 50;

let s: Scratch;

beforeAll(() => requireBuild());
beforeEach(() => {
  s = scratch();
});
afterEach(() => s.remove());

/** The steps of every instance as stored (read after the child died; this takes its stale lock over). */
async function snapshot(db: string): Promise<Map<string, readonly StepRecord[]>> {
  const store = createSqliteStore(db);
  try {
    const out = new Map<string, readonly StepRecord[]>();
    const page = await store.listInstances({ limit: 10_000, offset: 0 });
    for (const inst of page.items) out.set(inst.id, await store.getSteps(inst.id));
    return out;
  } finally {
    await store.close();
  }
}

function env(extra: Record<string, string>): Record<string, string> {
  return { FLOWSPEC_DB: s.db, FLOWSPEC_LOG: s.log, FLOWSPEC_INSTANCES: String(INSTANCES), ...extra };
}

/**
 * Run until the fault kills the child, snapshot the file, recover in a new process, and check the
 * rules every scenario shares. Returns the snapshot and the log for scenario-specific checks.
 */
async function crashAndRecover(
  fault: string,
  workflow: 'chain' | 'sleep',
  recoverEnv: Record<string, string> = {},
): Promise<{ before: Map<string, readonly StepRecord[]>; log: LogEntry[]; walBytes: number }> {
  const run = await runChild(env({ FLOWSPEC_MODE: 'run', FLOWSPEC_FAULT: fault, FLOWSPEC_WORKFLOW: workflow }));
  expect(run.signal, `child should die at ${fault}: ${run.stderr}`).toBe('SIGKILL');
  expect(readLog(s.log).filter((e) => e.type === 'fault')).toMatchObject([{ point: fault }]);
  const walBytes = statSync(`${s.db}-wal`).size;
  const before = await snapshot(s.db);

  const recovered = await runChild(env({ FLOWSPEC_MODE: 'recover', ...recoverEnv }));
  expect(recovered.code, recovered.stderr).toBe(0);
  const log = readLog(s.log);
  const accepted = log.filter((e) => e.type === 'accepted').map((e) => e.instanceId);
  expect(new Set(accepted).size).toBe(INSTANCES);

  // Every accepted instance is stored once and finished; nothing else was stored.
  const store = createSqliteStore(s.db);
  try {
    const page = await store.listInstances({ limit: 10_000, offset: 0 });
    expect(page.totalCount).toBe(INSTANCES);
    expect(page.items.map((i) => i.id).sort()).toEqual([...accepted].sort());
    expect(page.items.every((i) => i.status === 'SUCCEEDED')).toBe(true);
    expect(await store.listUnfinishedInstanceIds()).toEqual([]);

    // Calls per step: committed results are never repeated; the step in flight at most twice, same key.
    const calls = callsByStep(log);
    for (const inst of page.items) {
      const rowsBefore = new Map((before.get(inst.id) ?? []).map((r) => [r.name, r]));
      for (const step of await store.getSteps(inst.id)) {
        const keys = calls.get(`${inst.id}/${step.name}`) ?? [];
        if (step.name === 'Nap') continue; // the built-in sleep is not logged
        const was = rowsBefore.get(step.name)?.status;
        if (was === 'SUCCEEDED') expect(keys, `${step.name} was committed`).toHaveLength(1);
        else if (was === 'RUNNING') {
          expect(keys.length).toBeGreaterThanOrEqual(1);
          expect(keys.length).toBeLessThanOrEqual(2);
        } else expect(keys, `${step.name} had not started`).toHaveLength(1);
        expect(new Set(keys).size, 'a re-run keeps the idempotency key').toBe(1);
        expect(step).toMatchObject({ status: 'SUCCEEDED', attempts: 1 });
      }
    }
  } finally {
    await store.close();
  }
  return { before, log, walBytes };
}

/** How many calls each instance made of `step`. */
function callCounts(log: readonly LogEntry[], step: string): number[] {
  const byInstance = new Map<string, number>();
  for (const e of log)
    if (e.type === 'call' && e.step === step) byInstance.set(e.instanceId, (byInstance.get(e.instanceId) ?? 0) + 1);
  return [...byInstance.values()];
}

describe('crash tests: SIGKILL at fault points, restart on the same file', () => {
  it('after an action returned but before its result was committed: that step runs again, once', async () => {
    const { before, log } = await crashAndRecover('before-commit', 'chain');
    for (const rows of before.values()) expect(rows.find((r) => r.name === 'B')?.status).toBe('RUNNING');
    expect(callCounts(log, 'B')).toEqual(new Array(INSTANCES).fill(2));
    expect(callCounts(log, 'A')).toEqual(new Array(INSTANCES).fill(1));
    expect(callCounts(log, 'C')).toEqual(new Array(INSTANCES).fill(1));
  });

  it('after the commit but before the successors started: nothing runs twice', async () => {
    const { before, log } = await crashAndRecover('after-commit', 'chain');
    for (const rows of before.values()) {
      expect(rows.find((r) => r.name === 'B')?.status).toBe('SUCCEEDED');
      expect(rows.find((r) => r.name === 'C')?.status).toBe('RUNNING');
    }
    // C was committed RUNNING but its handler never started before the kill: called once, after the restart.
    const firstPid = log.find((e) => e.type === 'fault')!.pid;
    expect(log.some((e) => e.type === 'call' && e.step === 'C' && e.pid === firstPid)).toBe(false);
    for (const step of ['A', 'B', 'C', 'D']) expect(callCounts(log, step)).toEqual(new Array(INSTANCES).fill(1));
  });

  it('during a durable sleep: the sleep ends at its stored due time (already passed at the restart)', async () => {
    const offset = 120_000;
    const { before, log } = await crashAndRecover('sleep', 'sleep', { FLOWSPEC_CLOCK_OFFSET_MS: String(offset) });
    const due = new Map<string, number>();
    for (const [id, rows] of before) {
      const nap = rows.find((r) => r.name === 'Nap')!;
      expect(nap).toMatchObject({ status: 'RUNNING', timerKind: 'sleep' });
      due.set(id, nap.dueAt!);
    }
    const store = createSqliteStore(s.db);
    try {
      for (const [id, dueAt] of due) {
        const nap = (await store.getSteps(id)).find((r) => r.name === 'Nap')!;
        expect(nap.completedAt!).toBeGreaterThanOrEqual(dueAt);
      }
    } finally {
      await store.close();
    }
    expect(callCounts(log, 'A')).toEqual(new Array(INSTANCES).fill(1));
    expect(callCounts(log, 'B')).toEqual(new Array(INSTANCES).fill(1));
  });

  it('in the middle of a group commit of 50 instances: the batch is lost whole, never in part', async () => {
    const { before, log, walBytes } = await crashAndRecover('mid-commit', 'chain');
    // The killed transaction had spilled pages into the WAL (big outputs); recovery ignored them.
    expect(walBytes).toBeGreaterThan(4 * 1024 * 1024);
    for (const rows of before.values()) {
      expect(rows.map((r) => [r.name, r.status])).toEqual([['A', 'RUNNING']]);
    }
    expect(callCounts(log, 'A')).toEqual(new Array(INSTANCES).fill(2));
    for (const step of ['B', 'C', 'D']) expect(callCounts(log, step)).toEqual(new Array(INSTANCES).fill(1));
  });

  it('runs to the end without a fault (the harness itself calls each step once)', async () => {
    const run = await runChild(env({ FLOWSPEC_MODE: 'run', FLOWSPEC_FAULT: 'none' }));
    expect(run.code, run.stderr).toBe(0);
    const log = readLog(s.log);
    expect(log.filter((e) => e.type === 'finished')).toHaveLength(INSTANCES);
    for (const step of ['A', 'B', 'C', 'D']) expect(callCounts(log, step)).toEqual(new Array(INSTANCES).fill(1));
  });
});

describe('one engine process per database file', () => {
  it('a second process is refused at once with the holder named; after the holder is killed its lock is taken over', async () => {
    const holder = await holdDatabase(s.db, s.log);
    try {
      const t0 = performance.now();
      let err: { code?: string; message?: string } = {};
      try {
        createSqliteStore(s.db);
      } catch (e) {
        err = e as typeof err;
      }
      expect(performance.now() - t0).toBeLessThan(1000);
      expect(err.code).toBe('FSP_ERR_STORE');
      expect(err.message).toContain(`pid ${holder.pid} on host`);
      const other = await runChild(env({ FLOWSPEC_MODE: 'run' }));
      expect(other.code).toBe(3);
      expect(other.stderr).toContain(
        `FSP_ERR_STORE: SQLite database ${s.db} is in use by another Flowspec process: pid ${holder.pid}`,
      );
      expect(other.ms).toBeLessThan(10_000);
    } finally {
      await holder.kill();
    }
    const store = createSqliteStore(s.db); // the holder died: its lock file is stale
    await store.close();
  });
});

describe('files that are not Flowspec databases', () => {
  it('a process given a non-database file stops with a clear error and leaves the file as it was', async () => {
    const garbage = Buffer.alloc(64 * 1024, 0x5a);
    writeFileSync(s.db, garbage);
    const r = await runChild(env({ FLOWSPEC_MODE: 'run' }));
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('not a SQLite database');
    expect(readFileSync(s.db).equals(garbage)).toBe(true);
  });
});
