/**
 * Checks of `steps`: names (unique, non-empty), actions, parameters, outbound edges, completion gates,
 * retry strategies, error handlers and readiness gates. Edges, actions, ANY joins and step reads are
 * recorded on the context for the graph checks. Descriptions are functions here: a spec may hold
 * 100,000 steps, and a message is only rendered for a problem.
 */
import { jsonPointer } from '../errors.js';
import { compileCondition } from '../expr/condition.js';
import { SECONDS, at, isRecord, jsonType, quote, show, text } from './describe.js';
import type { Describe, Path } from './describe.js';
import { checkExpression, reportExpression } from './expression-checks.js';
import { checkDisplay } from './metadata-checks.js';
import { nearest } from './suggest.js';
import { CompletionOperators } from './types.js';
import type { CompletionCondition } from './types.js';
import type { ValidationContext } from './validation-context.js';

const STEP_KEYS = [
  'name',
  'actionId',
  'parameters',
  'outboundEdges',
  'completionGate',
  'errorHandlers',
  'readinessGate',
  'connectionLabel',
  'display',
];
const PARAMETER_KEYS = ['name', 'value'];
const EDGE_KEYS = ['nextStepName', 'branchName'];
const GATE_KEYS = ['completionCondition', 'retryStrategy'];
const CONDITION_KEYS = ['operand1', 'operand2', 'operator'];
const RETRY_KEYS = ['kind', 'linear'];
const LINEAR_KEYS = ['interval', 'maxRetries'];
const HANDLER_KEYS = ['fallbackStepName', 'retryStrategy'];
const READINESS_KEYS = ['thresholdType'];
const RETRY_KIND = 'RETRY_STRATEGY_LINEAR';
const THRESHOLD_TYPES = ['ANY', 'ALL'];

/**
 * First pass over the steps: index their names, so edges and expressions can refer to any step, earlier
 * or later. Reports missing, empty and duplicate names; a duplicate name resolves to its first step.
 */
export function indexStepNames(ctx: ValidationContext, steps: readonly unknown[]): void {
  ctx.setSteps(steps);
  for (let i = 0; i < steps.length; i++) {
    const step = steps[i];
    if (!isRecord(step)) continue;
    const name = step['name'];
    if (typeof name !== 'string') {
      ctx.requiredString(step, 'name', ['steps', i], `Step ${i}`, 'give the step a unique name.');
      continue;
    }
    if (name === '') {
      ctx.error('FSP_ERR_SPEC_EMPTY_NAME', ['steps', i, 'name'], `Step ${i} has an empty name; give it a unique name.`);
      continue;
    }
    const first = ctx.nameStep(name, i);
    if (first !== undefined) {
      ctx.error(
        'FSP_ERR_SPEC_DUPLICATE_STEP',
        ['steps', i, 'name'],
        `Step name ${quote(name)} is already used by step ${first} (${jsonPointer('steps', first)}); step names must be unique, rename one.`,
      );
    }
  }
}

