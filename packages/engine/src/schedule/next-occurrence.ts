/**
 * When a schedule fires: the occurrences of a `scheduleTrigger.rruleExpression` as instants (epoch ms),
 * independent of the host time zone, with explicit policies for the daylight-saving changes.
 *
 * How: the rrule library evaluates every rule on "floating" wall-clock time (the wall time of the rule's
 * TZID written as if it were UTC, which has no daylight-saving changes), and each wall time is turned into
 * instant(s) here with the zone offsets Intl.DateTimeFormat reports. rrule's own TZID support is not used:
 * its results depend on the host zone. A wall time in a spring-forward gap has no instant (policy
 * `skippedTime`); one in a fall-back overlap has two (policy `repeatedTime`).
 *
 * Pure: no clock, no I/O; the same inputs give the same instants on every host.
 */
import rrulePkg from 'rrule';
import type { Options, RRule as RRuleType } from 'rrule';
import { parseRrule } from './parse-rrule.js';

// rrule ships CommonJS only: under NodeNext the default import is `module.exports` (see parse-rrule.ts).
const { RRule } = rrulePkg;

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** Distance to either side of a wall time at which zone offsets are sampled (covers any offset and gap). */
const SAMPLE = 36 * HOUR;
/** How many periods behind a query an rrule object is still reused (see anchoredRule). */
const REUSE_PERIODS = 64;

/** What happens to an occurrence whose local time does not exist (spring forward). */
export const SkippedTimePolicies = ['shift', 'skip'] as const;
/**
 * `shift` (default): fire at the instant the wall time names with the offset before the change, which is
 * the same distance after the gap starts (02:30 in a 02:00-03:00 gap fires at 03:30 new time), as RFC 5545
 * says; `skip`: the occurrence does not fire.
 */
export type SkippedTimePolicy = (typeof SkippedTimePolicies)[number];

/** What happens to an occurrence whose local time happens twice (fall back). */
export const RepeatedTimePolicies = ['first', 'last', 'both'] as const;
/** `first` (default): fire once, at the earlier instant; `last`: once, at the later one; `both`: fire twice. */
export type RepeatedTimePolicy = (typeof RepeatedTimePolicies)[number];

/** The daylight-saving policies of {@link nextOccurrences}. */
export interface DstPolicy {
  /** @default 'shift' */
  readonly skippedTime?: SkippedTimePolicy;
  /** @default 'first' */
  readonly repeatedTime?: RepeatedTimePolicy;
}

/** An RDATE, or an EXDATE in another zone than the rule's: a wall time in a zone. */
interface WallPoint {
  readonly wall: number;
  readonly zone: string;
}

/** One RRULE of the expression, evaluated on floating wall time. */
interface FloatingRule {
  /** The rule with tzid removed and the defaults rrule derives from DTSTART written out. */
  readonly options: Partial<Options>;
  readonly freq: number;
  readonly interval: number;
  /** DTSTART as wall time. */
  readonly start: number;
  /** Whether the rule has a COUNT (then it is always evaluated from DTSTART). */
  readonly counted: boolean;
  /** UNTIL as an instant when it was given in UTC for a zoned rule (occurrences after it are dropped), else null. */
  readonly untilInstant: number | null;
  /** The last rrule object built for a re-anchored start, reused while queries stay in the same period. */
  cache: { readonly start: number; readonly rule: RRuleType } | null;
}

/** A compiled `rruleExpression`: see {@link compileSchedule}. */
export interface CompiledSchedule {
  /** The expression as written. */
  readonly expression: string;
  /** The IANA zone of the DTSTART TZID, or `UTC`. */
  readonly zone: string;
  /** @internal */
  readonly rules: readonly FloatingRule[];
  /** @internal RDATE lines: wall times in a zone (a value with a trailing Z is a wall time in UTC). */
  readonly rdates: readonly WallPoint[];
  /** @internal EXDATE wall times in the rule's zone: they remove the rule wall times they equal. */
  readonly exWalls: ReadonlySet<number>;
  /** @internal EXDATE instants (values with a trailing Z, or in another zone): they remove these instants. */
  readonly exInstants: ReadonlySet<number>;
}

