import { afterEach, describe, expect, it } from 'vitest';
import { FlowspecError } from '../errors.js';
import {
  compileSchedule,
  latestOccurrence,
  nextOccurrence,
  nextOccurrences,
  occurrencesBetween,
  wallTimeOf,
  wallTimeToInstants,
} from './next-occurrence.js';
import type { CompiledSchedule, DstPolicy } from './next-occurrence.js';

const ANCHOR = Date.UTC(2024, 0, 1, 12, 0, 0);

function compile(expression: string, anchorMs = ANCHOR): CompiledSchedule {
  const result = compileSchedule(expression, anchorMs);
  if (!result.ok) throw new Error(`expected ${JSON.stringify(expression)} to compile: ${result.reason}`);
  return result.schedule;
}

function iso(list: readonly number[]): string[] {
  return list.map((t) => new Date(t).toISOString().replace('.000Z', 'Z'));
}

/** The next `count` fire times after `after` (an ISO string), as ISO strings without milliseconds. */
function next(expression: string, after: string, count: number, policy: DstPolicy = {}): string[] {
  return iso(nextOccurrences(compile(expression), Date.parse(after), count, policy));
}

const NY = 'America/New_York';
const BERLIN = 'Europe/Berlin';

describe('wallTimeToInstants', () => {
  it('maps an ordinary wall time to one instant', () => {
    expect(iso(wallTimeToInstants(NY, Date.UTC(2024, 0, 15, 9, 0, 0)))).toEqual(['2024-01-15T14:00:00Z']);
    expect(iso(wallTimeToInstants(BERLIN, Date.UTC(2024, 6, 15, 9, 0, 0)))).toEqual(['2024-07-15T07:00:00Z']);
    expect(iso(wallTimeToInstants('UTC', Date.UTC(2024, 6, 15, 9, 0, 0)))).toEqual(['2024-07-15T09:00:00Z']);
  });

  it('shifts a skipped wall time forward by the gap, or skips it', () => {
    const wall = Date.UTC(2024, 2, 10, 2, 30, 0); // 02:30 does not exist in New York on 2024-03-10
    expect(iso(wallTimeToInstants(NY, wall))).toEqual(['2024-03-10T07:30:00Z']); // 03:30 EDT
    expect(iso(wallTimeToInstants(NY, wall, { skippedTime: 'shift' }))).toEqual(['2024-03-10T07:30:00Z']);
    expect(wallTimeToInstants(NY, wall, { skippedTime: 'skip' })).toEqual([]);
    const berlin = Date.UTC(2024, 2, 31, 2, 15, 0);
    expect(iso(wallTimeToInstants(BERLIN, berlin))).toEqual(['2024-03-31T01:15:00Z']); // 03:15 CEST
  });

  it('picks the first, the last or both instants of a repeated wall time', () => {
    const wall = Date.UTC(2024, 10, 3, 1, 30, 0); // 01:30 happens twice in New York on 2024-11-03
    expect(iso(wallTimeToInstants(NY, wall))).toEqual(['2024-11-03T05:30:00Z']);
    expect(iso(wallTimeToInstants(NY, wall, { repeatedTime: 'last' }))).toEqual(['2024-11-03T06:30:00Z']);
    expect(iso(wallTimeToInstants(NY, wall, { repeatedTime: 'both' }))).toEqual([
      '2024-11-03T05:30:00Z',
      '2024-11-03T06:30:00Z',
    ]);
  });

  it('reads wall times back (wallTimeOf), also for years before 100', () => {
    expect(wallTimeOf(NY, Date.UTC(2024, 10, 3, 5, 30, 0))).toBe(Date.UTC(2024, 10, 3, 1, 30, 0));
    expect(wallTimeOf(NY, Date.UTC(2024, 10, 3, 6, 30, 0))).toBe(Date.UTC(2024, 10, 3, 1, 30, 0));
    const early = new Date(0);
    early.setUTCFullYear(50, 5, 1);
    expect(wallTimeOf('Europe/Paris', early.getTime()) - early.getTime()).toBe(561_000); // local mean time +00:09:21
  });
});

