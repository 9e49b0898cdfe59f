// REST server throughput on SQLite: execute requests per second and their p50/p99 latency for a
// 3-step noop workflow (apiTrigger, published), then GET instance requests per second, at 50
// concurrent connections (autocannon). The server is the real process `npm start` runs
// (packages/cli/dist/main.js) on a fresh SQLite file; autocannon runs in this process.
// Usage: node rest.mjs [durationSeconds=10] [connections=50]
// FLOWSPEC_SQLITE_SYNCHRONOUS=NORMAL measures without an fsync per group commit.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { chainSpec } from '../lib.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const main = join(here, '..', '..', 'packages', 'cli', 'dist', 'main.js');
const duration = Number(process.argv[2] ?? 10);
const connections = Number(process.argv[3] ?? 50);
const API_KEY = 'bench-api-key-0000000000000000';
const APP_KEY = 'bench-app-key-0000000000000000000000000';
const headers = { 'dd-api-key': API_KEY, 'dd-application-key': APP_KEY, 'content-type': 'application/json' };

const dir = mkdtempSync(join(tmpdir(), 'flowspec-bench-rest-'));
const server = spawn(process.execPath, [main], {
  env: {
    PATH: process.env.PATH ?? '',
    PORT: '0',
    HOST: '127.0.0.1',
    DATABASE_URL: process.env.BENCH_DATABASE_URL ?? join(dir, 'bench.db'),
    FLOWSPEC_API_KEY: API_KEY,
    FLOWSPEC_APP_KEY: APP_KEY,
    LOG_LEVEL: 'info', // the default; requests are logged at debug, so this costs nothing per request
    FLOWSPEC_SQLITE_SYNCHRONOUS: process.env.FLOWSPEC_SQLITE_SYNCHRONOUS ?? 'FULL',
  },
  stdio: ['ignore', 'pipe', 'inherit'],
});
let out = '';
server.stdout.on('data', (c) => (out += c));

try {
  // The "listening" log line carries the URL (PORT=0: the OS picks a free port).
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start: ${out}`)), 20_000);
    server.once('exit', (code) => reject(new Error(`server exited with ${code}: ${out}`)));
    const poll = setInterval(() => {
      const m = /"url":"(http:\/\/[^"]+)"/.exec(out);
      if (m) {
        clearInterval(poll);
        clearTimeout(timer);
        resolve(m[1]);
      }
    }, 20);
  });

  const call = async (method, path, body) => {
    const res = await fetch(url + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return JSON.parse(text);
  };

  const spec = chainSpec(3);
  spec.triggers = [{ startStepNames: ['S0'], apiTrigger: {} }];
  const wf = await call('POST', '/api/v2/workflows', {
    data: { type: 'workflows', attributes: { name: 'bench', spec } },
  });
  const workflowId = wf.data.id;
  const executePath = `/api/v2/workflows/${workflowId}/instances`;
  const executeBody = JSON.stringify({ meta: { payload: {} } });

  const run = (opts) =>
    new Promise((resolve, reject) => {
      autocannon({ connections, headers, ...opts, url: url + opts.path }, (err, result) =>
        err ? reject(err) : resolve(result),
      );
    });

  // Warm-up (JIT, SQLite page cache), not measured.
  await run({ method: 'POST', path: executePath, body: executeBody, duration: 2 });
  const execute = await run({ method: 'POST', path: executePath, body: executeBody, duration });

  // Every accepted execute is a stored instance that runs to SUCCEEDED.
  const first = await call('POST', executePath, { meta: { payload: {} } });
  const instancePath = `${executePath}/${first.data.id}`;
  let done;
  for (let i = 0; i < 500; i++) {
    done = await call('GET', instancePath);
    if (done.data.attributes.instanceStatus.detailsKind === 'SUCCEEDED') break;
    await new Promise((r) => setTimeout(r, 10));
  }
  if (done.data.attributes.steps.length !== 3 || done.data.attributes.instanceStatus.detailsKind !== 'SUCCEEDED') {
    throw new Error(`instance did not succeed: ${JSON.stringify(done.data.attributes)}`);
  }
  const list = await call('GET', `${executePath}?page[size]=1`);

  await run({ method: 'GET', path: instancePath, duration: 2 });
  const get = await run({ method: 'GET', path: instancePath, duration });

  const failures = execute.errors + execute.non2xx + get.errors + get.non2xx;
  if (failures > 0)
    throw new Error(
      `${failures} failed requests: ${JSON.stringify({ e: [execute.errors, execute.non2xx, execute.statusCodeStats], g: [get.errors, get.non2xx, get.statusCodeStats] })}`,
    );
  process.stdout.write(
    JSON.stringify({
      scenario: 'rest-sqlite',
      connections,
      durationS: duration,
      executeRps: execute.requests.average,
      executeP50: execute.latency.p50,
      executeP99: execute.latency.p99,
      executeTotal: execute.requests.total,
      instancesStored: list.meta.page.totalCount,
      succeededCount: list.meta.succeededCount,
      getRps: get.requests.average,
      getP50: get.latency.p50,
      getP99: get.latency.p99,
    }) + '\n',
  );
} finally {
  server.kill('SIGTERM');
  await new Promise((r) => server.once('exit', r));
  rmSync(dir, { recursive: true, force: true });
}
