/**
 * Spec validation (SEMANTICS.md section 1): every problem of a spec document at once, each with a
 * stable code and an RFC 6901 pointer, before anything is compiled. `compileSpec` trusts a spec that
 * passed, so every shape the compiler reads is checked. docs/reference/validation.md describes the checks.
 *
 * The work is split by area: step-checks.ts, trigger-checks.ts, schema-checks.ts and metadata-checks.ts
 * read the document field by field and collect edges, start steps and step reads on a
 * {@link ValidationContext}; graph-checks.ts then checks the graph as a whole (cycles, steps that never run,
 * the decided-before scope rule).
 *
 * Decisions:
 * - Unknown keys are errors in the spec, a step, an edge, a parameter, a gate, a condition, a retry
 *   strategy, a handler, a readinessGate, a schema, a schema entry and the known trigger bodies
 *   (`apiTrigger`, `rateLimit`, `workflowTrigger`, `scheduleTrigger`). Bodies of unknown trigger kinds,
 *   `display`, `connectionEnvs` and `annotations` are checked for types only: they are editor and
 *   platform data the engine stores without reading.
 */
import { jsonPointer } from '../errors.js';
import type { Diagnostic } from '../errors.js';
import { isRecord, jsonType } from './describe.js';
import { checkGraph } from './graph-checks.js';
import { checkAnnotations, checkConnectionEnvs } from './metadata-checks.js';
import { checkSchema } from './schema-checks.js';
import { checkStep, indexStepNames } from './step-checks.js';
import { checkTriggers } from './trigger-checks.js';
import { ValidationContext } from './validation-context.js';

/** Options of {@link validateSpec}. */
export interface ValidateOptions {
  /**
   * When given, a step whose `actionId` it returns false for is `FSP_ERR_SPEC_UNKNOWN_ACTION`.
   * @default undefined (every actionId is accepted)
   */
  readonly knownActionIds?: (id: string) => boolean;
  /**
   * Prepended to every pointer, e.g. `'/data/attributes/spec'` when the spec sits in a request body.
   * @default ''
   */
  readonly pointerPrefix?: string;
}

/** The outcome of {@link validateSpec}. */
export interface ValidationResult {
  /** True when no diagnostic has severity `error` (warnings do not make a spec invalid). */
  readonly ok: boolean;
  /** Every problem found, errors and warnings, in document order of discovery. */
  readonly diagnostics: readonly Diagnostic[];
}

const SPEC_KEYS = ['steps', 'triggers', 'inputSchema', 'outputSchema', 'connectionEnvs', 'handle', 'annotations'];
const MAX_DESCRIPTION_LENGTH = 300;

/** Keys people put in the spec that belong next to it, in the workflow attributes. */
const WORKFLOW_ATTRIBUTE_HINTS: Readonly<Record<string, string>> = {
  name: 'The workflow name is a workflow attribute next to the spec (data.attributes.name), not part of it.',
  description:
    'The description is a workflow attribute next to the spec (data.attributes.description), not part of it.',
  tags: 'Tags are a workflow attribute next to the spec (data.attributes.tags), not part of it.',
};

/**
 * Validate a spec document (`data.attributes.spec`) in full: every problem at once, each with a stable
 * code and a JSON pointer (prefixed by `options.pointerPrefix`). Warnings (unreachable steps, joins that
 * never fire) do not make the result invalid. Never throws for a bad document.
 */
export function validateSpec(spec: unknown, options: ValidateOptions = {}): ValidationResult {
  const ctx = new ValidationContext(options.pointerPrefix ?? '', options.knownActionIds);
  checkDocument(ctx, spec);
  const diagnostics = ctx.diagnostics;
  return { ok: !diagnostics.some((d) => d.severity === 'error'), diagnostics };
}

/** The areas in order; steps are indexed by name first, so edges and expressions may name later steps. */
function checkDocument(ctx: ValidationContext, spec: unknown): void {
  if (!isRecord(spec)) {
    ctx.error(
      'FSP_ERR_SPEC_TYPE',
      [],
      `The spec must be a JSON object with steps and triggers, got ${jsonType(spec)}.`,
    );
    return;
  }
  ctx.checkKeys(spec, SPEC_KEYS, [], 'the spec', WORKFLOW_ATTRIBUTE_HINTS);
  ctx.optionalString(spec, 'handle', [], 'The spec');
  const steps = ctx.array(spec['steps'], ['steps'], 'steps');
  indexStepNames(ctx, steps);
  steps.forEach((step, i) => checkStep(ctx, step, i));
  checkTriggers(ctx, spec['triggers']);
  checkSchema(ctx, spec['inputSchema'], 'inputSchema');
  checkSchema(ctx, spec['outputSchema'], 'outputSchema');
  checkConnectionEnvs(ctx, spec['connectionEnvs']);
  checkAnnotations(ctx, spec['annotations']);
  checkGraph(ctx.graph(), ctx);
}

/**
 * Validate the workflow attributes next to the spec: `name` must be a non-empty string
 * (`FSP_ERR_WORKFLOW_NAME` at `pointerPrefix + '/name'`); `description`, when given, a string of at most
 * 300 characters (`FSP_ERR_SPEC_DESCRIPTION_TOO_LONG`, or `FSP_ERR_SPEC_TYPE` for another type, at
 * `pointerPrefix + '/description'`).
 */
export function validateWorkflowAttributes(
  attrs: { name: unknown; description: unknown },
  pointerPrefix: string,
): Diagnostic[] {
  const out: Diagnostic[] = [];
  const { name, description } = attrs;
  if (typeof name !== 'string' || name.trim() === '') {
    out.push({
      code: 'FSP_ERR_WORKFLOW_NAME',
      severity: 'error',
      message:
        typeof name === 'string'
          ? 'The workflow name is empty; give the workflow a name.'
          : name === undefined
            ? 'The workflow has no name; give it one.'
            : `The workflow name must be a string, got ${jsonType(name)}.`,
      pointer: pointerPrefix + jsonPointer('name'),
    });
  }
  if (description !== undefined) {
    if (typeof description !== 'string') {
      out.push({
        code: 'FSP_ERR_SPEC_TYPE',
        severity: 'error',
        message: `The workflow description must be a string, got ${jsonType(description)}.`,
        pointer: pointerPrefix + jsonPointer('description'),
      });
    } else {
      // Characters as a person counts them (code points), not UTF-16 units.
      let length = 0;
      for (const _ of description) length++;
      if (length > MAX_DESCRIPTION_LENGTH) {
        out.push({
          code: 'FSP_ERR_SPEC_DESCRIPTION_TOO_LONG',
          severity: 'error',
          message: `The workflow description has ${length} characters; the limit is ${MAX_DESCRIPTION_LENGTH}, shorten it.`,
          pointer: pointerPrefix + jsonPointer('description'),
        });
      }
    }
  }
  return out;
}
