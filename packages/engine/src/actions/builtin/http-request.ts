/**
 * `com.datadoghq.http.request`: one HTTP request with fetch. Redirects are
 * followed by hand so that every hop is checked against the host allowlist;
 * the response body is read as a stream with a byte counter so that a huge
 * body cannot exhaust memory.
 */
import { FlowspecError } from '../../errors.js';
import type { ActionContext, ActionDefinition } from '../types.js';
import { ActionError } from '../types.js';
import { show, invalid } from './params.js';

/** Options of the HTTP action (engine option `builtins.http`). */
export interface HttpActionOptions {
  /**
   * Host names (`example.com`) or `host:port` pairs (`example.com:8443`,
   * `[::1]:8080`) the action may connect to, for the first request and every
   * redirect. A bare host name allows every port. Unset: no restriction.
   */
  readonly allowedHosts?: readonly string[];
  /** Largest response body, in bytes; a larger one fails with `http_response_too_large`. @default 10485760 (10 MiB) */
  readonly maxResponseBytes?: number;
  /** Request timeout when the step has no `timeoutMs` parameter, in ms (redirects and body included). @default 30000 */
  readonly defaultTimeoutMs?: number;
  /** The fetch implementation, for tests. @default globalThis.fetch */
  readonly fetch?: typeof fetch;
}

/** The output of a successful request. */
export interface HttpResponseOutput {
  readonly status: number;
  /** Response headers by lower-case name; repeated headers are joined with `, `. */
  readonly headers: Readonly<Record<string, string>>;
  /** Parsed JSON when the response content-type is JSON (`application/json`, `*+json`), else text. */
  readonly body: unknown;
}

/** The verbs the action accepts (`verb` is case-insensitive). */
export const HttpVerbs = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] as const;

/** One of {@link HttpVerbs}. */
export type HttpVerb = (typeof HttpVerbs)[number];

const ACTION_ID = 'com.datadoghq.http.request';
const DEFAULT_MAX_RESPONSE_BYTES = 10 * 1024 * 1024;
const DEFAULT_TIMEOUT_MS = 30_000;
/** setTimeout fires at once for delays above this; longer timeouts are clamped to it. */
const MAX_TIMER_MS = 2_147_483_647;
const MAX_REDIRECTS = 5;
/** Bytes of an error response read for the message excerpt. */
const ERROR_EXCERPT_BYTES = 4096;
const ERROR_EXCERPT_CHARS = 300;
const REDIRECT_STATUSES: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);
const UNSAFE_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);
/** Headers that describe the request body: dropped when a redirect turns the request into a GET. */
const BODY_HEADERS = ['content-type', 'content-length', 'content-encoding', 'content-language', 'content-location'];
/** Credentials that must not follow a redirect to another origin. */
const CREDENTIAL_HEADERS = ['authorization', 'proxy-authorization', 'cookie'];

/** A request as the parameters describe it, checked. */
interface RequestPlan {
  readonly url: URL;
  readonly verb: HttpVerb;
  readonly headers: Headers;
  readonly body: string | null;
  readonly timeoutMs: number;
}

/**
 * Build the HTTP action from its options. The handler is asynchronous (not
 * inline): it runs through the engine's concurrency queue.
 * @throws FlowspecError `FSP_ERR_INVALID_ARGUMENT` for malformed options.
 */
export function createHttpRequestAction(options: HttpActionOptions = {}): ActionDefinition {
  const allowed = normalizeAllowlist(options.allowedHosts);
  const maxBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 0) {
    throw invalidOption(`maxResponseBytes must be a non-negative integer number of bytes, got ${show(maxBytes)}.`);
  }
  const defaultTimeoutMs = options.defaultTimeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (!isPositiveFinite(defaultTimeoutMs)) {
    throw invalidOption(
      `defaultTimeoutMs must be a positive finite number of milliseconds, got ${show(defaultTimeoutMs)}.`,
    );
  }
  if (options.fetch !== undefined && typeof options.fetch !== 'function') {
    throw invalidOption(`fetch must be a function, got ${show(options.fetch)}.`);
  }
  const customFetch = options.fetch;
  // async: bad parameters reject like every other failure instead of throwing synchronously.
  const handler = async (
    params: Readonly<Record<string, unknown>>,
    ctx: ActionContext,
  ): Promise<HttpResponseOutput> => {
    const plan = planRequest(params, defaultTimeoutMs);
    return send(plan, ctx, { allowed, maxBytes, fetch: customFetch ?? globalThis.fetch });
  };
  return Object.freeze({ handler });
}

