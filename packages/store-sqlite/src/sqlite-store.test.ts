import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { describeStoreConformance, makeInstance, makeStep } from '@flowspec/testing';
import type { Store } from '@flowspec/engine';
import { lockFilePath, processStartOf, readHolder } from './lock.js';
import { loadMigrations, pendingMigrations } from './migrations.js';
import { DEFAULT_MAX_VALUE_BYTES, createSqliteStore, removeSqliteFiles } from './sqlite-store.js';
import type { SqliteStore } from './sqlite-store.js';
import { tempDb } from './sqlite.testkit.js';

describeStoreConformance('sqlite', async () => {
  const db = tempDb();
  const store = createSqliteStore({ path: db.path, synchronous: 'NORMAL' });
  return {
    store,
    reopen: () => Promise.resolve(createSqliteStore({ path: db.path, synchronous: 'NORMAL' })),
    cleanup: async () => {
      await store.close();
      db.remove();
    },
  };
});

function sha(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** Run `fn` and return the FlowspecError it throws. */
function thrown(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (err) {
    return err as { code: string; message: string };
  }
  throw new Error('expected a throw');
}

let db: ReturnType<typeof tempDb>;
const stores: Store[] = [];

beforeEach(() => {
  db = tempDb();
});

afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
  db.remove();
});

function open(options: { maxValueBytes?: number; synchronous?: 'NORMAL' | 'FULL' } = {}): SqliteStore {
  const store = createSqliteStore({ path: db.path, ...options });
  stores.push(store);
  return store;
}

/** Read the file with a plain connection (the store must be closed: it holds an exclusive lock). */
function inspect<T>(fn: (raw: Database.Database) => T): T {
  const raw = new Database(db.path);
  try {
    return fn(raw);
  } finally {
    raw.close();
  }
}

