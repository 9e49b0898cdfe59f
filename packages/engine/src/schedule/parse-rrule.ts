/**
 * Parse a `scheduleTrigger.rruleExpression` (SEMANTICS.md section 8) into an rrule object.
 *
 * The rrule library is lenient: it accepts `BYHOUR=25`, `INTERVAL=-1` (and then loops for seconds),
 * `COUNT=abc` and an unknown `WKST`, and crashes on `BYDAY=XX`. Everything is therefore checked here
 * first, with a reason a user can act on, and only a text known to be well formed reaches the library.
 */
import rrulePkg from 'rrule';
import type { RRule, RRuleSet } from 'rrule';
import { FlowspecError } from '../errors.js';

// rrule ships CommonJS only (its `module` field is ignored by Node): under NodeNext the default import is
// `module.exports`, named imports are not detected.
const { rrulestr } = rrulePkg;

/** The outcome of {@link parseRrule}. */
export type ParseRruleResult =
  { readonly ok: true; readonly rule: RRule | RRuleSet } | { readonly ok: false; readonly reason: string };

const FREQUENCIES = ['YEARLY', 'MONTHLY', 'WEEKLY', 'DAILY', 'HOURLY', 'MINUTELY', 'SECONDLY'] as const;
type Frequency = (typeof FREQUENCIES)[number];
const WEEKDAYS = ['MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU'] as const;

/** Integer list parts: allowed absolute range and whether negative values (counted from the end) are allowed. */
const INT_LIST_PARTS: Readonly<
  Record<string, { readonly min: number; readonly max: number; readonly signed: boolean }>
> = {
  BYSECOND: { min: 0, max: 59, signed: false },
  BYMINUTE: { min: 0, max: 59, signed: false },
  BYHOUR: { min: 0, max: 23, signed: false },
  BYMONTH: { min: 1, max: 12, signed: false },
  BYMONTHDAY: { min: 1, max: 31, signed: true },
  BYYEARDAY: { min: 1, max: 366, signed: true },
  BYWEEKNO: { min: 1, max: 53, signed: true },
  BYSETPOS: { min: 1, max: 366, signed: true },
};
const RULE_PARTS: readonly string[] = [
  'FREQ',
  'INTERVAL',
  'COUNT',
  'UNTIL',
  'BYDAY',
  'WKST',
  ...Object.keys(INT_LIST_PARTS),
];
const LINE_NAMES = ['DTSTART', 'RRULE', 'RDATE', 'EXDATE'] as const;

const DATE_TIME = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(Z?)$/;
const DATE_ONLY = /^(\d{4})(\d{2})(\d{2})$/;
const INTEGER = /^[+-]?\d{1,9}$/;
const BYDAY_ITEM = /^([+-]?)(\d{1,2})?([A-Z]{2})$/;
/** Most days in one period of each frequency (sub-daily periods hold at most one day). */
const PERIOD_DAYS: Readonly<Partial<Record<Frequency, number>>> = { YEARLY: 366, MONTHLY: 31, WEEKLY: 7 };
const MONTH_DAYS = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] as const;

/** Thrown internally by the checks below; turned into `{ ok: false, reason }`. */
class RruleProblem extends Error {}

function fail(reason: string): never {
  throw new RruleProblem(reason);
}

/** A calendar date-time is real (no month 13, no February 30, no hour 24). */
function checkDateTime(text: string, what: string, allowDateOnly: boolean): { utc: boolean } {
  const m = DATE_TIME.exec(text) ?? (allowDateOnly ? DATE_ONLY.exec(text) : null);
  if (m === null) {
    fail(
      `${what} "${text}" is not a date-time; write YYYYMMDDTHHMMSS (local to its TZID) or YYYYMMDDTHHMMSSZ (UTC)` +
        (allowDateOnly ? ' or YYYYMMDD' : '') +
        '.',
    );
  }
  const [, y, mo, d, h = '0', mi = '0', s = '0', z = ''] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const monthDays = month === 2 && !leap ? 28 : (MONTH_DAYS[month - 1] ?? 0);
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > monthDays) fail(`${what} "${text}" is not a real date.`);
  if (Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) fail(`${what} "${text}" is not a real time of day.`);
  return { utc: z === 'Z' };
}

function checkTimeZone(zone: string): void {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
  } catch {
    fail(`TZID "${zone}" is not a known IANA time zone (for example Europe/Paris or America/New_York).`);
  }
}

