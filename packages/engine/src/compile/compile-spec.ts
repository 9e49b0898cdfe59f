/** compileSpec: Spec → Plan. All parsing and checking happens here, once. */
import { FlowspecError } from '../errors.js';
import type { Diagnostic } from '../errors.js';
import { compileValue } from '../expr/template.js';
import { compileCondition } from '../expr/condition.js';
import type { CompiledValue } from '../expr/types.js';
import type { RetryStrategy, Spec, Step } from '../spec/types.js';
import { validateSpec } from '../spec/validate.js';
import type { ValidateOptions } from '../spec/validate.js';
import { JoinKind } from './plan.js';
import type {
  CompiledGate,
  CompiledInputParam,
  CompiledOutputParam,
  CompiledParams,
  CompiledTrigger,
  Plan,
  RetryPolicy,
} from './plan.js';

/** Options of {@link compileSpec}. */
export type CompileOptions = Omit<ValidateOptions, 'pointerPrefix'>;

/** Parse `"<number>s"` into milliseconds (the validator has checked the shape). */
export function parseIntervalMs(interval: string): number {
  return Math.round(Number.parseFloat(interval) * 1000);
}

function retryPolicy(strategy: RetryStrategy | undefined): RetryPolicy | null {
  if (strategy === undefined) return null;
  return { intervalMs: parseIntervalMs(strategy.linear.interval), maxRetries: strategy.linear.maxRetries };
}

/** Summarise diagnostics for an exception message (the full list is on the error). */
export function summarizeDiagnostics(diagnostics: readonly Diagnostic[]): string {
  const errors = diagnostics.filter((d) => d.severity === 'error');
  const shown = errors.slice(0, 3).map((d) => `${d.pointer || '/'}: ${d.message}`);
  const more = errors.length > 3 ? ` (and ${errors.length - 3} more)` : '';
  return `${errors.length} problem(s): ${shown.join('; ')}${more}`;
}

/**
 * Validate and compile a spec. Throws FlowspecError `FSP_ERR_SPEC_INVALID`
 * carrying every diagnostic when the spec is invalid.
 */
export function compileSpec(input: unknown, options: CompileOptions = {}): Plan {
  const validation = validateSpec(input, options);
  if (!validation.ok) {
    throw new FlowspecError('FSP_ERR_SPEC_INVALID', `Invalid spec: ${summarizeDiagnostics(validation.diagnostics)}`, {
      diagnostics: validation.diagnostics,
    });
  }
  return buildPlan(input as Spec);
}

