/**
 * The server's configuration, read from the environment (REST.md "Starting
 * it"). Every problem is reported at once, naming the variable and what it
 * takes.
 */
import { isAbsolute, resolve } from 'node:path';

/** Where the data lives, from DATABASE_URL. */
export type DatabaseTarget =
  | { readonly kind: 'sqlite'; readonly path: string }
  | { readonly kind: 'memory' }
  | { readonly kind: 'postgres'; readonly url: string };

/** The configuration of `flowspec serve`. */
export interface ServeConfig {
  /** @default 8080 */
  readonly port: number;
  /** @default '127.0.0.1' */
  readonly host: string;
  /** @default sqlite at ./data/flowspec.db */
  readonly database: DatabaseTarget;
  /** FLOWSPEC_API_KEY + FLOWSPEC_APP_KEY: one admin pair. */
  readonly adminPair: { readonly apiKey: string; readonly appKey: string } | null;
  /** FLOWSPEC_KEYS_FILE: absolute path of a JSON list of key pairs. */
  readonly keysFile: string | null;
  /** FLOWSPEC_HTTP_ALLOWED_HOSTS: hosts the HTTP action may reach; null means no restriction. */
  readonly httpAllowedHosts: readonly string[] | null;
  /** FLOWSPEC_BODY_LIMIT in bytes. @default 5 MiB */
  readonly bodyLimit: number;
  /** LOG_LEVEL. @default 'info' */
  readonly logLevel: string;
  /**
   * FLOWSPEC_SQLITE_SYNCHRONOUS: `FULL` fsyncs every group commit (survives power loss); `NORMAL`
   * survives a crash of the process, not of the machine, and skips the fsync.
   * @default 'FULL'
   */
  readonly sqliteSynchronous: 'FULL' | 'NORMAL';
}

/** A configuration problem; the message lists every one. */
export class ConfigError extends Error {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
const DEFAULT_DATABASE = './data/flowspec.db';
const DEFAULT_BODY_LIMIT = 5 * 1024 * 1024;

/** Read DATABASE_URL: a SQLite path or `sqlite:PATH`, `:memory:`, or `postgres://…`. */
export function parseDatabaseUrl(raw: string | undefined, cwd: string): DatabaseTarget {
  const value = (raw ?? '').trim() || DEFAULT_DATABASE;
  if (/^postgres(ql)?:\/\//i.test(value)) return { kind: 'postgres', url: value };
  let path = value;
  // sqlite:PATH, sqlite://relative/path, sqlite:///absolute/path
  if (/^sqlite:/i.test(path)) path = path.slice('sqlite:'.length).replace(/^\/\//, '') || DEFAULT_DATABASE;
  if (path === ':memory:') return { kind: 'memory' };
  return { kind: 'sqlite', path: isAbsolute(path) ? path : resolve(cwd, path) };
}

/** `5242880`, `512kb`, `5mb` (KiB/MiB) -> bytes; undefined when malformed. */
export function parseByteSize(raw: string): number | undefined {
  const m = /^\s*(\d+)\s*(b|kb|kib|k|mb|mib|m)?\s*$/i.exec(raw);
  if (!m) return undefined;
  const unit = (m[2] ?? 'b').toLowerCase();
  const factor = unit.startsWith('k') ? 1024 : unit.startsWith('m') ? 1024 * 1024 : 1;
  const n = Number(m[1]) * factor;
  return Number.isSafeInteger(n) && n > 0 ? n : undefined;
}

/** Read the configuration from `env` (relative paths resolve against `cwd`). */
export function readConfig(
  env: Readonly<Record<string, string | undefined>>,
  cwd: string = process.cwd(),
): ServeConfig {
  const problems: string[] = [];
  const set = (name: string): string | undefined => {
    const v = env[name];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  };

  let port = 8080;
  const rawPort = set('PORT');
  if (rawPort !== undefined) {
    port = /^\d+$/.test(rawPort) ? Number(rawPort) : NaN;
    if (!Number.isInteger(port) || port < 0 || port > 65535)
      problems.push(`PORT must be a port number 0-65535, got "${rawPort}".`);
  }

  const host = set('HOST') ?? '127.0.0.1';
  const database = parseDatabaseUrl(env['DATABASE_URL'], cwd);

  const apiKey = set('FLOWSPEC_API_KEY');
  const appKey = set('FLOWSPEC_APP_KEY');
  let adminPair: ServeConfig['adminPair'] = null;
  if ((apiKey === undefined) !== (appKey === undefined)) {
    problems.push('Set both FLOWSPEC_API_KEY and FLOWSPEC_APP_KEY (one admin key pair), or neither.');
  } else if (apiKey !== undefined && appKey !== undefined) {
    if (apiKey.length < 16 || appKey.length < 16)
      problems.push('FLOWSPEC_API_KEY and FLOWSPEC_APP_KEY must be at least 16 characters each.');
    adminPair = { apiKey, appKey };
  }

  const keysFileRaw = set('FLOWSPEC_KEYS_FILE');
  const keysFile = keysFileRaw === undefined ? null : isAbsolute(keysFileRaw) ? keysFileRaw : resolve(cwd, keysFileRaw);

  const hostsRaw = env['FLOWSPEC_HTTP_ALLOWED_HOSTS'];
  let httpAllowedHosts: string[] | null = null;
  if (hostsRaw !== undefined && hostsRaw.trim() !== '') {
    httpAllowedHosts = hostsRaw
      .split(',')
      .map((h) => h.trim())
      .filter((h) => h !== '');
    const bad = httpAllowedHosts.filter((h) => /[/\s@]/.test(h));
    if (bad.length > 0)
      problems.push(
        `FLOWSPEC_HTTP_ALLOWED_HOSTS takes host names or host:port, comma-separated (no scheme or path); got ${bad.map((b) => `"${b}"`).join(', ')}.`,
      );
  }

  let bodyLimit = DEFAULT_BODY_LIMIT;
  const limitRaw = set('FLOWSPEC_BODY_LIMIT');
  if (limitRaw !== undefined) {
    const parsed = parseByteSize(limitRaw);
    if (parsed === undefined)
      problems.push(`FLOWSPEC_BODY_LIMIT must be a size in bytes (e.g. 5242880, 512kb, 5mb), got "${limitRaw}".`);
    else bodyLimit = parsed;
  }

  const logLevel = (set('LOG_LEVEL') ?? 'info').toLowerCase();
  if (!LEVELS.includes(logLevel))
    problems.push(`LOG_LEVEL must be one of ${LEVELS.join(', ')}, got "${env['LOG_LEVEL']}".`);

  const syncRaw = (set('FLOWSPEC_SQLITE_SYNCHRONOUS') ?? 'FULL').toUpperCase();
  if (syncRaw !== 'FULL' && syncRaw !== 'NORMAL') {
    problems.push(`FLOWSPEC_SQLITE_SYNCHRONOUS must be FULL or NORMAL, got "${env['FLOWSPEC_SQLITE_SYNCHRONOUS']}".`);
  }
  const sqliteSynchronous = syncRaw === 'NORMAL' ? 'NORMAL' : 'FULL';

  if (problems.length > 0) throw new ConfigError(problems);
  return { port, host, database, adminPair, keysFile, httpAllowedHosts, bodyLimit, logLevel, sqliteSynchronous };
}
