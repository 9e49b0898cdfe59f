import { describe, expect, it } from 'vitest';
import { FlowspecError } from '../errors.js';
import type { Diagnostic } from '../errors.js';
import { evaluateCondition } from '../expr/condition.js';
import { evaluateValue } from '../expr/template.js';
import type { EvalContext } from '../expr/types.js';
import { validateSpec } from '../spec/validate.js';
import { compileSpec, parseIntervalMs, summarizeDiagnostics } from './compile-spec.js';
import { JoinKind } from './plan.js';
import type { Plan } from './plan.js';

const retry = (interval: string, maxRetries: number) => ({
  kind: 'RETRY_STRATEGY_LINEAR',
  linear: { interval, maxRetries },
});
const edge = (nextStepName: string, branchName = 'main') => ({ nextStepName, branchName });

/**
 * Steps in spec order (index: name):
 *   0 A  start; edges A→B (main), A→C (alt); fallback A→F (30s × 2); constant parameters
 *   1 B  edge B→D; parameters with a template; completion gate (0.5s × 3)
 *   2 C  edge C→D; no parameters
 *   3 D  ANY join; edge D→E
 *   4 F  edge F→E; fallback F→G (1.5s × 0)
 *   5 E  explicit ALL join
 *   6 G  no edges
 *   7 U  reachable only from the scheduleTrigger; edge U→G
 */
const SPEC = {
  triggers: [
    { startStepNames: ['A'], apiTrigger: {} },
    { startStepNames: ['U'], scheduleTrigger: { rruleExpression: 'FREQ=DAILY' } },
    { startStepNames: ['A', 'U'], slackTrigger: { channel: 'ops' } },
  ],
  steps: [
    {
      name: 'A',
      actionId: 'act.a',
      parameters: [
        { name: 'x', value: 1 },
        { name: 'y', value: { deep: ['two'] } },
      ],
      outboundEdges: [edge('B'), edge('C', 'alt')],
      errorHandlers: [{ fallbackStepName: 'F', retryStrategy: retry('30s', 2) }],
    },
    {
      name: 'B',
      actionId: 'act.b',
      parameters: [
        { name: 'fromA', value: '{{ Steps.A.x }}' },
        { name: 'lit', value: 'plain' },
      ],
      outboundEdges: [edge('D')],
      completionGate: {
        completionCondition: { operand1: '{{ Steps.B.done }}', operand2: true, operator: 'OPERATOR_EQUAL' },
        retryStrategy: retry('0.5s', 3),
      },
    },
    { name: 'C', actionId: 'act.c', outboundEdges: [edge('D')] },
    { name: 'D', actionId: 'act.d', readinessGate: { thresholdType: 'ANY' }, outboundEdges: [edge('E')] },
    {
      name: 'F',
      actionId: 'act.f',
      outboundEdges: [edge('E')],
      errorHandlers: [{ fallbackStepName: 'G', retryStrategy: retry('1.5s', 0) }],
    },
    { name: 'E', actionId: 'act.e', readinessGate: { thresholdType: 'ALL' } },
    { name: 'G', actionId: 'act.g' },
    { name: 'U', actionId: 'act.u', outboundEdges: [edge('G')] },
  ],
  inputSchema: {
    parameters: [
      { name: 'user', type: 'STRING' },
      { name: 'count', type: 'NUMBER', defaultValue: 3 },
      { name: 'tags', type: 'ARRAY_STRING', allowedValues: ['a', 'b'] },
      { name: 'mode', type: 'STRING', allowedValues: ['x'], allowExtraValues: true },
      { name: 'strict', type: 'STRING', allowedValues: ['p', 'q'], allowExtraValues: false },
    ],
  },
  outputSchema: {
    parameters: [
      { name: 'out', type: 'NUMBER', value: '{{ Steps.A.x }}' },
      { name: 'fixed', type: 'STRING', defaultValue: 'd' },
    ],
  },
};

function ctx(plan: Plan, outputs: unknown[]): EvalContext {
  return {
    trigger: {},
    source: { type: 'api' },
    variables: {},
    workflowName: 'wf',
    workflowId: 'wf-1',
    instanceId: 'i-1',
    outputs,
    stepNames: plan.names,
  };
}