/** Parameters of a DTSTART / RDATE / EXDATE line: only TZID and VALUE=DATE-TIME are understood. */
function checkDateParams(name: string, params: readonly string[]): string | null {
  let zone: string | null = null;
  for (const param of params) {
    const eq = param.indexOf('=');
    const key = (eq < 0 ? param : param.slice(0, eq)).toUpperCase();
    const value = eq < 0 ? '' : param.slice(eq + 1);
    if (key === 'TZID') {
      if (value === '') fail(`${name} has an empty TZID.`);
      checkTimeZone(value);
      zone = value;
    } else if (key === 'VALUE' && value.toUpperCase() === 'DATE-TIME') {
      // The default; harmless.
    } else {
      fail(`${name} has the parameter "${param}"; only TZID=<zone> is supported.`);
    }
  }
  return zone;
}

function checkDateLine(name: string, params: readonly string[], value: string, single: boolean): void {
  const zone = checkDateParams(name, params);
  const items = single ? [value] : value.split(',');
  for (const item of items) {
    const { utc } = checkDateTime(item.trim(), name, false);
    if (zone !== null && utc) fail(`${name} "${item}" has both a TZID and a trailing Z; drop one of them.`);
  }
}

interface RuleParts {
  readonly freq: Frequency;
  readonly ints: ReadonlyMap<string, readonly number[]>;
  readonly byday: readonly { readonly n: number; readonly day: string }[];
  readonly has: ReadonlySet<string>;
}

function parseIntList(key: string, value: string): number[] {
  const range = INT_LIST_PARTS[key]!;
  const out: number[] = [];
  for (const item of value.split(',')) {
    if (!INTEGER.test(item)) fail(`${key}=${value}: "${item}" is not an integer.`);
    const n = Number(item);
    const abs = Math.abs(n);
    if ((n < 0 && !range.signed) || abs < range.min || abs > range.max) {
      const allowed = range.signed
        ? `${range.min}..${range.max} or -${range.max}..-${range.min}`
        : `${range.min}..${range.max}`;
      fail(`${key}=${value}: ${item} is out of range (allowed ${allowed}).`);
    }
    out.push(n);
  }
  return out;
}

/** Check one RRULE value (`FREQ=...;...`), RFC 5545 section 3.3.10. */
function checkRule(text: string): RuleParts {
  if (text.trim() === '') fail('An RRULE line is empty; write for example RRULE:FREQ=DAILY.');
  const seen = new Set<string>();
  const ints = new Map<string, number[]>();
  let freq: Frequency | null = null;
  const byday: { n: number; day: string }[] = [];
  for (const part of text.split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) fail(`Rule part "${part}" is not KEY=VALUE.`);
    const key = part.slice(0, eq).trim().toUpperCase();
    const value = part
      .slice(eq + 1)
      .trim()
      .toUpperCase();
    if (!RULE_PARTS.includes(key)) fail(`Unknown rule part "${key}"; known parts: ${RULE_PARTS.join(', ')}.`);
    if (seen.has(key)) fail(`Rule part ${key} is given twice.`);
    seen.add(key);
    if (value === '') fail(`Rule part ${key} has no value.`);
    switch (key) {
      case 'FREQ':
        if (!(FREQUENCIES as readonly string[]).includes(value)) {
          fail(`FREQ=${value} is not a frequency; use one of ${FREQUENCIES.join(', ')}.`);
        }
        freq = value as Frequency;
        break;
      case 'INTERVAL':
      case 'COUNT':
        if (!/^\d{1,9}$/.test(value) || Number(value) < 1) fail(`${key}=${value} must be a positive integer.`);
        break;
      case 'UNTIL':
        checkDateTime(value, 'UNTIL', true);
        break;
      case 'WKST':
        if (!(WEEKDAYS as readonly string[]).includes(value))
          fail(`WKST=${value} must be one of ${WEEKDAYS.join(', ')}.`);
        break;
      case 'BYDAY':
        for (const item of value.split(',')) {
          const m = BYDAY_ITEM.exec(item);
          if (m === null || !(WEEKDAYS as readonly string[]).includes(m[3]!)) {
            fail(
              `BYDAY=${value}: "${item}" is not a weekday; write MO..SU, optionally with an ordinal like 1MO or -1FR.`,
            );
          }
          const n = m[2] === undefined ? 0 : Number(m[2]) * (m[1] === '-' ? -1 : 1);
          if (m[2] !== undefined && n === 0) fail(`BYDAY=${value}: the ordinal of "${item}" cannot be 0.`);
          byday.push({ n, day: m[3]! });
        }
        break;
      default:
        ints.set(key, parseIntList(key, value));
    }
  }
  if (freq === null) fail(`The rule "${text}" has no FREQ; add one, for example FREQ=DAILY.`);
  if (seen.has('COUNT') && seen.has('UNTIL')) fail('COUNT and UNTIL cannot both be given; keep one.');
  const parts: RuleParts = { freq, ints, byday, has: seen };
  checkCombinations(parts);
  return parts;
}

