/**
 * Expressions inside a spec (step parameter values, completion conditions, output schema values): each is
 * compiled as the runtime will compile it, so a spec that validates never fails to compile. Parse problems
 * and unknown steps are reported here; the steps each expression reads are recorded for the scope rule,
 * which the graph checks apply once the whole graph is known.
 */
import type { ExprProblem } from '../expr/types.js';
import { compileValue } from '../expr/template.js';
import { quote } from './describe.js';
import type { Path } from './describe.js';
import type { ValidationContext } from './validation-context.js';

/** What compiling one value or condition found. */
export interface ExpressionFindings {
  readonly problems: readonly ExprProblem[];
  /** Indices of the steps it reads. */
  readonly stepRefs: readonly number[];
  /** `Steps.X` names that match no step. */
  readonly unknownStepRefs: readonly string[];
}

/**
 * Compile one value as the runtime will, report parse problems and unknown steps, and record the steps it
 * reads for the scope check. `reader` is -1 for output-schema values, which may read any step;
 * `selfAllowed` lets the value read its own step (completion conditions run after the step's call).
 */
export function checkExpression(
  ctx: ValidationContext,
  value: unknown,
  path: Path,
  reader: number,
  selfAllowed: boolean,
): void {
  reportExpression(ctx, compileValue(value, ctx.resolveStep), path, reader, selfAllowed);
}

/** Report what compiling an expression found, and record its step reads (see {@link checkExpression}). */
export function reportExpression(
  ctx: ValidationContext,
  result: ExpressionFindings,
  path: Path,
  reader: number,
  selfAllowed: boolean,
): void {
  for (const p of result.problems) {
    ctx.error('FSP_ERR_SPEC_EXPRESSION_SYNTAX', [...path, ...p.path], `Expression does not parse: ${p.message}.`);
  }
  for (const name of result.unknownStepRefs) {
    const suggestion = ctx.suggestStep(name);
    const hint =
      suggestion !== undefined ? ` Did you mean Steps.${suggestion}?` : ' Fix the step name in the template.';
    ctx.error(
      'FSP_ERR_SPEC_EXPRESSION_SCOPE',
      path,
      `The expression reads step ${quote(name)} which does not exist.${hint}`,
    );
  }
  if (reader < 0) return;
  for (const step of result.stepRefs) {
    if (step !== reader) ctx.addRead({ reader, step, path });
    else if (!selfAllowed) {
      const name = ctx.stepName(reader);
      ctx.error(
        'FSP_ERR_SPEC_EXPRESSION_SCOPE',
        path,
        `Step ${quote(name)} reads its own output (Steps.${name}) in its parameters, which do not exist before it runs; ` +
          'only its completion condition may read it.',
      );
    }
  }
}
