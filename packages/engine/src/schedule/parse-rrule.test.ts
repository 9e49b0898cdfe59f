import { describe, expect, it } from 'vitest';
import { FlowspecError } from '../errors.js';
import { parseRrule } from './parse-rrule.js';

const ANCHOR = Date.UTC(2024, 0, 1, 12, 0, 0); // Monday 2024-01-01 12:00:00Z

function firstTwo(expression: string, anchorMs = ANCHOR): string[] {
  const result = parseRrule(expression, anchorMs);
  if (!result.ok) throw new Error(`expected ${JSON.stringify(expression)} to parse, got: ${result.reason}`);
  return result.rule.all((_d, i) => i < 2).map((d) => d.toISOString());
}

function reason(expression: string): string {
  const result = parseRrule(expression, ANCHOR);
  if (result.ok) throw new Error(`expected ${JSON.stringify(expression)} to be rejected`);
  return result.reason;
}

describe('parseRrule: accepted forms', () => {
  it('anchors a bare FREQ rule at anchorMs (UTC)', () => {
    expect(firstTwo('FREQ=DAILY')).toEqual(['2024-01-01T12:00:00.000Z', '2024-01-02T12:00:00.000Z']);
  });

  it('accepts an RRULE: line and lower-case parts', () => {
    expect(firstTwo('RRULE:freq=hourly;interval=2')).toEqual(['2024-01-01T12:00:00.000Z', '2024-01-01T14:00:00.000Z']);
  });

  it('rounds a fractional-second anchor up so no occurrence precedes it', () => {
    expect(firstTwo('FREQ=MINUTELY', ANCHOR + 250)[0]).toBe('2024-01-01T12:00:01.000Z');
  });

  it('uses DTSTART ...Z instead of the anchor', () => {
    expect(firstTwo('DTSTART:20230301T080000Z\nRRULE:FREQ=WEEKLY')).toEqual([
      '2023-03-01T08:00:00.000Z',
      '2023-03-08T08:00:00.000Z',
    ]);
  });

  it('keeps a DTSTART TZID as the wall-clock start and zone of the rule', () => {
    // How rrule turns TZID wall-clock times into instants depends on the host time zone (a library quirk the
    // scheduler handles), so this checks what the parser controls: the zone and the wall-clock start.
    const result = parseRrule('DTSTART;TZID=Europe/Paris:20240330T090000\nRRULE:FREQ=DAILY', ANCHOR);
    expect(result.ok).toBe(true);
    if (!result.ok || !('options' in result.rule)) throw new Error('expected a single RRule');
    expect(result.rule.options.tzid).toBe('Europe/Paris');
    expect(result.rule.options.dtstart.toISOString()).toBe('2024-03-30T09:00:00.000Z');
  });

  it('applies EXDATE and RDATE lines (a rule set)', () => {
    const text = 'DTSTART:20240101T090000Z\nRRULE:FREQ=DAILY;COUNT=3\nEXDATE:20240101T090000Z\nRDATE:20231231T100000Z';
    expect(firstTwo(text)).toEqual(['2023-12-31T10:00:00.000Z', '2024-01-02T09:00:00.000Z']);
  });

  it('accepts CRLF line ends, folded lines and BYDAY with ordinals', () => {
    expect(firstTwo('DTSTART:20240101T090000Z\r\nRRULE:FREQ=MONTHLY;\r\n BYDAY=-1FR')).toEqual([
      '2024-01-26T09:00:00.000Z',
      '2024-02-23T09:00:00.000Z',
    ]);
  });

  it('accepts February 29 (possible in leap years) and BYSETPOS within range', () => {
    expect(firstTwo('FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29')[0]).toBe('2024-02-29T12:00:00.000Z');
    expect(firstTwo('FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1')[0]).toBe('2024-01-31T12:00:00.000Z');
  });
});

