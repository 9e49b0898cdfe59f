import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { closeOnSignals, serve } from './serve.js';
import type { RunningServer } from './serve.js';

let dir: string;
let server: RunningServer | undefined;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'flowspec-serve-'));
});
afterEach(async () => {
  await server?.close();
  server = undefined;
  rmSync(dir, { recursive: true, force: true });
});

const quiet = { LOG_LEVEL: 'silent', PORT: '0' };

describe('serve', () => {
  it('wires env -> SQLite store -> strict engine -> server, printing a generated pair once', async () => {
    let printed = '';
    server = await serve(
      { ...quiet, DATABASE_URL: join(dir, 'f.db') },
      { stdout: { write: (t: string) => (printed += t) } },
    );
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(server.store.kind).toBe(`sqlite:${join(dir, 'f.db')}`);
    expect(printed).toMatch(/DD-API-KEY:\s+[0-9a-f]{32}/);
    const health = await server.app.inject({ method: 'GET', url: '/healthz' });
    expect(health.json()).toEqual({ status: 'ok', store: server.store.kind });
    // strict: an unknown actionId is refused at create
    const apiKey = /DD-API-KEY:\s+(\S+)/.exec(printed)![1]!;
    const appKey = /DD-APPLICATION-KEY:\s+(\S+)/.exec(printed)![1]!;
    const res = await server.app.inject({
      method: 'POST',
      url: '/api/v2/workflows',
      headers: { 'dd-api-key': apiKey, 'dd-application-key': appKey },
      payload: {
        data: {
          type: 'workflows',
          attributes: {
            name: 'x',
            spec: {
              steps: [{ name: 'A', actionId: 'acme.unknown' }],
              triggers: [{ startStepNames: ['A'], workflowTrigger: {} }],
            },
          },
        },
      },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors[0].code).toBe('FSP_ERR_SPEC_UNKNOWN_ACTION');
    await server.close();
    server = undefined;

    let again = '';
    server = await serve(
      { ...quiet, DATABASE_URL: join(dir, 'f.db') },
      { stdout: { write: (t: string) => (again += t) } },
    );
    expect(again).toBe('');
  });

  it('refuses a PostgreSQL URL clearly until that store exists', async () => {
    await expect(serve({ ...quiet, DATABASE_URL: 'postgres://localhost/flowspec' })).rejects.toThrow(
      /PostgreSQL store is not available yet/,
    );
  });

  it('closes on SIGTERM and exits 0', async () => {
    server = await serve({ ...quiet, DATABASE_URL: ':memory:' }, { stdout: { write: () => true } });
    const exit = vi.fn();
    const before = process.listenerCount('SIGTERM');
    closeOnSignals(server, exit);
    expect(process.listenerCount('SIGTERM')).toBe(before + 1);
    const listener = process.listeners('SIGTERM').at(-1)!;
    listener('SIGTERM');
    await vi.waitFor(() => expect(exit).toHaveBeenCalledWith(0));
    process.removeListener('SIGTERM', listener);
    process.removeListener('SIGINT', process.listeners('SIGINT').at(-1)!);
    const refused = await server.app.inject({ method: 'GET', url: '/healthz' }).catch((e: Error) => e);
    expect(refused).toBeInstanceOf(Error);
    server = undefined;
  });
});
