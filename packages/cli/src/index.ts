// Public API of @flowspec/cli (for tests and tools; the package is the composition root, nothing
// else in the workspace imports it). Named exports only.
export { readConfig, parseDatabaseUrl, parseByteSize, ConfigError } from './config.js';
export type { ServeConfig, DatabaseTarget } from './config.js';
export { loadKeys, generatedKeysPath, generateKeyPair, generatedKeysNotice, ADMIN_USER } from './keys.js';
export type { LoadedKeys } from './keys.js';
export { serve, openStore, closeOnSignals } from './serve.js';
export { deferCommits } from './group-commit.js';
export type { RunningServer, ServeIo } from './serve.js';
