/**
 * Schedule triggers through the whole engine, on the in-memory store and the simulated clock (no real
 * waiting): occurrences across daylight-saving changes, overlap, catch-up after downtime, publishing,
 * many schedules, two engines on one store, and a claim left without its instance.
 */
import { describe, expect, it } from 'vitest';
import { createEngine } from './engine.js';
import type { Engine, EngineOptions } from './engine.js';
import { FlowspecError } from './errors.js';
import { createMemoryStore } from './store/memory-store.js';
import type { Store } from './store/types.js';
import { occurrenceKey } from './runtime/scheduler.js';
import { createSimulatedClock } from './runtime/simulated-clock.js';
import type { SimulatedClock } from './runtime/simulated-clock.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** A spec whose scheduleTrigger starts `Tick` (records the occurrence), optionally followed by a sleep. */
function scheduleSpec(
  rule: string,
  opts: {
    overlap?: 'EXCLUSIVE_RUN' | 'OVERLAP_ALLOWED';
    sleepSeconds?: number;
    requiredInput?: boolean;
    api?: boolean;
  } = {},
): unknown {
  const steps: unknown[] = [
    {
      name: 'Tick',
      actionId: 't.tick',
      parameters: [{ name: 'at', value: '{{ Source.schedule.occurrenceAt }}' }],
      ...(opts.sleepSeconds !== undefined ? { outboundEdges: [{ nextStepName: 'Sleep', branchName: 'main' }] } : {}),
    },
  ];
  if (opts.sleepSeconds !== undefined) {
    steps.push({
      name: 'Sleep',
      actionId: 'com.datadoghq.core.sleep',
      parameters: [{ name: 'durationSeconds', value: opts.sleepSeconds }],
    });
  }
  return {
    triggers: [
      {
        startStepNames: ['Tick'],
        scheduleTrigger: { rruleExpression: rule, ...(opts.overlap ? { overlapBehavior: opts.overlap } : {}) },
      },
      ...(opts.api ? [{ startStepNames: ['Tick'], apiTrigger: {} }] : []),
    ],
    steps,
    ...(opts.requiredInput ? { inputSchema: { parameters: [{ name: 'needed', type: 'STRING' }] } } : {}),
  };
}

