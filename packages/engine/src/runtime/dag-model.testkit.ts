/**
 * Test kit (not built into dist): random workflow DAGs for property tests. A model says, per step,
 * its join, edges, fallback, retries, completion-gate retries, the outcome of each attempt and the
 * branch it chooses; `toSpec` turns it into a Datadog-format spec whose steps run `test.step` with
 * parameter `i` = the step index.
 */
import fc from 'fast-check';

/** What a step does on each attempt: fail, succeed with the gate unmet, or succeed on a branch. */
export type Outcome = 'fail' | 'gateFalse' | 'ok';

export interface StepModel {
  join: 'ANY' | 'ALL' | null;
  edges: readonly { to: number; branch: string }[];
  fallback: number | null;
  retries: number;
  gateRetries: number | null;
  outcomes: Outcome[];
  branch: string;
}

export const BRANCHES = ['main', 'a', 'b'];

export const modelArb = fc.integer({ min: 1, max: 10 }).chain((n) =>
  fc.record({
    starts: fc.uniqueArray(fc.integer({ min: 0, max: n - 1 }), { minLength: 1, maxLength: Math.min(3, n) }),
    steps: fc.tuple(
      ...Array.from({ length: n }, (_, i) =>
        fc.record({
          join: fc.constantFrom<StepModel['join']>('ANY', 'ALL', null),
          edges:
            i + 1 < n
              ? fc.uniqueArray(
                  fc.record({ to: fc.integer({ min: i + 1, max: n - 1 }), branch: fc.constantFrom(...BRANCHES) }),
                  { maxLength: 3, selector: (e) => `${e.to}` },
                )
              : fc.constant<{ to: number; branch: string }[]>([]),
          fallback: i + 1 < n ? fc.option(fc.integer({ min: i + 1, max: n - 1 }), { nil: null }) : fc.constant(null),
          retries: fc.integer({ min: 0, max: 2 }),
          gateRetries: fc.option(fc.integer({ min: 0, max: 2 }), { nil: null }),
          outcomes: fc.array(fc.constantFrom<Outcome>('fail', 'gateFalse', 'ok'), { maxLength: 4 }),
          branch: fc.constantFrom(...BRANCHES),
        }),
      ),
    ),
  }),
);

export function toSpec(model: { starts: number[]; steps: StepModel[] }): unknown {
  const retry = (n: number) => ({ kind: 'RETRY_STRATEGY_LINEAR', linear: { interval: '1s', maxRetries: n } });
  return {
    triggers: [{ startStepNames: model.starts.map((i) => `S${i}`), workflowTrigger: {} }],
    steps: model.steps.map((s, i) => ({
      name: `S${i}`,
      actionId: 'test.step',
      parameters: [{ name: 'i', value: i }],
      ...(s.join ? { readinessGate: { thresholdType: s.join } } : {}),
      outboundEdges: s.edges
        .filter((e) => e.to !== s.fallback)
        .map((e) => ({ nextStepName: `S${e.to}`, branchName: e.branch })),
      ...(s.fallback !== null
        ? { errorHandlers: [{ fallbackStepName: `S${s.fallback}`, retryStrategy: retry(s.retries) }] }
        : {}),
      ...(s.gateRetries !== null
        ? {
            completionGate: {
              completionCondition: { operand1: `{{ Steps.S${i}.ok }}`, operand2: true, operator: 'OPERATOR_EQUAL' },
              retryStrategy: retry(s.gateRetries),
            },
          }
        : {}),
    })),
  };
}