/** Check step `i` (after {@link indexStepNames}). */
export function checkStep(ctx: ValidationContext, value: unknown, i: number): void {
  const path: Path = ['steps', i];
  const step = ctx.object(value, path, () => `Step ${i}`);
  if (step === undefined) return;
  const what: Describe = () => `Step ${quote(ctx.stepName(i))}`;
  ctx.checkKeys(step, STEP_KEYS, path, what);
  const actionId = ctx.requiredString(step, 'actionId', path, what, 'set the id of the action it runs.');
  if (actionId === '') {
    ctx.error(
      'FSP_ERR_SPEC_MISSING_FIELD',
      at(path, 'actionId'),
      `${text(what)} has an empty actionId; set the id of the action it runs.`,
    );
  } else if (actionId !== undefined) {
    ctx.setActionId(i, actionId);
    if (!ctx.isKnownAction(actionId)) {
      ctx.error(
        'FSP_ERR_SPEC_UNKNOWN_ACTION',
        at(path, 'actionId'),
        `${text(what)} uses action ${quote(actionId)}, which this engine does not know; register a handler for it or fix the id.`,
      );
    }
  }
  ctx.optionalString(step, 'connectionLabel', path, what);
  if (step['parameters'] !== undefined) checkParameters(ctx, step['parameters'], path, i, what);
  if (step['outboundEdges'] !== undefined) checkEdges(ctx, step['outboundEdges'], path, i, what);
  if (step['completionGate'] !== undefined) checkCompletionGate(ctx, step['completionGate'], path, i, what);
  if (step['errorHandlers'] !== undefined) checkErrorHandlers(ctx, step['errorHandlers'], path, i, what);
  if (step['readinessGate'] !== undefined) checkReadinessGate(ctx, step['readinessGate'], path, i, what);
  if (step['display'] !== undefined) {
    checkDisplay(ctx, step['display'], at(path, 'display'), () => `${text(what)}.display`);
  }
}

function checkParameters(ctx: ValidationContext, value: unknown, stepPath: Path, i: number, what: Describe): void {
  const listPath = at(stepPath, 'parameters');
  const list = ctx.array(value, listPath, () => `${text(what)}.parameters`);
  // First index of each parameter name; an action gets its parameters as one object, so a name is set once.
  const seen = list.length > 1 ? new Map<string, number>() : undefined;
  for (let j = 0; j < list.length; j++) {
    const path = at(listPath, j);
    const paramWhat: Describe = () => `Parameter ${j} of ${text(what)}`;
    const param = ctx.object(list[j], path, paramWhat);
    if (param === undefined) continue;
    ctx.checkKeys(param, PARAMETER_KEYS, path, paramWhat);
    const name = ctx.requiredString(param, 'name', path, paramWhat, 'name the action parameter it sets.');
    if (name === '') {
      ctx.error('FSP_ERR_SPEC_EMPTY_NAME', at(path, 'name'), `${text(paramWhat)} has an empty name.`);
    } else if (name !== undefined && seen !== undefined) {
      const first = seen.get(name);
      if (first !== undefined) {
        ctx.error(
          'FSP_ERR_SPEC_DUPLICATE_PARAMETER',
          at(path, 'name'),
          `${text(what)} sets parameter ${quote(name)} twice (parameters ${first} and ${j}); keep one of them.`,
        );
      } else seen.set(name, j);
    }
    if (ctx.required(param, 'value', path, paramWhat, 'give it a value (null is allowed).')) {
      checkExpression(ctx, param['value'], at(path, 'value'), i, false);
    }
  }
}

function checkEdges(ctx: ValidationContext, value: unknown, stepPath: Path, i: number, what: Describe): void {
  const listPath = at(stepPath, 'outboundEdges');
  const list = ctx.array(value, listPath, () => `${text(what)}.outboundEdges`);
  for (let j = 0; j < list.length; j++) {
    const edgeWhat: Describe = () => `Edge ${j} of ${text(what)}`;
    const item = list[j];
    if (!isRecord(item)) {
      ctx.object(item, at(listPath, j), edgeWhat);
      continue;
    }
    const path = at(listPath, j);
    ctx.checkKeys(item, EDGE_KEYS, path, edgeWhat);
    const branch = ctx.requiredString(
      item,
      'branchName',
      path,
      edgeWhat,
      'name the branch that takes it (usually "main").',
    );
    if (branch === '') {
      ctx.error(
        'FSP_ERR_SPEC_EMPTY_NAME',
        at(path, 'branchName'),
        `${text(edgeWhat)} has an empty branchName; use the branch name (usually "main").`,
      );
    }
    if (!ctx.required(item, 'nextStepName', path, edgeWhat, 'name the step it leads to.')) continue;
    const to = ctx.stepRef(item['nextStepName'], path, 'nextStepName', () => `${text(edgeWhat)}: nextStepName`);
    // A bad branch is reported above; the edge still counts for cycles and reachability.
    if (to >= 0) ctx.addEdge({ from: i, to, branch: typeof branch === 'string' ? branch : '', index: j });
  }
}

