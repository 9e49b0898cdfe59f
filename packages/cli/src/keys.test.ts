import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readConfig } from './config.js';
import { generatedKeysNotice, generatedKeysPath, loadKeys } from './keys.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'flowspec-keys-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('loadKeys', () => {
  it('generates an admin pair on the first start, stores it (mode 600) and reuses it after', () => {
    const config = readConfig({ DATABASE_URL: join(dir, 'sub', 'f.db') });
    const first = loadKeys(config);
    expect(first.generated).not.toBeNull();
    const file = generatedKeysPath(join(dir, 'sub', 'f.db'));
    expect(first.generated!.file).toBe(file);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(first.keys).toEqual([
      {
        apiKey: first.generated!.apiKey,
        appKey: first.generated!.appKey,
        user: 'admin',
        admin: true,
        scopes: expect.any(Array),
      },
    ]);
    expect(first.generated!.apiKey).toMatch(/^[0-9a-f]{32}$/);
    expect(first.generated!.appKey).toMatch(/^[0-9a-f]{40}$/);
    const second = loadKeys(config);
    expect(second.generated).toBeNull();
    expect(second.keys).toEqual(first.keys);
    const notice = generatedKeysNotice(first.generated!);
    expect(notice).toContain(first.generated!.apiKey);
    expect(notice).toContain(file);
  });

  it('uses the environment pair and the keys file together, generating nothing', () => {
    const keysFile = join(dir, 'keys.json');
    const entry = { apiKey: 'r'.repeat(32), appKey: 's'.repeat(40), user: 'ci', scopes: ['workflows_run'] };
    writeFileSync(keysFile, JSON.stringify([entry]));
    const loaded = loadKeys(
      readConfig({
        DATABASE_URL: join(dir, 'f.db'),
        FLOWSPEC_API_KEY: 'k'.repeat(32),
        FLOWSPEC_APP_KEY: 'a'.repeat(40),
        FLOWSPEC_KEYS_FILE: keysFile,
      }),
    );
    expect(loaded.generated).toBeNull();
    expect(loaded.keys.map((k) => k.user)).toEqual(['admin', 'ci']);
    expect(() => statSync(generatedKeysPath(join(dir, 'f.db')))).toThrow();
  });

  it('explains an unreadable or malformed keys file', () => {
    const keysFile = join(dir, 'keys.json');
    expect(() => loadKeys(readConfig({ FLOWSPEC_KEYS_FILE: keysFile }))).toThrow(/Cannot read the keys file/);
    writeFileSync(keysFile, '{ nope');
    expect(() => loadKeys(readConfig({ FLOWSPEC_KEYS_FILE: keysFile }))).toThrow(/not JSON/);
    writeFileSync(keysFile, '{}');
    expect(() => loadKeys(readConfig({ FLOWSPEC_KEYS_FILE: keysFile }))).toThrow(/JSON array/);
  });

  it('generates a fresh pair per start for an in-memory database, storing nothing', () => {
    const loaded = loadKeys(readConfig({ DATABASE_URL: ':memory:' }));
    expect(loaded.generated).toMatchObject({ file: null });
    expect(generatedKeysNotice(loaded.generated!)).toContain('in memory');
  });
});
