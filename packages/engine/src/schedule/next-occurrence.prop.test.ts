/**
 * nextOccurrences reads rrule in batches from a DTSTART it moves forward (so it never walks years of past
 * occurrences) and orders instants that daylight-saving shifts can bring out of order. Checked here against
 * the plain reading: every wall time from the original DTSTART, each turned into instants, sorted.
 */
import fc from 'fast-check';
import rrulePkg from 'rrule';
import { describe, expect, it } from 'vitest';
import { compileSchedule, nextOccurrences, wallTimeToInstants } from './next-occurrence.js';
import type { DstPolicy } from './next-occurrence.js';

const { rrulestr } = rrulePkg;
const DAY = 86_400_000;

const ZONES = ['UTC', 'America/New_York', 'Europe/Berlin', 'Australia/Lord_Howe', 'Asia/Kolkata', 'America/Santiago'];
const FREQS = ['YEARLY', 'MONTHLY', 'WEEKLY', 'DAILY', 'HOURLY', 'MINUTELY'] as const;
const DAYS = ['MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU'];

function stamp(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}Z$/, '');
}

const ruleArb = fc
  .record({
    zone: fc.constantFrom(...ZONES),
    freq: fc.constantFrom(...FREQS),
    interval: fc.integer({ min: 1, max: 4 }),
    start: fc.integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2024, 11, 31) }).map((t) => t - (t % 60_000)),
    byhour: fc.option(fc.uniqueArray(fc.integer({ min: 0, max: 23 }), { minLength: 1, maxLength: 3 }), {
      nil: undefined,
    }),
    byminute: fc.option(fc.uniqueArray(fc.constantFrom(0, 15, 30, 45), { minLength: 1, maxLength: 2 }), {
      nil: undefined,
    }),
    byday: fc.option(fc.uniqueArray(fc.constantFrom(...DAYS), { minLength: 1, maxLength: 3 }), { nil: undefined }),
    bymonthday: fc.option(fc.constantFrom(1, 15, 29, 30, 31, -1), { nil: undefined }),
    count: fc.option(fc.integer({ min: 1, max: 40 }), { nil: undefined }),
    policy: fc.record({
      skippedTime: fc.constantFrom('shift' as const, 'skip' as const),
      repeatedTime: fc.constantFrom('first' as const, 'last' as const, 'both' as const),
    }),
    afterDays: fc.double({ min: -3, max: 900, noNaN: true }),
    wanted: fc.integer({ min: 1, max: 12 }),
  })
  .map((r) => {
    const parts = [`FREQ=${r.freq}`, `INTERVAL=${r.interval}`];
    // Sorted: with COUNT, rrule counts the times of a day in list order, not in time order (RFC 5545 says
    // time order, which nextOccurrences follows; the unit tests cover unsorted lists).
    r.byhour?.sort((a, b) => a - b);
    r.byminute?.sort((a, b) => a - b);
    if (r.byhour && r.freq !== 'HOURLY' && r.freq !== 'MINUTELY') parts.push(`BYHOUR=${r.byhour.join(',')}`);
    if (r.byminute && r.freq !== 'MINUTELY') parts.push(`BYMINUTE=${r.byminute.join(',')}`);
    if (r.byday) parts.push(`BYDAY=${r.byday.join(',')}`);
    if (r.bymonthday !== undefined && (r.freq === 'MONTHLY' || r.freq === 'YEARLY')) {
      parts.push(`BYMONTHDAY=${r.bymonthday}`);
    }
    if (r.count !== undefined) parts.push(`COUNT=${r.count}`);
    const dtstart = r.zone === 'UTC' ? `DTSTART:${stamp(r.start)}Z` : `DTSTART;TZID=${r.zone}:${stamp(r.start)}`;
    // Sub-daily rules are dense: keep the look-ahead short so the plain reading stays cheap.
    const scale = r.freq === 'MINUTELY' ? 0.05 : r.freq === 'HOURLY' ? 0.3 : 1;
    return {
      ...r,
      expression: `${dtstart}\nRRULE:${parts.join(';')}`,
      floating: `DTSTART:${stamp(r.start)}Z\nRRULE:${parts.join(';')}`,
      after: r.start + Math.round(r.afterDays * scale * DAY),
    };
  });

