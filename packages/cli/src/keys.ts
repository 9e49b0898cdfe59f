/**
 * The key pairs the server admits: the environment's admin pair, a keys file,
 * or (with neither) an admin pair generated at first start, stored beside the
 * database (mode 0600) and printed once.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { Scopes } from '@flowspec/rest';
import type { ApiKeyEntry } from '@flowspec/rest';
import type { ServeConfig } from './config.js';

/** The user name of the environment's and the generated admin pair. */
export const ADMIN_USER = 'admin';

/** The keys to serve with, and a pair generated just now (to print once). */
export interface LoadedKeys {
  readonly keys: readonly ApiKeyEntry[];
  /** Set only on the start that generated the pair. */
  readonly generated: { readonly apiKey: string; readonly appKey: string; readonly file: string | null } | null;
}

/** Where the generated admin pair of a database is kept: beside it. */
export function generatedKeysPath(databasePath: string): string {
  return `${databasePath}.keys.json`;
}

function adminEntry(apiKey: string, appKey: string): ApiKeyEntry {
  return { apiKey, appKey, user: ADMIN_USER, admin: true, scopes: [...Scopes] };
}

/** A fresh pair: 32 hex characters for the API key, 40 for the application key (Datadog's lengths). */
export function generateKeyPair(): { apiKey: string; appKey: string } {
  return { apiKey: randomBytes(16).toString('hex'), appKey: randomBytes(20).toString('hex') };
}

function readKeysFile(path: string): ApiKeyEntry[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`Cannot read the keys file ${path}: ${(err as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new Error(`The keys file ${path} is not JSON: ${(err as Error).message}`);
  }
  if (!Array.isArray(parsed)) {
    throw new Error(`The keys file ${path} must hold a JSON array of { apiKey, appKey, user, scopes }.`);
  }
  // Shapes are checked by createKeyring (the messages name the entry, never a key).
  return parsed as ApiKeyEntry[];
}

/**
 * Collect the key pairs: FLOWSPEC_API_KEY/APP_KEY and FLOWSPEC_KEYS_FILE
 * together; with neither, the pair stored beside the database, generated on
 * the first start. An in-memory database has nowhere to keep a pair: a fresh
 * one is generated (and printed) at every start.
 */
export function loadKeys(config: ServeConfig): LoadedKeys {
  const keys: ApiKeyEntry[] = [];
  if (config.adminPair) keys.push(adminEntry(config.adminPair.apiKey, config.adminPair.appKey));
  if (config.keysFile) keys.push(...readKeysFile(config.keysFile));
  if (keys.length > 0) return { keys, generated: null };

  if (config.database.kind !== 'sqlite') {
    const pair = generateKeyPair();
    return { keys: [adminEntry(pair.apiKey, pair.appKey)], generated: { ...pair, file: null } };
  }
  const file = generatedKeysPath(config.database.path);
  if (existsSync(file)) return { keys: readKeysFile(file), generated: null };
  const pair = generateKeyPair();
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify([adminEntry(pair.apiKey, pair.appKey)], null, 2) + '\n', {
    mode: 0o600,
    flag: 'wx',
  });
  chmodSync(file, 0o600);
  return { keys: [adminEntry(pair.apiKey, pair.appKey)], generated: { ...pair, file } };
}

/** The one-time notice of a generated pair (written to stdout once, never logged). */
export function generatedKeysNotice(generated: NonNullable<LoadedKeys['generated']>): string {
  const where =
    generated.file === null
      ? 'The database is in memory, so this pair lasts until the server stops.'
      : `It is stored in ${generated.file} (mode 600) and will not be shown again.`;
  return [
    '',
    'Flowspec generated an admin key pair (no FLOWSPEC_API_KEY/FLOWSPEC_APP_KEY or FLOWSPEC_KEYS_FILE was set).',
    where,
    `  DD-API-KEY:         ${generated.apiKey}`,
    `  DD-APPLICATION-KEY: ${generated.appKey}`,
    '',
    '',
  ].join('\n');
}
