/**
 * The one table of Flowspec error codes. Every code is documented in
 * docs/reference/errors.md (a test checks this); the REST package maps each
 * code to an HTTP status with a `Record<ErrorCode, number>`, so adding a code
 * here without a status fails to compile there.
 */
export const ErrorCodes = {
  // Spec validation (reported as diagnostics, never thrown one by one)
  FSP_ERR_SPEC_TYPE: 'A field has the wrong JSON type.',
  FSP_ERR_SPEC_VALUE: 'A field holds a value outside its allowed set or range.',
  FSP_ERR_SPEC_MISSING_FIELD: 'A required field is missing.',
  FSP_ERR_SPEC_UNKNOWN_KEY: 'An object holds a key the spec format does not define (usually a typo).',
  FSP_ERR_SPEC_EMPTY_NAME: 'A step, edge branch or schema parameter has an empty name.',
  FSP_ERR_SPEC_DUPLICATE_STEP: 'Two steps have the same name.',
  FSP_ERR_SPEC_DUPLICATE_PARAMETER: 'A step sets the same parameter twice.',
  FSP_ERR_SPEC_UNKNOWN_STEP: 'An edge, start step or fallback names a step that does not exist.',
  FSP_ERR_SPEC_CYCLE: 'Edges and error-handler fallbacks form a cycle.',
  FSP_ERR_SPEC_NO_TRIGGER: 'The spec has no trigger.',
  FSP_ERR_SPEC_DUPLICATE_TRIGGER_KIND: 'Two triggers have the same kind.',
  FSP_ERR_SPEC_TRIGGER_SHAPE: 'A trigger object has zero or several *Trigger keys.',
  FSP_ERR_SPEC_WORKFLOW_TRIGGER_COMBINED: 'workflowTrigger is combined with another trigger.',
  FSP_ERR_SPEC_RETRY_KIND: 'retryStrategy.kind is not RETRY_STRATEGY_LINEAR.',
  FSP_ERR_SPEC_RETRY_INTERVAL: 'retryStrategy.linear.interval is not "<number>s".',
  FSP_ERR_SPEC_RETRY_MAX: 'retryStrategy.linear.maxRetries is negative or not an integer.',
  FSP_ERR_SPEC_COMPLETION_OPERATOR: 'A completion condition uses an unknown operator.',
  FSP_ERR_SPEC_READINESS_GATE: 'readinessGate.thresholdType is not ANY or ALL.',
  FSP_ERR_SPEC_EXPRESSION_SYNTAX: 'A template or JSONPath expression does not parse.',
  FSP_ERR_SPEC_EXPRESSION_SCOPE:
    'An expression reads a step that is not certain to have run or been decided before the step using it.',
  FSP_ERR_SPEC_UNKNOWN_ACTION: 'A step uses an actionId the engine does not know.',
  FSP_ERR_SPEC_RRULE: 'A scheduleTrigger.rruleExpression does not parse.',
  FSP_ERR_SPEC_SCHEMA_TYPE: 'An input/output schema parameter has an unknown type or a value of the wrong type.',
  FSP_ERR_SPEC_SCHEMA_DUPLICATE: 'Two input/output schema parameters have the same name.',
  FSP_ERR_SPEC_DESCRIPTION_TOO_LONG: 'The workflow description is over 300 characters.',
  FSP_ERR_SPEC_INVALID: 'The spec failed validation; `diagnostics` lists every problem.',
  FSP_ERR_WORKFLOW_NAME: 'The workflow name is missing or empty.',
  // Validation warnings (returned, not fatal)
  FSP_WARN_UNREACHABLE_STEP: 'A step is unreachable from every trigger start step.',
  FSP_WARN_JOIN_NEVER_FIRES: 'A join can never fire.',
  // Input (execute)
  FSP_ERR_INPUT_INVALID: 'The instance input does not match the inputSchema; `diagnostics` lists every problem.',
  FSP_ERR_INPUT_REQUIRED: 'A required input parameter (no defaultValue) is missing.',
  FSP_ERR_INPUT_TYPE: 'An input value has the wrong type for its schema parameter.',
  FSP_ERR_INPUT_NOT_ALLOWED: 'An input value is not one of the allowedValues.',
  // API use
  FSP_ERR_INVALID_ARGUMENT: 'An engine API was called with an invalid argument.',
  FSP_ERR_WORKFLOW_NOT_FOUND: 'No workflow has this id.',
  FSP_ERR_INSTANCE_NOT_FOUND: 'No instance has this id.',
  FSP_ERR_SPEC_VERSION_NOT_FOUND: 'The workflow has no spec version with this number.',
  FSP_ERR_NO_EXECUTE_TRIGGER: 'The spec has neither an apiTrigger nor a workflowTrigger to execute it through.',
  FSP_ERR_TRIGGER_NOT_FOUND: 'The spec has no trigger of the requested kind.',
  FSP_ERR_WORKFLOW_UNPUBLISHED: 'The apiTrigger requires the workflow to be published.',
  FSP_ERR_RATE_LIMITED: 'The trigger rate limit admits no more starts now.',
  FSP_ERR_WORKFLOW_HAS_RUNNING_INSTANCES: 'The workflow still has running instances.',
  FSP_ERR_IDEMPOTENCY_CONFLICT: 'The idempotency key was already used for another workflow.',
  FSP_ERR_ACTION_ALREADY_REGISTERED: 'An action with this actionId is already registered.',
  FSP_ERR_ENGINE_STOPPED: 'The engine is stopped or stopping.',
  FSP_ERR_STORE: 'The store failed.',
} as const;