/** The outcome of {@link compileSchedule}. */
export type CompileScheduleResult =
  { readonly ok: true; readonly schedule: CompiledSchedule } | { readonly ok: false; readonly reason: string };

// ------------------------------------------------------------------ zones

const formatters = new Map<string, Intl.DateTimeFormat>();
const DATE_TIME_TEXT = /^(\d{1,2})\/(\d{1,2})\/(\d{1,6}),? (\d{1,2}):(\d{2}):(\d{2})$/;

function isUtc(zone: string): boolean {
  const z = zone.toUpperCase();
  return z === 'UTC' || z === 'ETC/UTC' || z === 'GMT' || z === 'ETC/GMT' || z === 'Z';
}

function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(zone, f);
  }
  return f;
}

/** Epoch ms of a UTC calendar time; unlike Date.UTC, years 0-99 are not read as 1900-1999. */
function utcMs(year: number, month: number, day: number, hour: number, minute: number, second: number): number {
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  d.setUTCHours(hour, minute, second, 0);
  return d.getTime();
}

/**
 * The wall-clock time of `instant` in `zone`, written as UTC epoch ms (whole seconds: the sub-second part of
 * `instant` is kept as is).
 */
export function wallTimeOf(zone: string, instant: number): number {
  if (isUtc(zone)) return instant;
  const ms = ((instant % 1000) + 1000) % 1000;
  const f = formatter(zone);
  const m = DATE_TIME_TEXT.exec(f.format(instant));
  let wall: number;
  if (m !== null) {
    wall = utcMs(Number(m[3]), Number(m[1]), Number(m[2]), Number(m[4]) % 24, Number(m[5]), Number(m[6]));
  } else {
    // Unusual output (an era, other digits): read the parts one by one.
    const parts: Record<string, number> = {};
    for (const p of f.formatToParts(instant)) if (p.type !== 'literal') parts[p.type] = Number(p.value);
    wall = utcMs(
      parts['year'] ?? 1970,
      parts['month'] ?? 1,
      parts['day'] ?? 1,
      (parts['hour'] ?? 0) % 24,
      parts['minute'] ?? 0,
      parts['second'] ?? 0,
    );
  }
  return wall + ms;
}

/** The offset of `zone` from UTC at `instant`, in ms (wall time minus instant). */
export function zoneOffsetAt(zone: string, instant: number): number {
  return wallTimeOf(zone, instant) - instant;
}

/**
 * The smallest and the largest offset of `zone` within a day and a half of `instant`: a wall time near
 * `instant` lands between wall - largest and wall - smallest (a zone changes its offset at most once in
 * such a window, so sampling both ends and the middle finds every offset in it).
 */
function offsetsAround(zone: string, instant: number): readonly [min: number, max: number] {
  if (isUtc(zone)) return [0, 0];
  const a = zoneOffsetAt(zone, instant - SAMPLE);
  const b = zoneOffsetAt(zone, instant);
  const c = zoneOffsetAt(zone, instant + SAMPLE);
  return [Math.min(a, b, c), Math.max(a, b, c)];
}

/**
 * The instants at which the wall-clock time `wall` (UTC-written epoch ms) happens in `zone`, ascending:
 * usually one; in a fall-back overlap two, of which the policy keeps the first, the last or both; in a
 * spring-forward gap none, and the policy either skips it or shifts it forward by the length of the gap.
 */
export function wallTimeToInstants(zone: string, wall: number, policy: DstPolicy = {}): number[] {
  if (isUtc(zone)) return [wall];
  const before = zoneOffsetAt(zone, wall - SAMPLE);
  const after = zoneOffsetAt(zone, wall + SAMPLE);
  if (before === after) {
    const t = wall - before;
    // No change within a day and a half either side; verify for zones with two changes in that window.
    if (wallTimeOf(zone, t) === wall) return [t];
  }
  const offsets = new Set([before, zoneOffsetAt(zone, wall), after]);
  const found: number[] = [];
  for (const o of offsets) {
    const t = wall - o;
    if (wallTimeOf(zone, t) === wall && !found.includes(t)) found.push(t);
  }
  found.sort((x, y) => x - y);
  if (found.length === 0) {
    if (policy.skippedTime === 'skip') return [];
    // Read the wall time with the offset in force before the gap: that lands as far after the gap's start
    // as the wall time is after the gap's start on the old clock.
    return [wall - before];
  }
  if (found.length === 1) return found;
  switch (policy.repeatedTime ?? 'first') {
    case 'first':
      return [found[0]!];
    case 'last':
      return [found[found.length - 1]!];
    case 'both':
      return found;
  }
}

