/**
 * Contract of the expression module (templates `{{ path }}` and JSONPath
 * `{{ $... }}`), SEMANTICS.md section 2. Parsing happens once, in compileValue;
 * evaluation never re-parses.
 */

/** Data an expression is evaluated over. Step outputs are read by plan index, never by name. */
export interface EvalContext {
  /** The instance input after defaults (`Trigger`). */
  readonly trigger: unknown;
  /** Trigger event data (`Source`). */
  readonly source: unknown;
  /** `Variables`. */
  readonly variables: Readonly<Record<string, unknown>>;
  readonly workflowName: string;
  readonly workflowId: string;
  readonly instanceId: string;
  /**
   * Per step index: the output of a finished step; for a failed step
   * `{ error: { message, code, attempts } }`; `undefined` when it has none.
   */
  readonly outputs: readonly unknown[];
  /** Step names by index (JSONPath queries see `Steps` as an object keyed by name). */
  readonly stepNames: readonly string[];
}

/** A problem found while compiling a value, located relative to the compiled value. */
export interface ExprProblem {
  readonly message: string;
  /** Path below the compiled value (array indices and object keys) where the bad template sits. */
  readonly path: readonly (string | number)[];
}

/** The result of compiling one parameter value. */
export interface CompiledValueResult {
  readonly value: CompiledValue;
  readonly problems: readonly ExprProblem[];
  /** Indices of the steps the value reads (`Steps.<Name>...`), for the ancestor check. */
  readonly stepRefs: readonly number[];
  /** Names under `Steps.` that name no step (`resolveStep` returned -1). */
  readonly unknownStepRefs: readonly string[];
}

/**
 * A compiled value. Opaque to callers: evaluate it with `evaluateValue`.
 * A value with no template at all compiles to a constant that evaluation returns as-is.
 */
export interface CompiledValue {
  readonly constant: boolean;
}
