// The embedding example in the README must run as printed, against the built package.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function readmeExample(): string {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const marker = readme.indexOf('<!-- readme-example');
  expect(marker).toBeGreaterThan(0);
  const start = readme.indexOf('```ts\n', marker);
  const end = readme.indexOf('```', start + 6);
  return readme.slice(start + 6, end);
}

describe('README', () => {
  it('has a short embedding example that runs and prints what its comment says', () => {
    const code = readmeExample();
    expect(code.split('\n').length).toBeLessThanOrEqual(25);
    // Run it from inside the test package so '@flowspec/engine' resolves to the built workspace package.
    const dir = mkdtempSync(join(root, 'test', '.tmp-readme-'));
    try {
      const file = join(dir, 'example.mjs');
      writeFileSync(file, code);
      const out = execFileSync(process.execPath, [file], { cwd: dir, encoding: 'utf8', timeout: 15_000 });
      const expected = /console\.log\(.*\); \/\/ (.*)$/m.exec(code)?.[1];
      expect(expected).toBeDefined();
      expect(out.trim()).toBe(expected);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