// ------------------------------------------------------------------ compiling

const DATE_VALUE = /^(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2})(Z?))?$/i;

/** A DTSTART/RDATE/EXDATE/UNTIL value as UTC-written ms, and whether it had a trailing Z. */
function readDateValue(text: string): { readonly ms: number; readonly utc: boolean } | null {
  const m = DATE_VALUE.exec(text.trim());
  if (m === null) return null;
  const ms = utcMs(
    Number(m[1]),
    Number(m[2]),
    Number(m[3]),
    Number(m[4] ?? '0'),
    Number(m[5] ?? '0'),
    Number(m[6] ?? '0'),
  );
  return { ms, utc: (m[7] ?? '') !== '' };
}

interface ScannedLines {
  zone: string | null;
  /** UNTIL values of the RRULE lines in order (null when a rule has none). */
  untils: (string | null)[];
  rdates: { value: string; zone: string | null }[];
  exdates: { value: string; zone: string | null }[];
  /** The expression without TZID parameters: what rrule gets, so it never does zone arithmetic itself. */
  floating: string;
  /** Why a TZID is not usable, or null. */
  problem: string | null;
}

function knownZone(zone: string): boolean {
  try {
    formatter(zone);
    return true;
  } catch {
    return false;
  }
}

/**
 * Read the lines of an expression: the zones of DTSTART, RDATE and EXDATE (checked here: parseRrule only
 * sees the expression without them), the UNTIL of each rule, and the RDATE / EXDATE values.
 */
function scanLines(expression: string): ScannedLines {
  const out: ScannedLines = { zone: null, untils: [], rdates: [], exdates: [], floating: '', problem: null };
  const kept: string[] = [];
  const lines = expression
    .replace(/\r?\n[ \t]/g, '')
    .split(/\r\n|\n|\r/)
    .map((l) => l.trim())
    .filter((l) => l !== '');
  for (const line of lines) {
    const colon = line.indexOf(':');
    const head = colon < 0 ? 'RRULE' : line.slice(0, colon);
    const value = colon < 0 ? line : line.slice(colon + 1);
    const [rawName = '', ...params] = head.split(';');
    const name = rawName.trim().toUpperCase();
    let zone: string | null = null;
    const otherParams: string[] = [];
    for (const p of params) {
      const eq = p.indexOf('=');
      if (eq > 0 && p.slice(0, eq).trim().toUpperCase() === 'TZID') zone = p.slice(eq + 1).trim();
      else otherParams.push(p);
    }
    if (zone === null || colon < 0) {
      kept.push(line);
    } else {
      kept.push(`${[rawName, ...otherParams].join(';')}:${value}`);
      if (!knownZone(zone)) {
        out.problem ??= `TZID "${zone}" is not a known IANA time zone (for example Europe/Paris or America/New_York).`;
      } else if (/Z\s*(,|$)/i.test(value)) {
        out.problem ??= `${name} "${value}" has both a TZID and a trailing Z; drop one of them.`;
      }
    }
    if (name === 'RRULE') {
      const until = /(?:^|;)\s*UNTIL\s*=\s*([0-9TZtz]+)/i.exec(value);
      out.untils.push(until?.[1] ?? null);
    } else if (name === 'DTSTART') {
      out.zone = zone;
    } else if (name === 'RDATE' || name === 'EXDATE') {
      const list = name === 'RDATE' ? out.rdates : out.exdates;
      for (const v of value.split(',')) list.push({ value: v.trim(), zone });
    }
  }
  out.floating = kept.join('\n');
  return out;
}

function sorted(list: readonly number[] | null): number[] | null {
  return list === null ? null : [...list].sort((a, b) => a - b);
}

function present(v: unknown): boolean {
  return v !== null && v !== undefined && !(Array.isArray(v) && v.length === 0);
}