function buildPlan(spec: Spec): Plan {
  const steps: readonly Step[] = spec.steps ?? [];
  const n = steps.length;
  const indexByName = new Map<string, number>();
  steps.forEach((s, i) => indexByName.set(s.name, i));
  const resolveStep = (name: string): number => indexByName.get(name) ?? -1;

  // Edges: normal edges first per step, then fallback edges, numbered globally.
  let edgeCount = 0;
  for (const s of steps) edgeCount += (s.outboundEdges?.length ?? 0) + (s.errorHandlers?.length ?? 0);
  const edgeFrom = new Int32Array(edgeCount);
  const edgeTo = new Int32Array(edgeCount);
  const edgeBranch: (string | null)[] = new Array<string | null>(edgeCount);
  const outStart = new Int32Array(n + 1);
  const fbStart = new Int32Array(n + 1);
  const outList: number[] = [];
  const fbList: number[] = [];
  const inCount = new Int32Array(n);
  let e = 0;
  for (let s = 0; s < n; s++) {
    const step = steps[s]!;
    outStart[s] = outList.length;
    for (const edge of step.outboundEdges ?? []) {
      edgeFrom[e] = s;
      const to = resolveStep(edge.nextStepName);
      edgeTo[e] = to;
      edgeBranch[e] = edge.branchName;
      inCount[to]! += 1;
      outList.push(e++);
    }
    fbStart[s] = fbList.length;
    for (const handler of step.errorHandlers ?? []) {
      edgeFrom[e] = s;
      const to = resolveStep(handler.fallbackStepName);
      edgeTo[e] = to;
      edgeBranch[e] = null;
      inCount[to]! += 1;
      fbList.push(e++);
    }
  }
  outStart[n] = outList.length;
  fbStart[n] = fbList.length;

  const inStart = new Int32Array(n + 1);
  for (let s = 0; s < n; s++) inStart[s + 1] = inStart[s]! + inCount[s]!;
  const inEdges = new Int32Array(edgeCount);
  const fill = inStart.slice(0, n);
  for (let i = 0; i < edgeCount; i++) {
    const to = edgeTo[i]!;
    inEdges[fill[to]!] = i;
    fill[to]! += 1;
  }

  const join = new Uint8Array(n);
  const params: (CompiledParams | null)[] = [];
  const gate: (CompiledGate | null)[] = [];
  const retry: (RetryPolicy | null)[] = [];
  const handled = new Uint8Array(n);
  for (let s = 0; s < n; s++) {
    const step = steps[s]!;
    join[s] = step.readinessGate?.thresholdType === 'ANY' ? JoinKind.ANY : JoinKind.ALL;
    params.push(compileParams(step, resolveStep));
    if (step.completionGate) {
      const { condition } = compileCondition(step.completionGate.completionCondition, resolveStep);
      gate.push({ condition, retry: retryPolicy(step.completionGate.retryStrategy)! });
    } else gate.push(null);
    const handlers = step.errorHandlers ?? [];
    retry.push(retryPolicy(handlers[0]?.retryStrategy));
    handled[s] = handlers.length > 0 ? 1 : 0;
  }

  const triggers: CompiledTrigger[] = (spec.triggers ?? []).map((t) => {
    const kind = Object.keys(t).find((k) => k.endsWith('Trigger')) ?? 'unknownTrigger';
    const startSteps = Int32Array.from((t.startStepNames ?? []).map(resolveStep));
    return { kind, body: (t as Record<string, unknown>)[kind], startSteps, unreachable: unreachableFrom(startSteps) };
  });

  function unreachableFrom(starts: Int32Array): Int32Array {
    const seen = new Uint8Array(n);
    const stack = Array.from(starts);
    for (const s of stack) seen[s] = 1;
    while (stack.length > 0) {
      const s = stack.pop()!;
      for (let i = outStart[s]!; i < outStart[s + 1]!; i++) visit(edgeTo[outList[i]!]!);
      for (let i = fbStart[s]!; i < fbStart[s + 1]!; i++) visit(edgeTo[fbList[i]!]!);
    }
    function visit(t: number): void {
      if (seen[t] === 0) {
        seen[t] = 1;
        stack.push(t);
      }
    }
    const out: number[] = [];
    for (let s = 0; s < n; s++) if (seen[s] === 0) out.push(s);
    return Int32Array.from(out);
  }

  const inputSchema: CompiledInputParam[] = (spec.inputSchema?.parameters ?? []).map((p) => ({
    name: p.name,
    type: p.type,
    hasDefault: p.defaultValue !== undefined,
    defaultValue: p.defaultValue,
    allowedValues:
      Array.isArray(p.allowedValues) && p.allowExtraValues !== true ? (p.allowedValues as unknown[]) : null,
  }));
  const outputSchema: CompiledOutputParam[] = (spec.outputSchema?.parameters ?? []).map((p) => ({
    name: p.name,
    value: p.value === undefined ? null : compileValue(p.value, resolveStep).value,
    hasDefault: p.defaultValue !== undefined,
    defaultValue: p.defaultValue,
  }));

  return {
    spec,
    stepCount: n,
    names: steps.map((s) => s.name),
    actionIds: steps.map((s) => s.actionId),
    indexByName,
    edgeCount,
    edgeFrom,
    edgeTo,
    edgeBranch,
    outStart,
    outEdges: Int32Array.from(outList),
    fbStart,
    fbEdges: Int32Array.from(fbList),
    inStart,
    inEdges,
    inCount,
    join,
    params,
    gate,
    retry,
    handled,
    triggers,
    inputSchema,
    outputSchema,
  };
}

const EMPTY_PARAMS: Readonly<Record<string, unknown>> = Object.freeze({});
/** Parameter names never written into resolved parameters (SEMANTICS.md section 2). */
const UNSAFE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

function compileParams(step: Step, resolveStep: (name: string) => number): CompiledParams | null {
  const list = step.parameters ?? [];
  if (list.length === 0) return { names: [], values: [], constant: EMPTY_PARAMS };
  const names: string[] = [];
  const values: CompiledValue[] = [];
  let allConstant = true;
  for (const p of list) {
    const compiled = compileValue(p.value, resolveStep).value;
    names.push(p.name);
    values.push(compiled);
    if (!compiled.constant) allConstant = false;
  }
  let constant: Record<string, unknown> | null = null;
  if (allConstant) {
    constant = Object.create(null) as Record<string, unknown>;
    list.forEach((p) => {
      // Skipped like the driver's resolveParams skips them, whether or not a sibling has a template.
      if (!UNSAFE_KEYS.has(p.name)) constant![p.name] = p.value;
    });
    Object.freeze(constant);
  }
  return { names, values, constant };
}
