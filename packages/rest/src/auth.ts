/**
 * Authentication by key pair (Datadog's `DD-API-KEY` + `DD-APPLICATION-KEY`,
 * or Domo's `X-DOMO-Developer-Token: <apiKey>:<appKey>`) and scopes.
 *
 * Keys are held only as SHA-256 digests and compared with
 * `crypto.timingSafeEqual` against every configured pair, without an early
 * exit, so the time to answer does not depend on how much of a key matched or
 * on which entry matched. The raw keys are never kept, so they cannot leak
 * into a log.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { RestError } from './errors.js';

/** The scopes a key pair may hold. */
export const Scopes = ['workflows_read', 'workflows_write', 'workflows_run'] as const;
/** One scope: `workflows_read` (GET), `workflows_write` (create/update/delete, permissions), `workflows_run` (execute, cancel). */
export type Scope = (typeof Scopes)[number];

/** A configured key pair (an entry of `FLOWSPEC_KEYS_FILE`). */
export interface ApiKeyEntry {
  readonly apiKey: string;
  readonly appKey: string;
  /** The identity acting with this pair: access-list entries name it, instances record it. */
  readonly user: string;
  readonly scopes: readonly Scope[];
  /** Admin pairs hold every scope and pass every access list. @default false */
  readonly admin?: boolean;
  /** Display name recorded as `actingUser.userName`. @default user */
  readonly name?: string;
  /** Recorded as `actingUser.userEmail`. @default '' */
  readonly email?: string;
  /** Groups the user belongs to (access-list entries of type GROUP name them). @default [] */
  readonly groups?: readonly string[];
}

/** Who is calling, once authenticated. */
export interface Principal {
  readonly user: string;
  readonly name: string;
  readonly email: string;
  readonly admin: boolean;
  readonly scopes: ReadonlySet<Scope>;
  readonly groups: readonly string[];
}

/** Looks key pairs up in constant time. */
export interface Keyring {
  /** How many key pairs are configured. */
  readonly size: number;
  /** The principal of a presented pair, or null when it matches no configured pair. */
  authenticate(apiKey: string | undefined, appKey: string | undefined): Principal | null;
}

interface Held {
  readonly api: Buffer;
  readonly app: Buffer;
  readonly principal: Principal;
}

const MIN_KEY_LENGTH = 16;

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/**
 * Check key entries (from a keys file or the environment) and build a keyring.
 * Throws a plain Error naming the entry and field for a malformed entry (keys
 * are never quoted in the message).
 */
export function createKeyring(entries: readonly ApiKeyEntry[]): Keyring {
  if (!Array.isArray(entries)) throw new Error('The keys must be a JSON array of { apiKey, appKey, user, scopes }.');
  const held: Held[] = [];
  entries.forEach((entry: unknown, i) => held.push(checkEntry(entry, i)));
  const seen = new Set<string>();
  for (const h of held) {
    const id = h.api.toString('hex') + h.app.toString('hex');
    if (seen.has(id)) throw new Error(`Two key entries hold the same apiKey/appKey pair (user "${h.principal.user}").`);
    seen.add(id);
  }
  return {
    size: held.length,
    authenticate(apiKey, appKey) {
      if (typeof apiKey !== 'string' || typeof appKey !== 'string') return null;
      const api = digest(apiKey);
      const app = digest(appKey);
      let found: Principal | null = null;
      // Every entry is compared, matched or not: no early exit.
      for (const h of held) {
        const apiOk = timingSafeEqual(api, h.api);
        const appOk = timingSafeEqual(app, h.app);
        if (apiOk && appOk) found = h.principal;
      }
      return found;
    },
  };
}

function checkEntry(entry: unknown, i: number): Held {
  const where = `key entry ${i}`;
  if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) {
    throw new Error(`The ${where} is not an object { apiKey, appKey, user, scopes }.`);
  }
  const e = entry as Record<string, unknown>;
  for (const field of ['apiKey', 'appKey'] as const) {
    const v = e[field];
    if (typeof v !== 'string' || v.length < MIN_KEY_LENGTH) {
      throw new Error(`The ${where} needs "${field}": a string of at least ${MIN_KEY_LENGTH} characters.`);
    }
  }
  if (typeof e['user'] !== 'string' || e['user'] === '')
    throw new Error(`The ${where} needs "user": a non-empty string.`);
  const admin = e['admin'] === undefined ? false : e['admin'];
  if (typeof admin !== 'boolean') throw new Error(`The ${where} has "admin" that is not a boolean.`);
  const scopes = e['scopes'] ?? (admin ? [...Scopes] : undefined);
  if (!Array.isArray(scopes) || scopes.some((s) => !(Scopes as readonly unknown[]).includes(s))) {
    throw new Error(`The ${where} needs "scopes": an array of ${Scopes.join(', ')}.`);
  }
  for (const field of ['name', 'email'] as const) {
    if (e[field] !== undefined && typeof e[field] !== 'string')
      throw new Error(`The ${where} has "${field}" that is not a string.`);
  }
  const groups = e['groups'] ?? [];
  if (!Array.isArray(groups) || groups.some((g) => typeof g !== 'string')) {
    throw new Error(`The ${where} has "groups" that is not an array of strings.`);
  }
  const user = e['user'];
  return {
    api: digest(e['apiKey'] as string),
    app: digest(e['appKey'] as string),
    principal: Object.freeze({
      user,
      name: (e['name'] as string | undefined) ?? user,
      email: (e['email'] as string | undefined) ?? '',
      admin,
      scopes: new Set<Scope>(admin ? Scopes : (scopes as Scope[])),
      groups: Object.freeze([...(groups as string[])]),
    }),
  };
}

/** The header names carrying keys (lower case, as Node presents them). */
export const KeyHeaders = {
  apiKey: 'dd-api-key',
  appKey: 'dd-application-key',
  domoToken: 'x-domo-developer-token',
} as const;

/** Read the presented key pair from request headers (Datadog pair first, then the Domo token). */
export function presentedKeys(headers: Readonly<Record<string, string | string[] | undefined>>): {
  apiKey: string | undefined;
  appKey: string | undefined;
} {
  const api = headers[KeyHeaders.apiKey];
  const app = headers[KeyHeaders.appKey];
  if (typeof api === 'string' || typeof app === 'string') {
    return { apiKey: typeof api === 'string' ? api : undefined, appKey: typeof app === 'string' ? app : undefined };
  }
  const token = headers[KeyHeaders.domoToken];
  if (typeof token === 'string') {
    const colon = token.indexOf(':');
    if (colon > 0) return { apiKey: token.slice(0, colon), appKey: token.slice(colon + 1) };
  }
  return { apiKey: undefined, appKey: undefined };
}

/** 403 for a request without a valid key pair (Datadog answers 403, not 401). */
export function forbiddenKeys(present: boolean): RestError {
  return new RestError(
    403,
    'FORBIDDEN',
    present
      ? 'The API key or application key is not valid.'
      : 'Send an API key and an application key: headers DD-API-KEY and DD-APPLICATION-KEY (or X-DOMO-Developer-Token: <apiKey>:<appKey>).',
  );
}

/** 403 for a valid key pair that lacks the scope a route needs. */
export function missingScope(scope: Scope): RestError {
  return new RestError(403, 'FORBIDDEN', `This key pair lacks the scope "${scope}" that the request needs.`);
}