/** Build the floating form of one parsed rule. */
function floatingRule(rule: RRuleType, zone: string, untilText: string | null): FloatingRule {
  const orig = rule.origOptions;
  const parsed = rule.options;
  const start = parsed.dtstart.getTime();
  const options: Partial<Options> = {
    ...orig,
    tzid: null,
    dtstart: new Date(start),
    // Written out so that moving DTSTART forward (see anchoredRule) does not change them, and sorted:
    // rrule emits the times of a day in the order these lists are given (BYHOUR=9,8 gives 09:00 first).
    byhour: sorted(parsed.byhour),
    byminute: sorted(parsed.byminute),
    bysecond: sorted(parsed.bysecond),
  };
  // With no day filter rrule takes the day from DTSTART: write it out too.
  if (![orig.byweekno, orig.byyearday, orig.bymonthday, orig.byweekday, orig.byeaster].some(present)) {
    if (parsed.freq === RRule.YEARLY) {
      options.bymonth = parsed.bymonth;
      options.bymonthday = parsed.bymonthday;
    } else if (parsed.freq === RRule.MONTHLY) {
      options.bymonthday = parsed.bymonthday;
    } else if (parsed.freq === RRule.WEEKLY) {
      options.byweekday = parsed.byweekday;
    }
  }
  let untilInstant: number | null = null;
  const until = untilText === null ? null : readDateValue(untilText);
  if (until !== null && until.utc && !isUtc(zone)) {
    // RFC 5545: with a zoned DTSTART, UNTIL is given in UTC. Evaluate a little past it on wall time (no
    // offset is more than 14 h) and drop the instants after it.
    untilInstant = until.ms;
    options.until = new Date(until.ms + 15 * HOUR);
  }
  return {
    options,
    freq: parsed.freq,
    interval: parsed.interval,
    start,
    counted: orig.count !== null && orig.count !== undefined,
    untilInstant,
    cache: null,
  };
}

/**
 * Compile an `rruleExpression` (as {@link parseRrule} accepts it) for {@link nextOccurrences}. Without
 * DTSTART the rule starts at `anchorMs` (the publish time), in UTC; with `DTSTART;TZID=Zone:...` it follows
 * the wall clock of that zone; a DTSTART without TZID (with or without Z) is UTC.
 *
 * @param anchorMs epoch ms used as DTSTART when the expression has none.
 * @throws FlowspecError `FSP_ERR_INVALID_ARGUMENT` when `anchorMs` is not finite.
 */
export function compileSchedule(expression: string, anchorMs: number): CompileScheduleResult {
  if (typeof expression !== 'string') {
    parseRrule('', anchorMs); // throws for a bad anchor, like below
    return { ok: false, reason: 'The expression must be a string.' };
  }
  const scanned = scanLines(expression);
  // rrule gets the expression without its zones: its own TZID handling depends on the host zone (and is
  // slow); the zones are applied here, to the floating wall times it returns.
  const parsed = parseRrule(scanned.floating, anchorMs);
  if (!parsed.ok) return parsed;
  if (scanned.problem !== null) return { ok: false, reason: scanned.problem };
  const zone = scanned.zone ?? 'UTC';
  const rule = parsed.rule;
  const rrules: readonly RRuleType[] = '_rrule' in rule ? rule._rrule : [rule];
  const rules = rrules.map((r, i) => floatingRule(r, zone, scanned.untils[i] ?? null));
  const rdates: WallPoint[] = [];
  for (const r of scanned.rdates) {
    const v = readDateValue(r.value);
    if (v !== null) rdates.push({ wall: v.ms, zone: v.utc ? 'UTC' : (r.zone ?? zone) });
  }
  rdates.sort((a, b) => a.wall - b.wall);
  const exWalls = new Set<number>();
  const exInstants = new Set<number>();
  for (const r of scanned.exdates) {
    const v = readDateValue(r.value);
    if (v === null) continue;
    const z = v.utc ? 'UTC' : (r.zone ?? zone);
    if (z === zone) exWalls.add(v.ms);
    else for (const t of wallTimeToInstants(z, v.ms, { skippedTime: 'shift', repeatedTime: 'both' })) exInstants.add(t);
  }
  return { ok: true, schedule: { expression, zone, rules, rdates, exWalls, exInstants } };
}

// ------------------------------------------------------------------ evaluating