/** The plain reading: wall times from DTSTART on, each turned into instants, sorted, after `after`. */
function reference(floating: string, zone: string, after: number, wanted: number, policy: DstPolicy): number[] {
  const found = new Set<number>();
  let seen = 0;
  rrulestr(floating).all((d) => {
    const wall = d.getTime();
    // No offset is a day: a wall time more than a day before `after` cannot land after it.
    if (wall < after - DAY) return true;
    for (const t of wallTimeToInstants(zone, wall, policy)) if (t > after) found.add(t);
    if (found.size < wanted || ++seen % 16 !== 0) return true;
    // Later wall times land no earlier than wall - 1 day: stop once the wanted ones are settled.
    const sorted = [...found].sort((a, b) => a - b);
    return !(wall - 2 * DAY > sorted[wanted - 1]!);
  });
  return [...found].sort((a, b) => a - b).slice(0, wanted);
}

describe('nextOccurrences (property)', () => {
  it('equals reading every wall time from DTSTART, for random rules, zones, policies and times', () => {
    fc.assert(
      fc.property(ruleArb, (r) => {
        const compiled = compileSchedule(r.expression, 0);
        fc.pre(compiled.ok);
        if (!compiled.ok) return;
        const got = nextOccurrences(compiled.schedule, r.after, r.wanted, r.policy);
        const want = reference(r.floating, r.zone, r.after, r.wanted, r.policy);
        expect(got.map((t) => new Date(t).toISOString())).toEqual(want.map((t) => new Date(t).toISOString()));
      }),
      { numRuns: 300 },
    );
  });

  /** Daylight-saving changes of 2024 (UTC), both directions: Lord Howe moves 30 min, Santiago at midnight. */
  const CHANGES: readonly (readonly [string, number])[] = (
    [
      ['America/New_York', '2024-03-10T07:00:00Z'],
      ['America/New_York', '2024-11-03T06:00:00Z'],
      ['Europe/Berlin', '2024-03-31T01:00:00Z'],
      ['Europe/Berlin', '2024-10-27T01:00:00Z'],
      ['Australia/Lord_Howe', '2024-04-06T15:00:00Z'],
      ['Australia/Lord_Howe', '2024-10-05T15:30:00Z'],
      ['America/Santiago', '2024-04-07T03:00:00Z'],
      ['America/Santiago', '2024-09-08T04:00:00Z'],
    ] as const
  ).map(([zone, t]) => [zone, Date.parse(t)] as const);

  it('equals the plain reading for dense rules across daylight-saving changes, over many batches', () => {
    const denseArb = fc.record({
      change: fc.constantFrom(...CHANGES),
      freq: fc.constantFrom('HOURLY', 'MINUTELY', 'MINUTELY'),
      interval: fc.constantFrom(1, 1, 5, 7, 15, 30, 90),
      daysBefore: fc.integer({ min: 0, max: 10 }),
      hoursBefore: fc.double({ min: 0, max: 8, noNaN: true }),
      wanted: fc.integer({ min: 1, max: 300 }),
      second: fc.boolean(),
      policy: fc.record({
        skippedTime: fc.constantFrom('shift' as const, 'skip' as const),
        repeatedTime: fc.constantFrom('first' as const, 'last' as const, 'both' as const),
      }),
    });
    fc.assert(
      fc.property(denseArb, ({ change: [zone, change], ...r }) => {
        const start = change - r.daysBefore * DAY - (change % 60_000);
        const rule = `FREQ=${r.freq};INTERVAL=${r.interval}`;
        // A second rule in the set makes the batches of two rules interleave.
        const rules = r.second ? `RRULE:${rule}\nRRULE:FREQ=HOURLY;INTERVAL=2;BYMINUTE=20` : `RRULE:${rule}`;
        const dtstart = `DTSTART;TZID=${zone}:${stamp(start)}`;
        const compiled = compileSchedule(`${dtstart}\n${rules}`, 0);
        if (!compiled.ok) throw new Error(compiled.reason);
        const after = change - Math.round(r.hoursBefore * 3_600_000);
        const got = nextOccurrences(compiled.schedule, after, r.wanted, r.policy);
        const want = new Set<number>();
        for (const floating of rules.split('\n')) {
          for (const t of reference(`DTSTART:${stamp(start)}Z\n${floating}`, zone, after, r.wanted, r.policy)) {
            want.add(t);
          }
        }
        const expected = [...want].sort((a, b) => a - b).slice(0, r.wanted);
        expect(got.map((t) => new Date(t).toISOString())).toEqual(expected.map((t) => new Date(t).toISOString()));
      }),
      { numRuns: 100 },
    );
  });
});
