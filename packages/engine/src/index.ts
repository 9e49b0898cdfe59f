// Public API of @flowspec/engine. Named exports only.
export { createEngine } from './engine.js';
export type {
  Engine,
  EngineOptions,
  CreateWorkflowInput,
  UpdateWorkflowInput,
  WorkflowView,
  ExecuteOptions,
  ExecuteResult,
  InstanceView,
  StepView,
} from './engine.js';
export { ErrorCodes, StepErrorCodes, FlowspecError, jsonPointer } from './errors.js';
export type { ErrorCode, StepErrorCode, Diagnostic, StepError } from './errors.js';
export type * from './spec/types.js';
export { CompletionOperators, SchemaTypes } from './spec/types.js';
export { validateSpec, validateWorkflowAttributes } from './spec/validate.js';
export type { ValidateOptions, ValidationResult } from './spec/validate.js';
export { compileSpec, parseIntervalMs } from './compile/compile-spec.js';
export type { Plan } from './compile/plan.js';
export { checkInput } from './compile/input.js';
export { advance } from './runtime/advance.js';
export type { RuntimeEvent, Command } from './runtime/advance.js';
export { createState } from './runtime/state.js';
export type { InstanceState } from './runtime/state.js';
export type { EngineEvents, EngineEventName } from './runtime/events.js';
export { actionResult, ActionResult, ActionError } from './actions/types.js';
export type { ActionHandler, ActionContext, ActionDefinition } from './actions/types.js';
export { BuiltinActionIds } from './actions/builtin/index.js';
export type { BuiltinActionOptions } from './actions/builtin/index.js';
export { silentLogger } from './logger.js';
export type { Logger } from './logger.js';
export * from './store/types.js';
export { createMemoryStore } from './store/memory-store.js';
export type { MemoryStoreOptions } from './store/memory-store.js';
export { createSimulatedClock } from './runtime/simulated-clock.js';
export type { SimulatedClock } from './runtime/simulated-clock.js';
export { systemClock } from './runtime/system-clock.js';
export type { Clock, TimerHandle } from './runtime/clock.js';
export type { ScheduleOptions, CatchUpPolicy } from './runtime/scheduler.js';
export { CatchUpPolicies } from './runtime/scheduler.js';
export type { DstPolicy, SkippedTimePolicy, RepeatedTimePolicy } from './schedule/next-occurrence.js';
export { SkippedTimePolicies, RepeatedTimePolicies } from './schedule/next-occurrence.js';
export { LeaseTable } from './store/lease-table.js';