/** The fixed length of a period of a sub-monthly frequency on wall time, in ms. */
function periodMs(freq: number, interval: number): number | null {
  switch (freq) {
    case RRule.WEEKLY:
      return interval * 7 * DAY;
    case RRule.DAILY:
      return interval * DAY;
    case RRule.HOURLY:
      return interval * HOUR;
    case RRule.MINUTELY:
      return interval * 60_000;
    case RRule.SECONDLY:
      return interval * 1000;
    default:
      return null;
  }
}

/**
 * The rule with DTSTART moved forward by whole periods to at least two periods before `fromWall`, so rrule
 * (which always iterates from DTSTART) does not walk through years of past occurrences. Floating time has
 * no daylight-saving changes, so a period is a fixed length (or a whole number of months); the defaults
 * taken from DTSTART were written out by floatingRule. Rules with a COUNT keep their DTSTART.
 */
function anchoredRule(fr: FloatingRule, fromWall: number): RRuleType {
  let start = fr.start;
  if (!fr.counted && fromWall > fr.start) {
    const period = periodMs(fr.freq, fr.interval);
    if (period !== null) {
      const k = Math.floor((fromWall - fr.start) / period) - 2;
      if (k > 0) start = fr.start + k * period;
    } else {
      const s = new Date(fr.start);
      const f = new Date(fromWall);
      const months = fr.freq === RRule.MONTHLY;
      const span = months
        ? (f.getUTCFullYear() - s.getUTCFullYear()) * 12 + (f.getUTCMonth() - s.getUTCMonth())
        : f.getUTCFullYear() - s.getUTCFullYear();
      const k = Math.floor(span / fr.interval) - 2;
      if (k > 0) {
        // The first day of the period: every candidate of the period is still at or after it.
        const year = months ? s.getUTCFullYear() : s.getUTCFullYear() + k * fr.interval;
        const month = months ? s.getUTCMonth() + k * fr.interval : 0;
        // (utcMs normalises a month past December into the next years.)
        start = utcMs(year, month + 1, 1, s.getUTCHours(), s.getUTCMinutes(), s.getUTCSeconds());
      }
    }
  }
  // Building an rrule object costs about as much as walking a few dozen periods: keep the last one while
  // it starts at most REUSE_PERIODS periods (3 years for monthly and yearly rules) before the new start.
  const cached = fr.cache;
  const reuse = (periodMs(fr.freq, fr.interval) ?? (3 * 366 * DAY) / REUSE_PERIODS) * REUSE_PERIODS;
  if (cached !== null && cached.start <= start && start - cached.start <= reuse) return cached.rule;
  const rule = new RRule(start === fr.start ? fr.options : { ...fr.options, dtstart: new Date(start) }, true);
  fr.cache = { start, rule };
  return rule;
}

/** Up to `max` wall times of one rule at or after `fromWall`, ascending; `done` when the rule has no more. */
function ruleWalls(fr: FloatingRule, fromWall: number, max: number): { walls: number[]; done: boolean } {
  const walls: number[] = [];
  let done = true;
  anchoredRule(fr, fromWall).all((d) => {
    const w = d.getTime();
    if (w < fromWall) return true;
    walls.push(w);
    if (walls.length >= max) {
      done = false;
      return false;
    }
    return true;
  });
  return { walls, done };
}

/**
 * The occurrences strictly after `afterMs`, ascending, without duplicates (two wall times that land on one
 * instant fire once), as a lazy sequence: it may be endless.
 */