/** Every Flowspec error code. */
export type ErrorCode = keyof typeof ErrorCodes;

/**
 * Codes that describe why a step failed. They are data (`Steps.X.error.code`,
 * instance `error.code`), not exceptions. `completion_gate_unmet` is named by
 * the semantics; the others follow its style.
 */
export const StepErrorCodes = {
  action_failed: 'The action handler threw or rejected.',
  action_not_registered: 'No handler is registered for the step actionId.',
  step_timeout: 'The step exceeded its timeout.',
  completion_gate_unmet: 'The completion condition stayed false after every gate retry.',
  output_too_large: 'The step output is over the configured size limit.',
  http_status: 'The HTTP action got a response status >= 400.',
  http_host_not_allowed: 'The HTTP action target host is not in the allowlist.',
  http_response_too_large: 'The HTTP response body is over the size limit.',
  http_request_failed: 'The HTTP request could not be made (DNS, connection, TLS, invalid URL).',
  invalid_parameters: 'The action got parameters of the wrong shape.',
  canceled: 'The instance was canceled or failed while the step ran.',
} as const;

/** Why a step failed. */
export type StepErrorCode = keyof typeof StepErrorCodes;

/** One problem found in a document, located by a JSON pointer. */
export interface Diagnostic {
  readonly code: ErrorCode;
  readonly severity: 'error' | 'warning';
  readonly message: string;
  /** RFC 6901 JSON pointer into the validated document. */
  readonly pointer: string;
}

/** The base class of every error Flowspec throws. */
export class FlowspecError extends Error {
  readonly code: ErrorCode;
  readonly diagnostics: readonly Diagnostic[];
  readonly details: Readonly<Record<string, unknown>>;

  constructor(
    code: ErrorCode,
    message: string,
    options: { diagnostics?: readonly Diagnostic[]; details?: Record<string, unknown>; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'FlowspecError';
    this.code = code;
    this.diagnostics = options.diagnostics ?? [];
    this.details = options.details ?? {};
  }
}

/** A step failure as data: what `Steps.<Name>.error` and instance `error` hold. */
export interface StepError {
  readonly code: StepErrorCode;
  readonly message: string;
  readonly attempts: number;
}

/** Escape one reference token for a JSON pointer (RFC 6901). */
export function pointerToken(token: string | number): string {
  return String(token).replace(/~/g, '~0').replace(/\//g, '~1');
}

/** Build a JSON pointer from tokens. */
export function jsonPointer(...tokens: readonly (string | number)[]): string {
  let out = '';
  for (const t of tokens) out += '/' + pointerToken(t);
  return out;
}
