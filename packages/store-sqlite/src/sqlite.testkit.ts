/**
 * Helpers of this package's tests (not built, not exported): temporary
 * database directories, and an engine on a SQLite file with a simulated clock
 * whose "crash" is simulated in-process by abandoning the engine (its pending
 * handlers never settle, its clock never moves again) and closing its store.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEngine, createSimulatedClock } from '@flowspec/engine';
import type { ActionHandler, Engine, SimulatedClock } from '@flowspec/engine';
import { createSqliteStore } from './sqlite-store.js';
import type { SqliteStore, SqliteStoreOptions } from './sqlite-store.js';

/** A fresh temporary directory and a database path in it; `remove()` deletes both. */
export function tempDb(name = 'flowspec.db'): { dir: string; path: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'flowspec-sqlite-'));
  return { dir, path: join(dir, name), remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** An engine on a SQLite file with a simulated clock. */
export interface EngineOnFile {
  readonly engine: Engine;
  readonly store: SqliteStore;
  readonly clock: SimulatedClock;
}

/** Open the store at `path` and an engine on it (started: recovery ran). */
export async function openEngine(
  path: string,
  options: {
    readonly actions?: Readonly<Record<string, ActionHandler>>;
    readonly startMs?: number;
    readonly store?: Omit<SqliteStoreOptions, 'path'>;
    readonly maxOutputBytes?: number;
  } = {},
): Promise<EngineOnFile> {
  const store = createSqliteStore({ path, synchronous: 'NORMAL', ...options.store });
  const clock = createSimulatedClock(options.startMs);
  const engine = createEngine({
    store,
    clock,
    actions: options.actions ?? {},
    stopTimeoutMs: 0,
    ...(options.maxOutputBytes === undefined ? {} : { maxOutputBytes: options.maxOutputBytes }),
  });
  await engine.start();
  return { engine, store, clock };
}

/** A spec with a workflowTrigger starting at the first step; steps default to the noop action. */
export function specOf(
  steps: readonly { name: string; actionId?: string; [key: string]: unknown }[],
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    triggers: [{ startStepNames: [steps[0]!.name], workflowTrigger: {} }],
    steps: steps.map((s) => ({ actionId: 'com.datadoghq.core.noop', ...s })),
    ...extra,
  };
}

/** An outbound edge on the main branch. */
export function edge(to: string): { nextStepName: string; branchName: string } {
  return { nextStepName: to, branchName: 'main' };
}

/** A promise that never settles: a handler "in flight" when the process dies. */
export function never(): Promise<never> {
  return new Promise<never>(() => {});
}