describe('opening a database', () => {
  it('creates the schema from the migration files, records its version, uses WAL and flowspec_ tables only', async () => {
    const store = open();
    expect(store.durable).toBe(true);
    expect(store.kind).toBe(`sqlite:${db.path}`);
    expect(store.synchronous).toBe('FULL');
    expect(store.maxValueBytes).toBe(DEFAULT_MAX_VALUE_BYTES);
    expect(store.schemaVersion).toBe(loadMigrations().length);
    await store.close();
    inspect((raw) => {
      expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
      const migrations = raw.prepare('SELECT version, name FROM flowspec_migrations ORDER BY version').all();
      expect(migrations).toEqual(loadMigrations().map((m) => ({ version: m.version, name: m.name })));
      const names = raw
        .prepare<[], string>("SELECT name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'")
        .pluck()
        .all();
      expect(names.length).toBeGreaterThan(5);
      expect(names.filter((n) => !n.startsWith('flowspec_'))).toEqual([]);
    });
  });

  it('reopening applies nothing twice and keeps the data', async () => {
    const first = open();
    const inst = makeInstance({ status: 'SUCCEEDED' });
    first.commit({ instances: [inst], steps: [makeStep(inst.id, 0)] });
    await first.close();
    const again = open();
    expect(again.getInstance(inst.id)).toEqual(inst);
    await again.close();
    inspect((raw) => expect(raw.prepare('SELECT count(*) AS n FROM flowspec_migrations').get()).toEqual({ n: 1 }));
  });

  it('refuses a database of a newer schema version, leaving the file as it was', async () => {
    await open().close();
    inspect((raw) => raw.prepare("INSERT INTO flowspec_migrations VALUES (99, '0099_future.sql', 0)").run());
    const before = sha(db.path);
    const err = thrown(() => open());
    expect(err.code).toBe('FSP_ERR_STORE');
    expect(err.message).toContain('schema version 99');
    expect(err.message).toContain('newer');
    expect(err.message).toContain('Upgrade @flowspec/store-sqlite');
    expect(err.message).toContain('not changed');
    expect(sha(db.path)).toBe(before);
    expect(existsSync(lockFilePath(db.path))).toBe(false);
  });

  it('refuses a database whose recorded migration differs from this build', async () => {
    await open().close();
    inspect((raw) => raw.prepare("UPDATE flowspec_migrations SET name = '0001_other.sql' WHERE version = 1").run());
    const err = thrown(() => open());
    expect(err.code).toBe('FSP_ERR_STORE');
    expect(err.message).toContain('0001_other.sql');
    expect(err.message).toContain('different build');
  });

  it('applies migrations in one transaction: a failing migration leaves nothing of itself', () => {
    // A table the first migration also creates makes it fail half-way through.
    inspect((raw) => raw.exec('CREATE TABLE flowspec_steps (x)'));
    const err = thrown(() => open());
    expect(err.code).toBe('FSP_ERR_STORE');
    expect(err.message).toContain('0001_init.sql');
    inspect((raw) => {
      const names = raw.prepare<[], string>("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all();
      expect(names).toEqual(['flowspec_steps']);
    });
  });

  it('refuses a file that is not a database with a clear error and writes nothing', () => {
    writeFileSync(db.path, 'this is a text file, not a database\n'.repeat(200));
    const before = sha(db.path);
    const err = thrown(() => open());
    expect(err.code).toBe('FSP_ERR_STORE');
    expect(err.message).toContain('not a SQLite database');
    expect(sha(db.path)).toBe(before);
    expect(readdirSync(db.dir)).toEqual(['flowspec.db']);
  });

  it('reports a damaged database instead of crashing', async () => {
    const store = open();
    const rows = Array.from({ length: 300 }, () => makeInstance({ input: { pad: 'z'.repeat(500) } }));
    store.commit({ instances: rows, steps: [] });
    await store.close();
    // Overwrite pages after the first one (the header stays valid).
    const bytes = readFileSync(db.path);
    bytes.fill(0xab, 4096, Math.min(bytes.length, 4096 * 40));
    writeFileSync(db.path, bytes);
    const err = thrown(() => {
      const s = open();
      s.listInstances({ limit: 1000, offset: 0 });
      for (const r of rows) s.getInstance(r.id);
    });
    expect(err.code).toBe('FSP_ERR_STORE');
    expect(err.message).toMatch(/damaged|not a SQLite database/);
  });

  it('refuses a missing directory and a directory path with clear errors', () => {
    const missing = thrown(() => createSqliteStore({ path: `${db.dir}/nope/flowspec.db` }));
    expect(missing.code).toBe('FSP_ERR_STORE');
    expect(missing.message).toContain('does not exist');
    const dir = thrown(() => createSqliteStore({ path: db.dir }));
    expect(dir.message).toContain('is a directory');
  });

  it('validates its options', () => {
    expect(thrown(() => createSqliteStore({ path: '' })).code).toBe('FSP_ERR_INVALID_ARGUMENT');
    expect(thrown(() => createSqliteStore({ path: db.path, maxValueBytes: 0 })).code).toBe('FSP_ERR_INVALID_ARGUMENT');
    expect(
      thrown(() => createSqliteStore({ path: db.path, synchronous: 'OFF' as unknown as 'FULL' })).message,
    ).toContain('NORMAL or FULL');
  });

  it('an in-memory database works and is not durable', async () => {
    const store = createSqliteStore(':memory:');
    expect(store.durable).toBe(false);
    const inst = makeInstance();
    store.commit({ instances: [inst], steps: [] });
    expect(store.getInstance(inst.id)).toEqual(inst);
    await store.close();
  });
});

describe('one process per database file', () => {
  it('refuses a second open while the first holds the file, naming the holder; close releases it', async () => {
    const first = open();
    const holder = readHolder(lockFilePath(db.path));
    expect(holder).toMatchObject({ pid: process.pid, hostname: hostname() });
    const err = thrown(() => createSqliteStore(db.path));
    expect(err.code).toBe('FSP_ERR_STORE');
    expect(err.message).toContain(`pid ${process.pid} on host "${hostname()}"`);
    expect(err.message).toContain('One engine process per database file');
    await first.close();
    expect(existsSync(lockFilePath(db.path))).toBe(false);
    await open().close();
  });

  it('takes over a stale lock file of a process that is gone, or of another host', async () => {
    await open().close();
    const stale = { pid: 2 ** 22 + 12345, hostname: hostname(), processStart: '1', openedAt: 1, token: 'old' };
    writeFileSync(lockFilePath(db.path), JSON.stringify(stale));
    const store = open();
    expect(readHolder(lockFilePath(db.path))).toMatchObject({ pid: process.pid });
    await store.close();
    writeFileSync(lockFilePath(db.path), JSON.stringify({ ...stale, pid: 1, hostname: 'elsewhere' }));
    await open().close();
  });

  it('takes over a lock file naming a live process whose start time shows it is not the holder (recycled pid)', async () => {
    const start = processStartOf(1);
    if (start === null) return; // no /proc: pids cannot be told apart from reused ones
    writeFileSync(
      lockFilePath(db.path),
      JSON.stringify({ pid: 1, hostname: hostname(), processStart: `${start}0`, openedAt: 1, token: 'x' }),
    );
    await open().close();
  });

  it('refuses when the lock file names a live process on this host, even if the OS lock is free', () => {
    const start = processStartOf(1);
    if (start === null) return;
    // Process 1 is alive: the file says it holds the database (it lost its OS lock, e.g. by an fs read).
    writeFileSync(
      lockFilePath(db.path),
      JSON.stringify({ pid: 1, hostname: hostname(), processStart: start, openedAt: Date.UTC(2026, 0, 1), token: 'y' }),
    );
    const err = thrown(() => open());
    expect(err.code).toBe('FSP_ERR_STORE');
    expect(err.message).toContain('pid 1 on host');
    expect(err.message).toContain('2026-01-01T00:00:00.000Z');
    expect(existsSync(db.path)).toBe(false); // the refused open removed the file it had created
  });
});

describe('limits and refused writes', () => {
  it('refuses a batch holding a value over maxValueBytes and writes nothing of it', () => {
    const store = open({ maxValueBytes: 100 });
    const ok = makeInstance();
    const big = makeStep(ok.id, 1, { output: { text: 'ü'.repeat(60) } }); // 120 bytes of UTF-8, 60 characters
    const err = thrown(() => store.commit({ instances: [ok], steps: [makeStep(ok.id, 0), big] }));
    expect(err.code).toBe('FSP_ERR_STORE');
    expect(err.message).toMatch(/the output of step "Step1".* is 1\d\d bytes of JSON, over the limit of 100 bytes/);
    expect(store.getInstance(ok.id)).toBeUndefined();
    expect(store.getSteps(ok.id)).toEqual([]);
    const input = thrown(() =>
      store.commit({ instances: [makeInstance({ input: { a: 'b'.repeat(200) } })], steps: [] }),
    );
    expect(input.message).toContain('the input of instance');
    store.commit({ instances: [ok], steps: [makeStep(ok.id, 0)] });
    expect(store.getSteps(ok.id)).toHaveLength(1);
  });

  it('refuses a step row of an unknown instance and rolls back the whole batch', () => {
    const store = open();
    const inst = makeInstance();
    const err = thrown(() =>
      store.commit({
        instances: [inst],
        steps: [makeStep(inst.id, 0), makeStep('00000000-0000-4000-8000-000000000000', 0)],
      }),
    );
    expect(err.code).toBe('FSP_ERR_STORE');
    expect(err.message).toContain('neither stored nor in the batch');
    expect(store.getInstance(inst.id)).toBeUndefined();
  });

  it('refuses an instance with an unknown status, and a stored instance taking a held idempotency key', () => {
    const store = open();
    const bad = makeInstance({ status: 'DONE' as unknown as 'SUCCEEDED' });
    expect(thrown(() => store.commit({ instances: [bad], steps: [] })).code).toBe('FSP_ERR_STORE');
    const a = makeInstance({ idempotencyKey: 'a' });
    const b = makeInstance({ idempotencyKey: 'b' });
    store.commit({ instances: [a, b], steps: [] });
    const err = thrown(() => store.commit({ instances: [{ ...b, idempotencyKey: 'a' }], steps: [] }));
    expect(err.message).toContain('cannot take idempotency key "a"');
    expect(store.getInstance(b.id)).toEqual(b);
  });

  it('after close every call is refused, ping answers false, close is idempotent and removes the lock file', async () => {
    const store = open();
    await store.close();
    await store.close();
    expect(store.ping()).toBe(false);
    expect(thrown(() => store.getInstance('x')).message).toContain('closed');
    expect(thrown(() => store.commit({ instances: [], steps: [] })).code).toBe('FSP_ERR_STORE');
    expect(existsSync(lockFilePath(db.path))).toBe(false);
  });

  it('writes a running instance narrowly and still replaces every column when a record changes more', () => {
    const store = open();
    const inst = makeInstance({ status: 'RUNNING', input: { a: 1 } });
    store.commit({ instances: [inst], steps: [] });
    const progressed = { ...inst, variables: { v: 1 }, startedAt: 5 };
    store.commit({ instances: [progressed], steps: [] });
    expect(store.getInstance(inst.id)).toEqual(progressed);
    const replaced = { ...progressed, input: { a: 2 }, messageName: 'm', workflowName: 'renamed' };
    store.commit({ instances: [replaced], steps: [] });
    expect(store.getInstance(inst.id)).toEqual(replaced);
    const done = { ...replaced, status: 'SUCCEEDED' as const, outputs: { o: true }, endedAt: 9 };
    store.commit({ instances: [done], steps: [makeStep(inst.id, 0)] });
    expect(store.getInstance(inst.id)).toEqual(done);
    expect(store.countInstances(inst.workflowId)).toEqual({ succeeded: 1, failed: 0, canceled: 0 });
  });
});

describe('removeSqliteFiles', () => {
  it('removes the database and its companion files', async () => {
    await open().close();
    writeFileSync(`${db.path}-wal`, '');
    removeSqliteFiles(db.path);
    expect(readdirSync(db.dir)).toEqual([]);
  });
});

describe('pendingMigrations', () => {
  const known = [
    { version: 1, name: '0001_a.sql', sql: '' },
    { version: 2, name: '0002_b.sql', sql: '' },
  ];
  it('returns what a database has not applied yet', () => {
    expect(pendingMigrations(known, [], 'x').map((m) => m.version)).toEqual([1, 2]);
    expect(pendingMigrations(known, [{ version: 1, name: '0001_a.sql' }], 'x').map((m) => m.version)).toEqual([2]);
    expect(pendingMigrations(known, known, 'x')).toEqual([]);
  });
});