/** RFC 5545 restrictions between parts, and day filters that can never match (the library would loop to year 9999). */
function checkCombinations({ freq, ints, byday, has }: RuleParts): void {
  const ordinals = byday.filter((d) => d.n !== 0);
  if (ordinals.length > 0) {
    if (freq !== 'MONTHLY' && freq !== 'YEARLY') {
      fail(`BYDAY with an ordinal (like ${ordinals[0]!.n}${ordinals[0]!.day}) only works with FREQ=MONTHLY or YEARLY.`);
    }
    if (has.has('BYWEEKNO') && freq === 'YEARLY') fail('BYDAY with an ordinal cannot be combined with BYWEEKNO.');
    const monthly = freq === 'MONTHLY' || (freq === 'YEARLY' && has.has('BYMONTH'));
    const max = monthly ? 5 : 53;
    const bad = ordinals.find((d) => Math.abs(d.n) > max);
    if (bad)
      fail(`BYDAY ordinal ${bad.n}${bad.day} is out of range: a ${monthly ? 'month' : 'year'} has at most ${max}.`);
  }
  if (has.has('BYWEEKNO') && freq !== 'YEARLY') fail('BYWEEKNO only works with FREQ=YEARLY.');
  if (has.has('BYYEARDAY') && (freq === 'DAILY' || freq === 'WEEKLY' || freq === 'MONTHLY')) {
    fail(`BYYEARDAY does not work with FREQ=${freq}.`);
  }
  if (has.has('BYMONTHDAY') && freq === 'WEEKLY') fail('BYMONTHDAY does not work with FREQ=WEEKLY.');
  if (has.has('BYSETPOS')) {
    const others = [...has].filter((k) => k.startsWith('BY') && k !== 'BYSETPOS');
    if (others.length === 0) fail('BYSETPOS needs another BY* part to select from.');
    checkSetPosition(freq, ints, byday);
  }
  checkSomeDayMatches(freq, ints, ordinals.length === byday.length ? ordinals : []);
}

/** BYSETPOS beyond the largest possible set per period never selects anything. */
function checkSetPosition(
  freq: Frequency,
  ints: ReadonlyMap<string, readonly number[]>,
  byday: readonly { readonly n: number }[],
): void {
  const count = (key: string): number => ints.get(key)?.length ?? 1;
  const days = PERIOD_DAYS[freq] ?? 1;
  const dayBound = byday.length > 0 && freq === 'WEEKLY' ? Math.min(days, byday.length) : days;
  const rank = FREQUENCIES.indexOf(freq);
  const hours = rank <= FREQUENCIES.indexOf('DAILY') ? count('BYHOUR') : 1;
  const minutes = rank <= FREQUENCIES.indexOf('HOURLY') ? count('BYMINUTE') : 1;
  const seconds = rank <= FREQUENCIES.indexOf('MINUTELY') ? count('BYSECOND') : 1;
  const bound = dayBound * hours * minutes * seconds;
  const bad = (ints.get('BYSETPOS') ?? []).find((p) => Math.abs(p) > bound);
  if (bad !== undefined) fail(`BYSETPOS=${bad} can never select: each period holds at most ${bound} candidate(s).`);
}

/**
 * Reject BYMONTH / BYMONTHDAY / BYYEARDAY (and month-relative ordinal BYDAY) combinations that no date satisfies,
 * such as February 30. Weekdays are ignored: every date falls on every weekday in some year.
 */
function checkSomeDayMatches(
  freq: Frequency,
  ints: ReadonlyMap<string, readonly number[]>,
  onlyOrdinals: readonly { readonly n: number }[],
): void {
  const months = ints.get('BYMONTH');
  const monthDays = ints.get('BYMONTHDAY');
  const yearDays = ints.get('BYYEARDAY');
  const monthRelative = freq === 'MONTHLY' || (freq === 'YEARLY' && months !== undefined);
  // Ordinals only restrict the day when every BYDAY item has one (a plain MO matches any week).
  const ordinals = onlyOrdinals.length > 0 ? onlyOrdinals : undefined;
  if (monthDays === undefined && yearDays === undefined && (ordinals === undefined || months === undefined)) return;
  for (const leap of [false, true]) {
    const yearLength = leap ? 366 : 365;
    let yearDay = 0;
    for (let month = 1; month <= 12; month++) {
      const length = month === 2 && !leap ? 28 : MONTH_DAYS[month - 1]!;
      for (let day = 1; day <= length; day++) {
        yearDay += 1;
        if (months !== undefined && !months.includes(month)) continue;
        if (monthDays !== undefined && !monthDays.includes(day) && !monthDays.includes(day - length - 1)) continue;
        if (yearDays !== undefined && !yearDays.includes(yearDay) && !yearDays.includes(yearDay - yearLength - 1)) {
          continue;
        }
        if (ordinals !== undefined) {
          const pos = monthRelative ? day : yearDay;
          const len = monthRelative ? length : yearLength;
          const fromStart = Math.ceil(pos / 7);
          const fromEnd = -Math.ceil((len - pos + 1) / 7);
          if (!ordinals.some((o) => o.n === fromStart || o.n === fromEnd)) continue;
        }
        return;
      }
    }
  }
  fail('No date matches the BYMONTH / BYMONTHDAY / BYYEARDAY / BYDAY parts together (like February 30).');
}