// ------------------------------------------------------------------ parameters

function planRequest(params: Readonly<Record<string, unknown>>, defaultTimeoutMs: number): RequestPlan {
  const verb = parseVerb(params['verb']);
  const rawUrl = params['url'];
  if (typeof rawUrl !== 'string' || rawUrl.trim() === '') {
    throw invalid(`Parameter "url" of ${ACTION_ID} must be a non-empty string, got ${show(rawUrl)}.`);
  }
  let url: URL;
  try {
    url = new URL(rawUrl.trim());
  } catch {
    throw new ActionError('http_request_failed', `${verb} ${show(rawUrl)}: not a valid absolute URL.`);
  }
  checkProtocol(url, verb, null);
  if (url.username !== '' || url.password !== '') {
    // fetch refuses these anyway, with a message that repeats the password.
    throw new ActionError(
      'http_request_failed',
      `${verb} ${where(url)}: URLs with credentials (user:password@) are not supported; ` +
        'send them in an Authorization header (requestHeaders) instead.',
    );
  }
  appendUrlParams(url, params['urlParams']);
  const headers = buildHeaders(params['requestHeaders']);
  const body = buildBody(params['body'], verb, headers);
  return { url, verb, headers, body, timeoutMs: parseTimeout(params['timeoutMs'], defaultTimeoutMs) };
}

function parseVerb(raw: unknown): HttpVerb {
  if (raw === undefined || raw === null || raw === '') return 'GET';
  const verb = typeof raw === 'string' ? raw.trim().toUpperCase() : '';
  if (!(HttpVerbs as readonly string[]).includes(verb)) {
    throw invalid(`Parameter "verb" of ${ACTION_ID} must be one of ${HttpVerbs.join(', ')}, got ${show(raw)}.`);
  }
  return verb as HttpVerb;
}

function parseTimeout(raw: unknown, fallback: number): number {
  if (raw === undefined || raw === null) return Math.min(fallback, MAX_TIMER_MS);
  if (!isPositiveFinite(raw)) {
    throw invalid(
      `Parameter "timeoutMs" of ${ACTION_ID} must be a positive finite number of milliseconds, got ${show(raw)}.`,
    );
  }
  return Math.min(raw, MAX_TIMER_MS);
}

function appendUrlParams(url: URL, raw: unknown): void {
  if (raw === undefined || raw === null) return;
  if (!Array.isArray(raw)) {
    throw invalid(
      `Parameter "urlParams" of ${ACTION_ID} must be an array of { key, value } objects, got ${show(raw)}.`,
    );
  }
  for (let i = 0; i < raw.length; i++) {
    const { key, value } = entryOf(raw[i], `urlParams[${i}]`);
    const values = Array.isArray(value) ? (value as unknown[]) : [value];
    for (const v of values) url.searchParams.append(key, queryText(v));
  }
}

function queryText(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

function buildHeaders(raw: unknown): Headers {
  const headers = new Headers();
  if (raw === undefined || raw === null) return headers;
  if (!Array.isArray(raw)) {
    throw invalid(
      `Parameter "requestHeaders" of ${ACTION_ID} must be an array of { key, value: [string] } objects, got ${show(raw)}.`,
    );
  }
  for (let i = 0; i < raw.length; i++) {
    const { key, value } = entryOf(raw[i], `requestHeaders[${i}]`);
    const values = Array.isArray(value) ? (value as unknown[]) : [value];
    for (let j = 0; j < values.length; j++) {
      const v = values[j];
      if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') {
        throw invalid(
          `Parameter "requestHeaders[${i}].value" of ${ACTION_ID} must be a string or an array of strings, got ${show(value)}.`,
        );
      }
      try {
        headers.append(key, String(v));
      } catch (err) {
        throw invalid(`Parameter "requestHeaders[${i}]" of ${ACTION_ID} is not a valid header: ${errorText(err)}.`);
      }
    }
  }
  return headers;
}

