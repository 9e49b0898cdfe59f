/**
 * Types of the Datadog Workflow Automation spec format (`data.attributes.spec`),
 * field for field as the official API clients define them. Validation
 * (`validateSpec`) checks an `unknown` document against these shapes.
 */

/** Any JSON value. */
export type Json = null | boolean | number | string | readonly Json[] | { readonly [key: string]: Json };

/** A workflow spec. */
export interface Spec {
  readonly steps?: readonly Step[];
  readonly triggers?: readonly Trigger[];
  readonly inputSchema?: InputSchema;
  readonly outputSchema?: OutputSchema;
  readonly connectionEnvs?: readonly ConnectionEnv[];
  readonly handle?: string;
  readonly annotations?: readonly Annotation[];
}

export interface Step {
  readonly name: string;
  readonly actionId: string;
  readonly parameters?: readonly Parameter[];
  readonly outboundEdges?: readonly OutboundEdge[];
  readonly completionGate?: CompletionGate;
  readonly errorHandlers?: readonly ErrorHandler[];
  readonly readinessGate?: ReadinessGate;
  readonly connectionLabel?: string;
  readonly display?: StepDisplay;
}

export interface Parameter {
  readonly name: string;
  readonly value: unknown;
}

export interface OutboundEdge {
  readonly nextStepName: string;
  readonly branchName: string;
}

export const CompletionOperators = [
  'OPERATOR_EQUAL',
  'OPERATOR_NOT_EQUAL',
  'OPERATOR_GREATER_THAN',
  'OPERATOR_LESS_THAN',
  'OPERATOR_GREATER_THAN_OR_EQUAL_TO',
  'OPERATOR_LESS_THAN_OR_EQUAL_TO',
  'OPERATOR_CONTAINS',
  'OPERATOR_DOES_NOT_CONTAIN',
  'OPERATOR_IS_NULL',
  'OPERATOR_IS_NOT_NULL',
  'OPERATOR_IS_EMPTY',
  'OPERATOR_IS_NOT_EMPTY',
] as const;
export type CompletionOperator = (typeof CompletionOperators)[number];

export interface CompletionCondition {
  readonly operand1: unknown;
  readonly operand2?: unknown;
  readonly operator: CompletionOperator;
}

export interface RetryStrategyLinear {
  /** `"<number>s"`, e.g. `"30s"` or `"0.5s"`. */
  readonly interval: string;
  readonly maxRetries: number;
}

export interface RetryStrategy {
  readonly kind: 'RETRY_STRATEGY_LINEAR';
  readonly linear: RetryStrategyLinear;
}

export interface CompletionGate {
  readonly completionCondition: CompletionCondition;
  readonly retryStrategy: RetryStrategy;
}

export interface ErrorHandler {
  readonly fallbackStepName: string;
  readonly retryStrategy: RetryStrategy;
}

export interface ReadinessGate {
  readonly thresholdType: 'ANY' | 'ALL';
}

export interface StepDisplay {
  readonly bounds?: { readonly x?: number; readonly y?: number; readonly width?: number; readonly height?: number };
}

export interface RateLimit {
  readonly count: number;
  /** `"<number>s"`. */
  readonly interval: string;
}

export interface ScheduleTriggerBody {
  readonly rruleExpression: string;
  readonly overlapBehavior?: 'EXCLUSIVE_RUN' | 'OVERLAP_ALLOWED';
}

/**
 * A trigger: `startStepNames` plus exactly one `<kind>Trigger` key. Known kinds
 * are typed; unknown kinds are kept and returned unchanged.
 */
export interface Trigger {
  readonly startStepNames?: readonly string[];
  readonly apiTrigger?: { readonly rateLimit?: RateLimit };
  readonly workflowTrigger?: Record<string, never>;
  readonly scheduleTrigger?: ScheduleTriggerBody;
  readonly [kind: `${string}Trigger`]: unknown;
}

export const SchemaTypes = [
  'STRING',
  'NUMBER',
  'BOOLEAN',
  'OBJECT',
  'ARRAY_STRING',
  'ARRAY_NUMBER',
  'ARRAY_BOOLEAN',
  'ARRAY_OBJECT',
] as const;
export type SchemaType = (typeof SchemaTypes)[number];

export interface InputSchemaParameter {
  readonly name: string;
  readonly type: SchemaType;
  readonly defaultValue?: unknown;
  readonly allowedValues?: unknown;
  readonly allowExtraValues?: boolean;
  readonly description?: string;
  readonly label?: string;
}

export interface InputSchema {
  readonly parameters?: readonly InputSchemaParameter[];
}

export interface OutputSchemaParameter {
  readonly name: string;
  readonly type: SchemaType;
  readonly value?: unknown;
  readonly defaultValue?: unknown;
  readonly description?: string;
  readonly label?: string;
  readonly allowExtraValues?: boolean;
  readonly allowedValues?: unknown;
}

export interface OutputSchema {
  readonly parameters?: readonly OutputSchemaParameter[];
}

export interface ConnectionEnv {
  readonly env: string;
  readonly connections?: readonly { readonly connectionId: string; readonly label: string }[];
  readonly connectionGroups?: readonly {
    readonly connectionGroupId: string;
    readonly label: string;
    readonly tags?: readonly string[];
  }[];
}

export interface Annotation {
  readonly id: string;
  readonly display: { readonly bounds?: Record<string, number> };
  readonly markdownTextAnnotation: { readonly text?: string };
}