export function* occurrencesAfter(
  schedule: CompiledSchedule,
  afterMs: number,
  policy: DstPolicy = {},
): Generator<number, void, undefined> {
  const { zone, rules, exWalls, exInstants } = schedule;
  // A wall time W lands at W - offset (or, shifted out of a gap, W - the offset before it), so no wall time
  // before afterMs + (the smallest offset around it) lands after afterMs.
  let fromWall = afterMs + offsetsAround(zone, afterMs)[0];
  let last = afterMs;
  const pending = new Set<number>();
  const dated: number[] = [];
  for (const p of schedule.rdates) {
    if (p.zone === zone && exWalls.has(p.wall)) continue;
    for (const t of wallTimeToInstants(p.zone, p.wall, policy)) if (t > afterMs && !exInstants.has(t)) dated.push(t);
  }
  dated.sort((a, b) => a - b);
  let datedAt = 0;
  /** Per rule: null while rrule may have more wall times, else the wall times it had left. */
  const rest: (number[] | null)[] = rules.map(() => null);
  let batch = 4;
  for (;;) {
    // Wall times from every rule up to `limit`, the earliest point up to which every rule has been read.
    let limit = Infinity;
    const found: (readonly [wall: number, rule: FloatingRule])[] = [];
    rules.forEach((fr, i) => {
      let walls = rest[i];
      if (walls === null || walls === undefined) {
        const next = ruleWalls(fr, fromWall, batch);
        walls = next.walls;
        if (next.done) rest[i] = walls;
        else limit = Math.min(limit, walls[walls.length - 1]!);
      }
      for (const wall of walls) if (wall >= fromWall) found.push([wall, fr]);
    });
    for (const [wall, fr] of found) {
      if (wall > limit || exWalls.has(wall)) continue;
      for (const t of wallTimeToInstants(zone, wall, policy)) {
        if (t <= last || exInstants.has(t)) continue;
        if (fr.untilInstant !== null && t > fr.untilInstant) continue;
        pending.add(t);
      }
    }
    // Instants no later wall time can land before: a wall time after `limit` lands after limit minus the
    // largest offset around it.
    const bound = limit === Infinity ? Infinity : limit - offsetsAround(zone, limit)[1];
    while (datedAt < dated.length && dated[datedAt]! <= bound) pending.add(dated[datedAt++]!);
    const ready = [...pending].filter((t) => t <= bound).sort((a, b) => a - b);
    for (const t of ready) {
      pending.delete(t);
      if (t <= last) continue;
      last = t;
      yield t;
    }
    if (limit === Infinity) return;
    fromWall = limit + 1;
    batch = Math.min(batch * 2, 1024);
  }
}

/**
 * The next `count` occurrences strictly after `afterMs` (epoch ms), ascending; fewer when the rule ends.
 * Wall-clock rules in a TZID stay on local time across daylight-saving changes; `policy` says what happens
 * to local times that are skipped (spring forward) or repeated (fall back).
 */
export function nextOccurrences(
  schedule: CompiledSchedule,
  afterMs: number,
  count: number,
  policy: DstPolicy = {},
): number[] {
  const out: number[] = [];
  if (!(count > 0)) return out;
  for (const t of occurrencesAfter(schedule, afterMs, policy)) {
    out.push(t);
    if (out.length >= count) break;
  }
  return out;
}

/** The first occurrence strictly after `afterMs`, or null when the rule has ended. */
export function nextOccurrence(schedule: CompiledSchedule, afterMs: number, policy: DstPolicy = {}): number | null {
  return nextOccurrences(schedule, afterMs, 1, policy)[0] ?? null;
}

/**
 * The occurrences in `(afterMs, untilMs]`, ascending; when there are more than `limit`, the latest `limit`
 * of them (a long downtime then costs no more memory than `limit` results).
 */
export function occurrencesBetween(
  schedule: CompiledSchedule,
  afterMs: number,
  untilMs: number,
  policy: DstPolicy = {},
  limit = Infinity,
): number[] {
  let out: number[] = [];
  if (!(untilMs > afterMs) || !(limit > 0)) return out;
  for (const t of occurrencesAfter(schedule, afterMs, policy)) {
    if (t > untilMs) break;
    out.push(t);
    if (out.length >= 2 * limit) out = out.slice(out.length - limit);
  }
  return out.length > limit ? out.slice(out.length - limit) : out;
}

/**
 * The latest occurrence in `(afterMs, atMs]`, or null. Searches backwards from `atMs` in growing windows,
 * so its cost depends on the rule's density near `atMs`, not on how long ago `afterMs` was.
 */
export function latestOccurrence(
  schedule: CompiledSchedule,
  afterMs: number,
  atMs: number,
  policy: DstPolicy = {},
): number | null {
  if (!(atMs > afterMs)) return null;
  for (let span = 60_000; ; span *= 4) {
    const from = Math.max(afterMs, atMs - span);
    let latest: number | null = null;
    for (const t of occurrencesAfter(schedule, from, policy)) {
      if (t > atMs) break;
      latest = t;
    }
    if (latest !== null || from === afterMs) return latest;
  }
}
