// Public API of @flowspec/store-sqlite. Named exports only.
export { createSqliteStore, removeSqliteFiles, DEFAULT_MAX_VALUE_BYTES, SynchronousModes } from './sqlite-store.js';
export type { SqliteStore, SqliteStoreOptions, SqliteStoreHooks, SynchronousMode } from './sqlite-store.js';
export { MIGRATIONS_DIR } from './migrations.js';
