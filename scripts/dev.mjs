#!/usr/bin/env node
// The one entry point behind the root npm scripts. It needs only Node 20 and npm:
// pnpm is fetched through npx at a pinned version (corepack is not used), the
// workspace is installed (better-sqlite3 compiles from source), built, then the
// requested task runs.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PNPM = 'pnpm@10.34.9';
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name) => join(root, 'node_modules', '.bin', name);

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', ...opts });
  if (r.error) {
    console.error(`flowspec: could not run ${cmd}: ${r.error.message}`);
    process.exit(1);
  }
  if (r.status !== 0) {
    console.error(`flowspec: "${[cmd, ...args].join(' ')}" failed with exit code ${r.status ?? r.signal}`);
    process.exit(r.status ?? 1);
  }
}

function pnpm(args) {
  run('npx', ['--yes', PNPM, ...args], { env: { ...process.env, npm_config_nodedir: undefined } });
}

function setup() {
  pnpm(['install', '--frozen-lockfile', '--reporter=append-only']);
}

function build() {
  run(bin('tsc'), ['-b']);
}

// Tests are excluded from the package builds; this checks their types too.
function typecheckTests() {
  run(bin('tsc'), ['-p', 'tsconfig.test.json']);
}

// vitest, then one plain closing line ("N passed, N failed") that any CI reader understands.
function testAll(args) {
  const dir = mkdtempSync(join(tmpdir(), 'flowspec-test-'));
  const report = join(dir, 'vitest.json');
  const r = spawnSync(
    bin('vitest'),
    ['run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...args],
    {
      cwd: root,
      stdio: 'inherit',
    },
  );
  let summary = null;
  try {
    const json = JSON.parse(readFileSync(report, 'utf8'));
    summary =
      `${json.numPassedTests} passed, ${json.numFailedTests} failed` +
      (json.numPendingTests ? `, ${json.numPendingTests} skipped` : '');
  } catch {
    // no report: vitest failed before running anything; its exit code says so
  }
  rmSync(dir, { recursive: true, force: true });
  if (summary) console.log(`\ntests: ${summary}`);
  if (r.status !== 0) process.exit(r.status ?? 1);
}

const task = process.argv[2] ?? 'test';
const rest = process.argv.slice(3);
switch (task) {
  case 'setup':
    setup();
    break;
  case 'build':
    setup();
    build();
    break;
  case 'lint':
    run(bin('eslint'), ['--max-warnings=0', '.']);
    run(bin('prettier'), ['--check', '.']);
    break;
  case 'format':
    run(bin('prettier'), ['--write', '.']);
    break;
  case 'test':
    setup();
    build();
    typecheckTests();
    run(bin('eslint'), ['--max-warnings=0', '.']);
    run(bin('prettier'), ['--check', '.']);
    testAll(rest);
    break;
  case 'start': {
    setup();
    build();
    const main = join(root, 'packages', 'cli', 'dist', 'main.js');
    const entry = existsSync(main) ? main : join(root, 'packages', 'engine', 'dist', 'example.js');
    run(process.execPath, [entry, ...rest]);
    break;
  }
  case 'bench':
    setup();
    build();
    run(process.execPath, [join(root, 'benchmarks', 'run.mjs'), ...rest]);
    break;
  default:
    console.error(`flowspec: unknown task "${task}" (expected setup, build, lint, format, test, start, bench)`);
    process.exit(2);
}