describe('parseRrule: rejected expressions', () => {
  const cases: readonly (readonly [string, string, RegExp])[] = [
    ['empty string', '', /empty/],
    ['blank lines only', ' \n \n', /empty/],
    ['missing FREQ', 'INTERVAL=2;BYHOUR=3', /no FREQ/],
    ['unknown frequency', 'FREQ=SOMETIMES', /not a frequency/],
    ['unknown rule part', 'FREQ=DAILY;FOO=1', /Unknown rule part "FOO"/],
    ['BYHOUR=25', 'FREQ=DAILY;BYHOUR=25', /BYHOUR=25: 25 is out of range \(allowed 0\.\.23\)/],
    ['BYMINUTE=-1', 'FREQ=DAILY;BYMINUTE=-1', /out of range/],
    ['INTERVAL=-1', 'FREQ=DAILY;INTERVAL=-1', /INTERVAL=-1 must be a positive integer/],
    ['INTERVAL=0', 'FREQ=DAILY;INTERVAL=0', /positive integer/],
    ['COUNT=abc', 'FREQ=DAILY;COUNT=abc', /COUNT=ABC must be a positive integer/],
    ['BYDAY=XX', 'FREQ=WEEKLY;BYDAY=XX', /"XX" is not a weekday/],
    ['BYDAY ordinal 0', 'FREQ=MONTHLY;BYDAY=0MO', /cannot be 0/],
    ['BYDAY ordinal on WEEKLY', 'FREQ=WEEKLY;BYDAY=2MO', /only works with FREQ=MONTHLY or YEARLY/],
    ['BYDAY ordinal too big for a month', 'FREQ=MONTHLY;BYDAY=6MO', /at most 5/],
    ['WKST=XX', 'FREQ=WEEKLY;WKST=XX', /WKST=XX/],
    ['part twice', 'FREQ=DAILY;FREQ=WEEKLY', /given twice/],
    ['COUNT and UNTIL', 'FREQ=DAILY;COUNT=2;UNTIL=20250101T000000Z', /COUNT and UNTIL/],
    ['bad UNTIL', 'FREQ=DAILY;UNTIL=tomorrow', /UNTIL "TOMORROW" is not a date-time/],
    ['part without value', 'FREQ=DAILY;BYHOUR=', /no value/],
    ['not KEY=VALUE', 'FREQ=DAILY;BYHOUR', /not KEY=VALUE/],
    ['unknown time zone', 'DTSTART;TZID=Mars/Olympus:20240101T090000\nRRULE:FREQ=DAILY', /TZID "Mars\/Olympus"/],
    ['TZID plus Z', 'DTSTART;TZID=Europe/Paris:20240101T090000Z\nRRULE:FREQ=DAILY', /both a TZID and a trailing Z/],
    ['impossible DTSTART', 'DTSTART:20240230T090000Z\nRRULE:FREQ=DAILY', /not a real date/],
    ['bad DTSTART time', 'DTSTART:20240101T250000Z\nRRULE:FREQ=DAILY', /not a real time/],
    ['DTSTART twice', 'DTSTART:20240101T090000Z\nDTSTART:20240102T090000Z\nRRULE:FREQ=DAILY', /DTSTART is given twice/],
    ['unknown DTSTART parameter', 'DTSTART;VALUE=DATE:20240101\nRRULE:FREQ=DAILY', /only TZID/],
    ['bad EXDATE', 'RRULE:FREQ=DAILY\nEXDATE:yesterday', /EXDATE "yesterday"/],
    ['unknown line', 'RRULE:FREQ=DAILY\nEXRULE:FREQ=WEEKLY', /Unknown line "EXRULE"/],
    ['no RRULE', 'DTSTART:20240101T090000Z', /no RRULE/],
    ['RRULE with parameters', 'RRULE;X=1:FREQ=DAILY', /takes no parameters/],
    ['February 30', 'FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30', /No date matches/],
    ['April 31 daily', 'FREQ=DAILY;BYMONTH=4;BYMONTHDAY=31', /No date matches/],
    ['first Monday on the 15th', 'FREQ=MONTHLY;BYDAY=1MO;BYMONTHDAY=15', /No date matches/],
    ['BYSETPOS beyond the set', 'FREQ=DAILY;BYHOUR=1,2;BYSETPOS=3', /BYSETPOS=3 can never select/],
    ['BYSETPOS alone', 'FREQ=DAILY;BYSETPOS=1', /needs another BY\* part/],
    ['BYWEEKNO on MONTHLY', 'FREQ=MONTHLY;BYWEEKNO=3', /only works with FREQ=YEARLY/],
    ['BYYEARDAY on DAILY', 'FREQ=DAILY;BYYEARDAY=3', /does not work with FREQ=DAILY/],
    ['BYMONTHDAY on WEEKLY', 'FREQ=WEEKLY;BYMONTHDAY=3', /does not work with FREQ=WEEKLY/],
    ['no occurrence at all', 'DTSTART:20240101T090000Z\nRRULE:FREQ=DAILY;UNTIL=20230101T000000Z', /no occurrence/],
  ];
  for (const [title, expression, expected] of cases) {
    it(`rejects ${title}`, () => {
      expect(reason(expression)).toMatch(expected);
    });
  }

  it('rejects BYHOUR=25 that the rrule library alone would accept', () => {
    const result = parseRrule('RRULE:FREQ=DAILY;BYHOUR=25', ANCHOR);
    expect(result.ok).toBe(false);
  });

  it('throws FSP_ERR_INVALID_ARGUMENT for a non-finite anchor (a programming error)', () => {
    expect(() => parseRrule('FREQ=DAILY', Number.NaN)).toThrow(FlowspecError);
    expect(() => parseRrule('FREQ=DAILY', Number.POSITIVE_INFINITY)).toThrow(
      expect.objectContaining({ code: 'FSP_ERR_INVALID_ARGUMENT' }),
    );
  });
});