describe('nextOccurrences: America/New_York daylight-saving changes', () => {
  const hourlySpring = 'DTSTART;TZID=America/New_York:20240310T000000\nRRULE:FREQ=HOURLY';
  const hourlyFall = 'DTSTART;TZID=America/New_York:20241103T000000\nRRULE:FREQ=HOURLY';

  it('an hourly rule through spring forward fires once per real hour (02:00 shifts onto 03:00)', () => {
    const expected = ['2024-03-10T05:00:00Z', '2024-03-10T06:00:00Z', '2024-03-10T07:00:00Z', '2024-03-10T08:00:00Z'];
    expect(next(hourlySpring, '2024-03-10T00:00:00Z', 4)).toEqual(expected);
    expect(next(hourlySpring, '2024-03-10T00:00:00Z', 4, { skippedTime: 'skip' })).toEqual(expected);
  });

  it('an hourly rule through fall back fires at the first 01:00, the last, or both', () => {
    const after = '2024-11-03T00:00:00Z';
    expect(next(hourlyFall, after, 4)).toEqual([
      '2024-11-03T04:00:00Z', // 00:00 EDT
      '2024-11-03T05:00:00Z', // 01:00 EDT
      '2024-11-03T07:00:00Z', // 02:00 EST
      '2024-11-03T08:00:00Z',
    ]);
    expect(next(hourlyFall, after, 3, { repeatedTime: 'last' })).toEqual([
      '2024-11-03T04:00:00Z',
      '2024-11-03T06:00:00Z', // 01:00 EST
      '2024-11-03T07:00:00Z',
    ]);
    expect(next(hourlyFall, after, 4, { repeatedTime: 'both' })).toEqual([
      '2024-11-03T04:00:00Z',
      '2024-11-03T05:00:00Z',
      '2024-11-03T06:00:00Z',
      '2024-11-03T07:00:00Z',
    ]);
  });

  it('a minutely rule through fall back: one step per minute with both, an hour left out with first', () => {
    // 240 occurrences span several of the batches rrule is read in; one batch ends inside the repeated hour.
    const rule = 'DTSTART;TZID=America/New_York:20241103T000000\nRRULE:FREQ=MINUTELY';
    const after = Date.parse('2024-11-03T04:00:00Z');
    const both = nextOccurrences(compile(rule), after, 240, { repeatedTime: 'both' });
    expect(both).toEqual(Array.from({ length: 240 }, (_, i) => after + (i + 1) * 60_000));
    const first = nextOccurrences(compile(rule), after, 180);
    expect(iso([first[118]!, first[119]!, first[120]!])).toEqual([
      '2024-11-03T05:59:00Z', // 01:59 EDT
      '2024-11-03T07:00:00Z', // 02:00 EST: 01:00-01:59 EST are the repeated wall times
      '2024-11-03T07:01:00Z',
    ]);
  });

  it('a daily 09:00 rule stays at 09:00 local in both directions', () => {
    const rule = 'DTSTART;TZID=America/New_York:20240101T090000\nRRULE:FREQ=DAILY';
    expect(next(rule, '2024-03-09T00:00:00Z', 3)).toEqual([
      '2024-03-09T14:00:00Z',
      '2024-03-10T13:00:00Z',
      '2024-03-11T13:00:00Z',
    ]);
    expect(next(rule, '2024-11-02T00:00:00Z', 3)).toEqual([
      '2024-11-02T13:00:00Z',
      '2024-11-03T14:00:00Z',
      '2024-11-04T14:00:00Z',
    ]);
  });

  it('02:30 on the spring-forward day shifts to 03:30 EDT, or is skipped', () => {
    const rule = 'DTSTART;TZID=America/New_York:20240301T023000\nRRULE:FREQ=DAILY';
    expect(next(rule, '2024-03-09T00:00:00Z', 3)).toEqual([
      '2024-03-09T07:30:00Z',
      '2024-03-10T07:30:00Z', // 03:30 EDT
      '2024-03-11T06:30:00Z',
    ]);
    expect(next(rule, '2024-03-09T00:00:00Z', 2, { skippedTime: 'skip' })).toEqual([
      '2024-03-09T07:30:00Z',
      '2024-03-11T06:30:00Z',
    ]);
  });

  it('01:30 on the fall-back day fires at the first, the last or both', () => {
    const rule = 'DTSTART;TZID=America/New_York:20241101T013000\nRRULE:FREQ=DAILY';
    const after = '2024-11-02T12:00:00Z';
    expect(next(rule, after, 2)).toEqual(['2024-11-03T05:30:00Z', '2024-11-04T06:30:00Z']);
    expect(next(rule, after, 2, { repeatedTime: 'first' })).toEqual(['2024-11-03T05:30:00Z', '2024-11-04T06:30:00Z']);
    expect(next(rule, after, 2, { repeatedTime: 'last' })).toEqual(['2024-11-03T06:30:00Z', '2024-11-04T06:30:00Z']);
    expect(next(rule, after, 3, { repeatedTime: 'both' })).toEqual([
      '2024-11-03T05:30:00Z',
      '2024-11-03T06:30:00Z',
      '2024-11-04T06:30:00Z',
    ]);
  });
});