function buildBody(raw: unknown, verb: HttpVerb, headers: Headers): string | null {
  if (raw === undefined || raw === null || raw === '') return null;
  if (verb === 'GET' || verb === 'HEAD') {
    throw invalid(
      `Parameter "body" of ${ACTION_ID} is set but verb is ${verb}, which cannot carry a body. ` +
        'Use POST, PUT or PATCH, or remove the body.',
    );
  }
  if (typeof raw === 'string') return raw;
  if (!headers.has('content-type')) headers.set('content-type', 'application/json');
  return JSON.stringify(raw);
}

/** Check one `{ key, value }` entry of an array parameter. */
function entryOf(entry: unknown, where: string): { key: string; value: unknown } {
  if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) {
    throw invalid(`Parameter "${where}" of ${ACTION_ID} must be an object { key, value }, got ${show(entry)}.`);
  }
  const { key, value } = entry as { key?: unknown; value?: unknown };
  if (typeof key !== 'string' || key === '') {
    throw invalid(`Parameter "${where}.key" of ${ACTION_ID} must be a non-empty string, got ${show(key)}.`);
  }
  return { key, value };
}

function checkProtocol(url: URL, verb: string, from: URL | null): void {
  if (url.protocol === 'http:' || url.protocol === 'https:') return;
  const via = from === null ? '' : ` (redirected from ${where(from)})`;
  throw new ActionError(
    'http_request_failed',
    `${verb} ${url.protocol}//…${via}: only http: and https: URLs are supported, not ${url.protocol}.`,
  );
}

// ------------------------------------------------------------------ allowlist

function normalizeAllowlist(raw: readonly string[] | undefined): ReadonlySet<string> | null {
  if (raw === undefined) return null;
  if (!Array.isArray(raw)) {
    throw invalidOption(`allowedHosts must be an array of host names or host:port strings, got ${show(raw)}.`);
  }
  const out = new Set<string>();
  for (const entry of raw as unknown[]) {
    if (typeof entry !== 'string' || entry.trim() === '' || /[/\s@]/.test(entry.trim())) {
      throw invalidOption(
        `allowedHosts entries must be host names or host:port strings (no scheme, path or spaces), got ${show(entry)}.`,
      );
    }
    out.add(normalizeHost(entry.trim()));
  }
  return out;
}

/** Lower case, without a trailing dot on the name: `Example.COM.:80` -> `example.com:80`. */
function normalizeHost(host: string): string {
  const lower = host.toLowerCase();
  const m = /^(.*?)(:\d+)?$/.exec(lower);
  const name = (m?.[1] ?? lower).replace(/\.$/, '');
  return name + (m?.[2] ?? '');
}

function hostAllowed(url: URL, allowed: ReadonlySet<string> | null): boolean {
  if (allowed === null) return true;
  const name = url.hostname.toLowerCase().replace(/\.$/, '');
  const port = url.port !== '' ? url.port : url.protocol === 'https:' ? '443' : '80';
  return allowed.has(name) || allowed.has(`${name}:${port}`);
}

// ------------------------------------------------------------------ request

interface SendOptions {
  readonly allowed: ReadonlySet<string> | null;
  readonly maxBytes: number;
  readonly fetch: typeof fetch;
}

