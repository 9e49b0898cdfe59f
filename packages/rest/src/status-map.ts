/**
 * The one mapping from Flowspec error codes to HTTP statuses. It is a
 * `Record<ErrorCode, number>`: adding a code to the engine's table without a
 * status here fails to compile (STYLE.md, "Errors").
 */
import type { ErrorCode } from '@flowspec/engine';

/** HTTP status of every Flowspec error code. */
export const httpStatusByCode: Readonly<Record<ErrorCode, number>> = {
  // Spec validation: the request document is wrong.
  FSP_ERR_SPEC_TYPE: 400,
  FSP_ERR_SPEC_VALUE: 400,
  FSP_ERR_SPEC_MISSING_FIELD: 400,
  FSP_ERR_SPEC_UNKNOWN_KEY: 400,
  FSP_ERR_SPEC_EMPTY_NAME: 400,
  FSP_ERR_SPEC_DUPLICATE_STEP: 400,
  FSP_ERR_SPEC_DUPLICATE_PARAMETER: 400,
  FSP_ERR_SPEC_UNKNOWN_STEP: 400,
  FSP_ERR_SPEC_CYCLE: 400,
  FSP_ERR_SPEC_NO_TRIGGER: 400,
  FSP_ERR_SPEC_DUPLICATE_TRIGGER_KIND: 400,
  FSP_ERR_SPEC_TRIGGER_SHAPE: 400,
  FSP_ERR_SPEC_WORKFLOW_TRIGGER_COMBINED: 400,
  FSP_ERR_SPEC_RETRY_KIND: 400,
  FSP_ERR_SPEC_RETRY_INTERVAL: 400,
  FSP_ERR_SPEC_RETRY_MAX: 400,
  FSP_ERR_SPEC_COMPLETION_OPERATOR: 400,
  FSP_ERR_SPEC_READINESS_GATE: 400,
  FSP_ERR_SPEC_EXPRESSION_SYNTAX: 400,
  FSP_ERR_SPEC_EXPRESSION_SCOPE: 400,
  FSP_ERR_SPEC_UNKNOWN_ACTION: 400,
  FSP_ERR_SPEC_RRULE: 400,
  FSP_ERR_SPEC_SCHEMA_TYPE: 400,
  FSP_ERR_SPEC_SCHEMA_DUPLICATE: 400,
  FSP_ERR_SPEC_DESCRIPTION_TOO_LONG: 400,
  FSP_ERR_SPEC_INVALID: 400,
  FSP_ERR_WORKFLOW_NAME: 400,
  // Warnings never fail a request; if one is ever thrown it is still the client's document.
  FSP_WARN_UNREACHABLE_STEP: 400,
  FSP_WARN_JOIN_NEVER_FIRES: 400,
  // Instance input.
  FSP_ERR_INPUT_INVALID: 400,
  FSP_ERR_INPUT_REQUIRED: 400,
  FSP_ERR_INPUT_TYPE: 400,
  FSP_ERR_INPUT_NOT_ALLOWED: 400,
  // API use.
  FSP_ERR_INVALID_ARGUMENT: 400,
  FSP_ERR_WORKFLOW_NOT_FOUND: 404,
  FSP_ERR_INSTANCE_NOT_FOUND: 404,
  FSP_ERR_SPEC_VERSION_NOT_FOUND: 404,
  FSP_ERR_NO_EXECUTE_TRIGGER: 400,
  FSP_ERR_TRIGGER_NOT_FOUND: 400,
  FSP_ERR_WORKFLOW_UNPUBLISHED: 400,
  FSP_ERR_RATE_LIMITED: 429,
  FSP_ERR_WORKFLOW_HAS_RUNNING_INSTANCES: 409,
  FSP_ERR_IDEMPOTENCY_CONFLICT: 409,
  // A server misconfiguration, not the client's fault.
  FSP_ERR_ACTION_ALREADY_REGISTERED: 500,
  // Shutting down: the client may retry against another process or later.
  FSP_ERR_ENGINE_STOPPED: 503,
  FSP_ERR_STORE: 500,
};

/**
 * The `code` a REST error carries for a Flowspec code. The Datadog API was
 * recorded answering `WORKFLOW_NOT_FOUND` and `INSTANCE_NOT_FOUND`; those are
 * reused so clients written against Datadog keep matching them. Every other
 * code is the stable Flowspec code itself.
 */
export function restCodeOf(code: ErrorCode): string {
  if (code === 'FSP_ERR_WORKFLOW_NOT_FOUND') return 'WORKFLOW_NOT_FOUND';
  if (code === 'FSP_ERR_INSTANCE_NOT_FOUND') return 'INSTANCE_NOT_FOUND';
  return code;
}

const titles: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** The reason phrase used as a JSON:API error `title`. */
export function titleOf(status: number): string {
  return titles[status] ?? (status >= 500 ? 'Internal Server Error' : 'Bad Request');
}
