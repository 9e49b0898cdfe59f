/**
 * The Scheduler on its own (engine-level behaviour is in engine.schedules.test.ts): one timer at the
 * earliest due schedule, in due order, claims before starts, tracking and untracking.
 */
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../logger.js';
import type { Spec } from '../spec/types.js';
import { createMemoryStore } from '../store/memory-store.js';
import type { InstanceSource, Store, WorkflowRecord } from '../store/types.js';
import { Scheduler, occurrenceKey } from './scheduler.js';
import { createSimulatedClock } from './simulated-clock.js';
import type { SimulatedClock } from './simulated-clock.js';

const T0 = Date.parse('2024-01-01T00:00:00Z');
const MINUTE = 60_000;

function spec(rule: string): Spec {
  return {
    triggers: [{ startStepNames: ['A'], scheduleTrigger: { rruleExpression: rule } }],
    steps: [{ name: 'A', actionId: 'com.datadoghq.core.noop' }],
  } as Spec;
}

function record(id: string, at: number, published = true): WorkflowRecord {
  return {
    id,
    name: id,
    description: '',
    published,
    tags: [],
    specVersion: 1,
    createdAt: at,
    updatedAt: at,
    publishedAt: published ? at : null,
    webhookSecret: null,
    creatorId: null,
    ownerId: null,
    accessList: null,
  };
}

interface Call {
  readonly workflowId: string;
  readonly source: InstanceSource;
  readonly key: string;
  readonly now: number;
  /** Whether the occurrence was already claimed when the instance was started. */
  readonly claimedBefore: boolean;
}

function setup(): {
  clock: SimulatedClock;
  store: Store;
  scheduler: Scheduler;
  calls: Call[];
  add: (id: string, rule: string) => Promise<void>;
} {
  const clock = createSimulatedClock(T0);
  const store = createMemoryStore();
  const calls: Call[] = [];
  const scheduler = new Scheduler({
    store,
    clock,
    logger: silentLogger,
    fire: async (workflowId, source, key) => {
      const at = Date.parse((source['schedule'] as { occurrenceAt: string }).occurrenceAt);
      const claimedBefore = !(await store.claimOccurrence({
        workflowId,
        occurrenceAt: at,
        claimedAt: 0,
        instanceId: null,
      }));
      calls.push({ workflowId, source, key, now: clock.now(), claimedBefore });
    },
  });
  const add = async (id: string, rule: string): Promise<void> => {
    const wf = record(id, clock.now());
    const s = spec(rule);
    await store.createWorkflow(wf, { workflowId: id, version: 1, id: `${id}-v1`, spec: s, createdAt: clock.now() });
    await scheduler.track(wf, s);
  };
  return { clock, store, scheduler, calls, add };
}

describe('Scheduler', () => {
  it('arms one timer at the earliest next occurrence and fires in due order', async () => {
    const { clock, scheduler, calls, add } = setup();
    await scheduler.start();
    // 50 workflows at minutes 59, 58, ..., 10 past the hour: added latest first.
    for (let m = 59; m >= 10; m--) await add(`w${m}`, `FREQ=HOURLY;BYMINUTE=${m}`);
    expect(scheduler.size).toBe(50);
    expect(clock.pendingTimers()).toBe(1);
    expect(scheduler.nextDueAt).toBe(T0 + 10 * MINUTE);
    await clock.advanceBy(60 * MINUTE);
    expect(calls.map((c) => c.workflowId)).toEqual(Array.from({ length: 50 }, (_, i) => `w${i + 10}`));
    expect(calls.every((c, i) => c.now === T0 + (i + 10) * MINUTE)).toBe(true);
    expect(scheduler.nextDueAt).toBe(T0 + 70 * MINUTE);
    await scheduler.stop();
  });

  it('claims before starting, with the occurrence key and source', async () => {
    const { clock, scheduler, calls, add } = setup();
    await scheduler.start();
    await add('w', 'FREQ=MINUTELY;INTERVAL=15');
    await clock.advanceBy(16 * MINUTE);
    expect(calls.map((c) => c.now)).toEqual([T0, T0 + 15 * MINUTE]);
    expect(calls.every((c) => c.claimedBefore)).toBe(true);
    expect(calls[1]!.key).toBe(occurrenceKey('w', T0 + 15 * MINUTE));
    expect(calls[1]!.key).toBe('schedule:w:2024-01-01T00:15:00.000Z');
    expect(calls[1]!.source).toEqual({
      type: 'schedule',
      schedule: { occurrenceAt: '2024-01-01T00:15:00.000Z', rule: 'FREQ=MINUTELY;INTERVAL=15' },
    });
    await scheduler.stop();
  });

  it('untrack removes a schedule from anywhere in the heap; the timer follows the new earliest', async () => {
    const { clock, scheduler, calls, add } = setup();
    await scheduler.start();
    for (const m of [30, 10, 50, 20, 40]) await add(`w${m}`, `FREQ=HOURLY;BYMINUTE=${m}`);
    scheduler.untrack('w10');
    scheduler.untrack('w40');
    scheduler.untrack('missing');
    expect(scheduler.nextDueAt).toBe(T0 + 20 * MINUTE);
    await clock.advanceBy(60 * MINUTE);
    expect(calls.map((c) => c.workflowId)).toEqual(['w20', 'w30', 'w50']);
    await scheduler.stop();
  });

  it('does nothing while stopped; track drops unpublished workflows and specs without a scheduleTrigger', async () => {
    const { clock, scheduler, calls } = setup();
    await scheduler.track(record('early', T0), spec('FREQ=MINUTELY'));
    expect(scheduler.size).toBe(0);
    await scheduler.start();
    await scheduler.track(record('draft', T0, false), spec('FREQ=MINUTELY'));
    await scheduler.track(record('manual', T0), {
      triggers: [{ startStepNames: ['A'], workflowTrigger: {} }],
      steps: [],
    } as unknown as Spec);
    expect(scheduler.size).toBe(0);
    expect(clock.pendingTimers()).toBe(0);
    await scheduler.track(record('live', T0), spec('FREQ=MINUTELY;INTERVAL=10'));
    expect(scheduler.size).toBe(1);
    await scheduler.track(record('live', T0, false), spec('FREQ=MINUTELY;INTERVAL=10'));
    expect(scheduler.size).toBe(0);
    await clock.advanceBy(30 * MINUTE);
    expect(calls).toEqual([]);
    await scheduler.stop();
    expect(clock.pendingTimers()).toBe(0);
  });
});