function checkCompletionGate(ctx: ValidationContext, value: unknown, stepPath: Path, i: number, what: Describe): void {
  const path = at(stepPath, 'completionGate');
  const gateWhat: Describe = () => `The completionGate of ${text(what)}`;
  const gate = ctx.object(value, path, gateWhat);
  if (gate === undefined) return;
  ctx.checkKeys(gate, GATE_KEYS, path, gateWhat);
  if (ctx.required(gate, 'completionCondition', path, gateWhat, 'add { operand1, operator, operand2 }.')) {
    checkCondition(ctx, gate['completionCondition'], at(path, 'completionCondition'), i, what);
  }
  if (
    ctx.required(
      gate,
      'retryStrategy',
      path,
      gateWhat,
      `add { kind: "${RETRY_KIND}", linear: { interval, maxRetries } }.`,
    )
  ) {
    checkRetry(ctx, gate['retryStrategy'], at(path, 'retryStrategy'), gateWhat);
  }
}

function checkCondition(ctx: ValidationContext, value: unknown, path: Path, i: number, what: Describe): void {
  const condWhat: Describe = () => `The completion condition of ${text(what)}`;
  const cond = ctx.object(value, path, condWhat);
  if (cond === undefined) return;
  ctx.checkKeys(cond, CONDITION_KEYS, path, condWhat);
  ctx.required(
    cond,
    'operand1',
    path,
    condWhat,
    'set the value to test (usually a {{ Steps.<this step>... }} template).',
  );
  if (ctx.required(cond, 'operator', path, condWhat, `use one of ${CompletionOperators.join(', ')}.`)) {
    const op = cond['operator'];
    if (typeof op !== 'string' || !(CompletionOperators as readonly string[]).includes(op)) {
      const suggestion = typeof op === 'string' ? nearest(op, CompletionOperators) : undefined;
      const hint = suggestion !== undefined ? `Did you mean ${quote(suggestion)}? ` : '';
      ctx.error(
        'FSP_ERR_SPEC_COMPLETION_OPERATOR',
        at(path, 'operator'),
        `${text(condWhat)} uses the unknown operator ${show(op)}. ${hint}Use one of ${CompletionOperators.join(', ')}.`,
      );
    }
  }
  // The condition may read its own step: it is evaluated after the step's call, on its output.
  const compiled = compileCondition(cond as unknown as CompletionCondition, ctx.resolveStep);
  // The operator was reported above with its own code.
  const problems = compiled.problems.filter((p) => p.path[0] !== 'operator');
  reportExpression(ctx, { ...compiled, problems }, path, i, true);
}

