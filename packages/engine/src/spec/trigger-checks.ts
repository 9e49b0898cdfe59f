/**
 * Checks of `triggers`: each trigger holds `startStepNames` and exactly one `<kind>Trigger` key; a kind
 * appears once; `workflowTrigger` stands alone. The bodies of the kinds the engine runs (`apiTrigger` with
 * its `rateLimit`, `workflowTrigger`, `scheduleTrigger` with its recurrence rule) are checked key by key.
 * Other kinds (`monitorTrigger`, …) are kept: their bodies belong to the embedding application and only
 * have to be objects.
 */
import { parseRrule } from '../schedule/parse-rrule.js';
import { SECONDS, at, jsonType, quote, show } from './describe.js';
import type { Path } from './describe.js';
import { nearest } from './suggest.js';
import type { ValidationContext } from './validation-context.js';

const TRIGGER_KINDS = ['apiTrigger', 'workflowTrigger', 'scheduleTrigger'];
const API_TRIGGER_KEYS = ['rateLimit'];
const RATE_LIMIT_KEYS = ['count', 'interval'];
const SCHEDULE_TRIGGER_KEYS = ['rruleExpression', 'overlapBehavior'];
const OVERLAP_BEHAVIORS = ['EXCLUSIVE_RUN', 'OVERLAP_ALLOWED'];

/** Check the `triggers` list; records every start step on the context (after the step names are indexed). */
export function checkTriggers(ctx: ValidationContext, value: unknown): void {
  if (value !== undefined && !Array.isArray(value)) {
    ctx.error('FSP_ERR_SPEC_TYPE', ['triggers'], `triggers must be an array, got ${jsonType(value)}.`);
    return;
  }
  const triggers = value ?? [];
  ctx.setTriggerCount(triggers.length);
  if (triggers.length === 0) {
    ctx.error(
      'FSP_ERR_SPEC_NO_TRIGGER',
      ['triggers'],
      'The spec has no trigger; add one, e.g. { "startStepNames": [...], "workflowTrigger": {} } to run it by hand.',
    );
    return;
  }
  const firstOfKind = new Map<string, number>();
  triggers.forEach((item: unknown, i: number) => {
    const path: Path = ['triggers', i];
    const trigger = ctx.object(item, path, `Trigger ${i}`);
    if (trigger === undefined) return;
    const keys = Object.keys(trigger);
    const kinds = keys.filter((k) => k.endsWith('Trigger'));
    for (const key of keys) {
      if (key === 'startStepNames' || key.endsWith('Trigger')) continue;
      const suggestion = nearest(key, ['startStepNames', ...TRIGGER_KINDS]);
      const hint =
        suggestion !== undefined
          ? `Did you mean ${quote(suggestion)}?`
          : 'A trigger holds startStepNames and one <kind>Trigger key.';
      ctx.error('FSP_ERR_SPEC_UNKNOWN_KEY', at(path, key), `Unknown key ${quote(key)} in trigger ${i}. ${hint}`);
    }
    ctx
      .array(trigger['startStepNames'], at(path, 'startStepNames'), `Trigger ${i}: startStepNames`)
      .forEach((name, j) => {
        const index = ctx.stepRef(name, at(path, 'startStepNames'), j, () => `Trigger ${i}: startStepNames[${j}]`);
        if (index >= 0) ctx.addStartStep(index);
      });
    if (kinds.length !== 1) {
      ctx.error(
        'FSP_ERR_SPEC_TRIGGER_SHAPE',
        path,
        kinds.length === 0
          ? `Trigger ${i} has no <kind>Trigger key; add exactly one, e.g. "workflowTrigger": {} or "apiTrigger": {}.`
          : `Trigger ${i} has several kinds (${kinds.join(', ')}); a trigger has exactly one, so split it into one trigger per kind.`,
      );
      return;
    }
    const kind = kinds[0]!;
    const first = firstOfKind.get(kind);
    if (first !== undefined) {
      ctx.error(
        'FSP_ERR_SPEC_DUPLICATE_TRIGGER_KIND',
        at(path, kind),
        `Trigger ${i} is a second ${kind} (the first is trigger ${first}); merge their startStepNames into one trigger.`,
      );
    } else firstOfKind.set(kind, i);
    checkTriggerBody(ctx, kind, trigger[kind], at(path, kind));
  });
  const workflowTrigger = firstOfKind.get('workflowTrigger');
  if (workflowTrigger !== undefined && firstOfKind.size > 1) {
    const others = [...firstOfKind.keys()].filter((k) => k !== 'workflowTrigger');
    ctx.error(
      'FSP_ERR_SPEC_WORKFLOW_TRIGGER_COMBINED',
      ['triggers', workflowTrigger, 'workflowTrigger'],
      `workflowTrigger cannot be combined with other triggers (${others.join(', ')}); remove it or the others ` +
        '(a workflow with an apiTrigger is run through that trigger).',
    );
  }
}