describe('parseIntervalMs', () => {
  it('turns "<number>s" into whole milliseconds', () => {
    expect(parseIntervalMs('30s')).toBe(30_000);
    expect(parseIntervalMs('0.5s')).toBe(500);
    expect(parseIntervalMs('1.5s')).toBe(1500);
    expect(parseIntervalMs('0s')).toBe(0);
    expect(parseIntervalMs('0.001s')).toBe(1);
    expect(parseIntervalMs('86400s')).toBe(86_400_000);
  });
});

describe('summarizeDiagnostics', () => {
  const d = (pointer: string, message: string, severity: Diagnostic['severity'] = 'error'): Diagnostic => ({
    code: 'FSP_ERR_SPEC_TYPE',
    severity,
    message,
    pointer,
  });

  it('lists up to three errors with their pointers, ignores warnings and counts the rest', () => {
    expect(summarizeDiagnostics([d('', 'root'), d('/a', 'x', 'warning'), d('/b', 'y')])).toBe(
      '2 problem(s): /: root; /b: y',
    );
    expect(summarizeDiagnostics([d('/1', 'a'), d('/2', 'b'), d('/3', 'c'), d('/4', 'd'), d('/5', 'e')])).toBe(
      '5 problem(s): /1: a; /2: b; /3: c (and 2 more)',
    );
  });
});