function checkRetry(ctx: ValidationContext, value: unknown, path: Path, what: Describe): void {
  const retryWhat: Describe = () => `${text(what)}: retryStrategy`;
  const retry = ctx.object(value, path, retryWhat);
  if (retry === undefined) return;
  ctx.checkKeys(retry, RETRY_KEYS, path, retryWhat);
  if (ctx.required(retry, 'kind', path, retryWhat, `set it to ${quote(RETRY_KIND)}.`)) {
    const kind = retry['kind'];
    if (kind !== RETRY_KIND) {
      ctx.error(
        'FSP_ERR_SPEC_RETRY_KIND',
        at(path, 'kind'),
        `${text(retryWhat)}.kind is ${show(kind)}; the only supported kind is ${quote(RETRY_KIND)}.`,
      );
    }
  }
  if (!ctx.required(retry, 'linear', path, retryWhat, 'add linear: { interval: "30s", maxRetries: 3 }.')) return;
  const linearPath = at(path, 'linear');
  const linearWhat: Describe = () => `${text(what)}: retryStrategy.linear`;
  const linear = ctx.object(retry['linear'], linearPath, linearWhat);
  if (linear === undefined) return;
  ctx.checkKeys(linear, LINEAR_KEYS, linearPath, linearWhat);
  if (ctx.required(linear, 'interval', linearPath, linearWhat, 'set the wait between attempts, e.g. "30s".')) {
    const interval = linear['interval'];
    if (typeof interval !== 'string' || !SECONDS.test(interval)) {
      ctx.error(
        'FSP_ERR_SPEC_RETRY_INTERVAL',
        at(linearPath, 'interval'),
        `${text(linearWhat)}.interval is ${show(interval)}; write a non-negative number of seconds followed by "s", ` +
          'e.g. "30s" or "0.5s".',
      );
    }
  }
  if (ctx.required(linear, 'maxRetries', linearPath, linearWhat, 'set how many more attempts to make, e.g. 3.')) {
    const max = linear['maxRetries'];
    if (typeof max !== 'number') {
      ctx.error(
        'FSP_ERR_SPEC_TYPE',
        at(linearPath, 'maxRetries'),
        `${text(linearWhat)}.maxRetries must be a number, got ${jsonType(max)}.`,
      );
    } else if (!Number.isSafeInteger(max) || max < 0) {
      ctx.error(
        'FSP_ERR_SPEC_RETRY_MAX',
        at(linearPath, 'maxRetries'),
        `${text(linearWhat)}.maxRetries is ${max}; it must be a whole number of 0 or more.`,
      );
    }
  }
}

function checkErrorHandlers(ctx: ValidationContext, value: unknown, stepPath: Path, i: number, what: Describe): void {
  const listPath = at(stepPath, 'errorHandlers');
  const list = ctx.array(value, listPath, () => `${text(what)}.errorHandlers`);
  for (let j = 0; j < list.length; j++) {
    const path = at(listPath, j);
    const handlerWhat: Describe = () => `Error handler ${j} of ${text(what)}`;
    const handler = ctx.object(list[j], path, handlerWhat);
    if (handler === undefined) continue;
    ctx.checkKeys(handler, HANDLER_KEYS, path, handlerWhat);
    if (ctx.required(handler, 'fallbackStepName', path, handlerWhat, 'name the step to run when this one fails.')) {
      const to = ctx.stepRef(
        handler['fallbackStepName'],
        path,
        'fallbackStepName',
        () => `${text(handlerWhat)}: fallbackStepName`,
      );
      if (to >= 0) ctx.addEdge({ from: i, to, branch: null, index: j });
    }
    if (
      ctx.required(
        handler,
        'retryStrategy',
        path,
        handlerWhat,
        `add { kind: "${RETRY_KIND}", linear: { interval, maxRetries } }.`,
      )
    ) {
      checkRetry(ctx, handler['retryStrategy'], at(path, 'retryStrategy'), handlerWhat);
    }
  }
}

function checkReadinessGate(ctx: ValidationContext, value: unknown, stepPath: Path, i: number, what: Describe): void {
  const path = at(stepPath, 'readinessGate');
  const gateWhat: Describe = () => `The readinessGate of ${text(what)}`;
  const gate = ctx.object(value, path, gateWhat);
  if (gate === undefined) return;
  ctx.checkKeys(gate, READINESS_KEYS, path, gateWhat);
  if (!ctx.required(gate, 'thresholdType', path, gateWhat, 'set it to "ALL" or "ANY".')) return;
  const type = gate['thresholdType'];
  if (type === 'ANY') ctx.markJoinAny(i);
  if (typeof type !== 'string' || !THRESHOLD_TYPES.includes(type)) {
    ctx.error(
      'FSP_ERR_SPEC_READINESS_GATE',
      at(path, 'thresholdType'),
      `${text(gateWhat)} has thresholdType ${show(type)}; use "ALL" (wait for every inbound edge, the default) ` +
        'or "ANY" (run at the first).',
    );
  }
}