async function send(plan: RequestPlan, ctx: ActionContext, o: SendOptions): Promise<HttpResponseOutput> {
  if (ctx.signal.aborted) throw aborted(ctx.signal, plan.verb, plan.url);
  const timeout = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    timeout.abort(new ActionError('http_request_failed', `timed out after ${plan.timeoutMs} ms`));
  }, plan.timeoutMs);
  timer.unref?.();
  const signal = AbortSignal.any([ctx.signal, timeout.signal]);
  // The current hop: redirects change the URL and may change the method.
  let url = plan.url;
  let method: string = plan.verb;
  try {
    let body = plan.body;
    const headers = new Headers(plan.headers);
    for (let hop = 0; ; hop++) {
      if (!hostAllowed(url, o.allowed)) throw notAllowed(url, plan, hop);
      let res: Response;
      try {
        res = await o.fetch(url.href, { method, headers, body, redirect: 'manual', signal });
      } catch (err) {
        if (err instanceof ActionError || signal.aborted) throw err;
        throw new ActionError('http_request_failed', `${method} ${where(url)} failed: ${errorText(err)}.`);
      }
      const location = REDIRECT_STATUSES.has(res.status) ? res.headers.get('location') : null;
      if (location !== null) {
        await discard(res);
        if (hop >= MAX_REDIRECTS) {
          throw new ActionError(
            'http_request_failed',
            `${plan.verb} ${where(plan.url)}: more than ${MAX_REDIRECTS} redirects (last to ${where(url)}).`,
          );
        }
        let next: URL;
        try {
          next = new URL(location, url);
        } catch {
          throw new ActionError(
            'http_request_failed',
            `${method} ${where(url)} redirected to an invalid URL ${JSON.stringify(location)}.`,
          );
        }
        checkProtocol(next, method, url);
        // As fetch does: 303 turns any request but HEAD into a GET; 301/302 turn a POST into a GET.
        if (
          (res.status === 303 && method !== 'HEAD') ||
          ((res.status === 301 || res.status === 302) && method === 'POST')
        ) {
          method = 'GET';
          body = null;
          for (const h of BODY_HEADERS) headers.delete(h);
        }
        if (next.origin !== url.origin) for (const h of CREDENTIAL_HEADERS) headers.delete(h);
        url = next;
        continue;
      }
      if (res.status >= 400) throw await statusError(res, method, url, o.maxBytes);
      const out = await readBody(res, o.maxBytes);
      if (out === null) throw tooLarge(method, url, o.maxBytes);
      const output: HttpResponseOutput = {
        status: res.status,
        headers: plainHeaders(res.headers),
        body: decodeBody(out, res.headers.get('content-type')),
      };
      ctx.logger.debug({ verb: method, url: where(url), status: res.status, bytes: out.byteLength }, 'http request');
      return output;
    }
  } catch (err) {
    if (ctx.signal.aborted) throw aborted(ctx.signal, method, url);
    if (timedOut) {
      throw new ActionError(
        'http_request_failed',
        `${method} ${where(url)} timed out after ${plan.timeoutMs} ms (parameter timeoutMs, or engine option ` +
          'builtins.http.defaultTimeoutMs).',
      );
    }
    if (err instanceof ActionError) throw err;
    throw new ActionError('http_request_failed', `${method} ${where(url)} failed: ${errorText(err)}.`);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Read a body up to `limit` bytes. Returns null (and cancels the stream, which
 * closes the connection) as soon as the body is known to be larger.
 */
async function readBody(res: Response, limit: number): Promise<Uint8Array | null> {
  const stream = res.body;
  if (stream === null) return new Uint8Array(0); // HEAD, 204, 304: content-length, if any, is not a body here
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > limit) {
    await discard(res);
    return null;
  }
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => undefined);
      return null;
    }
    chunks.push(value);
  }
  return concat(chunks, size);
}

/** Read at most `limit` bytes of a body (for an excerpt), then drop the rest. */
async function readPrefix(res: Response, limit: number): Promise<Uint8Array> {
  const stream = res.body;
  if (stream === null) return new Uint8Array(0);
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  while (size < limit) {
    const { done, value } = await reader.read();
    if (done) return concat(chunks, size);
    const part = value.byteLength > limit - size ? value.subarray(0, limit - size) : value;
    chunks.push(part);
    size += part.byteLength;
  }
  await reader.cancel().catch(() => undefined);
  return concat(chunks, size);
}

function concat(chunks: readonly Uint8Array[], size: number): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

async function discard(res: Response): Promise<void> {
  await res.body?.cancel().catch(() => undefined);
}