describe('nextOccurrences: Europe/Berlin daylight-saving changes', () => {
  it('an hourly rule through spring forward (02:00 CET -> 03:00 CEST)', () => {
    const rule = 'DTSTART;TZID=Europe/Berlin:20240331T000000\nRRULE:FREQ=HOURLY';
    expect(next(rule, '2024-03-30T12:00:00Z', 4)).toEqual([
      '2024-03-30T23:00:00Z', // 00:00 CET
      '2024-03-31T00:00:00Z', // 01:00 CET
      '2024-03-31T01:00:00Z', // 03:00 CEST (02:00 shifted onto it)
      '2024-03-31T02:00:00Z', // 04:00 CEST
    ]);
  });

  it('an hourly rule through fall back (03:00 CEST -> 02:00 CET)', () => {
    const rule = 'DTSTART;TZID=Europe/Berlin:20241027T000000\nRRULE:FREQ=HOURLY';
    const after = '2024-10-26T12:00:00Z';
    expect(next(rule, after, 4)).toEqual([
      '2024-10-26T22:00:00Z',
      '2024-10-26T23:00:00Z',
      '2024-10-27T00:00:00Z', // 02:00 CEST
      '2024-10-27T02:00:00Z', // 03:00 CET
    ]);
    expect(next(rule, after, 5, { repeatedTime: 'both' })).toEqual([
      '2024-10-26T22:00:00Z',
      '2024-10-26T23:00:00Z',
      '2024-10-27T00:00:00Z',
      '2024-10-27T01:00:00Z', // 02:00 CET
      '2024-10-27T02:00:00Z',
    ]);
    expect(next(rule, after, 3, { repeatedTime: 'last' }).slice(2)).toEqual(['2024-10-27T01:00:00Z']);
  });

  it('a daily rule keeps its local time in both directions', () => {
    const rule = 'DTSTART;TZID=Europe/Berlin:20240101T020000\nRRULE:FREQ=DAILY';
    expect(next(rule, '2024-03-30T00:00:00Z', 3)).toEqual([
      '2024-03-30T01:00:00Z',
      '2024-03-31T01:00:00Z', // 02:00 does not exist: 03:00 CEST
      '2024-04-01T00:00:00Z',
    ]);
    expect(next(rule, '2024-10-25T12:00:00Z', 3)).toEqual([
      '2024-10-26T00:00:00Z',
      '2024-10-27T00:00:00Z', // the first 02:00 (CEST)
      '2024-10-28T01:00:00Z',
    ]);
  });

  it('weekdays at 09:00 Berlin time', () => {
    const rule = 'DTSTART;TZID=Europe/Berlin:20240101T090000\nRRULE:FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR';
    expect(next(rule, '2024-03-28T12:00:00Z', 3)).toEqual([
      '2024-03-29T08:00:00Z', // Friday, CET
      '2024-04-01T07:00:00Z', // Monday, CEST
      '2024-04-02T07:00:00Z',
    ]);
  });
});