function formatUtc(ms: number): string {
  const d = new Date(ms);
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return (
    `${p(d.getUTCFullYear(), 4)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}` +
    `T${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}Z`
  );
}

/**
 * Check the expression line by line and rebuild it in the normal form the library reads
 * (`RRULE:` prefix, upper-case parts, a DTSTART line).
 */
function normalize(expression: string, anchorMs: number): string {
  // RFC 5545 line folding: a line break followed by a space or tab continues the line.
  const lines = expression
    .replace(/\r?\n[ \t]/g, '')
    .split(/\r\n|\n|\r/)
    .map((l) => l.trim())
    .filter((l) => l !== '');
  if (lines.length === 0) fail('The expression is empty; write for example RRULE:FREQ=DAILY;BYHOUR=9.');
  let dtstart: string | null = null;
  const rules: string[] = [];
  const others: string[] = [];
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon < 0) {
      // A bare rule such as FREQ=DAILY (RRULE parts never contain a colon).
      rules.push('RRULE:' + normalizeRule(line));
      continue;
    }
    const [rawName = '', ...params] = line.slice(0, colon).split(';');
    const name = rawName.trim().toUpperCase();
    const value = line.slice(colon + 1).trim();
    if (!(LINE_NAMES as readonly string[]).includes(name)) {
      fail(
        `Unknown line "${rawName}"; an expression holds RRULE (or a bare FREQ=...), DTSTART, RDATE and EXDATE lines.`,
      );
    }
    if (name === 'RRULE') {
      if (params.length > 0) fail('An RRULE line takes no parameters; write RRULE:FREQ=...');
      rules.push('RRULE:' + normalizeRule(value));
    } else if (name === 'DTSTART') {
      if (dtstart !== null) fail('DTSTART is given twice.');
      checkDateLine(name, params, value, true);
      dtstart = line;
    } else {
      checkDateLine(name, params, value, false);
      others.push(line);
    }
  }
  if (rules.length === 0) fail('The expression has no RRULE; add one, for example RRULE:FREQ=DAILY.');
  // Without DTSTART the rule is anchored at anchorMs, rounded up to a whole second (iCalendar has no
  // milliseconds) so the first occurrence is never before the anchor.
  const start = dtstart ?? `DTSTART:${formatUtc(Math.ceil(anchorMs / 1000) * 1000)}`;
  return [start, ...rules, ...others].join('\n');
}

function normalizeRule(text: string): string {
  checkRule(text);
  return text
    .split(';')
    .map((p) => p.trim().toUpperCase())
    .join(';');
}

/**
 * Parse an iCalendar recurrence: `RRULE:…` or a bare `FREQ=…` (several rules make a set), an optional
 * `DTSTART;TZID=Zone:YYYYMMDDTHHMMSS` or `DTSTART:YYYYMMDDTHHMMSSZ` line, and `RDATE` / `EXDATE` lines.
 * Without DTSTART the rule starts at `anchorMs` (UTC, rounded up to a whole second).
 *
 * Never throws for a bad expression: the reason says what is wrong and how to write it instead.
 * A rule is rejected when it has no occurrence at all.
 *
 * @param anchorMs epoch milliseconds used as DTSTART when the expression has none.
 * @throws FlowspecError `FSP_ERR_INVALID_ARGUMENT` when `anchorMs` is not a finite number.
 */
export function parseRrule(expression: string, anchorMs: number): ParseRruleResult {
  if (!Number.isFinite(anchorMs)) {
    throw new FlowspecError(
      'FSP_ERR_INVALID_ARGUMENT',
      `parseRrule: anchorMs must be a finite number, got ${anchorMs}.`,
    );
  }
  if (typeof expression !== 'string') return { ok: false, reason: 'The expression must be a string.' };
  let text: string;
  try {
    text = normalize(expression, anchorMs);
  } catch (error) {
    if (error instanceof RruleProblem) return { ok: false, reason: error.message };
    throw error;
  }
  let rule: RRule | RRuleSet;
  try {
    rule = rrulestr(text);
    // Computing the first occurrence exercises the whole rule: the library throws on some inputs only here.
    const first = rule.all((_date, index) => index < 1);
    if (first.length === 0) {
      return { ok: false, reason: 'The rule produces no occurrence; check DTSTART, UNTIL, COUNT and EXDATE.' };
    }
  } catch (error) {
    return { ok: false, reason: `The rrule library rejected the expression: ${(error as Error).message}` };
  }
  return { ok: true, rule };
}
