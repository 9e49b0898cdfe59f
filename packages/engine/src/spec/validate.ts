/**
 * Spec validation (SEMANTICS.md section 1): every problem of a spec document at once, each with a
 * stable code and an RFC 6901 pointer, before anything is compiled. `compileSpec` trusts a spec that
 * passed, so every shape the compiler reads is checked here.
 *
 * Decisions:
 * - Unknown keys are errors in the spec, a step, an edge, a parameter, a gate, a condition, a retry
 *   strategy, a handler, a readinessGate, a schema, a schema entry and the known trigger bodies
 *   (`apiTrigger`, `rateLimit`, `workflowTrigger`, `scheduleTrigger`). Bodies of unknown trigger kinds,
 *   `display`, `connectionEnvs` and `annotations` are checked for types only: they are editor and
 *   platform data the engine stores without reading.
 * - The graph (outbound edges and error-handler fallbacks) is walked with explicit stacks and queues,
 *   never recursion: a spec may have 100,000 steps.
 * - "Decided before" (the expression scope rule) is computed only when some expression reads a step,
 *   only on an acyclic graph, and only for the steps that are read: one bit column per read step.
 */
import { jsonPointer } from '../errors.js';
import type { Diagnostic, ErrorCode } from '../errors.js';
import { compileCondition } from '../expr/condition.js';
import { compileValue } from '../expr/template.js';
import type { ExprProblem } from '../expr/types.js';
import { parseRrule } from '../schedule/parse-rrule.js';
import { CompletionOperators, SchemaTypes } from './types.js';
import type { CompletionCondition, SchemaType } from './types.js';

/** Options of {@link validateSpec}. */
export interface ValidateOptions {
  /**
   * When given, a step whose `actionId` it returns false for is `FSP_ERR_SPEC_UNKNOWN_ACTION`.
   * @default undefined (every actionId is accepted)
   */
  readonly knownActionIds?: (id: string) => boolean;
  /**
   * Prepended to every pointer, e.g. `'/data/attributes/spec'` when the spec sits in a request body.
   * @default ''
   */
  readonly pointerPrefix?: string;
}

/** The outcome of {@link validateSpec}. */
export interface ValidationResult {
  /** True when no diagnostic has severity `error` (warnings do not make a spec invalid). */
  readonly ok: boolean;
  /** Every problem found, errors and warnings, in document order of discovery. */
  readonly diagnostics: readonly Diagnostic[];
}

type Path = readonly (string | number)[];

/**
 * What a message talks about ("Edge 0 of Step "A""). A function when built per element of a large spec:
 * the text is only made when a problem is reported.
 */
type Describe = string | (() => string);

function text(what: Describe): string {
  return typeof what === 'string' ? what : what();
}

const SPEC_KEYS = ['steps', 'triggers', 'inputSchema', 'outputSchema', 'connectionEnvs', 'handle', 'annotations'];
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
const SCHEMA_KEYS = ['parameters'];
const INPUT_PARAM_KEYS = ['name', 'type', 'defaultValue', 'allowedValues', 'allowExtraValues', 'description', 'label'];
const OUTPUT_PARAM_KEYS = [...INPUT_PARAM_KEYS, 'value'];
const TRIGGER_KINDS = ['apiTrigger', 'workflowTrigger', 'scheduleTrigger'];
const API_TRIGGER_KEYS = ['rateLimit'];
const RATE_LIMIT_KEYS = ['count', 'interval'];
const SCHEDULE_TRIGGER_KEYS = ['rruleExpression', 'overlapBehavior'];
const OVERLAP_BEHAVIORS = ['EXCLUSIVE_RUN', 'OVERLAP_ALLOWED'];
const RETRY_KIND = 'RETRY_STRATEGY_LINEAR';
const THRESHOLD_TYPES = ['ANY', 'ALL'];
const MAX_DESCRIPTION_LENGTH = 300;

/** Keys people put in the spec that belong next to it, in the workflow attributes. */
const WORKFLOW_ATTRIBUTE_HINTS: Readonly<Record<string, string>> = {
  name: 'The workflow name is a workflow attribute next to the spec (data.attributes.name), not part of it.',
  description:
    'The description is a workflow attribute next to the spec (data.attributes.description), not part of it.',
  tags: 'Tags are a workflow attribute next to the spec (data.attributes.tags), not part of it.',
};

/** `"<number>s"`: `"30s"`, `"0.5s"`; not `"30"`, `"1m"`, `"-1s"`. */
const SECONDS = /^(?:\d+(?:\.\d+)?|\.\d+)s$/;

/**
 * Branches a built-in action can choose on success, by actionId; `null` = none (it never succeeds).
 * `com.datadoghq.core.switch` is resolved from its `cases` parameter. Other actions may choose any branch.
 */
const BUILTIN_BRANCHES: ReadonlyMap<string, ReadonlySet<string> | null> = new Map<string, ReadonlySet<string> | null>([
  ['com.datadoghq.core.if', new Set(['true', 'false'])],
  ['com.datadoghq.core.noop', new Set(['main'])],
  ['com.datadoghq.core.echo', new Set(['main'])],
  ['com.datadoghq.core.sleep', new Set(['main'])],
  ['com.datadoghq.core.setVariable', new Set(['main'])],
  ['com.datadoghq.core.setVariables', new Set(['main'])],
  ['com.datadoghq.http.request', new Set(['main'])],
  ['com.datadoghq.core.error', null],
]);
const SWITCH_ACTION = 'com.datadoghq.core.switch';
const SWITCH_DEFAULT_BRANCH = 'default';

/** Bit-matrix budget of the scope check, in 32-bit words (16 MiB); more read steps are done in several passes. */
const SCOPE_WORD_BUDGET = 1 << 22;
/**
 * Most words (32 read steps each) per pass. Narrow passes cost the same word operations in the worst case,
 * and usually far fewer: a pass only walks the order from its first read step to its last reader.
 */
const SCOPE_PASS_WORDS = 8;
/** Step names compared in all "did you mean" searches of one validation. */
const SUGGESTION_BUDGET = 250_000;
/** Longest list of step names shown in one message. */
const MAX_NAMES_SHOWN = 12;

/** `path` extended by `tokens`: a copy, because sibling fields share their parent's path. */
function at(path: Path, ...tokens: readonly (string | number)[]): Path {
  const out = path.slice();
  for (const token of tokens) out.push(token);
  return out;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The JSON type of a value, for messages. */
function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return 'a string';
  if (typeof value === 'number') return 'a number';
  if (typeof value === 'boolean') return 'a boolean';
  return typeof value;
}

function quote(text: string): string {
  return JSON.stringify(text);
}

function show(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 60 ? `${text.slice(0, 60)}…` : text;
}

/** Edit distance of `a` and `b` when it is at most `max`, else `max + 1` (banded, early exit). */
function boundedDistance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let prev = new Array<number>(b.length + 1);
  let cur = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i;
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      const v = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
      cur[j] = v;
      if (v < rowMin) rowMin = v;
    }
    if (rowMin > max) return max + 1;
    [prev, cur] = [cur, prev];
  }
  return prev[b.length]!;
}