describe('compileSpec: graph', () => {
  const plan = compileSpec(SPEC);

  it('numbers steps in spec order and keeps names, action ids and the spec', () => {
    expect(plan.spec).toBe(SPEC);
    expect(plan.stepCount).toBe(8);
    expect(plan.names).toEqual(['A', 'B', 'C', 'D', 'F', 'E', 'G', 'U']);
    expect(plan.actionIds).toEqual(['act.a', 'act.b', 'act.c', 'act.d', 'act.f', 'act.e', 'act.g', 'act.u']);
    expect([...plan.indexByName.entries()]).toEqual([
      ['A', 0],
      ['B', 1],
      ['C', 2],
      ['D', 3],
      ['F', 4],
      ['E', 5],
      ['G', 6],
      ['U', 7],
    ]);
  });

  it('numbers edges per step: normal edges first, then fallback edges', () => {
    expect(plan.edgeCount).toBe(9);
    // e0 A→B, e1 A→C, e2 A⇢F, e3 B→D, e4 C→D, e5 D→E, e6 F→E, e7 F⇢G, e8 U→G
    expect(Array.from(plan.edgeFrom)).toEqual([0, 0, 0, 1, 2, 3, 4, 4, 7]);
    expect(Array.from(plan.edgeTo)).toEqual([1, 2, 4, 3, 3, 5, 5, 6, 6]);
    expect(plan.edgeBranch).toEqual(['main', 'alt', null, 'main', 'main', 'main', 'main', null, 'main']);
    expect(plan.edgeFrom).toBeInstanceOf(Int32Array);
    expect(plan.edgeTo).toBeInstanceOf(Int32Array);
  });

  it('builds outbound and fallback adjacency (CSR, one slot past the last step)', () => {
    expect(Array.from(plan.outStart)).toEqual([0, 2, 3, 4, 5, 6, 6, 6, 7]);
    expect(Array.from(plan.outEdges)).toEqual([0, 1, 3, 4, 5, 6, 8]);
    expect(Array.from(plan.fbStart)).toEqual([0, 1, 1, 1, 1, 2, 2, 2, 2]);
    expect(Array.from(plan.fbEdges)).toEqual([2, 7]);
    for (const e of plan.fbEdges) expect(plan.edgeBranch[e]).toBeNull();
  });

  it('builds inbound adjacency counting fallback edges', () => {
    expect(Array.from(plan.inCount)).toEqual([0, 1, 1, 2, 1, 2, 2, 0]);
    expect(Array.from(plan.inStart)).toEqual([0, 0, 1, 2, 4, 5, 7, 9, 9]);
    // Per target, in global edge order: B:[e0] C:[e1] D:[e3,e4] F:[e2] E:[e5,e6] G:[e7,e8]
    expect(Array.from(plan.inEdges)).toEqual([0, 1, 3, 4, 2, 5, 6, 7, 8]);
    for (let s = 0; s < plan.stepCount; s++) {
      for (let i = plan.inStart[s]!; i < plan.inStart[s + 1]!; i++) expect(plan.edgeTo[plan.inEdges[i]!]).toBe(s);
    }
  });

  it('sets join kinds (ALL by default), handled flags and error-handler retry policies in ms', () => {
    expect(Array.from(plan.join)).toEqual([
      JoinKind.ALL,
      JoinKind.ALL,
      JoinKind.ALL,
      JoinKind.ANY,
      JoinKind.ALL,
      JoinKind.ALL,
      JoinKind.ALL,
      JoinKind.ALL,
    ]);
    expect(Array.from(plan.handled)).toEqual([1, 0, 0, 0, 1, 0, 0, 0]);
    expect(plan.retry).toEqual([
      { intervalMs: 30_000, maxRetries: 2 },
      null,
      null,
      null,
      { intervalMs: 1500, maxRetries: 0 },
      null,
      null,
      null,
    ]);
  });

  it('compiles completion gates with their retry policy and a condition that evaluates', () => {
    expect(plan.gate.map((g) => g !== null)).toEqual([false, true, false, false, false, false, false, false]);
    const gate = plan.gate[1]!;
    expect(gate.retry).toEqual({ intervalMs: 500, maxRetries: 3 });
    const outputs: unknown[] = new Array<unknown>(plan.stepCount).fill(undefined);
    outputs[1] = { done: true };
    expect(evaluateCondition(gate.condition, ctx(plan, outputs))).toBe(true);
    outputs[1] = { done: false };
    expect(evaluateCondition(gate.condition, ctx(plan, outputs))).toBe(false);
    outputs[1] = undefined;
    expect(evaluateCondition(gate.condition, ctx(plan, outputs))).toBe(false);
  });

  it('compiles triggers with their kind, body, start steps and unreachable steps', () => {
    expect(plan.triggers).toHaveLength(3);
    const [api, schedule, custom] = plan.triggers;
    expect(api!.kind).toBe('apiTrigger');
    expect(api!.body).toEqual({});
    expect(Array.from(api!.startSteps)).toEqual([0]);
    expect(Array.from(api!.unreachable)).toEqual([7]);
    expect(schedule!.kind).toBe('scheduleTrigger');
    expect(schedule!.body).toEqual({ rruleExpression: 'FREQ=DAILY' });
    expect(Array.from(schedule!.startSteps)).toEqual([7]);
    expect(Array.from(schedule!.unreachable)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(custom!.kind).toBe('slackTrigger');
    expect(custom!.body).toEqual({ channel: 'ops' });
    expect(Array.from(custom!.startSteps)).toEqual([0, 7]);
    expect(Array.from(custom!.unreachable)).toEqual([]);
    expect(api!.startSteps).toBeInstanceOf(Int32Array);
    expect(api!.unreachable).toBeInstanceOf(Int32Array);
  });

  it('follows fallback edges when computing reachability', () => {
    const p = compileSpec({
      triggers: [{ startStepNames: ['A'], workflowTrigger: {} }],
      steps: [
        { name: 'A', actionId: 'x', errorHandlers: [{ fallbackStepName: 'Fb', retryStrategy: retry('1s', 0) }] },
        { name: 'Fb', actionId: 'x', outboundEdges: [edge('After')] },
        { name: 'After', actionId: 'x' },
        { name: 'Island', actionId: 'x', outboundEdges: [edge('Island2')] },
        { name: 'Island2', actionId: 'x' },
      ],
    });
    expect(Array.from(p.triggers[0]!.unreachable)).toEqual([3, 4]);
  });
});

describe('compileSpec: parameters', () => {
  it('builds one frozen constant object for a step whose parameters have no template', () => {
    const plan = compileSpec(SPEC);
    const p = plan.params[0]!;
    expect(p.names).toEqual(['x', 'y']);
    expect(p.constant).toEqual({ x: 1, y: { deep: ['two'] } });
    expect(Object.isFrozen(p.constant)).toBe(true);
    // The same object is handed to every call of the step (plan.params is read, never rebuilt).
    expect(plan.params[0]!.constant).toBe(p.constant);
    // A null-prototype object: no inherited keys reach a handler.
    expect(Object.getPrototypeOf(p.constant)).toBeNull();
    expect(p.values.every((v) => v.constant)).toBe(true);
    const c = ctx(plan, []);
    expect(p.values.map((v) => evaluateValue(v, c))).toEqual([1, { deep: ['two'] }]);
  });

  it('leaves __proto__, constructor and prototype out of a constant object, as out of resolved ones', () => {
    const plan = compileSpec({
      triggers: [{ startStepNames: ['A'], workflowTrigger: {} }],
      steps: [
        {
          name: 'A',
          actionId: 'x',
          parameters: [
            { name: 'constructor', value: 1 },
            { name: '__proto__', value: { polluted: true } },
            { name: 'prototype', value: 2 },
            { name: 'kept', value: 3 },
          ],
        },
      ],
    });
    const p = plan.params[0]!;
    expect(p.names).toEqual(['constructor', '__proto__', 'prototype', 'kept']);
    expect(Object.keys(p.constant!)).toEqual(['kept']);
    expect(Object.getPrototypeOf(p.constant)).toBeNull();
  });

  it('leaves constant null when a parameter holds a template, and the values evaluate', () => {
    const plan = compileSpec(SPEC);
    const p = plan.params[1]!;
    expect(p.constant).toBeNull();
    expect(p.names).toEqual(['fromA', 'lit']);
    expect(p.values.map((v) => v.constant)).toEqual([false, true]);
    const outputs: unknown[] = new Array<unknown>(plan.stepCount).fill(undefined);
    outputs[0] = { x: 42 };
    expect(p.values.map((v) => evaluateValue(v, ctx(plan, outputs)))).toEqual([42, 'plain']);
  });

  it('shares one frozen empty object between steps (and plans) without parameters', () => {
    const a = compileSpec(SPEC);
    const b = compileSpec(SPEC);
    const empty = a.params[2]!;
    expect(empty.names).toEqual([]);
    expect(empty.values).toEqual([]);
    expect(empty.constant).toEqual({});
    expect(Object.isFrozen(empty.constant)).toBe(true);
    expect(a.params[3]!.constant).toBe(empty.constant);
    expect(b.params[2]!.constant).toBe(empty.constant);
    // Constant objects with content belong to their plan.
    expect(b.params[0]!.constant).not.toBe(a.params[0]!.constant);
    expect(b.params[0]!.constant).toEqual(a.params[0]!.constant);
  });
});

describe('compileSpec: schemas', () => {
  const plan = compileSpec(SPEC);

  it('compiles the input schema: defaults, and allowedValues unless allowExtraValues', () => {
    expect(plan.inputSchema).toEqual([
      { name: 'user', type: 'STRING', hasDefault: false, defaultValue: undefined, allowedValues: null },
      { name: 'count', type: 'NUMBER', hasDefault: true, defaultValue: 3, allowedValues: null },
      { name: 'tags', type: 'ARRAY_STRING', hasDefault: false, defaultValue: undefined, allowedValues: ['a', 'b'] },
      { name: 'mode', type: 'STRING', hasDefault: false, defaultValue: undefined, allowedValues: null },
      { name: 'strict', type: 'STRING', hasDefault: false, defaultValue: undefined, allowedValues: ['p', 'q'] },
    ]);
  });

  it('compiles output values as templates and keeps defaults', () => {
    const [out, fixed] = plan.outputSchema;
    expect(out!.name).toBe('out');
    expect(out!.hasDefault).toBe(false);
    expect(out!.value).not.toBeNull();
    const outputs: unknown[] = new Array<unknown>(plan.stepCount).fill(undefined);
    outputs[0] = { x: 7 };
    expect(evaluateValue(out!.value!, ctx(plan, outputs))).toBe(7);
    expect(fixed).toEqual({ name: 'fixed', value: null, hasDefault: true, defaultValue: 'd' });
  });

  it('gives empty schemas, triggers and steps when the spec has none', () => {
    const p = compileSpec({ triggers: [{ startStepNames: [], workflowTrigger: {} }] });
    expect(p.stepCount).toBe(0);
    expect(p.edgeCount).toBe(0);
    expect(Array.from(p.outStart)).toEqual([0]);
    expect(Array.from(p.inStart)).toEqual([0]);
    expect(p.inputSchema).toEqual([]);
    expect(p.outputSchema).toEqual([]);
    expect(p.triggers[0]!.kind).toBe('workflowTrigger');
    expect(Array.from(p.triggers[0]!.unreachable)).toEqual([]);
  });
});

describe('compileSpec: invalid specs', () => {
  const BAD = {
    triggers: [{ startStepNames: ['A', 'Nope'], workflowTrigger: {} }],
    steps: [
      { name: 'A', actionId: 'x', outboundEdges: [edge('Missing')] },
      { name: 'A', actionId: 'x' },
      {
        name: 'R',
        actionId: 'x',
        errorHandlers: [{ fallbackStepName: 'A', retryStrategy: retry('soon', 1) }],
      },
    ],
  };

  function thrown(fn: () => unknown): FlowspecError {
    try {
      fn();
    } catch (e) {
      expect(e).toBeInstanceOf(FlowspecError);
      return e as FlowspecError;
    }
    throw new Error('expected a FlowspecError');
  }

  it('throws FSP_ERR_SPEC_INVALID carrying every diagnostic of the validator', () => {
    const err = thrown(() => compileSpec(BAD));
    expect(err.code).toBe('FSP_ERR_SPEC_INVALID');
    expect(err.name).toBe('FlowspecError');
    const expected = validateSpec(BAD).diagnostics;
    expect(err.diagnostics).toEqual(expected);
    const codes = err.diagnostics.map((d) => d.code);
    expect(codes).toContain('FSP_ERR_SPEC_DUPLICATE_STEP');
    expect(codes).toContain('FSP_ERR_SPEC_UNKNOWN_STEP');
    expect(codes).toContain('FSP_ERR_SPEC_RETRY_INTERVAL');
    const pointers = err.diagnostics.map((d) => d.pointer);
    expect(pointers).toContain('/steps/0/outboundEdges/0/nextStepName');
    expect(pointers).toContain('/triggers/0/startStepNames/1');
    expect(pointers).toContain('/steps/2/errorHandlers/0/retryStrategy/linear/interval');
    expect(err.message).toBe(`Invalid spec: ${summarizeDiagnostics(expected)}`);
  });

  it('throws for a document that is not a spec at all', () => {
    expect(thrown(() => compileSpec(null)).code).toBe('FSP_ERR_SPEC_INVALID');
    expect(thrown(() => compileSpec([])).diagnostics.length).toBeGreaterThan(0);
  });

  it('passes knownActionIds through to validation', () => {
    const spec = { triggers: [{ startStepNames: ['A'], workflowTrigger: {} }], steps: [{ name: 'A', actionId: 'x' }] };
    expect(compileSpec(spec).stepCount).toBe(1);
    const err = thrown(() => compileSpec(spec, { knownActionIds: (id) => id === 'y' }));
    expect(err.diagnostics.map((d) => [d.code, d.pointer])).toEqual([
      ['FSP_ERR_SPEC_UNKNOWN_ACTION', '/steps/0/actionId'],
    ]);
    expect(compileSpec(spec, { knownActionIds: (id) => id === 'x' }).stepCount).toBe(1);
  });

  it('compiles a spec that has only warnings', () => {
    const spec = {
      triggers: [{ startStepNames: ['A'], workflowTrigger: {} }],
      steps: [
        { name: 'A', actionId: 'x' },
        { name: 'Orphan', actionId: 'x' },
      ],
    };
    const v = validateSpec(spec);
    expect(v.ok).toBe(true);
    expect(v.diagnostics.map((d) => d.code)).toContain('FSP_WARN_UNREACHABLE_STEP');
    expect(Array.from(compileSpec(spec).triggers[0]!.unreachable)).toEqual([1]);
  });
});