describe('nextOccurrences: calendars', () => {
  it('a monthly rule on day 31 skips shorter months, across the DST change', () => {
    const rule = 'DTSTART;TZID=Europe/Berlin:20240131T090000\nRRULE:FREQ=MONTHLY;BYMONTHDAY=31';
    expect(next(rule, '2024-01-01T00:00:00Z', 5)).toEqual([
      '2024-01-31T08:00:00Z',
      '2024-03-31T07:00:00Z',
      '2024-05-31T07:00:00Z',
      '2024-07-31T07:00:00Z',
      '2024-08-31T07:00:00Z',
    ]);
    // Without BYMONTHDAY the day comes from DTSTART: the same months.
    expect(next('DTSTART:20240131T090000Z\nRRULE:FREQ=MONTHLY', '2024-02-01T00:00:00Z', 2)).toEqual([
      '2024-03-31T09:00:00Z',
      '2024-05-31T09:00:00Z',
    ]);
  });

  it('the last day of every month (BYMONTHDAY=-1)', () => {
    expect(next('DTSTART:20240101T180000Z\nRRULE:FREQ=MONTHLY;BYMONTHDAY=-1', '2024-01-01T00:00:00Z', 4)).toEqual([
      '2024-01-31T18:00:00Z',
      '2024-02-29T18:00:00Z',
      '2024-03-31T18:00:00Z',
      '2024-04-30T18:00:00Z',
    ]);
  });

  it('every 5 minutes, anchored at the publish time without DTSTART (UTC)', () => {
    const anchor = Date.UTC(2024, 5, 1, 10, 2, 0);
    const s = compile('RRULE:FREQ=MINUTELY;INTERVAL=5', anchor);
    expect(iso(nextOccurrences(s, anchor, 3))).toEqual([
      '2024-06-01T10:07:00Z',
      '2024-06-01T10:12:00Z',
      '2024-06-01T10:17:00Z',
    ]);
    expect(iso(nextOccurrences(s, anchor - 1, 1))).toEqual(['2024-06-01T10:02:00Z']);
  });

  it('is strictly after afterMs and finds occurrences years after DTSTART', () => {
    const s = compile('DTSTART;TZID=America/New_York:20200101T093000\nRRULE:FREQ=DAILY');
    const first = nextOccurrence(s, Date.parse('2031-07-04T13:30:00Z'));
    expect(iso([first!])).toEqual(['2031-07-05T13:30:00Z']);
    const monthly = compile('DTSTART:20000131T000000Z\nRRULE:FREQ=MONTHLY;INTERVAL=5;BYMONTHDAY=31');
    // Every fifth month counted from January 2000, on the 31st (months without one are skipped).
    const t = nextOccurrence(monthly, Date.parse('2030-01-01T00:00:00Z'))!;
    const d = new Date(t);
    expect(d.getUTCDate()).toBe(31);
    expect(((d.getUTCFullYear() - 2000) * 12 + d.getUTCMonth()) % 5).toBe(0);
  });

  it('stops when the rule ends (COUNT, UNTIL)', () => {
    expect(next('DTSTART:20240101T000000Z\nRRULE:FREQ=DAILY;COUNT=3', '2023-01-01T00:00:00Z', 10)).toHaveLength(3);
    expect(next('DTSTART:20240101T000000Z\nRRULE:FREQ=DAILY;COUNT=3', '2024-01-03T00:00:00Z', 10)).toEqual([]);
    expect(
      nextOccurrence(compile('DTSTART:20240101T000000Z\nRRULE:FREQ=DAILY;COUNT=3'), ANCHOR + 10 * 86_400_000),
    ).toBe(null);
  });

  it('reads UNTIL in UTC for a zoned rule (RFC 5545) and a local UNTIL as wall time', () => {
    // 09:00 New York is 14:00Z in winter; UNTIL 14:00Z on the 3rd includes the 3rd, 13:59Z does not.
    const base = 'DTSTART;TZID=America/New_York:20240101T090000\nRRULE:FREQ=DAILY;UNTIL=';
    expect(next(`${base}20240103T140000Z`, '2023-12-31T00:00:00Z', 10)).toHaveLength(3);
    expect(next(`${base}20240103T135959Z`, '2023-12-31T00:00:00Z', 10)).toHaveLength(2);
    expect(next(`${base}20240103T090000`, '2023-12-31T00:00:00Z', 10)).toHaveLength(3);
  });

  it('applies EXDATE and RDATE lines, local or UTC', () => {
    const rule = [
      'DTSTART;TZID=Europe/Berlin:20240101T090000',
      'RRULE:FREQ=DAILY;COUNT=4',
      'EXDATE;TZID=Europe/Berlin:20240102T090000',
      'EXDATE:20240103T080000Z',
      'RDATE;TZID=America/New_York:20240101T120000',
      'RDATE:20240110T000000Z',
    ].join('\n');
    expect(next(rule, '2023-12-31T00:00:00Z', 10)).toEqual([
      '2024-01-01T08:00:00Z',
      '2024-01-01T17:00:00Z',
      '2024-01-04T08:00:00Z',
      '2024-01-10T00:00:00Z',
    ]);
  });

  it('orders the times of a day however BYHOUR / BYMINUTE list them', () => {
    expect(
      next('DTSTART:20240101T000000Z\nRRULE:FREQ=DAILY;BYHOUR=17,9;BYMINUTE=30,0', '2024-01-01T00:00:00Z', 5),
    ).toEqual([
      '2024-01-01T09:00:00Z',
      '2024-01-01T09:30:00Z',
      '2024-01-01T17:00:00Z',
      '2024-01-01T17:30:00Z',
      '2024-01-02T09:00:00Z',
    ]);
    // COUNT counts in time order (RFC 5545), not in list order.
    expect(next('DTSTART:20240101T000000Z\nRRULE:FREQ=DAILY;BYHOUR=1,0;COUNT=1', '2023-01-01T00:00:00Z', 3)).toEqual([
      '2024-01-01T00:00:00Z',
    ]);
    expect(next('DTSTART:20240101T000000Z\nRRULE:FREQ=HOURLY;BYMINUTE=45,15', '2024-01-01T00:00:00Z', 3)).toEqual([
      '2024-01-01T00:15:00Z',
      '2024-01-01T00:45:00Z',
      '2024-01-01T01:15:00Z',
    ]);
  });

  it('merges several RRULE lines and fires a shared instant once', () => {
    const rule = 'DTSTART:20240101T000000Z\nRRULE:FREQ=HOURLY;INTERVAL=2\nRRULE:FREQ=HOURLY;INTERVAL=3';
    expect(next(rule, '2023-12-31T23:00:00Z', 6)).toEqual([
      '2024-01-01T00:00:00Z',
      '2024-01-01T02:00:00Z',
      '2024-01-01T03:00:00Z',
      '2024-01-01T04:00:00Z',
      '2024-01-01T06:00:00Z',
      '2024-01-01T08:00:00Z',
    ]);
  });

  it('reports a bad expression like parseRrule, and needs a finite anchor', () => {
    const bad = compileSchedule('FREQ=DAILY;BYHOUR=25', ANCHOR);
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.reason).toMatch(/BYHOUR=25/);
    expect(() => compileSchedule('FREQ=DAILY', Number.NaN)).toThrow(FlowspecError);
  });

  it('returns nothing for a count of 0', () => {
    expect(nextOccurrences(compile('FREQ=DAILY'), ANCHOR, 0)).toEqual([]);
  });
});

