// Public API of @flowspec/testing (private package): the Store conformance suite and record builders.
export {
  describeStoreConformance,
  makeWorkflow,
  makeSpecVersion,
  makeInstance,
  makeStep,
  testUuid,
  T0,
  DEFAULT_WORKFLOW_ID,
} from './store-conformance.js';
export type { StoreFixture } from './store-conformance.js';
