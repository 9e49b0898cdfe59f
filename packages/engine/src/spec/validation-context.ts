/**
 * The state of one spec validation: the diagnostics found so far, the generic shape checks every area
 * uses (object, array, required field, string field, unknown keys), the step-name index, and the facts
 * the per-field checks collect for the graph checks (edges, start steps, step reads, actions, joins).
 */
import { jsonPointer } from '../errors.js';
import type { Diagnostic, ErrorCode } from '../errors.js';
import { at, isRecord, jsonType, quote, text } from './describe.js';
import type { Describe, Path } from './describe.js';
import type { Edge, GraphReporter, StepGraph, StepRead } from './graph-checks.js';
import { nearest } from './suggest.js';

/** Step names compared in all "did you mean" searches of one validation. */
const SUGGESTION_BUDGET = 250_000;

/** Collects the diagnostics of one spec document; problems are reported, never thrown. */
export class ValidationContext implements GraphReporter {
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

  /** The index of the step named `name` (the first, when several share it), or -1. */
  readonly resolveStep = (name: string): number => this.#indexByName.get(name) ?? -1;

  /**
   * @param pointerPrefix prepended to every pointer.
   * @param knownActionIds when given, the actionIds it rejects are unknown actions.
   */
  constructor(pointerPrefix: string, knownActionIds: ((id: string) => boolean) | undefined) {
    this.#prefix = pointerPrefix;
    this.#knownActionIds = knownActionIds;
  }

  /** Every diagnostic reported so far, in order of discovery. */
  get diagnostics(): readonly Diagnostic[] {
    return this.#diagnostics;
  }

