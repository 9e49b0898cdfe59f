import { describe, expect, it } from 'vitest';
import { ConfigError, parseByteSize, parseDatabaseUrl, readConfig } from './config.js';

describe('readConfig', () => {
  it('has the documented defaults', () => {
    expect(readConfig({}, '/srv/app')).toEqual({
      port: 8080,
      host: '127.0.0.1',
      database: { kind: 'sqlite', path: '/srv/app/data/flowspec.db' },
      adminPair: null,
      keysFile: null,
      httpAllowedHosts: null,
      bodyLimit: 5 * 1024 * 1024,
      logLevel: 'info',
      sqliteSynchronous: 'FULL',
    });
  });

  it('reads every variable', () => {
    const config = readConfig(
      {
        PORT: '9000',
        HOST: '0.0.0.0',
        DATABASE_URL: 'sqlite:/var/lib/flowspec/db.sqlite',
        FLOWSPEC_API_KEY: 'k'.repeat(32),
        FLOWSPEC_APP_KEY: 'a'.repeat(40),
        FLOWSPEC_KEYS_FILE: 'keys.json',
        FLOWSPEC_HTTP_ALLOWED_HOSTS: 'api.example.com, localhost:8080 ,',
        FLOWSPEC_BODY_LIMIT: '1mb',
        LOG_LEVEL: 'DEBUG',
        FLOWSPEC_SQLITE_SYNCHRONOUS: 'normal',
      },
      '/srv/app',
    );
    expect(config).toEqual({
      port: 9000,
      host: '0.0.0.0',
      database: { kind: 'sqlite', path: '/var/lib/flowspec/db.sqlite' },
      adminPair: { apiKey: 'k'.repeat(32), appKey: 'a'.repeat(40) },
      keysFile: '/srv/app/keys.json',
      httpAllowedHosts: ['api.example.com', 'localhost:8080'],
      bodyLimit: 1024 * 1024,
      logLevel: 'debug',
      sqliteSynchronous: 'NORMAL',
    });
  });

  it('reports every problem at once', () => {
    let error: unknown;
    try {
      readConfig({
        PORT: 'eighty',
        FLOWSPEC_API_KEY: 'only-the-api-key-is-set',
        FLOWSPEC_BODY_LIMIT: 'lots',
        LOG_LEVEL: 'loud',
        FLOWSPEC_HTTP_ALLOWED_HOSTS: 'https://example.com/path',
      });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    for (const name of [
      'PORT',
      'FLOWSPEC_APP_KEY',
      'FLOWSPEC_BODY_LIMIT',
      'LOG_LEVEL',
      'FLOWSPEC_HTTP_ALLOWED_HOSTS',
    ]) {
      expect(problems).toContain(name);
    }
    expect(problems).not.toContain('only-the-api-key-is-set');
  });
});

describe('parseDatabaseUrl', () => {
  it('reads SQLite paths, sqlite: URLs, :memory: and postgres URLs', () => {
    expect(parseDatabaseUrl(undefined, '/w')).toEqual({ kind: 'sqlite', path: '/w/data/flowspec.db' });
    expect(parseDatabaseUrl('db/x.db', '/w')).toEqual({ kind: 'sqlite', path: '/w/db/x.db' });
    expect(parseDatabaseUrl('/abs/x.db', '/w')).toEqual({ kind: 'sqlite', path: '/abs/x.db' });
    expect(parseDatabaseUrl('sqlite:rel.db', '/w')).toEqual({ kind: 'sqlite', path: '/w/rel.db' });
    expect(parseDatabaseUrl('sqlite:///abs/y.db', '/w')).toEqual({ kind: 'sqlite', path: '/abs/y.db' });
    expect(parseDatabaseUrl(':memory:', '/w')).toEqual({ kind: 'memory' });
    expect(parseDatabaseUrl('sqlite::memory:', '/w')).toEqual({ kind: 'memory' });
    expect(parseDatabaseUrl('postgres://u:p@db/flowspec', '/w')).toEqual({
      kind: 'postgres',
      url: 'postgres://u:p@db/flowspec',
    });
    expect(parseDatabaseUrl('postgresql://db/flowspec', '/w').kind).toBe('postgres');
  });
});

describe('parseByteSize', () => {
  it('reads bytes, kb and mb', () => {
    expect(parseByteSize('5242880')).toBe(5242880);
    expect(parseByteSize('512kb')).toBe(512 * 1024);
    expect(parseByteSize('5MB')).toBe(5 * 1024 * 1024);
    expect(parseByteSize('0')).toBeUndefined();
    expect(parseByteSize('-1')).toBeUndefined();
    expect(parseByteSize('5 gb')).toBeUndefined();
  });
});