/** The candidate nearest to `word` (case-insensitively) within edit distance 2, if any. */
function nearest(word: string, candidates: Iterable<string>): string | undefined {
  const lower = word.toLowerCase();
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of candidates) {
    const d = boundedDistance(lower, candidate.toLowerCase(), 2);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

function matchesScalar(type: SchemaType, value: unknown): boolean {
  switch (type) {
    case 'STRING':
    case 'ARRAY_STRING':
      return typeof value === 'string';
    case 'NUMBER':
    case 'ARRAY_NUMBER':
      return typeof value === 'number' && Number.isFinite(value);
    case 'BOOLEAN':
    case 'ARRAY_BOOLEAN':
      return typeof value === 'boolean';
    case 'OBJECT':
    case 'ARRAY_OBJECT':
      return isRecord(value);
    default: {
      const never: never = type;
      return never;
    }
  }
}

/** Whether `value` is exactly of schema type `type` (as the instance input check reads it). */
function matchesSchemaType(type: SchemaType, value: unknown): boolean {
  if (type.startsWith('ARRAY_')) return Array.isArray(value) && value.every((v) => matchesScalar(type, v));
  return matchesScalar(type, value);
}

/** What an element of `allowedValues` must be for `type`. */
function elementTypeName(type: SchemaType): string {
  return type.startsWith('ARRAY_') ? type.slice('ARRAY_'.length) : type;
}

/** One `Steps.X` read by an expression, checked against "decided before" once the graph is known. */
interface StepRead {
  readonly reader: number;
  readonly step: number;
  readonly path: Path;
}

/** Edges of the step graph (outbound edges, then error-handler fallbacks) whose target exists. */
interface Edge {
  readonly from: number;
  readonly to: number;
  /** Branch of an outbound edge; null for a fallback edge. */
  readonly branch: string | null;
  /** Position in the step's `outboundEdges` (or `errorHandlers` for a fallback). */
  readonly index: number;
}

/** Pointer tokens of the `nextStepName` / `fallbackStepName` naming the edge's target. */
function edgePath(edge: Edge): Path {
  return edge.branch === null
    ? ['steps', edge.from, 'errorHandlers', edge.index, 'fallbackStepName']
    : ['steps', edge.from, 'outboundEdges', edge.index, 'nextStepName'];
}

/** Validates one spec document; collects diagnostics instead of stopping at the first problem. */
class SpecValidator {
  readonly #prefix: string;
  readonly #knownActionIds: ((id: string) => boolean) | undefined;
  readonly #diagnostics: Diagnostic[] = [];
  /** Steps as given (entries that are not objects stay, so indices match pointers). */
  #steps: readonly unknown[] = [];
  /** First index of each step name. */
  readonly #indexByName = new Map<string, number>();
  #actionIds: (string | undefined)[] = [];
  #joinAny: Uint8Array = new Uint8Array(0);
  readonly #edges: Edge[] = [];
  /** Start steps of every trigger (indices of existing steps). */
  readonly #startSteps: number[] = [];
  #triggerCount = 0;
  readonly #reads: StepRead[] = [];
  /** Step-name comparisons left for "did you mean" hints. */
  #suggestionBudget = SUGGESTION_BUDGET;
  readonly #resolveStep = (name: string): number => this.#indexByName.get(name) ?? -1;

  constructor(options: ValidateOptions) {
    this.#prefix = options.pointerPrefix ?? '';
    this.#knownActionIds = options.knownActionIds;
  }

  get diagnostics(): readonly Diagnostic[] {
    return this.#diagnostics;
  }

  #report(severity: Diagnostic['severity'], code: ErrorCode, path: Path, message: string): void {
    this.#diagnostics.push({ code, severity, message, pointer: this.#prefix + jsonPointer(...path) });
  }

  #error(code: ErrorCode, path: Path, message: string): void {
    this.#report('error', code, path, message);
  }

  #warn(code: ErrorCode, path: Path, message: string): void {
    this.#report('warning', code, path, message);
  }

  // ---------------------------------------------------------------------------------------------
  // Generic shape checks

  /** Report keys of `obj` outside `known`, suggesting the nearest known key for a likely typo. */
  #checkKeys(
    obj: Record<string, unknown>,
    known: readonly string[],
    path: Path,
    what: Describe,
    hints?: Readonly<Record<string, string>>,
  ): void {
    for (const key of Object.keys(obj)) {
      if (known.includes(key)) continue;
      const suggestion = nearest(key, known);
      const special = hints !== undefined && Object.hasOwn(hints, key) ? hints[key] : undefined;
      const hint =
        special !== undefined
          ? special
          : suggestion !== undefined
            ? `Did you mean ${quote(suggestion)}?`
            : known.length === 0
              ? `${text(what)} takes no keys; remove it.`
              : `Known keys: ${known.join(', ')}; remove or rename it.`;
      this.#error('FSP_ERR_SPEC_UNKNOWN_KEY', at(path, key), `Unknown key ${quote(key)} in ${text(what)}. ${hint}`);
    }
  }

  /** An object, or report it and return undefined. */
  #object(value: unknown, path: Path, what: Describe): Record<string, unknown> | undefined {
    if (isRecord(value)) return value;
    this.#error('FSP_ERR_SPEC_TYPE', path, `${text(what)} must be an object, got ${jsonType(value)}.`);
    return undefined;
  }

  /** An array (absent counts as empty), or report it and return an empty list. */
  #array(value: unknown, path: Path, what: Describe): readonly unknown[] {
    if (value === undefined) return [];
    if (Array.isArray(value)) return value;
    this.#error('FSP_ERR_SPEC_TYPE', path, `${text(what)} must be an array, got ${jsonType(value)}.`);
    return [];
  }

  /** A required field is present. */
  #required(obj: Record<string, unknown>, key: string, path: Path, what: Describe, hint: string): boolean {
    if (obj[key] !== undefined) return true;
    this.#error('FSP_ERR_SPEC_MISSING_FIELD', at(path, key), `${text(what)} has no ${quote(key)}; ${hint}`);
    return false;
  }

  /** An optional string field has the right type; returns it when it is a string. */
  #optionalString(obj: Record<string, unknown>, key: string, path: Path, what: Describe): string | undefined {
    const value = obj[key];
    if (value === undefined) return undefined;
    if (typeof value === 'string') return value;
    this.#error('FSP_ERR_SPEC_TYPE', at(path, key), `${text(what)}.${key} must be a string, got ${jsonType(value)}.`);
    return undefined;
  }

  /** A required string field; returns it when present and a string. */
  #requiredString(
    obj: Record<string, unknown>,
    key: string,
    path: Path,
    what: Describe,
    hint: string,
  ): string | undefined {
    if (!this.#required(obj, key, path, what, hint)) return undefined;
    return this.#optionalString(obj, key, path, what);
  }

  // ---------------------------------------------------------------------------------------------
  // The document

  validate(spec: unknown): void {
    if (!isRecord(spec)) {
      this.#error(
        'FSP_ERR_SPEC_TYPE',
        [],
        `The spec must be a JSON object with steps and triggers, got ${jsonType(spec)}.`,
      );
      return;
    }
    this.#checkKeys(spec, SPEC_KEYS, [], 'the spec', WORKFLOW_ATTRIBUTE_HINTS);
    this.#optionalString(spec, 'handle', [], 'The spec');
    this.#steps = this.#array(spec['steps'], ['steps'], 'steps');
    this.#collectStepNames();
    this.#steps.forEach((step, i) => this.#checkStep(step, i));
    this.#checkTriggers(spec['triggers']);
    this.#checkSchema(spec['inputSchema'], 'inputSchema', INPUT_PARAM_KEYS);
    this.#checkSchema(spec['outputSchema'], 'outputSchema', OUTPUT_PARAM_KEYS);
    this.#checkConnectionEnvs(spec['connectionEnvs']);
    this.#checkAnnotations(spec['annotations']);
    this.#checkGraph();
  }

  /** First pass: names, so edges and expressions can refer to any step, earlier or later. */
  #collectStepNames(): void {
    const n = this.#steps.length;
    this.#actionIds = new Array<string | undefined>(n);
    this.#joinAny = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const step = this.#steps[i];
      if (!isRecord(step)) continue;
      const name = step['name'];
      if (typeof name !== 'string') {
        this.#requiredString(step, 'name', ['steps', i], `Step ${i}`, 'give the step a unique name.');
        continue;
      }
      if (name === '') {
        this.#error(
          'FSP_ERR_SPEC_EMPTY_NAME',
          ['steps', i, 'name'],
          `Step ${i} has an empty name; give it a unique name.`,
        );
        continue;
      }
      const first = this.#indexByName.get(name);
      if (first !== undefined) {
        this.#error(
          'FSP_ERR_SPEC_DUPLICATE_STEP',
          ['steps', i, 'name'],
          `Step name ${quote(name)} is already used by step ${first} (${jsonPointer('steps', first)}); step names must be unique, rename one.`,
        );
      } else this.#indexByName.set(name, i);
    }
  }

  /**
   * The step name nearest to `name`, for a "did you mean". Each search compares against every step, so the
   * total work is capped: a spec with thousands of bad names still validates quickly (later ones get no hint).
   */
  #suggestStep(name: string): string | undefined {
    if (this.#suggestionBudget < this.#indexByName.size) return undefined;
    this.#suggestionBudget -= this.#indexByName.size;
    return nearest(name, this.#indexByName.keys());
  }

  /** Resolve the step name in `parent[key]`; report it when it names no step. */
  #stepRef(value: unknown, parent: Path, key: string | number, what: Describe): number {
    if (typeof value === 'string') {
      const index = this.#resolveStep(value);
      if (index >= 0) return index;
    }
    const path = at(parent, key);
    if (typeof value !== 'string') {
      this.#error('FSP_ERR_SPEC_TYPE', path, `${text(what)} must be a step name (a string), got ${jsonType(value)}.`);
    } else if (value === '') {
      this.#error('FSP_ERR_SPEC_UNKNOWN_STEP', path, `${text(what)} is empty; write the name of an existing step.`);
    } else {
      const suggestion = this.#suggestStep(value);
      const hint = suggestion !== undefined ? ` Did you mean ${quote(suggestion)}?` : '';
      this.#error(
        'FSP_ERR_SPEC_UNKNOWN_STEP',
        path,
        `${text(what)} names step ${quote(value)}, which does not exist.${hint}`,
      );
    }
    return -1;
  }

  // ---------------------------------------------------------------------------------------------
  // Steps (descriptions are functions here: they are only rendered for a problem)

  #checkStep(value: unknown, i: number): void {
    const path: Path = ['steps', i];
    const step = this.#object(value, path, () => `Step ${i}`);
    if (step === undefined) return;
    const what: Describe = () => `Step ${quote(this.#stepName(i))}`;
    this.#checkKeys(step, STEP_KEYS, path, what);
    const actionId = this.#requiredString(step, 'actionId', path, what, 'set the id of the action it runs.');
    if (actionId === '') {
      this.#error(
        'FSP_ERR_SPEC_MISSING_FIELD',
        at(path, 'actionId'),
        `${text(what)} has an empty actionId; set the id of the action it runs.`,
      );
    } else if (actionId !== undefined) {
      this.#actionIds[i] = actionId;
      if (this.#knownActionIds !== undefined && !this.#knownActionIds(actionId)) {
        this.#error(
          'FSP_ERR_SPEC_UNKNOWN_ACTION',
          at(path, 'actionId'),
          `${text(what)} uses action ${quote(actionId)}, which this engine does not know; register a handler for it or fix the id.`,
        );
      }
    }
    this.#optionalString(step, 'connectionLabel', path, what);
    if (step['parameters'] !== undefined) this.#checkParameters(step['parameters'], path, i, what);
    if (step['outboundEdges'] !== undefined) this.#checkEdges(step['outboundEdges'], path, i, what);
    if (step['completionGate'] !== undefined) this.#checkCompletionGate(step['completionGate'], path, i, what);
    if (step['errorHandlers'] !== undefined) this.#checkErrorHandlers(step['errorHandlers'], path, i, what);
    if (step['readinessGate'] !== undefined) this.#checkReadinessGate(step['readinessGate'], path, i, what);
    if (step['display'] !== undefined) {
      this.#checkDisplay(step['display'], at(path, 'display'), () => `${text(what)}.display`);
    }
  }

  #checkParameters(value: unknown, stepPath: Path, i: number, what: Describe): void {
    const listPath = at(stepPath, 'parameters');
    const list = this.#array(value, listPath, () => `${text(what)}.parameters`);
    for (let j = 0; j < list.length; j++) {
      const path = at(listPath, j);
      const paramWhat: Describe = () => `Parameter ${j} of ${text(what)}`;
      const param = this.#object(list[j], path, paramWhat);
      if (param === undefined) continue;
      this.#checkKeys(param, PARAMETER_KEYS, path, paramWhat);
      const name = this.#requiredString(param, 'name', path, paramWhat, 'name the action parameter it sets.');
      if (name === '') {
        this.#error('FSP_ERR_SPEC_EMPTY_NAME', at(path, 'name'), `${text(paramWhat)} has an empty name.`);
      }
      if (this.#required(param, 'value', path, paramWhat, 'give it a value (null is allowed).')) {
        this.#compileExpression(param['value'], at(path, 'value'), i, false);
      }
    }
  }

  #checkEdges(value: unknown, stepPath: Path, i: number, what: Describe): void {
    const listPath = at(stepPath, 'outboundEdges');
    const list = this.#array(value, listPath, () => `${text(what)}.outboundEdges`);
    for (let j = 0; j < list.length; j++) {
      const edgeWhat: Describe = () => `Edge ${j} of ${text(what)}`;
      const item = list[j];
      if (!isRecord(item)) {
        this.#object(item, at(listPath, j), edgeWhat);
        continue;
      }
      const path = at(listPath, j);
      this.#checkKeys(item, EDGE_KEYS, path, edgeWhat);
      const branch = this.#requiredString(
        item,
        'branchName',
        path,
        edgeWhat,
        'name the branch that takes it (usually "main").',
      );
      if (branch === '') {
        this.#error(
          'FSP_ERR_SPEC_EMPTY_NAME',
          at(path, 'branchName'),
          `${text(edgeWhat)} has an empty branchName; use the branch name (usually "main").`,
        );
      }
      if (!this.#required(item, 'nextStepName', path, edgeWhat, 'name the step it leads to.')) continue;
      const to = this.#stepRef(item['nextStepName'], path, 'nextStepName', () => `${text(edgeWhat)}: nextStepName`);
      // A bad branch is reported above; the edge still counts for cycles and reachability.
      if (to >= 0) this.#edges.push({ from: i, to, branch: typeof branch === 'string' ? branch : '', index: j });
    }
  }

  #checkCompletionGate(value: unknown, stepPath: Path, i: number, what: Describe): void {
    const path = at(stepPath, 'completionGate');
    const gateWhat: Describe = () => `The completionGate of ${text(what)}`;
    const gate = this.#object(value, path, gateWhat);
    if (gate === undefined) return;
    this.#checkKeys(gate, GATE_KEYS, path, gateWhat);
    if (this.#required(gate, 'completionCondition', path, gateWhat, 'add { operand1, operator, operand2 }.')) {
      this.#checkCondition(gate['completionCondition'], at(path, 'completionCondition'), i, what);
    }
    if (
      this.#required(
        gate,
        'retryStrategy',
        path,
        gateWhat,
        `add { kind: "${RETRY_KIND}", linear: { interval, maxRetries } }.`,
      )
    ) {
      this.#checkRetry(gate['retryStrategy'], at(path, 'retryStrategy'), gateWhat);
    }
  }

  #checkCondition(value: unknown, path: Path, i: number, what: Describe): void {
    const condWhat: Describe = () => `The completion condition of ${text(what)}`;
    const cond = this.#object(value, path, condWhat);
    if (cond === undefined) return;
    this.#checkKeys(cond, CONDITION_KEYS, path, condWhat);
    this.#required(
      cond,
      'operand1',
      path,
      condWhat,
      'set the value to test (usually a {{ Steps.<this step>... }} template).',
    );
    if (this.#required(cond, 'operator', path, condWhat, `use one of ${CompletionOperators.join(', ')}.`)) {
      const op = cond['operator'];
      if (typeof op !== 'string' || !(CompletionOperators as readonly string[]).includes(op)) {
        const suggestion = typeof op === 'string' ? nearest(op, CompletionOperators) : undefined;
        const hint = suggestion !== undefined ? `Did you mean ${quote(suggestion)}? ` : '';
        this.#error(
          'FSP_ERR_SPEC_COMPLETION_OPERATOR',
          at(path, 'operator'),
          `${text(condWhat)} uses the unknown operator ${show(op)}. ${hint}Use one of ${CompletionOperators.join(', ')}.`,
        );
      }
    }
    // The condition may read its own step: it is evaluated after the step's call, on its output.
    const compiled = compileCondition(cond as unknown as CompletionCondition, this.#resolveStep);
    // The operator was reported above with its own code.
    const problems = compiled.problems.filter((p) => p.path[0] !== 'operator');
    this.#expressionResult({ ...compiled, problems }, path, i, true);
  }

  #checkRetry(value: unknown, path: Path, what: Describe): void {
    const retryWhat: Describe = () => `${text(what)}: retryStrategy`;
    const retry = this.#object(value, path, retryWhat);
    if (retry === undefined) return;
    this.#checkKeys(retry, RETRY_KEYS, path, retryWhat);
    if (this.#required(retry, 'kind', path, retryWhat, `set it to ${quote(RETRY_KIND)}.`)) {
      const kind = retry['kind'];
      if (kind !== RETRY_KIND) {
        this.#error(
          'FSP_ERR_SPEC_RETRY_KIND',
          at(path, 'kind'),
          `${text(retryWhat)}.kind is ${show(kind)}; the only supported kind is ${quote(RETRY_KIND)}.`,
        );
      }
    }
    if (!this.#required(retry, 'linear', path, retryWhat, 'add linear: { interval: "30s", maxRetries: 3 }.')) return;
    const linearPath = at(path, 'linear');
    const linearWhat: Describe = () => `${text(what)}: retryStrategy.linear`;
    const linear = this.#object(retry['linear'], linearPath, linearWhat);
    if (linear === undefined) return;
    this.#checkKeys(linear, LINEAR_KEYS, linearPath, linearWhat);
    if (this.#required(linear, 'interval', linearPath, linearWhat, 'set the wait between attempts, e.g. "30s".')) {
      const interval = linear['interval'];
      if (typeof interval !== 'string' || !SECONDS.test(interval)) {
        this.#error(
          'FSP_ERR_SPEC_RETRY_INTERVAL',
          at(linearPath, 'interval'),
          `${text(linearWhat)}.interval is ${show(interval)}; write a non-negative number of seconds followed by "s", ` +
            'e.g. "30s" or "0.5s".',
        );
      }
    }
    if (this.#required(linear, 'maxRetries', linearPath, linearWhat, 'set how many more attempts to make, e.g. 3.')) {
      const max = linear['maxRetries'];
      if (typeof max !== 'number') {
        this.#error(
          'FSP_ERR_SPEC_TYPE',
          at(linearPath, 'maxRetries'),
          `${text(linearWhat)}.maxRetries must be a number, got ${jsonType(max)}.`,
        );
      } else if (!Number.isSafeInteger(max) || max < 0) {
        this.#error(
          'FSP_ERR_SPEC_RETRY_MAX',
          at(linearPath, 'maxRetries'),
          `${text(linearWhat)}.maxRetries is ${max}; it must be a whole number of 0 or more.`,
        );
      }
    }
  }

  #checkErrorHandlers(value: unknown, stepPath: Path, i: number, what: Describe): void {
    const listPath = at(stepPath, 'errorHandlers');
    const list = this.#array(value, listPath, () => `${text(what)}.errorHandlers`);
    for (let j = 0; j < list.length; j++) {
      const path = at(listPath, j);
      const handlerWhat: Describe = () => `Error handler ${j} of ${text(what)}`;
      const handler = this.#object(list[j], path, handlerWhat);
      if (handler === undefined) continue;
      this.#checkKeys(handler, HANDLER_KEYS, path, handlerWhat);
      if (this.#required(handler, 'fallbackStepName', path, handlerWhat, 'name the step to run when this one fails.')) {
        const to = this.#stepRef(
          handler['fallbackStepName'],
          path,
          'fallbackStepName',
          () => `${text(handlerWhat)}: fallbackStepName`,
        );
        if (to >= 0) this.#edges.push({ from: i, to, branch: null, index: j });
      }
      if (
        this.#required(
          handler,
          'retryStrategy',
          path,
          handlerWhat,
          `add { kind: "${RETRY_KIND}", linear: { interval, maxRetries } }.`,
        )
      ) {
        this.#checkRetry(handler['retryStrategy'], at(path, 'retryStrategy'), handlerWhat);
      }
    }
  }

  #checkReadinessGate(value: unknown, stepPath: Path, i: number, what: Describe): void {
    const path = at(stepPath, 'readinessGate');
    const gateWhat: Describe = () => `The readinessGate of ${text(what)}`;
    const gate = this.#object(value, path, gateWhat);
    if (gate === undefined) return;
    this.#checkKeys(gate, READINESS_KEYS, path, gateWhat);
    if (!this.#required(gate, 'thresholdType', path, gateWhat, 'set it to "ALL" or "ANY".')) return;
    const type = gate['thresholdType'];
    if (type === 'ANY') this.#joinAny[i] = 1;
    if (typeof type !== 'string' || !THRESHOLD_TYPES.includes(type)) {
      this.#error(
        'FSP_ERR_SPEC_READINESS_GATE',
        at(path, 'thresholdType'),
        `${text(gateWhat)} has thresholdType ${show(type)}; use "ALL" (wait for every inbound edge, the default) ` +
          'or "ANY" (run at the first).',
      );
    }
  }

  #checkDisplay(value: unknown, path: Path, what: Describe): void {
    const display = this.#object(value, path, what);
    if (display === undefined || display['bounds'] === undefined) return;
    const bounds = this.#object(display['bounds'], at(path, 'bounds'), () => `${text(what)}.bounds`);
    if (bounds === undefined) return;
    for (const [key, v] of Object.entries(bounds)) {
      if (typeof v !== 'number') {
        this.#error(
          'FSP_ERR_SPEC_TYPE',
          at(path, 'bounds', key),
          `${text(what)}.bounds.${key} must be a number, got ${jsonType(v)}.`,
        );
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Expressions

  /**
   * Compile one value as the runtime will, report parse problems and unknown steps, and record the steps it
   * reads for the scope check. `reader` is -1 for output-schema values, which may read any step.
   */
  #compileExpression(value: unknown, path: Path, reader: number, selfAllowed: boolean): void {
    this.#expressionResult(compileValue(value, this.#resolveStep), path, reader, selfAllowed);
  }

  #expressionResult(
    result: {
      readonly problems: readonly ExprProblem[];
      readonly stepRefs: readonly number[];
      readonly unknownStepRefs: readonly string[];
    },
    path: Path,
    reader: number,
    selfAllowed: boolean,
  ): void {
    for (const p of result.problems) {
      this.#error('FSP_ERR_SPEC_EXPRESSION_SYNTAX', [...path, ...p.path], `Expression does not parse: ${p.message}.`);
    }
    for (const name of result.unknownStepRefs) {
      const suggestion = this.#suggestStep(name);
      const hint =
        suggestion !== undefined ? ` Did you mean Steps.${suggestion}?` : ' Fix the step name in the template.';
      this.#error(
        'FSP_ERR_SPEC_EXPRESSION_SCOPE',
        path,
        `The expression reads step ${quote(name)} which does not exist.${hint}`,
      );
    }
    if (reader < 0) return;
    for (const step of result.stepRefs) {
      if (step !== reader) this.#reads.push({ reader, step, path });
      else if (!selfAllowed) {
        const name = this.#stepName(reader);
        this.#error(
          'FSP_ERR_SPEC_EXPRESSION_SCOPE',
          path,
          `Step ${quote(name)} reads its own output (Steps.${name}) in its parameters, which do not exist before it runs; ` +
            'only its completion condition may read it.',
        );
      }
    }
  }

  #stepName(i: number): string {
    const step = this.#steps[i];
    return isRecord(step) && typeof step['name'] === 'string' ? step['name'] : `#${i}`;
  }

  // ---------------------------------------------------------------------------------------------
  // Triggers

  #checkTriggers(value: unknown): void {
    if (value !== undefined && !Array.isArray(value)) {
      this.#error('FSP_ERR_SPEC_TYPE', ['triggers'], `triggers must be an array, got ${jsonType(value)}.`);
      return;
    }
    const triggers = value ?? [];
    this.#triggerCount = triggers.length;
    if (triggers.length === 0) {
      this.#error(
        'FSP_ERR_SPEC_NO_TRIGGER',
        ['triggers'],
        'The spec has no trigger; add one, e.g. { "startStepNames": [...], "workflowTrigger": {} } to run it by hand.',
      );
      return;
    }
    const firstOfKind = new Map<string, number>();
    triggers.forEach((item: unknown, i: number) => {
      const path: Path = ['triggers', i];
      const trigger = this.#object(item, path, `Trigger ${i}`);
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
        this.#error('FSP_ERR_SPEC_UNKNOWN_KEY', at(path, key), `Unknown key ${quote(key)} in trigger ${i}. ${hint}`);
      }
      this.#array(trigger['startStepNames'], at(path, 'startStepNames'), `Trigger ${i}: startStepNames`).forEach(
        (name, j) => {
          const index = this.#stepRef(name, at(path, 'startStepNames'), j, () => `Trigger ${i}: startStepNames[${j}]`);
          if (index >= 0) this.#startSteps.push(index);
        },
      );
      if (kinds.length !== 1) {
        this.#error(
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
        this.#error(
          'FSP_ERR_SPEC_DUPLICATE_TRIGGER_KIND',
          at(path, kind),
          `Trigger ${i} is a second ${kind} (the first is trigger ${first}); merge their startStepNames into one trigger.`,
        );
      } else firstOfKind.set(kind, i);
      this.#checkTriggerBody(kind, trigger[kind], at(path, kind));
    });
    const workflowTrigger = firstOfKind.get('workflowTrigger');
    if (workflowTrigger !== undefined && firstOfKind.size > 1) {
      const others = [...firstOfKind.keys()].filter((k) => k !== 'workflowTrigger');
      this.#error(
        'FSP_ERR_SPEC_WORKFLOW_TRIGGER_COMBINED',
        ['triggers', workflowTrigger, 'workflowTrigger'],
        `workflowTrigger cannot be combined with other triggers (${others.join(', ')}); remove it or the others ` +
          '(a workflow with an apiTrigger is run through that trigger).',
      );
    }
  }

  #checkTriggerBody(kind: string, value: unknown, path: Path): void {
    const body = this.#object(value, path, kind);
    if (body === undefined) return;
    switch (kind) {
      case 'workflowTrigger':
        this.#checkKeys(body, [], path, 'workflowTrigger');
        return;
      case 'apiTrigger': {
        this.#checkKeys(body, API_TRIGGER_KEYS, path, 'apiTrigger');
        if (body['rateLimit'] !== undefined) this.#checkRateLimit(body['rateLimit'], at(path, 'rateLimit'));
        return;
      }
      case 'scheduleTrigger': {
        this.#checkKeys(body, SCHEDULE_TRIGGER_KEYS, path, 'scheduleTrigger');
        const rrule = this.#requiredString(
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
            this.#error(
              'FSP_ERR_SPEC_RRULE',
              at(path, 'rruleExpression'),
              `scheduleTrigger.rruleExpression is invalid: ${parsed.reason}`,
            );
          }
        }
        const overlap = body['overlapBehavior'];
        if (overlap !== undefined && !(typeof overlap === 'string' && OVERLAP_BEHAVIORS.includes(overlap))) {
          this.#error(
            'FSP_ERR_SPEC_TYPE',
            at(path, 'overlapBehavior'),
            `scheduleTrigger.overlapBehavior is ${show(overlap)}; use ${OVERLAP_BEHAVIORS.join(' or ')} (the default).`,
          );
        }
        return;
      }
      default:
        // Other kinds are stored and returned unchanged; their bodies belong to the embedding application.
        return;
    }
  }

  #checkRateLimit(value: unknown, path: Path): void {
    const limit = this.#object(value, path, 'apiTrigger.rateLimit');
    if (limit === undefined) return;
    this.#checkKeys(limit, RATE_LIMIT_KEYS, path, 'rateLimit');
    if (this.#required(limit, 'count', path, 'apiTrigger.rateLimit', 'set how many starts the interval admits.')) {
      const count = limit['count'];
      if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 1) {
        this.#error(
          'FSP_ERR_SPEC_TYPE',
          at(path, 'count'),
          `apiTrigger.rateLimit.count is ${show(count)}; it must be a whole number of 1 or more.`,
        );
      }
    }
    if (this.#required(limit, 'interval', path, 'apiTrigger.rateLimit', 'set the rolling window, e.g. "3600s".')) {
      const interval = limit['interval'];
      if (typeof interval !== 'string' || !SECONDS.test(interval) || Number.parseFloat(interval) <= 0) {
        this.#error(
          'FSP_ERR_SPEC_TYPE',
          at(path, 'interval'),
          `apiTrigger.rateLimit.interval is ${show(interval)}; write a positive number of seconds followed by "s", e.g. "60s".`,
        );
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Schemas, connection environments, annotations

  #checkSchema(value: unknown, key: 'inputSchema' | 'outputSchema', known: readonly string[]): void {
    if (value === undefined) return;
    const schema = this.#object(value, [key], key);
    if (schema === undefined) return;
    this.#checkKeys(schema, SCHEMA_KEYS, [key], key);
    const seen = new Map<string, number>();
    this.#array(schema['parameters'], [key, 'parameters'], `${key}.parameters`).forEach((item, j) => {
      const path: Path = [key, 'parameters', j];
      const what = `${key}.parameters[${j}]`;
      const param = this.#object(item, path, what);
      if (param === undefined) return;
      this.#checkKeys(param, known, path, `${key} parameter ${j}`);
      const name = this.#requiredString(param, 'name', path, what, 'name the parameter.');
      if (name === '')
        this.#error('FSP_ERR_SPEC_EMPTY_NAME', at(path, 'name'), `${what} has an empty name; name the parameter.`);
      else if (name !== undefined) {
        const first = seen.get(name);
        if (first !== undefined) {
          this.#error(
            'FSP_ERR_SPEC_SCHEMA_DUPLICATE',
            at(path, 'name'),
            `${key} parameter ${quote(name)} is declared twice (also at ${key}.parameters[${first}]); keep one.`,
          );
        } else seen.set(name, j);
      }
      let type: SchemaType | undefined;
      if (this.#required(param, 'type', path, what, `set one of ${SchemaTypes.join(', ')}.`)) {
        const t = param['type'];
        if (typeof t === 'string' && (SchemaTypes as readonly string[]).includes(t)) type = t as SchemaType;
        else {
          const suggestion = typeof t === 'string' ? nearest(t, SchemaTypes) : undefined;
          const hint = suggestion !== undefined ? `Did you mean ${quote(suggestion)}? ` : '';
          this.#error(
            'FSP_ERR_SPEC_SCHEMA_TYPE',
            at(path, 'type'),
            `${what} has the unknown type ${show(t)}. ${hint}Use one of ${SchemaTypes.join(', ')}.`,
          );
        }
      }
      this.#optionalString(param, 'description', path, what);
      this.#optionalString(param, 'label', path, what);
      const extra = param['allowExtraValues'];
      if (extra !== undefined && typeof extra !== 'boolean') {
        this.#error(
          'FSP_ERR_SPEC_TYPE',
          at(path, 'allowExtraValues'),
          `${what}.allowExtraValues must be a boolean, got ${jsonType(extra)}.`,
        );
      }
      if (type !== undefined) this.#checkSchemaValues(param, type, path, what);
      if (key === 'outputSchema' && param['value'] !== undefined) {
        // Outputs are evaluated when the instance has ended: they may read any step.
        this.#compileExpression(param['value'], at(path, 'value'), -1, true);
      }
    });
  }

  #checkSchemaValues(param: Record<string, unknown>, type: SchemaType, path: Path, what: string): void {
    const def = param['defaultValue'];
    if (def !== undefined && !matchesSchemaType(type, def)) {
      this.#error(
        'FSP_ERR_SPEC_SCHEMA_TYPE',
        at(path, 'defaultValue'),
        `${what}.defaultValue is ${show(def)}, not a ${type} value; fix it or change the type.`,
      );
    }
    const allowed = param['allowedValues'];
    if (allowed === undefined) return;
    if (!Array.isArray(allowed)) {
      this.#error(
        'FSP_ERR_SPEC_SCHEMA_TYPE',
        at(path, 'allowedValues'),
        `${what}.allowedValues must be an array of ${elementTypeName(type)} values, got ${jsonType(allowed)}.`,
      );
      return;
    }
    allowed.forEach((v: unknown, k: number) => {
      if (!matchesScalar(type, v)) {
        this.#error(
          'FSP_ERR_SPEC_SCHEMA_TYPE',
          at(path, 'allowedValues', k),
          `${what}.allowedValues[${k}] is ${show(v)}, not a ${elementTypeName(type)} value.`,
        );
      }
    });
  }

  #checkConnectionEnvs(value: unknown): void {
    this.#array(value, ['connectionEnvs'], 'connectionEnvs').forEach((item, i) => {
      const path: Path = ['connectionEnvs', i];
      const what = `connectionEnvs[${i}]`;
      const env = this.#object(item, path, what);
      if (env === undefined) return;
      this.#requiredString(env, 'env', path, what, 'set the environment, e.g. "default".');
      this.#array(env['connections'], at(path, 'connections'), `${what}.connections`).forEach((c, j) => {
        const cWhat = `${what}.connections[${j}]`;
        const conn = this.#object(c, at(path, 'connections', j), cWhat);
        if (conn === undefined) return;
        this.#requiredString(conn, 'connectionId', at(path, 'connections', j), cWhat, 'set the connection id.');
        this.#requiredString(
          conn,
          'label',
          at(path, 'connections', j),
          cWhat,
          'set the label steps use as connectionLabel.',
        );
      });
      this.#array(env['connectionGroups'], at(path, 'connectionGroups'), `${what}.connectionGroups`).forEach((g, j) => {
        const gPath: Path = at(path, 'connectionGroups', j);
        const gWhat = `${what}.connectionGroups[${j}]`;
        const group = this.#object(g, gPath, gWhat);
        if (group === undefined) return;
        this.#requiredString(group, 'connectionGroupId', gPath, gWhat, 'set the connection group id.');
        this.#requiredString(group, 'label', gPath, gWhat, 'set the label steps use as connectionLabel.');
        this.#array(group['tags'], at(gPath, 'tags'), `${gWhat}.tags`).forEach((t, k) => {
          if (typeof t !== 'string')
            this.#error(
              'FSP_ERR_SPEC_TYPE',
              at(gPath, 'tags', k),
              `${gWhat}.tags[${k}] must be a string, got ${jsonType(t)}.`,
            );
        });
      });
    });
  }

  #checkAnnotations(value: unknown): void {
    this.#array(value, ['annotations'], 'annotations').forEach((item, i) => {
      const path: Path = ['annotations', i];
      const what = `annotations[${i}]`;
      const annotation = this.#object(item, path, what);
      if (annotation === undefined) return;
      this.#requiredString(annotation, 'id', path, what, 'give the annotation an id.');
      if (this.#required(annotation, 'display', path, what, 'add display: { bounds: { x, y, width, height } }.')) {
        this.#checkDisplay(annotation['display'], at(path, 'display'), `${what}.display`);
      }
      if (this.#required(annotation, 'markdownTextAnnotation', path, what, 'add markdownTextAnnotation: { text }.')) {
        const md = this.#object(
          annotation['markdownTextAnnotation'],
          at(path, 'markdownTextAnnotation'),
          `${what}.markdownTextAnnotation`,
        );
        if (md !== undefined)
          this.#optionalString(md, 'text', at(path, 'markdownTextAnnotation'), `${what}.markdownTextAnnotation`);
      }
    });
  }

  // ---------------------------------------------------------------------------------------------
  // The graph: cycles, reachability, joins that never fire, expression scope

  #checkGraph(): void {
    const n = this.#steps.length;
    const edges = this.#edges;
    const m = edges.length;
    // Outbound adjacency (CSR), edges in document order per step.
    const outStart = new Int32Array(n + 1);
    for (const e of edges) outStart[e.from + 1]! += 1;
    for (let s = 0; s < n; s++) outStart[s + 1]! += outStart[s]!;
    const outEdge = new Int32Array(m);
    const fill = outStart.slice(0, n);
    for (let e = 0; e < m; e++) outEdge[fill[edges[e]!.from]!++] = e;
    // Inbound adjacency.
    const inStart = new Int32Array(n + 1);
    for (const e of edges) inStart[e.to + 1]! += 1;
    for (let s = 0; s < n; s++) inStart[s + 1]! += inStart[s]!;
    const inEdge = new Int32Array(m);
    const inFill = inStart.slice(0, n);
    for (let e = 0; e < m; e++) inEdge[inFill[edges[e]!.to]!++] = e;

    const order = this.#topologicalOrder(n, outStart, outEdge, inStart);
    if (order.length < n) this.#reportCycles(n, outStart, outEdge, order);
    if (this.#triggerCount > 0) this.#checkReachability(n, outStart, outEdge, inStart, inEdge);
    if (order.length === n && this.#reads.length > 0) this.#checkScope(n, order, inStart, inEdge);
  }

  /** Kahn's algorithm; the order is shorter than n when the graph has a cycle. */
  #topologicalOrder(n: number, outStart: Int32Array, outEdge: Int32Array, inStart: Int32Array): Int32Array {
    const indegree = new Int32Array(n);
    for (let s = 0; s < n; s++) indegree[s] = inStart[s + 1]! - inStart[s]!;
    const order = new Int32Array(n);
    let head = 0;
    let tail = 0;
    for (let s = 0; s < n; s++) if (indegree[s] === 0) order[tail++] = s;
    while (head < tail) {
      const s = order[head++]!;
      for (let k = outStart[s]!; k < outStart[s + 1]!; k++) {
        const t = this.#edges[outEdge[k]!]!.to;
        indegree[t]! -= 1;
        if (indegree[t] === 0) order[tail++] = t;
      }
    }
    return order.subarray(0, tail);
  }

  /**
   * Report every back edge of an iterative depth-first search over the steps left out of the topological
   * order (those on or behind a cycle). Removing every reported edge makes the graph acyclic, and each
   * report names the cycle its edge closes, so a cycle is reported once.
   */
  #reportCycles(n: number, outStart: Int32Array, outEdge: Int32Array, order: Int32Array): void {
    const acyclic = new Uint8Array(n);
    for (const s of order) acyclic[s] = 1;
    const state = new Uint8Array(n); // 0 new, 1 on the DFS stack, 2 done
    const stack = new Int32Array(n);
    const cursor = new Int32Array(n);
    const position = new Int32Array(n);
    for (let root = 0; root < n; root++) {
      if (acyclic[root] === 1 || state[root] !== 0) continue;
      let depth = 1;
      stack[0] = root;
      cursor[0] = outStart[root]!;
      position[root] = 0;
      state[root] = 1;
      while (depth > 0) {
        const v = stack[depth - 1]!;
        const k = cursor[depth - 1]!;
        if (k >= outStart[v + 1]!) {
          state[v] = 2;
          depth -= 1;
          continue;
        }
        cursor[depth - 1] = k + 1;
        const edge = this.#edges[outEdge[k]!]!;
        const w = edge.to;
        if (acyclic[w] === 1) continue;
        if (state[w] === 0) {
          state[w] = 1;
          position[w] = depth;
          stack[depth] = w;
          cursor[depth] = outStart[w]!;
          depth += 1;
        } else if (state[w] === 1) {
          this.#reportCycle(stack.subarray(position[w]!, depth), edge);
        }
      }
    }
  }

  #reportCycle(cycle: Int32Array, closing: Edge): void {
    const names: string[] = [];
    const shown = cycle.length <= MAX_NAMES_SHOWN ? cycle : cycle.subarray(0, MAX_NAMES_SHOWN - 2);
    for (const s of shown) names.push(quote(this.#stepName(s)));
    if (shown.length < cycle.length) {
      names.push(`… ${cycle.length - shown.length - 1} more …`, quote(this.#stepName(cycle[cycle.length - 1]!)));
    }
    names.push(quote(this.#stepName(closing.to)));
    const via = closing.branch === null ? 'error-handler fallback' : 'edge';
    this.#error(
      'FSP_ERR_SPEC_CYCLE',
      edgePath(closing),
      `Steps form a cycle of ${cycle.length} step(s): ${names.join(' → ')}. Edges and error-handler fallbacks must not ` +
        `loop (a step runs at most once per instance); remove or redirect the ${via} from ${quote(this.#stepName(closing.from))} ` +
        `to ${quote(this.#stepName(closing.to))}.`,
    );
  }

  /** Which branches step `s` can choose on success; undefined = any. */
  #possibleBranches(s: number): ReadonlySet<string> | null | undefined {
    const actionId = this.#actionIds[s];
    if (actionId === undefined) return undefined;
    if (actionId === SWITCH_ACTION) return this.#switchBranches(s);
    return BUILTIN_BRANCHES.get(actionId);
  }

  /** Case names of a switch whose `cases` parameter is a constant array; undefined when not known before running. */
  #switchBranches(s: number): ReadonlySet<string> | undefined {
    const step = this.#steps[s] as Record<string, unknown>;
    const params = step['parameters'];
    if (!Array.isArray(params)) return undefined;
    const casesParam: unknown = params.find((p: unknown) => isRecord(p) && p['name'] === 'cases');
    if (!isRecord(casesParam) || !Array.isArray(casesParam['value'])) return undefined;
    const branches = new Set<string>([SWITCH_DEFAULT_BRANCH]);
    for (const c of casesParam['value'] as unknown[]) {
      if (!isRecord(c) || typeof c['name'] !== 'string' || c['name'].includes('{{')) return undefined;
      branches.add(c['name']);
    }
    return branches;
  }

  /**
   * Warnings: steps no trigger reaches, and steps reached only through edges that can never be taken
   * (a branch the built-in action never chooses, or a source that itself never runs).
   */
  #checkReachability(
    n: number,
    outStart: Int32Array,
    outEdge: Int32Array,
    inStart: Int32Array,
    inEdge: Int32Array,
  ): void {
    const reachable = new Uint8Array(n);
    const canRun = new Uint8Array(n);
    const queue = new Int32Array(n);
    let tail = 0;
    for (const s of this.#startSteps) {
      if (reachable[s] === 0) {
        reachable[s] = 1;
        queue[tail++] = s;
      }
    }
    for (let head = 0; head < tail; head++) {
      const s = queue[head]!;
      for (let k = outStart[s]!; k < outStart[s + 1]!; k++) {
        const t = this.#edges[outEdge[k]!]!.to;
        if (reachable[t] === 0) {
          reachable[t] = 1;
          queue[tail++] = t;
        }
      }
    }
    // Same walk, following only edges that can be taken.
    // Only switch steps compute their branches (from their cases); cache those.
    const switchCache = new Map<number, ReadonlySet<string> | undefined>();
    const branchesOf = (s: number): ReadonlySet<string> | null | undefined => {
      if (this.#actionIds[s] !== SWITCH_ACTION) return this.#possibleBranches(s);
      if (!switchCache.has(s)) switchCache.set(s, this.#possibleBranches(s) ?? undefined);
      return switchCache.get(s);
    };
    const canTake = (edge: Edge): boolean => {
      if (edge.branch === null) return true; // any step can fail
      const branches = branchesOf(edge.from);
      return branches === undefined || (branches !== null && branches.has(edge.branch));
    };
    tail = 0;
    for (const s of this.#startSteps) {
      if (canRun[s] === 0) {
        canRun[s] = 1;
        queue[tail++] = s;
      }
    }
    for (let head = 0; head < tail; head++) {
      const s = queue[head]!;
      for (let k = outStart[s]!; k < outStart[s + 1]!; k++) {
        const edge = this.#edges[outEdge[k]!]!;
        if (canRun[edge.to] === 0 && canTake(edge)) {
          canRun[edge.to] = 1;
          queue[tail++] = edge.to;
        }
      }
    }
    for (let s = 0; s < n; s++) {
      if (!isRecord(this.#steps[s]) || (reachable[s] === 1 && canRun[s] === 1)) continue;
      const name = quote(this.#stepName(s));
      if (reachable[s] === 0) {
        this.#warn(
          'FSP_WARN_UNREACHABLE_STEP',
          ['steps', s],
          `Step ${name} is not reachable from any trigger's startStepNames, so it never runs; connect it with an edge or remove it.`,
        );
      } else if (canRun[s] === 0) {
        const reasons: string[] = [];
        for (let k = inStart[s]!; k < inStart[s + 1]! && reasons.length < 3; k++) {
          reasons.push(this.#deadEdgeReason(this.#edges[inEdge[k]!]!, canRun, branchesOf));
        }
        const more = inStart[s + 1]! - inStart[s]! - reasons.length;
        this.#warn(
          'FSP_WARN_JOIN_NEVER_FIRES',
          ['steps', s],
          `Step ${name} can never run: none of its inbound edges can be taken (${reasons.join('; ')}` +
            `${more > 0 ? `; and ${more} more` : ''}). Fix the branch names or the edges.`,
        );
      }
    }
  }

  #deadEdgeReason(
    edge: Edge,
    canRun: Uint8Array,
    branchesOf: (s: number) => ReadonlySet<string> | null | undefined,
  ): string {
    const from = quote(this.#stepName(edge.from));
    if (canRun[edge.from] === 0) return `${from} itself never runs`;
    const branches = branchesOf(edge.from);
    const actionId = this.#actionIds[edge.from] ?? '';
    if (branches === null)
      return `${from} (${actionId}) never succeeds, so its edge on branch ${quote(edge.branch ?? '')} is never taken`;
    const choices = branches === undefined ? 'any branch' : [...branches].map(quote).join(' or ');
    return `${from} (${actionId}) only chooses ${choices}, never ${quote(edge.branch ?? '')}`;
  }

  /**
   * The scope rule: a step may read `Steps.X` only when X is certainly decided before it starts. With
   * D(S) that set: start steps have D = ∅; an ALL join has D = ∪ over predecessors P of ({P} ∪ D(P));
   * an ANY join the ∩. D is computed in topological order as bitsets, with one column per step that
   * some expression reads (not per step), in as many passes as the memory budget needs.
   */
  #checkScope(n: number, order: Int32Array, inStart: Int32Array, inEdge: Int32Array): void {
    const reads = this.#reads;
    const topoPos = new Int32Array(n);
    order.forEach((s, i) => {
      topoPos[s] = i;
    });
    // Columns: the read steps, in topological order, so each pass covers a contiguous stretch of the order.
    const column = new Int32Array(n).fill(-1);
    const columns: number[] = [];
    for (const read of reads) {
      if (column[read.step] === -1) {
        column[read.step] = 0;
        columns.push(read.step);
      }
    }
    columns.sort((a, b) => topoPos[a]! - topoPos[b]!);
    columns.forEach((step, c) => {
      column[step] = c;
    });
    // The last reader (in topological order) of each column bounds the stretch a pass must walk.
    const lastReader = new Int32Array(columns.length).fill(-1);
    const readsByColumn: number[][] = columns.map(() => []);
    reads.forEach((read, r) => {
      const c = column[read.step]!;
      readsByColumn[c]!.push(r);
      if (topoPos[read.reader]! > lastReader[c]!) lastReader[c] = topoPos[read.reader]!;
    });
    const isStart = new Uint8Array(n);
    for (const s of this.#startSteps) isStart[s] = 1;
    const totalWords = Math.ceil(columns.length / 32);
    const words = Math.max(1, Math.min(totalWords, SCOPE_PASS_WORDS, Math.floor(SCOPE_WORD_BUDGET / Math.max(n, 1))));
    const passColumns = words * 32;
    // Rows by step index; only rows of the walked stretch are written, and they are zeroed after each pass.
    const decided = new Uint32Array(n * words);
    const failed = new Uint8Array(reads.length);
    for (let firstColumn = 0; firstColumn < columns.length; firstColumn += passColumns) {
      const lastColumn = Math.min(columns.length, firstColumn + passColumns);
      // Steps before the first read step in the order cannot have it as an ancestor: their bits stay 0.
      const from = topoPos[columns[firstColumn]!]!;
      let to = -1;
      for (let c = firstColumn; c < lastColumn; c++) if (lastReader[c]! > to) to = lastReader[c]!;
      for (let i = from; i <= to; i++) {
        const s = order[i]!;
        const begin = inStart[s]!;
        const end = inStart[s + 1]!;
        if (isStart[s] === 1 || begin === end) continue; // D = ∅
        const base = s * words;
        const any = this.#joinAny[s] === 1;
        for (let k = begin; k < end; k++) {
          const p = this.#edges[inEdge[k]!]!.from;
          const pBase = p * words;
          // {P} ∪ D(P): P's own bit, when P is a read step whose column is in this pass.
          const local = column[p]! - firstColumn;
          const ownWord = local >= 0 && local < lastColumn - firstColumn ? local >>> 5 : -1;
          const ownBit = ownWord >= 0 ? 1 << (local & 31) : 0;
          for (let w = 0; w < words; w++) {
            const bits = w === ownWord ? decided[pBase + w]! | ownBit : decided[pBase + w]!;
            if (k === begin) decided[base + w] = bits;
            else if (any) decided[base + w] = decided[base + w]! & bits;
            else decided[base + w] = decided[base + w]! | bits;
          }
        }
      }
      for (let c = firstColumn; c < lastColumn; c++) {
        const local = c - firstColumn;
        for (const r of readsByColumn[c]!) {
          const reader = reads[r]!.reader;
          if ((decided[reader * words + (local >>> 5)]! & (1 << (local & 31))) === 0) failed[r] = 1;
        }
      }
      for (let i = from; i <= to; i++) decided.fill(0, order[i]! * words, (order[i]! + 1) * words);
    }
    this.#reads.forEach((read, r) => {
      if (failed[r] === 0) return;
      const reader = quote(this.#stepName(read.reader));
      const name = this.#stepName(read.step);
      this.#error(
        'FSP_ERR_SPEC_EXPRESSION_SCOPE',
        read.path,
        `Step ${reader} reads Steps.${name}, but ${quote(name)} is not certain to have run or been decided before ${reader} ` +
          'starts (it is not an ancestor on every path, e.g. it sits on another branch of an ANY join or after it). ' +
          `Add an edge path from ${quote(name)} to ${reader}, or read it in a later step.`,
      );
    });
  }
}

/**
 * Validate a spec document (`data.attributes.spec`) in full: every problem at once, each with a stable
 * code and a JSON pointer (prefixed by `options.pointerPrefix`). Warnings (unreachable steps, joins that
 * never fire) do not make the result invalid. Never throws for a bad document.
 */
export function validateSpec(spec: unknown, options: ValidateOptions = {}): ValidationResult {
  const validator = new SpecValidator(options);
  validator.validate(spec);
  const diagnostics = validator.diagnostics;
  return { ok: !diagnostics.some((d) => d.severity === 'error'), diagnostics };
}

/**
 * Validate the workflow attributes next to the spec: `name` must be a non-empty string
 * (`FSP_ERR_WORKFLOW_NAME` at `pointerPrefix + '/name'`); `description`, when given, a string of at most
 * 300 characters (`FSP_ERR_SPEC_DESCRIPTION_TOO_LONG`, or `FSP_ERR_SPEC_TYPE` for another type, at
 * `pointerPrefix + '/description'`).
 */
export function validateWorkflowAttributes(
  attrs: { name: unknown; description: unknown },
  pointerPrefix: string,
): Diagnostic[] {
  const out: Diagnostic[] = [];
  const { name, description } = attrs;
  if (typeof name !== 'string' || name.trim() === '') {
    out.push({
      code: 'FSP_ERR_WORKFLOW_NAME',
      severity: 'error',
      message:
        typeof name === 'string'
          ? 'The workflow name is empty; give the workflow a name.'
          : name === undefined
            ? 'The workflow has no name; give it one.'
            : `The workflow name must be a string, got ${jsonType(name)}.`,
      pointer: pointerPrefix + jsonPointer('name'),
    });
  }
  if (description !== undefined) {
    if (typeof description !== 'string') {
      out.push({
        code: 'FSP_ERR_SPEC_TYPE',
        severity: 'error',
        message: `The workflow description must be a string, got ${jsonType(description)}.`,
        pointer: pointerPrefix + jsonPointer('description'),
      });
    } else {
      // Characters as a person counts them (code points), not UTF-16 units.
      let length = 0;
      for (const _ of description) length++;
      if (length > MAX_DESCRIPTION_LENGTH) {
        out.push({
          code: 'FSP_ERR_SPEC_DESCRIPTION_TOO_LONG',
          severity: 'error',
          message: `The workflow description has ${length} characters; the limit is ${MAX_DESCRIPTION_LENGTH}, shorten it.`,
          pointer: pointerPrefix + jsonPointer('description'),
        });
      }
    }
  }
  return out;
}