describe('occurrencesBetween and latestOccurrence', () => {
  const hourly = 'DTSTART:20240101T000000Z\nRRULE:FREQ=HOURLY';

  it('lists (after, until], keeping the latest when over the limit', () => {
    const s = compile(hourly);
    const from = Date.UTC(2024, 0, 2, 0, 0, 0);
    expect(occurrencesBetween(s, from, from + 3 * 3_600_000)).toHaveLength(3);
    expect(iso(occurrencesBetween(s, from, from + 10 * 3_600_000, {}, 2))).toEqual([
      '2024-01-02T09:00:00Z',
      '2024-01-02T10:00:00Z',
    ]);
    expect(occurrencesBetween(s, from, from)).toEqual([]);
  });

  it('finds the latest occurrence of a sparse rule without walking from afterMs', () => {
    const yearly = compile('DTSTART;TZID=Europe/Berlin:20000229T120000\nRRULE:FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29');
    expect(iso([latestOccurrence(yearly, 0, Date.parse('2027-01-01T00:00:00Z'))!])).toEqual(['2024-02-29T11:00:00Z']);
    expect(latestOccurrence(yearly, Date.parse('2024-03-01T00:00:00Z'), Date.parse('2027-01-01T00:00:00Z'))).toBe(null);
    const s = compile(hourly);
    expect(iso([latestOccurrence(s, 0, Date.parse('2024-05-05T05:30:00Z'))!])).toEqual(['2024-05-05T05:00:00Z']);
  });
});

describe('independence from the host time zone', () => {
  const saved = process.env['TZ'];
  afterEach(() => {
    if (saved === undefined) delete process.env['TZ'];
    else process.env['TZ'] = saved;
  });

  const rules = [
    'DTSTART;TZID=America/New_York:20240301T023000\nRRULE:FREQ=DAILY',
    'DTSTART;TZID=Europe/Berlin:20241026T000000\nRRULE:FREQ=HOURLY',
    'DTSTART;TZID=Australia/Lord_Howe:20240401T013000\nRRULE:FREQ=DAILY', // a 30-minute change
    'DTSTART:20240131T090000Z\nRRULE:FREQ=MONTHLY;BYMONTHDAY=31',
    'RRULE:FREQ=MINUTELY;INTERVAL=7',
  ];

  function all(): string[][] {
    return rules.map((r) => next(r, '2024-03-09T00:00:00Z', 40, { repeatedTime: 'both' }));
  }

  it('gives the same instants whatever process.env.TZ says', () => {
    delete process.env['TZ'];
    const reference = all();
    for (const tz of ['America/New_York', 'Europe/Berlin', 'Asia/Kolkata', 'Pacific/Chatham', 'UTC']) {
      process.env['TZ'] = tz;
      expect(new Date(Date.UTC(2024, 6, 1)).getTimezoneOffset() !== 0 || tz === 'UTC').toBe(true);
      expect(all()).toEqual(reference);
    }
  });
});
