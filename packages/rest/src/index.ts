// Public API of @flowspec/rest. Named exports only.
export { flowspecRest, DEFAULT_BODY_LIMIT } from './plugin.js';
export type { FlowspecRestOptions } from './plugin.js';
export { createServer, createLogger } from './server.js';
export type { ServerOptions } from './server.js';
export { createKeyring, Scopes } from './auth.js';
export type { ApiKeyEntry, Keyring, Principal, Scope } from './auth.js';
export { Permissions } from './access.js';
export type { Permission } from './access.js';
export { httpStatusByCode, restCodeOf } from './status-map.js';
export { RestError } from './errors.js';
export type { ErrorBody, ErrorItem, ErrorSource } from './errors.js';
export { MAX_WORKFLOW_PAGE } from './routes/workflows.js';
export { MAX_INSTANCE_PAGE } from './routes/instances.js';
