/**
 * Group commit across requests for a store that commits synchronously
 * (SQLite through better-sqlite3).
 *
 * The engine commits every turn's changes in one batch and starts nothing that
 * depends on them before the commit resolved. A synchronous commit runs in the
 * same microtask drain as the HTTP request that caused it, so under load each
 * request pays its own transaction (with `synchronous=FULL`, its own fsync).
 * Deferring the commit to `setImmediate` lets every request that arrived in
 * the same event-loop turn queue its events first: the engine's driver, which
 * waits for a pending commit before its next turn, then folds them all into
 * the next batch. One fsync covers many instances; nothing is acknowledged
 * before its commit finished, so durability is unchanged.
 */
import type { CommitBatch, CommitResult, Store } from '@flowspec/engine';

/** Wrap `store` so that `commit` runs in the next `setImmediate` turn; every other member is the store's own. */
export function deferCommits<S extends Store>(store: S): S {
  const commit = (batch: CommitBatch): Promise<CommitResult> =>
    new Promise<CommitResult>((resolve, reject) => {
      setImmediate(() => {
        try {
          Promise.resolve(store.commit(batch)).then(resolve, reject);
        } catch (err) {
          reject(err as Error);
        }
      });
    });
  const bound = new Map<PropertyKey, unknown>();
  return new Proxy(store, {
    get(target, prop) {
      if (prop === 'commit') return commit;
      const value: unknown = Reflect.get(target, prop, target);
      if (typeof value !== 'function') return value;
      // Store methods use private fields: call them on the store itself, not on the proxy.
      let fn = bound.get(prop);
      if (fn === undefined) bound.set(prop, (fn = (value as (...args: unknown[]) => unknown).bind(target)));
      return fn;
    },
  });
}