function isJsonType(contentType: string | null): boolean {
  if (contentType === null) return false;
  const media = (contentType.split(';')[0] ?? '').trim().toLowerCase();
  return media === 'application/json' || media === 'text/json' || media.endsWith('+json');
}

function decodeText(bytes: Uint8Array, contentType: string | null): string {
  const charset = /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(contentType ?? '')?.[1];
  return decoderFor(charset ?? 'utf-8').decode(bytes);
}

/** A decoder for the charset the response names; UTF-8 when Node does not know that charset. */
function decoderFor(charset: string) {
  try {
    return new TextDecoder(charset);
  } catch {
    return new TextDecoder('utf-8');
  }
}

/** JSON when the content-type says so and the text parses (an empty JSON body is null), else the text. */
function decodeBody(bytes: Uint8Array, contentType: string | null): unknown {
  const text = decodeText(bytes, contentType);
  if (!isJsonType(contentType)) return text;
  if (text.trim() === '') return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text; // the server said JSON but sent something else: keep what it sent
  }
}

function plainHeaders(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of headers.keys()) {
    if (UNSAFE_KEYS.has(name) || Object.hasOwn(out, name)) continue;
    out[name] = headers.get(name) ?? '';
  }
  return out;
}

// ------------------------------------------------------------------ errors

/** Where a request went, for messages: origin and path, never the query string or credentials. */
function where(url: URL): string {
  return url.origin + url.pathname;
}

async function statusError(res: Response, method: string, url: URL, maxBytes: number): Promise<ActionError> {
  const contentType = res.headers.get('content-type');
  const prefix = await readPrefix(res, Math.min(ERROR_EXCERPT_BYTES, maxBytes));
  let excerpt = decodeText(prefix, contentType).replace(/\s+/g, ' ').trim();
  if (excerpt.length > ERROR_EXCERPT_CHARS) excerpt = `${excerpt.slice(0, ERROR_EXCERPT_CHARS)}…`;
  const text = res.statusText === '' ? '' : ` ${res.statusText}`;
  return new ActionError(
    'http_status',
    `${method} ${where(url)} returned HTTP ${res.status}${text}${excerpt === '' ? '' : `: ${excerpt}`}`,
    { status: res.status, url: where(url), bodyExcerpt: excerpt },
  );
}

function tooLarge(method: string, url: URL, maxBytes: number): ActionError {
  return new ActionError(
    'http_response_too_large',
    `${method} ${where(url)}: the response body is over ${maxBytes} bytes (engine option ` +
      'builtins.http.maxResponseBytes). Ask the server for less data (paging, filters) or raise the limit.',
    { url: where(url), maxResponseBytes: maxBytes },
  );
}

function notAllowed(url: URL, plan: RequestPlan, hop: number): ActionError {
  const port = url.port !== '' ? url.port : url.protocol === 'https:' ? '443' : '80';
  const via = hop === 0 ? '' : ` (reached by a redirect from ${where(plan.url)})`;
  return new ActionError(
    'http_host_not_allowed',
    `${plan.verb} ${where(url)}${via}: host "${url.hostname}" is not in the HTTP allowlist ` +
      `(engine option builtins.http.allowedHosts). Add "${url.hostname}" or "${url.hostname}:${port}" to allow it.`,
    { host: url.hostname, port },
  );
}

function aborted(signal: AbortSignal, verb: string, url: URL): ActionError {
  const reason: unknown = signal.reason;
  // The engine aborts with an ActionError when the step timed out: keep its code.
  if (reason instanceof ActionError) return reason;
  return new ActionError('canceled', `${verb} ${where(url)} was aborted: ${errorText(reason)}.`);
}

function invalidOption(message: string): FlowspecError {
  return new FlowspecError('FSP_ERR_INVALID_ARGUMENT', `HTTP action option (builtins.http) ${message}`);
}

function isPositiveFinite(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0;
}

/** The most telling text of a thrown value: fetch hides the network error in `cause`. */
function errorText(err: unknown): string {
  if (err instanceof Error) {
    const cause: unknown = err.cause;
    if (cause instanceof Error && cause.message !== '') return cause.message;
    return err.message || err.name;
  }
  return err === undefined ? 'no reason given' : String(err);
}
