/**
 * JSON:API error bodies: `{"errors":[{status,title,code,detail,source}]}`. Every
 * refusal of the REST server (validation, auth, limits, unknown routes, engine
 * errors) is turned into one by {@link toRestError}.
 */
import { FlowspecError } from '@flowspec/engine';
import { httpStatusByCode, restCodeOf, titleOf } from './status-map.js';

/** Where an error sits in the request (JSON:API `source`). */
export interface ErrorSource {
  /** JSON pointer into the request body. */
  readonly pointer?: string;
  /** Name of the query or path parameter. */
  readonly parameter?: string;
  /** Name of the request header. */
  readonly header?: string;
}

/** One JSON:API error object. */
export interface ErrorItem {
  readonly status: string;
  readonly title: string;
  readonly code: string;
  readonly detail: string;
  readonly source?: ErrorSource;
}

/** A JSON:API error document. */
export interface ErrorBody {
  readonly errors: readonly ErrorItem[];
}

/** Build one error object; `source` is left out when not given. */
export function errorItem(status: number, code: string, detail: string, source?: ErrorSource): ErrorItem {
  const item = { status: String(status), title: titleOf(status), code, detail };
  return source === undefined ? item : { ...item, source };
}

/** An error the REST layer answers with: a status, one or more error objects and extra headers. */
export class RestError extends Error {
  readonly statusCode: number;
  readonly items: readonly ErrorItem[];
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    status: number,
    code: string,
    detail: string,
    options: { source?: ErrorSource; items?: readonly ErrorItem[]; headers?: Record<string, string> } = {},
  ) {
    super(detail);
    this.name = 'RestError';
    this.statusCode = status;
    this.items = options.items ?? [errorItem(status, code, detail, options.source)];
    this.headers = options.headers ?? {};
  }

  /** The response body. */
  body(): ErrorBody {
    return { errors: this.items };
  }
}

/** Several problems at once, each with its own pointer (a validation failure). */
export function validationError(items: readonly ErrorItem[]): RestError {
  const first = items[0];
  return new RestError(400, first?.code ?? 'INVALID_FIELD_VALUE', first?.detail ?? 'The request is invalid.', {
    items,
  });
}

/** Fastify error codes the server answers with a client status. */
const fastifyErrors: Readonly<Record<string, { status: number; code: string; detail: (message: string) => string }>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: {
    status: 413,
    code: 'BODY_TOO_LARGE',
    detail: () => 'The request body is over the size limit of this server.',
  },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
    detail: () => 'Send the request body as JSON: Content-Type application/json or application/vnd.api+json.',
  },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: {
    status: 400,
    code: 'INVALID_CONTENT_LENGTH',
    detail: () => 'The Content-Length header does not match the body that was sent.',
  },
  FST_ERR_CTP_INVALID_JSON_BODY: {
    status: 400,
    code: 'INVALID_JSON',
    detail: () => 'The request body is not valid JSON.',
  },
  FST_ERR_CTP_EMPTY_JSON_BODY: {
    status: 400,
    code: 'INVALID_JSON',
    detail: () => 'The request body is empty; send a JSON document.',
  },
  FST_ERR_BAD_URL: { status: 400, code: 'INVALID_URL', detail: (m) => m },
};

/**
 * Turn anything thrown while serving a request into a RestError. Diagnostics
 * of a FlowspecError become one error object each, their pointers prefixed
 * with `pointerPrefix` (the place of the validated document in the request
 * body, e.g. `/data/attributes`). Unknown errors become a 500 whose detail
 * says nothing about the internals (the log has them).
 */
export function toRestError(err: unknown, pointerPrefix = ''): RestError {
  if (err instanceof RestError) return err;
  if (err instanceof FlowspecError) return fromFlowspecError(err, pointerPrefix);
  const e = err as { code?: unknown; statusCode?: unknown; message?: unknown } | null;
  const code = typeof e?.code === 'string' ? e.code : undefined;
  const known = code === undefined ? undefined : fastifyErrors[code];
  if (known) return new RestError(known.status, known.code, known.detail(String(e?.message ?? '')));
  const status = typeof e?.statusCode === 'number' ? e.statusCode : 500;
  if (status >= 400 && status < 500) {
    return new RestError(status, code ?? 'BAD_REQUEST', String(e?.message ?? 'The request was refused.'));
  }
  return new RestError(500, 'INTERNAL_ERROR', 'The server failed while handling the request; its log has the details.');
}

function fromFlowspecError(err: FlowspecError, pointerPrefix: string): RestError {
  const status = httpStatusByCode[err.code];
  const headers: Record<string, string> = {};
  if (err.code === 'FSP_ERR_RATE_LIMITED') {
    const ms = Number(err.details['retryAfterMs']);
    headers['retry-after'] = String(Number.isFinite(ms) && ms > 0 ? Math.ceil(ms / 1000) : 1);
  }
  if (err.code === 'FSP_ERR_ENGINE_STOPPED') headers['retry-after'] = '1';
  const problems = err.diagnostics.filter((d) => d.severity === 'error');
  if (problems.length > 0) {
    const items = problems.map((d) => errorItem(status, d.code, d.message, { pointer: pointerPrefix + d.pointer }));
    return new RestError(status, err.code, err.message, { items, headers });
  }
  if (status >= 500) {
    // The message may name files or connection strings; keep it in the log only.
    return new RestError(status, err.code, internalDetail(err), { headers });
  }
  return new RestError(status, restCodeOf(err.code), err.message, { headers });
}

function internalDetail(err: FlowspecError): string {
  if (err.code === 'FSP_ERR_ENGINE_STOPPED') return 'The server is shutting down; retry shortly.';
  if (err.code === 'FSP_ERR_STORE') return 'The store failed; retry, or see the server log.';
  return 'The server is misconfigured; see its log.';
}