/** A store that counts the calls of each method (delegating with the real `this`). */
function counting(store: Store): { store: Store; calls: Map<string, number> } {
  const calls = new Map<string, number>();
  const proxy = new Proxy(store, {
    get(target, prop, _receiver) {
      const value = Reflect.get(target, prop, target) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        calls.set(String(prop), (calls.get(String(prop)) ?? 0) + 1);
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { store: proxy, calls };
}

interface Fired {
  readonly workflowId: string;
  readonly at: string;
  readonly engine: string;
}

interface World {
  readonly clock: SimulatedClock;
  readonly store: Store;
  readonly calls: Map<string, number>;
  readonly fired: Fired[];
  /** A new engine on the shared store and clock. */
  engine(options?: Partial<EngineOptions>, name?: string): Engine;
}

function world(startIso: string): World {
  const clock = createSimulatedClock(Date.parse(startIso));
  const { store, calls } = counting(createMemoryStore());
  const fired: Fired[] = [];
  return {
    clock,
    store,
    calls,
    fired,
    engine(options = {}, name = 'A') {
      return createEngine({
        store,
        clock,
        actions: {
          't.tick': (params, ctx) => {
            fired.push({ workflowId: ctx.workflowId, at: String(params['at']), engine: name });
            return {};
          },
        },
        ...options,
      });
    },
  };
}

function times(fired: readonly Fired[], workflowId?: string): string[] {
  return fired.filter((f) => workflowId === undefined || f.workflowId === workflowId).map((f) => f.at);
}

describe('scheduler: firing', () => {
  it('fires each occurrence once with source.schedule, through the scheduleTrigger', async () => {
    const w = world('2024-01-01T00:10:00Z');
    const engine = w.engine();
    const wf = await engine.createWorkflow({ name: 'hourly', spec: scheduleSpec('FREQ=HOURLY;BYMINUTE=0') });
    await engine.start();
    await w.clock.advanceTo(Date.parse('2024-01-01T03:30:00Z'));
    expect(times(w.fired)).toEqual([
      '2024-01-01T01:00:00.000Z',
      '2024-01-01T02:00:00.000Z',
      '2024-01-01T03:00:00.000Z',
    ]);
    const page = await engine.listInstances({ workflowId: wf.id, limit: 10 });
    expect(page.items).toHaveLength(3);
    const first = page.items.find(
      (r) => r.source['schedule'] !== undefined && r.createdAt === Date.parse('2024-01-01T01:00:00Z'),
    )!;
    expect(first.triggerKind).toBe('scheduleTrigger');
    expect(first.source).toEqual({
      type: 'schedule',
      schedule: { occurrenceAt: '2024-01-01T01:00:00.000Z', rule: 'FREQ=HOURLY;BYMINUTE=0' },
    });
    expect(first.idempotencyKey).toBe(occurrenceKey(wf.id, Date.parse('2024-01-01T01:00:00Z')));
    expect(await w.store.getSchedule(wf.id)).toEqual({
      workflowId: wf.id,
      lastOccurrenceAt: Date.parse('2024-01-01T03:00:00Z'),
      nextAt: Date.parse('2024-01-01T04:00:00Z'),
    });
    await engine.stop();
  });

  it('keeps one timer for all schedules and none after stop()', async () => {
    const w = world('2024-01-01T00:10:00Z');
    const engine = w.engine();
    for (let i = 0; i < 5; i++) {
      await engine.createWorkflow({ name: `wf${i}`, spec: scheduleSpec(`FREQ=HOURLY;BYMINUTE=${i * 10 + 5}`) });
    }
    await engine.start();
    expect(w.clock.pendingTimers()).toBe(1);
    await w.clock.advanceBy(2 * HOUR);
    expect(w.fired).toHaveLength(10);
    expect(w.clock.pendingTimers()).toBe(1);
    await engine.stop();
    expect(w.clock.pendingTimers()).toBe(0);
    await w.clock.advanceBy(5 * HOUR);
    expect(w.fired).toHaveLength(10);
  });

  it('fires nothing before start(); on start the latest missed occurrence fires once', async () => {
    const w = world('2024-01-01T00:10:00Z');
    const engine = w.engine();
    await engine.createWorkflow({ name: 'hourly', spec: scheduleSpec('FREQ=HOURLY;BYMINUTE=0') });
    await w.clock.advanceBy(3 * HOUR);
    expect(w.fired).toEqual([]);
    await engine.start();
    expect(times(w.fired)).toEqual(['2024-01-01T03:00:00.000Z']);
    await w.clock.advanceBy(HOUR);
    expect(times(w.fired)).toEqual(['2024-01-01T03:00:00.000Z', '2024-01-01T04:00:00.000Z']);
    await engine.stop();
  });

  it('reports an instance that cannot start (engine:error) and keeps the schedule going', async () => {
    const w = world('2024-01-01T00:10:00Z');
    const engine = w.engine();
    const errors: unknown[] = [];
    engine.on('engine:error', ({ error }) => errors.push(error));
    await engine.createWorkflow({
      name: 'needs input',
      spec: scheduleSpec('FREQ=HOURLY;BYMINUTE=0', { requiredInput: true }),
    });
    await engine.start();
    await w.clock.advanceBy(2 * HOUR);
    expect(w.fired).toEqual([]);
    expect(errors).toHaveLength(2);
    expect(errors[0]).toBeInstanceOf(FlowspecError);
    expect((errors[0] as FlowspecError).code).toBe('FSP_ERR_INPUT_INVALID');
    expect(w.clock.pendingTimers()).toBe(1);
    await engine.stop();
  });

  it('checks its options', () => {
    const store = createMemoryStore();
    expect(() => createEngine({ store, schedules: { catchUp: 'some' as 'all' } })).toThrow(/catchUp/);
    expect(() => createEngine({ store, schedules: { skippedTime: 'later' as 'skip' } })).toThrow(/skippedTime/);
    expect(() => createEngine({ store, schedules: { repeatedTime: 'twice' as 'both' } })).toThrow(/repeatedTime/);
    expect(() => createEngine({ store, schedules: { catchUpWindowMs: -1 } })).toThrow(/catchUpWindowMs/);
  });
});

describe('scheduler: daylight-saving changes', () => {
  async function run(rule: string, fromIso: string, toIso: string, options: Partial<EngineOptions> = {}) {
    const w = world(fromIso);
    const engine = w.engine(options);
    await engine.createWorkflow({ name: 'dst', spec: scheduleSpec(rule) });
    await engine.start();
    await w.clock.advanceTo(Date.parse(toIso));
    await engine.stop();
    return times(w.fired).map((t) => t.replace('.000Z', 'Z'));
  }

  it('an hourly New York rule fires once per real hour through spring forward', async () => {
    const rule = 'DTSTART;TZID=America/New_York:20240301T000000\nRRULE:FREQ=HOURLY';
    expect(await run(rule, '2024-03-10T04:30:00Z', '2024-03-10T09:30:00Z')).toEqual([
      '2024-03-10T05:00:00Z',
      '2024-03-10T06:00:00Z',
      '2024-03-10T07:00:00Z',
      '2024-03-10T08:00:00Z',
      '2024-03-10T09:00:00Z',
    ]);
  });

  it('an hourly New York rule through fall back: first (default) or both', async () => {
    const rule = 'DTSTART;TZID=America/New_York:20241101T000000\nRRULE:FREQ=HOURLY';
    expect(await run(rule, '2024-11-03T03:30:00Z', '2024-11-03T08:30:00Z')).toEqual([
      '2024-11-03T04:00:00Z',
      '2024-11-03T05:00:00Z',
      '2024-11-03T07:00:00Z',
      '2024-11-03T08:00:00Z',
    ]);
    const both = { schedules: { repeatedTime: 'both' as const } };
    expect(await run(rule, '2024-11-03T03:30:00Z', '2024-11-03T08:30:00Z', both)).toEqual([
      '2024-11-03T04:00:00Z',
      '2024-11-03T05:00:00Z',
      '2024-11-03T06:00:00Z',
      '2024-11-03T07:00:00Z',
      '2024-11-03T08:00:00Z',
    ]);
  });

  it('a daily New York rule at 02:30 on the spring-forward day: shift (default) or skip', async () => {
    const rule = 'DTSTART;TZID=America/New_York:20240101T023000\nRRULE:FREQ=DAILY';
    expect(await run(rule, '2024-03-09T00:00:00Z', '2024-03-12T00:00:00Z')).toEqual([
      '2024-03-09T07:30:00Z',
      '2024-03-10T07:30:00Z',
      '2024-03-11T06:30:00Z',
    ]);
    expect(
      await run(rule, '2024-03-09T00:00:00Z', '2024-03-12T00:00:00Z', { schedules: { skippedTime: 'skip' } }),
    ).toEqual(['2024-03-09T07:30:00Z', '2024-03-11T06:30:00Z']);
  });

  it('a daily New York rule at 01:30 on the fall-back day: first, last or both', async () => {
    const rule = 'DTSTART;TZID=America/New_York:20240101T013000\nRRULE:FREQ=DAILY';
    const span = ['2024-11-02T12:00:00Z', '2024-11-04T12:00:00Z'] as const;
    expect(await run(rule, ...span)).toEqual(['2024-11-03T05:30:00Z', '2024-11-04T06:30:00Z']);
    expect(await run(rule, ...span, { schedules: { repeatedTime: 'last' } })).toEqual([
      '2024-11-03T06:30:00Z',
      '2024-11-04T06:30:00Z',
    ]);
    expect(await run(rule, ...span, { schedules: { repeatedTime: 'both' } })).toEqual([
      '2024-11-03T05:30:00Z',
      '2024-11-03T06:30:00Z',
      '2024-11-04T06:30:00Z',
    ]);
  });

  it('Berlin hourly and daily rules in both directions', async () => {
    const hourly = 'DTSTART;TZID=Europe/Berlin:20240101T000000\nRRULE:FREQ=HOURLY';
    expect(await run(hourly, '2024-03-30T23:30:00Z', '2024-03-31T02:30:00Z')).toEqual([
      '2024-03-31T00:00:00Z', // 01:00 CET
      '2024-03-31T01:00:00Z', // 03:00 CEST
      '2024-03-31T02:00:00Z',
    ]);
    expect(await run(hourly, '2024-10-26T23:30:00Z', '2024-10-27T02:30:00Z')).toEqual([
      '2024-10-27T00:00:00Z', // 02:00 CEST
      '2024-10-27T02:00:00Z', // 03:00 CET
    ]);
    const daily = 'DTSTART;TZID=Europe/Berlin:20240101T023000\nRRULE:FREQ=DAILY';
    expect(await run(daily, '2024-03-30T00:00:00Z', '2024-04-01T12:00:00Z')).toEqual([
      '2024-03-30T01:30:00Z',
      '2024-03-31T01:30:00Z', // 03:30 CEST
      '2024-04-01T00:30:00Z',
    ]);
    expect(
      await run(daily, '2024-10-26T00:00:00Z', '2024-10-28T12:00:00Z', { schedules: { repeatedTime: 'last' } }),
    ).toEqual(['2024-10-26T00:30:00Z', '2024-10-27T01:30:00Z', '2024-10-28T01:30:00Z']);
  });

  it('a monthly rule on day 31 fires only in months that have one', async () => {
    const rule = 'DTSTART;TZID=Europe/Berlin:20240131T090000\nRRULE:FREQ=MONTHLY;BYMONTHDAY=31';
    expect(await run(rule, '2024-01-30T00:00:00Z', '2024-08-01T00:00:00Z')).toEqual([
      '2024-01-31T08:00:00Z',
      '2024-03-31T07:00:00Z',
      '2024-05-31T07:00:00Z',
      '2024-07-31T07:00:00Z',
    ]);
  });
});

describe('scheduler: overlap', () => {
  it('EXCLUSIVE_RUN skips occurrences while a scheduled instance still runs (not claimed)', async () => {
    const w = world('2024-01-01T00:30:00Z');
    const engine = w.engine();
    const spec = scheduleSpec('FREQ=HOURLY;BYMINUTE=0', { overlap: 'EXCLUSIVE_RUN', sleepSeconds: 5400 });
    await engine.createWorkflow({ name: 'long', spec });
    await engine.start();
    await w.clock.advanceTo(Date.parse('2024-01-01T05:30:00Z'));
    expect(times(w.fired)).toEqual([
      '2024-01-01T01:00:00.000Z',
      '2024-01-01T03:00:00.000Z',
      '2024-01-01T05:00:00.000Z',
    ]);
    expect(w.calls.get('claimOccurrence')).toBe(3);
    await engine.stop();
  });

  it('an API run does not block EXCLUSIVE_RUN; OVERLAP_ALLOWED starts every occurrence', async () => {
    const w = world('2024-01-01T00:30:00Z');
    const engine = w.engine();
    const exclusive = scheduleSpec('FREQ=HOURLY;BYMINUTE=0', {
      overlap: 'EXCLUSIVE_RUN',
      sleepSeconds: 5400,
      api: true,
    });
    const wf = await engine.createWorkflow({ name: 'api and schedule', spec: exclusive });
    await engine.start();
    await engine.execute(wf.id, {}, { source: { type: 'api', schedule: { occurrenceAt: 'api' } } }); // runs to 02:00
    await w.clock.advanceTo(Date.parse('2024-01-01T01:30:00Z'));
    expect(times(w.fired)).toEqual(['api', '2024-01-01T01:00:00.000Z']);
    await engine.stop();

    const v = world('2024-01-01T00:30:00Z');
    const overlapping = v.engine();
    const spec = scheduleSpec('FREQ=HOURLY;BYMINUTE=0', { overlap: 'OVERLAP_ALLOWED', sleepSeconds: 5400 });
    await overlapping.createWorkflow({ name: 'long', spec });
    await overlapping.start();
    await v.clock.advanceTo(Date.parse('2024-01-01T04:30:00Z'));
    expect(v.fired).toHaveLength(4);
    await overlapping.stop();
  });
});

describe('scheduler: downtime', () => {
  async function downtime(options: Partial<EngineOptions>): Promise<{ before: string[]; after: string[] }> {
    const w = world('2024-01-01T00:30:00Z');
    const first = w.engine(options);
    await first.createWorkflow({ name: 'hourly', spec: scheduleSpec('FREQ=HOURLY;BYMINUTE=0') });
    await first.start();
    await w.clock.advanceBy(2 * HOUR);
    await first.stop();
    const before = times(w.fired);
    await w.clock.advanceBy(3 * DAY); // the engine is down: nothing fires
    expect(w.fired).toHaveLength(before.length);
    const second = w.engine(options);
    await second.start();
    await w.clock.advanceBy(HOUR);
    await second.stop();
    return { before, after: times(w.fired).slice(before.length) };
  }

  it('after a 3-day downtime only the latest missed occurrence fires, once (default)', async () => {
    const { before, after } = await downtime({});
    expect(before).toEqual(['2024-01-01T01:00:00.000Z', '2024-01-01T02:00:00.000Z']);
    expect(after).toEqual(['2024-01-04T02:00:00.000Z', '2024-01-04T03:00:00.000Z']);
  });

  it('catchUp none fires no missed occurrence', async () => {
    const { after } = await downtime({ schedules: { catchUp: 'none' } });
    expect(after).toEqual(['2024-01-04T03:00:00.000Z']);
  });

  it('catchUp all fires every missed occurrence within the window, oldest first', async () => {
    const { after } = await downtime({ schedules: { catchUp: 'all', catchUpWindowMs: 5 * HOUR } });
    expect(after).toEqual([
      '2024-01-03T22:00:00.000Z',
      '2024-01-03T23:00:00.000Z',
      '2024-01-04T00:00:00.000Z',
      '2024-01-04T01:00:00.000Z',
      '2024-01-04T02:00:00.000Z',
      '2024-01-04T03:00:00.000Z',
    ]);
    const { after: day } = await downtime({ schedules: { catchUp: 'all' } });
    expect(day).toHaveLength(24 + 1);
  });
});

describe('scheduler: changes made during downtime', () => {
  async function changedWhileDown(change: 'rule' | 'steps'): Promise<string[]> {
    const w = world('2024-01-01T00:10:00Z');
    const options = { schedules: { catchUp: 'all' as const } };
    const first = w.engine(options);
    const wf = await first.createWorkflow({ name: 'hourly', spec: scheduleSpec('FREQ=HOURLY;BYMINUTE=0;BYSECOND=0') });
    await first.start();
    await w.clock.advanceTo(Date.parse('2024-01-01T02:30:00Z'));
    await first.stop();
    await w.clock.advanceTo(Date.parse('2024-01-01T05:10:00Z'));
    // An engine that is not started (a deploy script) changes the workflow.
    const editor = w.engine(options);
    const spec =
      change === 'rule'
        ? scheduleSpec('FREQ=HOURLY;BYMINUTE=30;BYSECOND=0')
        : scheduleSpec('FREQ=HOURLY;BYMINUTE=0;BYSECOND=0', { sleepSeconds: 1 });
    await editor.updateWorkflow(wf.id, { spec });
    await w.clock.advanceTo(Date.parse('2024-01-01T08:10:00Z'));
    const second = w.engine(options);
    await second.start();
    await second.stop();
    return times(w.fired).slice(2);
  }

  it('a new rule catches up only its occurrences after the change', async () => {
    expect(await changedWhileDown('rule')).toEqual([
      '2024-01-01T05:30:00.000Z',
      '2024-01-01T06:30:00.000Z',
      '2024-01-01T07:30:00.000Z',
    ]);
  });

  it('a change elsewhere in the spec keeps the whole downtime due', async () => {
    expect(await changedWhileDown('steps')).toEqual([
      '2024-01-01T03:00:00.000Z',
      '2024-01-01T04:00:00.000Z',
      '2024-01-01T05:00:00.000Z',
      '2024-01-01T06:00:00.000Z',
      '2024-01-01T07:00:00.000Z',
      '2024-01-01T08:00:00.000Z',
    ]);
  });
});

describe('scheduler: publishing and changes take effect at once', () => {
  it('publish, unpublish, rule update, other updates and delete', async () => {
    const w = world('2024-01-01T00:10:00Z');
    const engine = w.engine();
    await engine.start();
    const wf = await engine.createWorkflow({
      name: 'draft',
      published: false,
      spec: scheduleSpec('FREQ=HOURLY;BYMINUTE=0'),
    });
    await w.clock.advanceBy(2 * HOUR); // 02:10
    expect(w.fired).toEqual([]);
    expect(await engine.previewSchedule(wf.id, 3)).toEqual([]);

    await engine.updateWorkflow(wf.id, { published: true }); // from now on: no past occurrence fires
    expect(w.fired).toEqual([]);
    expect(await engine.previewSchedule(wf.id, 2)).toEqual(['2024-01-01T03:00:00.000Z', '2024-01-01T04:00:00.000Z']);
    await w.clock.advanceBy(2 * HOUR); // 04:10
    expect(times(w.fired)).toEqual(['2024-01-01T03:00:00.000Z', '2024-01-01T04:00:00.000Z']);

    await engine.updateWorkflow(wf.id, { published: false });
    await w.clock.advanceBy(2 * HOUR); // 06:10
    expect(w.fired).toHaveLength(2);
    expect(w.clock.pendingTimers()).toBe(0);

    await engine.updateWorkflow(wf.id, { published: true, spec: scheduleSpec('FREQ=MINUTELY;INTERVAL=20') });
    // Without DTSTART the rule starts at the new publish time (06:10, UTC), which is its first occurrence.
    await w.clock.advanceBy(HOUR); // 07:10
    expect(times(w.fired).slice(2)).toEqual([
      '2024-01-01T06:10:00.000Z',
      '2024-01-01T06:30:00.000Z',
      '2024-01-01T06:50:00.000Z',
      '2024-01-01T07:10:00.000Z',
    ]);

    await engine.updateWorkflow(wf.id, { description: 'renamed, same schedule', name: 'published' });
    await w.clock.advanceBy(20 * 60_000); // 07:30
    expect(times(w.fired).slice(6)).toEqual(['2024-01-01T07:30:00.000Z']);

    await engine.updateWorkflow(wf.id, {
      spec: scheduleSpec('DTSTART:20240101T000000Z\nRRULE:FREQ=HOURLY;BYMINUTE=45'),
    });
    await w.clock.advanceBy(HOUR); // 08:30
    expect(times(w.fired).slice(7)).toEqual(['2024-01-01T07:45:00.000Z']);

    await engine.deleteWorkflow(wf.id);
    await w.clock.advanceBy(3 * HOUR);
    expect(w.fired).toHaveLength(8);
    expect(w.clock.pendingTimers()).toBe(0);
    await engine.stop();
  });

  it('previewSchedule: ISO fire times with the engine policies; errors for a bad count or no schedule', async () => {
    const w = world('2024-03-08T00:00:00Z');
    const rule = 'DTSTART;TZID=America/New_York:20240101T023000\nRRULE:FREQ=DAILY';
    const shift = w.engine();
    const wf = await shift.createWorkflow({ name: 'dst', spec: scheduleSpec(rule) });
    expect(await shift.previewSchedule(wf.id, 3)).toEqual([
      '2024-03-08T07:30:00.000Z',
      '2024-03-09T07:30:00.000Z',
      '2024-03-10T07:30:00.000Z',
    ]);
    expect(await shift.previewSchedule(wf.id)).toHaveLength(10);
    const skip = w.engine({ schedules: { skippedTime: 'skip' } });
    expect((await skip.previewSchedule(wf.id, 3))[2]).toBe('2024-03-11T06:30:00.000Z');
    await expect(shift.previewSchedule(wf.id, 0)).rejects.toMatchObject({ code: 'FSP_ERR_INVALID_ARGUMENT' });
    await expect(shift.previewSchedule(wf.id, 1001)).rejects.toMatchObject({ code: 'FSP_ERR_INVALID_ARGUMENT' });
    await expect(shift.previewSchedule('nope', 1)).rejects.toMatchObject({ code: 'FSP_ERR_WORKFLOW_NOT_FOUND' });
    const manual = await shift.createWorkflow({
      name: 'manual',
      spec: { triggers: [{ startStepNames: ['A'], workflowTrigger: {} }], steps: [{ name: 'A', actionId: 't.tick' }] },
    });
    await expect(shift.previewSchedule(manual.id, 1)).rejects.toMatchObject({ code: 'FSP_ERR_TRIGGER_NOT_FOUND' });
  });
});

describe('scheduler: scale and exactly once', () => {
  it('10,000 schedules: a tick touches only the due ones', async () => {
    const w = world('2024-01-01T00:10:00Z');
    const engine = w.engine();
    const due = new Set<string>();
    for (let i = 0; i < 10_000; i++) {
      // Every 1000th is hourly; the rest fire once a year, on New Year's Day at midnight.
      const rule =
        i % 1000 === 0
          ? 'FREQ=HOURLY;BYMINUTE=0'
          : `DTSTART:20250101T${String(i % 24).padStart(2, '0')}0000Z\nRRULE:FREQ=YEARLY`;
      const wf = await engine.createWorkflow({ name: `wf${i}`, spec: scheduleSpec(rule) });
      if (i % 1000 === 0) due.add(wf.id);
    }
    await engine.start();
    expect(w.clock.pendingTimers()).toBe(1);
    w.calls.clear();
    await w.clock.advanceBy(3 * HOUR);
    expect(w.fired).toHaveLength(30);
    expect(new Set(w.fired.map((f) => f.workflowId))).toEqual(due);
    expect(w.calls.get('claimOccurrence')).toBe(30);
    // Two workflow reads per due occurrence (the scheduler's, execute's): idle schedules cost nothing per tick.
    expect(w.calls.get('getWorkflow')).toBe(60);
    expect(w.calls.get('getSchedule')).toBeLessThanOrEqual(60);
    await engine.stop();
  }, 120_000);

  it('two engines on one store fire each occurrence once (also with EXCLUSIVE_RUN)', async () => {
    const w = world('2024-01-01T00:10:00Z');
    const a = w.engine({}, 'A');
    const b = w.engine({}, 'B');
    const plain = await a.createWorkflow({ name: 'plain', spec: scheduleSpec('FREQ=HOURLY;BYMINUTE=0') });
    const excl = await a.createWorkflow({
      name: 'exclusive',
      spec: scheduleSpec('FREQ=MINUTELY;INTERVAL=30', { overlap: 'EXCLUSIVE_RUN', sleepSeconds: 2700 }),
    });
    await Promise.all([a.start(), b.start()]);
    await w.clock.advanceTo(Date.parse('2024-01-01T05:30:00Z'));
    const plainTimes = times(w.fired, plain.id);
    expect(plainTimes).toEqual([1, 2, 3, 4, 5].map((h) => `2024-01-01T0${h}:00:00.000Z`));
    const exclTimes = times(w.fired, excl.id);
    expect(new Set(exclTimes).size).toBe(exclTimes.length);
    // Anchored at the publish time (00:10), every 30 minutes; a 45-minute run makes the next one skip.
    expect(exclTimes).toEqual([
      '2024-01-01T00:10:00.000Z',
      '2024-01-01T01:10:00.000Z',
      '2024-01-01T02:10:00.000Z',
      '2024-01-01T03:10:00.000Z',
      '2024-01-01T04:10:00.000Z',
      '2024-01-01T05:10:00.000Z',
    ]);
    const instances = await a.listInstances({ workflowId: plain.id, limit: 100 });
    expect(instances.items).toHaveLength(5);
    await Promise.all([a.stop(), b.stop()]);
  });

  it('a claim left without its instance is completed once, by whoever finds it', async () => {
    const w = world('2024-01-01T00:10:00Z');
    const engine = w.engine();
    const wf = await engine.createWorkflow({ name: 'hourly', spec: scheduleSpec('FREQ=HOURLY;BYMINUTE=0') });
    // A process claimed 01:00 and died before starting the instance.
    const orphan = Date.parse('2024-01-01T01:00:00Z');
    expect(
      await w.store.claimOccurrence({ workflowId: wf.id, occurrenceAt: orphan, claimedAt: 0, instanceId: null }),
    ).toBe(true);
    // Another started 02:00 (the claim and its instance) but died before recording it.
    const started = Date.parse('2024-01-01T02:00:00Z');
    await w.store.claimOccurrence({ workflowId: wf.id, occurrenceAt: started, claimedAt: 0, instanceId: null });
    await engine.execute(wf.id, {}, { trigger: 'scheduleTrigger', idempotencyKey: occurrenceKey(wf.id, started) });
    await engine.start();
    await w.clock.advanceTo(Date.parse('2024-01-01T03:30:00Z'));
    const scheduled = times(w.fired).filter((t) => t !== 'null'); // the manual run above has no occurrence
    expect(scheduled).toEqual(['2024-01-01T01:00:00.000Z', '2024-01-01T03:00:00.000Z']);
    const page = await engine.listInstances({ workflowId: wf.id, limit: 10 });
    expect(page.items).toHaveLength(3);
    await engine.stop();
  });

  it('after a crash between claim and start, a restart with the default catch-up completes the claim', async () => {
    const w = world('2024-01-01T00:30:00Z');
    const wfEngine = w.engine();
    const wf = await wfEngine.createWorkflow({ name: 'hourly', spec: scheduleSpec('FREQ=HOURLY;BYMINUTE=0') });
    // Handled up to 01:00; 02:00 was claimed, then the process died.
    await w.store.putSchedule({
      workflowId: wf.id,
      lastOccurrenceAt: Date.parse('2024-01-01T01:00:00Z'),
      nextAt: null,
    });
    const crashed = Date.parse('2024-01-01T02:00:00Z');
    await w.store.claimOccurrence({ workflowId: wf.id, occurrenceAt: crashed, claimedAt: crashed, instanceId: null });
    await w.clock.advanceTo(Date.parse('2024-01-01T02:05:00Z'));
    const restarted = w.engine();
    await restarted.start();
    expect(times(w.fired)).toEqual(['2024-01-01T02:00:00.000Z']);
    await restarted.stop();
  });
});

describe('schedules: rules without DTSTART', () => {
  it('take unspecified seconds from the publish minute, not the publish second, and never fire before publication', async () => {
    const clock = createSimulatedClock(Date.UTC(2024, 0, 1, 0, 0, 0));
    const engine = createEngine({ store: createMemoryStore(), clock });
    await engine.start();
    await clock.advanceBy(6 * HOUR + 12 * 60_000 + 38_000); // published at 06:12:38
    const daily = await engine.createWorkflow({ name: 'daily', spec: scheduleSpec('FREQ=DAILY;BYHOUR=9;BYMINUTE=0') });
    expect(await engine.previewSchedule(daily.id, 2)).toEqual(['2024-01-01T09:00:00.000Z', '2024-01-02T09:00:00.000Z']);
    const every5 = await engine.createWorkflow({ name: 'every 5', spec: scheduleSpec('FREQ=MINUTELY;INTERVAL=5') });
    // The rule starts at 06:12:00 (the publish minute); 06:12:00 itself is before publication and never fires.
    expect(await engine.previewSchedule(every5.id, 2)).toEqual([
      '2024-01-01T06:17:00.000Z',
      '2024-01-01T06:22:00.000Z',
    ]);
    await engine.stop();
  });
});