  #report(severity: Diagnostic['severity'], code: ErrorCode, path: Path, message: string): void {
    this.#diagnostics.push({ code, severity, message, pointer: this.#prefix + jsonPointer(...path) });
  }

  /** Report an error at `path`. */
  error(code: ErrorCode, path: Path, message: string): void {
    this.#report('error', code, path, message);
  }

  /** Report a warning at `path` (it does not make the spec invalid). */
  warn(code: ErrorCode, path: Path, message: string): void {
    this.#report('warning', code, path, message);
  }

  // ---------------------------------------------------------------------------------------------
  // Generic shape checks

  /** Report keys of `obj` outside `known`, suggesting the nearest known key for a likely typo. */
  checkKeys(
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
      this.error('FSP_ERR_SPEC_UNKNOWN_KEY', at(path, key), `Unknown key ${quote(key)} in ${text(what)}. ${hint}`);
    }
  }

  /** An object, or report it and return undefined. */
  object(value: unknown, path: Path, what: Describe): Record<string, unknown> | undefined {
    if (isRecord(value)) return value;
    this.error('FSP_ERR_SPEC_TYPE', path, `${text(what)} must be an object, got ${jsonType(value)}.`);
    return undefined;
  }

  /** An array (absent counts as empty), or report it and return an empty list. */
  array(value: unknown, path: Path, what: Describe): readonly unknown[] {
    if (value === undefined) return [];
    if (Array.isArray(value)) return value;
    this.error('FSP_ERR_SPEC_TYPE', path, `${text(what)} must be an array, got ${jsonType(value)}.`);
    return [];
  }

  /** Whether a required field is present; reports it when missing. */
  required(obj: Record<string, unknown>, key: string, path: Path, what: Describe, hint: string): boolean {
    if (obj[key] !== undefined) return true;
    this.error('FSP_ERR_SPEC_MISSING_FIELD', at(path, key), `${text(what)} has no ${quote(key)}; ${hint}`);
    return false;
  }

  /** An optional string field has the right type; returns it when it is a string. */
  optionalString(obj: Record<string, unknown>, key: string, path: Path, what: Describe): string | undefined {
    const value = obj[key];
    if (value === undefined) return undefined;
    if (typeof value === 'string') return value;
    this.error('FSP_ERR_SPEC_TYPE', at(path, key), `${text(what)}.${key} must be a string, got ${jsonType(value)}.`);
    return undefined;
  }

  /** A required string field; returns it when present and a string. */
  requiredString(
    obj: Record<string, unknown>,
    key: string,
    path: Path,
    what: Describe,
    hint: string,
  ): string | undefined {
    if (!this.required(obj, key, path, what, hint)) return undefined;
    return this.optionalString(obj, key, path, what);
  }

  // ---------------------------------------------------------------------------------------------
  // Steps and their names

  /** The steps as given; sizes the per-step facts. Call once, before any other step method. */
  setSteps(steps: readonly unknown[]): void {
    this.#steps = steps;
    this.#actionIds = new Array<string | undefined>(steps.length);
    this.#joinAny = new Uint8Array(steps.length);
  }

  /** The steps as given. */
  get steps(): readonly unknown[] {
    return this.#steps;
  }

  /** Give step `i` its name; when another step already has it, return that step's index instead. */
  nameStep(name: string, i: number): number | undefined {
    const first = this.#indexByName.get(name);
    if (first === undefined) this.#indexByName.set(name, i);
    return first;
  }

  /** The name of step `i` for messages (`#i` when it has none). */
  stepName(i: number): string {
    const step = this.#steps[i];
    return isRecord(step) && typeof step['name'] === 'string' ? step['name'] : `#${i}`;
  }

  /** Whether the engine knows `actionId` (always true without a `knownActionIds` option). */
  isKnownAction(actionId: string): boolean {
    return this.#knownActionIds === undefined || this.#knownActionIds(actionId);
  }

  /**
   * The step name nearest to `name`, for a "did you mean". Each search compares against every step, so the
   * total work is capped: a spec with thousands of bad names still validates quickly (later ones get no hint).
   */
  suggestStep(name: string): string | undefined {
    if (this.#suggestionBudget < this.#indexByName.size) return undefined;
    this.#suggestionBudget -= this.#indexByName.size;
    return nearest(name, this.#indexByName.keys());
  }

  /** Resolve the step name in `parent[key]`; report it when it names no step. Returns the index or -1. */
  stepRef(value: unknown, parent: Path, key: string | number, what: Describe): number {
    if (typeof value === 'string') {
      const index = this.resolveStep(value);
      if (index >= 0) return index;
    }
    const path = at(parent, key);
    if (typeof value !== 'string') {
      this.error('FSP_ERR_SPEC_TYPE', path, `${text(what)} must be a step name (a string), got ${jsonType(value)}.`);
    } else if (value === '') {
      this.error('FSP_ERR_SPEC_UNKNOWN_STEP', path, `${text(what)} is empty; write the name of an existing step.`);
    } else {
      const suggestion = this.suggestStep(value);
      const hint = suggestion !== undefined ? ` Did you mean ${quote(suggestion)}?` : '';
      this.error(
        'FSP_ERR_SPEC_UNKNOWN_STEP',
        path,
        `${text(what)} names step ${quote(value)}, which does not exist.${hint}`,
      );
    }
    return -1;
  }

  // ---------------------------------------------------------------------------------------------
  // Facts for the graph checks

  /** Step `i` runs `actionId` (a non-empty string). */
  setActionId(i: number, actionId: string): void {
    this.#actionIds[i] = actionId;
  }

  /** Step `i` is an ANY join. */
  markJoinAny(i: number): void {
    this.#joinAny[i] = 1;
  }

  /** An outbound edge or error-handler fallback whose target exists. */
  addEdge(edge: Edge): void {
    this.#edges.push(edge);
  }

  /** A trigger starts step `i`. */
  addStartStep(i: number): void {
    this.#startSteps.push(i);
  }

  /** An expression of one step reads another; checked against "decided before" once the graph is known. */
  addRead(read: StepRead): void {
    this.#reads.push(read);
  }

  /** The number of triggers the spec lists. */
  setTriggerCount(count: number): void {
    this.#triggerCount = count;
  }

  /** What the graph checks need, collected by the per-field checks. */
  graph(): StepGraph {
    return {
      steps: this.#steps,
      actionIds: this.#actionIds,
      joinAny: this.#joinAny,
      edges: this.#edges,
      startSteps: this.#startSteps,
      reads: this.#reads,
      hasTriggers: this.#triggerCount > 0,
    };
  }
}
