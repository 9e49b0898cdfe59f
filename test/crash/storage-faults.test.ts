/**
 * The SQLite store on a file system that refuses writes: a read-only directory and a full disk,
 * each simulated with a small tmpfs (mounting needs root; without it these tests are skipped, with
 * the reason printed). Every failure must be a clear FSP_ERR_STORE, and must leave no partial
 * write: what was committed before stays, the refused batch is absent, and the store works again
 * once there is room.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createEngine } from '@flowspec/engine';
import type { InstanceRecord } from '@flowspec/engine';
import { makeInstance, makeStep } from '@flowspec/testing';
import { createSqliteStore } from '@flowspec/store-sqlite';

function tryMount(dir: string, options: string): string | null {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir], { stdio: 'pipe' });
    return null;
  } catch (err) {
    return (err as { stderr?: Buffer }).stderr?.toString().trim() || String(err);
  }
}

/** Whether this process may mount a tmpfs (root in a VM or a privileged container). */
const probeDir = mkdtempSync(join(tmpdir(), 'flowspec-mount-probe-'));
const mountError = tryMount(probeDir, 'size=64k');
if (mountError === null) execFileSync('umount', [probeDir]);
rmSync(probeDir, { recursive: true, force: true });
if (mountError !== null) {
  console.warn(`storage-faults tests skipped: cannot mount a tmpfs here (${mountError})`);
}
const describeMounted = mountError === null ? describe : describe.skip;

let dir: string;

beforeEach(() => {
  if (mountError !== null) return;
  dir = mkdtempSync(join(tmpdir(), 'flowspec-fs-'));
});

afterEach(() => {
  if (mountError !== null) return;
  try {
    execFileSync('umount', ['-l', dir]);
  } catch {
    // not mounted (the test failed before mounting)
  }
  rmSync(dir, { recursive: true, force: true });
});

function sha(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

function caught(fn: () => unknown): { code?: string; message: string } {
  try {
    fn();
  } catch (err) {
    return err as { code?: string; message: string };
  }
  throw new Error('expected a throw');
}

/** Fill the file system holding `dir` until a write fails; returns the filler's path. */
function fillDisk(at: string): string {
  const filler = join(at, 'filler');
  const fd = openSync(filler, 'w');
  const chunk = Buffer.alloc(16 * 1024, 1);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  } finally {
    closeSync(fd);
  }
  // Smaller writes fill the last partial block too.
  const fd2 = openSync(filler, 'a');
  try {
    for (;;) writeSync(fd2, Buffer.alloc(512, 1));
  } catch {
    // full
  } finally {
    closeSync(fd2);
  }
  return filler;
}

function batchOf(n: number): { instances: InstanceRecord[]; steps: ReturnType<typeof makeStep>[] } {
  const instances = Array.from({ length: n }, () => makeInstance({ input: { pad: 'q'.repeat(2000) } }));
  return { instances, steps: instances.map((i) => makeStep(i.id, 0)) };
}

describeMounted('a full disk', () => {
  it('refuses a commit with a clear error, writes nothing of it, and works again once there is room', async () => {
    expect(tryMount(dir, 'size=4m')).toBeNull();
    const path = join(dir, 'flowspec.db');
    const store = createSqliteStore({ path });
    const kept = batchOf(5);
    store.commit(kept);
    const filler = fillDisk(dir);

    const refused = batchOf(300); // ~600 KB
    const err = caught(() => store.commit(refused));
    expect(err.code).toBe('FSP_ERR_STORE');
    expect(err.message).toContain('the disk is full');
    expect(err.message).toContain('rolled back');
    for (const i of kept.instances) expect(store.getInstance(i.id)).toEqual(i);
    for (const i of refused.instances.slice(0, 10)) expect(store.getInstance(i.id)).toBeUndefined();
    expect((await store.listInstances({ limit: 1, offset: 0 })).totalCount).toBe(5);

    rmSync(filler);
    store.commit(refused);
    expect((await store.listInstances({ limit: 1, offset: 0 })).totalCount).toBe(305);
    await store.close();
    const again = createSqliteStore({ path });
    expect((await again.listInstances({ limit: 1, offset: 0 })).totalCount).toBe(305);
    expect(again.getSteps(refused.instances[299]!.id)).toHaveLength(1);
    await again.close();
  });

  it('an execute on a full disk is refused and starts nothing; after freeing space it runs', async () => {
    expect(tryMount(dir, 'size=4m')).toBeNull();
    const store = createSqliteStore({ path: join(dir, 'flowspec.db') });
    const engine = createEngine({ store });
    await engine.start();
    const wf = await engine.createWorkflow({
      name: 'wf',
      spec: {
        triggers: [{ startStepNames: ['A'], workflowTrigger: {} }],
        steps: [{ name: 'A', actionId: 'com.datadoghq.core.noop' }],
      },
    });
    const filler = fillDisk(dir);
    const err = await engine
      .execute(wf.id, { pad: 'w'.repeat(100_000) })
      .catch((e: unknown) => e as { code: string; message: string });
    expect(err).toMatchObject({ code: 'FSP_ERR_STORE' });
    expect((err as { message: string }).message).toContain('disk is full');
    expect((await engine.listInstances({ workflowId: wf.id })).totalCount).toBe(0);
    rmSync(filler);
    const view = await engine.waitFor((await engine.execute(wf.id)).instanceId);
    expect(view.status).toBe('SUCCEEDED');
    await engine.stop();
    await store.close();
  });

  it('opening a new database on a full disk fails clearly and leaves no file behind', () => {
    expect(tryMount(dir, 'size=1m')).toBeNull();
    fillDisk(dir);
    const err = caught(() => createSqliteStore({ path: join(dir, 'new.db') }));
    expect(err.code).toBe('FSP_ERR_STORE');
    expect(err.message).toMatch(/disk is full|directory is read-only|cannot be opened/);
    expect(readdirSync(dir)).toEqual(['filler']);
  });
});

describeMounted('a read-only directory', () => {
  it('refuses to open an existing database there, leaving the file untouched', async () => {
    expect(tryMount(dir, 'size=4m')).toBeNull();
    const path = join(dir, 'flowspec.db');
    const store = createSqliteStore({ path });
    store.commit(batchOf(3));
    await store.close();
    const before = sha(path);
    execFileSync('mount', ['-o', 'remount,ro', dir]);
    const err = caught(() => createSqliteStore({ path }));
    expect(err.code).toBe('FSP_ERR_STORE');
    expect(err.message).toContain('read-only');
    expect(sha(path)).toBe(before);
    expect(readdirSync(dir)).toEqual(['flowspec.db']);
  });

  it('refuses to create a database there', () => {
    expect(tryMount(dir, 'size=1m,mode=0755')).toBeNull();
    execFileSync('mount', ['-o', 'remount,ro', dir]);
    const err = caught(() => createSqliteStore({ path: join(dir, 'new.db') }));
    expect(err.code).toBe('FSP_ERR_STORE');
    expect(err.message).toMatch(/read-only|cannot be opened/);
    expect(existsSync(join(dir, 'new.db'))).toBe(false);
  });
});
