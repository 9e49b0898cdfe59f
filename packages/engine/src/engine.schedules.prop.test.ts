/**
 * Properties of the scheduler over random rules and random engine stops and starts on one store (engines
 * come and go, sometimes two run at once): no occurrence ever fires twice, nothing fires that is not an
 * occurrence, and with catch-up `all` (a window covering the whole run) no occurrence is missed.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createEngine } from './engine.js';
import type { Engine } from './engine.js';
import { compileSchedule, nextOccurrences } from './schedule/next-occurrence.js';
import { createMemoryStore } from './store/memory-store.js';
import type { CatchUpPolicy } from './runtime/scheduler.js';
import { createSimulatedClock } from './runtime/simulated-clock.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** Rules: dense enough to fire often within a few days, some zoned and crossing a daylight-saving change. */
const ruleArb = fc.oneof(
  fc.constantFrom(5, 7, 13, 30, 45).map((n) => `FREQ=MINUTELY;INTERVAL=${n}`),
  fc.integer({ min: 0, max: 59 }).map((m) => `FREQ=HOURLY;BYMINUTE=${m};BYSECOND=0`),
  fc
    .record({
      zone: fc.constantFrom('America/New_York', 'Europe/Berlin', 'Australia/Lord_Howe'),
      hours: fc.uniqueArray(fc.integer({ min: 0, max: 23 }), { minLength: 1, maxLength: 4 }),
      minute: fc.constantFrom(0, 15, 30),
    })
    .map(
      (r) =>
        `DTSTART;TZID=${r.zone}:20240301T000000\nRRULE:FREQ=DAILY;BYHOUR=${r.hours.join(',')};BYMINUTE=${r.minute}`,
    ),
  fc
    .record({ zone: fc.constantFrom('America/New_York', 'Europe/Berlin'), interval: fc.constantFrom(1, 2, 3) })
    .map((r) => `DTSTART;TZID=${r.zone}:20240301T003000\nRRULE:FREQ=HOURLY;INTERVAL=${r.interval}`),
);

/** Start times near daylight-saving changes of 2024 (New York and Berlin, both directions) and elsewhere. */
const startArb = fc
  .record({
    base: fc.constantFrom(
      '2024-03-09T12:00:00Z',
      '2024-03-30T12:00:00Z',
      '2024-10-26T12:00:00Z',
      '2024-11-02T12:00:00Z',
      '2024-06-01T00:00:00Z',
    ),
    offsetMinutes: fc.integer({ min: 0, max: 24 * 60 }),
  })
  .map(({ base, offsetMinutes }) => Date.parse(base) + offsetMinutes * MINUTE);

/** Up and down phases, in minutes; `pair` runs a second engine on the same store during the phase. */
const phasesArb = fc.array(
  fc.record({
    up: fc.integer({ min: 0, max: 12 * 60 }),
    down: fc.integer({ min: 0, max: 16 * 60 }),
    pair: fc.boolean(),
  }),
  { minLength: 1, maxLength: 5 },
);

const policyArb = fc.record({
  skippedTime: fc.constantFrom('shift' as const, 'skip' as const),
  repeatedTime: fc.constantFrom('first' as const, 'last' as const, 'both' as const),
});

interface Run {
  readonly fired: string[];
  readonly expected: string[];
}

async function simulate(
  rule: string,
  start: number,
  phases: readonly { up: number; down: number; pair: boolean }[],
  policy: { skippedTime: 'shift' | 'skip'; repeatedTime: 'first' | 'last' | 'both' },
  catchUp: CatchUpPolicy,
): Promise<Run> {
  const clock = createSimulatedClock(start);
  const store = createMemoryStore();
  const fired: string[] = [];
  const total = phases.reduce((sum, p) => sum + (p.up + p.down) * MINUTE, 0) + HOUR;
  const schedules = { ...policy, catchUp, catchUpWindowMs: total };
  const make = (): Engine =>
    createEngine({
      store,
      clock,
      schedules,
      actions: {
        't.tick': (params) => {
          fired.push(String(params['at']));
          return {};
        },
      },
    });
  const spec = {
    triggers: [{ startStepNames: ['Tick'], scheduleTrigger: { rruleExpression: rule } }],
    steps: [
      { name: 'Tick', actionId: 't.tick', parameters: [{ name: 'at', value: '{{ Source.schedule.occurrenceAt }}' }] },
    ],
  };
  const first = make();
  const wf = await first.createWorkflow({ name: 'prop', spec });
  let engines = [first];
  for (const phase of phases) {
    if (phase.pair) engines.push(make());
    await Promise.all(engines.map((e) => e.start()));
    await clock.advanceBy(phase.up * MINUTE);
    await Promise.all(engines.map((e) => e.stop()));
    await clock.advanceBy(phase.down * MINUTE);
    engines = [make()];
  }
  // A last engine runs for an hour, so that the last downtime is caught up too.
  await engines[0]!.start();
  await clock.advanceBy(HOUR);
  await engines[0]!.stop();
  const end = clock.now();
  const compiled = compileSchedule(rule, wf.publishedAt!);
  if (!compiled.ok) throw new Error(compiled.reason);
  const expected = nextOccurrences(compiled.schedule, wf.publishedAt! - 1, 10_000, policy)
    .filter((t) => t <= end)
    .map((t) => new Date(t).toISOString());
  return { fired, expected };
}

describe('scheduler (property)', () => {
  it('never fires an occurrence twice and, with catch-up all, misses none', async () => {
    await fc.assert(
      fc.asyncProperty(ruleArb, startArb, phasesArb, policyArb, async (rule, start, phases, policy) => {
        const { fired, expected } = await simulate(rule, start, phases, policy, 'all');
        expect(new Set(fired).size).toBe(fired.length);
        expect([...fired].sort()).toEqual(expected);
      }),
      { numRuns: 40 },
    );
  }, 300_000);

  it('with catch-up latest or none: never twice, only occurrences, the latest missed one after each downtime', async () => {
    await fc.assert(
      fc.asyncProperty(
        ruleArb,
        startArb,
        phasesArb,
        policyArb,
        fc.constantFrom<CatchUpPolicy>('latest', 'none'),
        async (rule, start, phases, policy, catchUp) => {
          const { fired, expected } = await simulate(rule, start, phases, policy, catchUp);
          expect(new Set(fired).size).toBe(fired.length);
          const known = new Set(expected);
          for (const t of fired) expect(known.has(t)).toBe(true);
          // The last occurrence up to the end always fires: either on time or as the latest missed one.
          if (catchUp === 'latest' && expected.length > 0) expect(fired).toContain(expected[expected.length - 1]);
        },
      ),
      { numRuns: 40 },
    );
  }, 300_000);
});