function checkTriggerBody(ctx: ValidationContext, kind: string, value: unknown, path: Path): void {
  const body = ctx.object(value, path, kind);
  if (body === undefined) return;
  switch (kind) {
    case 'workflowTrigger':
      ctx.checkKeys(body, [], path, 'workflowTrigger');
      return;
    case 'apiTrigger': {
      ctx.checkKeys(body, API_TRIGGER_KEYS, path, 'apiTrigger');
      if (body['rateLimit'] !== undefined) checkRateLimit(ctx, body['rateLimit'], at(path, 'rateLimit'));
      return;
    }
    case 'scheduleTrigger': {
      ctx.checkKeys(body, SCHEDULE_TRIGGER_KEYS, path, 'scheduleTrigger');
      const rrule = ctx.requiredString(
        body,
        'rruleExpression',
        path,
        'scheduleTrigger',
        'write an iCalendar rule, e.g. "RRULE:FREQ=DAILY;BYHOUR=9".',
      );
      if (rrule !== undefined) {
        // The anchor only stands in for the publish time; any fixed value keeps validation deterministic.
        const parsed = parseRrule(rrule, 0);
        if (!parsed.ok) {
          ctx.error(
            'FSP_ERR_SPEC_RRULE',
            at(path, 'rruleExpression'),
            `scheduleTrigger.rruleExpression is invalid: ${parsed.reason}`,
          );
        }
      }
      const overlap = ctx.optionalString(body, 'overlapBehavior', path, 'scheduleTrigger');
      if (overlap !== undefined && !OVERLAP_BEHAVIORS.includes(overlap)) {
        const suggestion = nearest(overlap, OVERLAP_BEHAVIORS);
        const hint = suggestion !== undefined ? `Did you mean ${quote(suggestion)}? ` : '';
        ctx.error(
          'FSP_ERR_SPEC_VALUE',
          at(path, 'overlapBehavior'),
          `scheduleTrigger.overlapBehavior is ${show(overlap)}. ${hint}Use ${OVERLAP_BEHAVIORS.join(' or ')} (the default).`,
        );
      }
      return;
    }
    default:
      // Other kinds are stored and returned unchanged; their bodies belong to the embedding application.
      return;
  }
}

function checkRateLimit(ctx: ValidationContext, value: unknown, path: Path): void {
  const limit = ctx.object(value, path, 'apiTrigger.rateLimit');
  if (limit === undefined) return;
  ctx.checkKeys(limit, RATE_LIMIT_KEYS, path, 'rateLimit');
  if (ctx.required(limit, 'count', path, 'apiTrigger.rateLimit', 'set how many starts the interval admits.')) {
    const count = limit['count'];
    if (typeof count !== 'number') {
      ctx.error(
        'FSP_ERR_SPEC_TYPE',
        at(path, 'count'),
        `apiTrigger.rateLimit.count must be a number, got ${jsonType(count)}.`,
      );
    } else if (!Number.isSafeInteger(count) || count < 1) {
      ctx.error(
        'FSP_ERR_SPEC_VALUE',
        at(path, 'count'),
        `apiTrigger.rateLimit.count is ${show(count)}; it must be a whole number of 1 or more.`,
      );
    }
  }
  if (ctx.required(limit, 'interval', path, 'apiTrigger.rateLimit', 'set the rolling window, e.g. "3600s".')) {
    const interval = ctx.optionalString(limit, 'interval', path, 'apiTrigger.rateLimit');
    if (interval !== undefined && (!SECONDS.test(interval) || Number.parseFloat(interval) <= 0)) {
      ctx.error(
        'FSP_ERR_SPEC_VALUE',
        at(path, 'interval'),
        `apiTrigger.rateLimit.interval is ${show(interval)}; write a positive number of seconds followed by "s", e.g. "60s".`,
      );
    }
  }
}
