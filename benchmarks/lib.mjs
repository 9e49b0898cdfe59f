// Shared helpers of the benchmark scenarios: spec builders and timing.
import { performance } from 'node:perf_hooks';

export const NOOP = 'com.datadoghq.core.noop';

/** A linear chain of n steps of `actionId` (default: the built-in noop). */
export function chainSpec(n, actionId = NOOP) {
  const steps = [];
  for (let i = 0; i < n; i++) {
    steps.push({
      name: `S${i}`,
      actionId,
      outboundEdges: i + 1 < n ? [{ nextStepName: `S${i + 1}`, branchName: 'main' }] : [],
    });
  }
  return { triggers: [{ startStepNames: ['S0'], workflowTrigger: {} }], steps };
}

/** Start -> n noop steps in parallel -> one ALL join. */
export function fanOutSpec(n) {
  const steps = [{ name: 'Start', actionId: NOOP, outboundEdges: [] }];
  for (let i = 0; i < n; i++) {
    steps[0].outboundEdges.push({ nextStepName: `F${i}`, branchName: 'main' });
    steps.push({ name: `F${i}`, actionId: NOOP, outboundEdges: [{ nextStepName: 'Join', branchName: 'main' }] });
  }
  steps.push({ name: 'Join', actionId: NOOP, readinessGate: { thresholdType: 'ALL' } });
  return { triggers: [{ startStepNames: ['Start'], workflowTrigger: {} }], steps };
}

/** Median and spread (min, max, p25, p75) of samples in ms. */
export function stats(samples) {
  const s = [...samples].sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return { median: q(0.5), p25: q(0.25), p75: q(0.75), min: s[0], max: s[s.length - 1], runs: s.length };
}

/** Run fn `warmup` times, then `runs` times, returning per-run milliseconds. */
export async function measure(fn, { warmup, runs }) {
  for (let i = 0; i < warmup; i++) await fn();
  const samples = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    samples.push(performance.now() - t0);
  }
  return samples;
}

/**
 * `finished(instanceId)` resolves with the instance's final status, from the engine's
 * `instance:finished` event (one listener for all instances; an instance may finish before
 * anyone waits for it, e.g. a chain of pure steps inside execute()).
 */
export function finishedWaiter(engine) {
  const waiting = new Map();
  const early = new Map();
  engine.on('instance:finished', (e) => {
    const done = waiting.get(e.instanceId);
    if (done) {
      waiting.delete(e.instanceId);
      done(e.status);
    } else early.set(e.instanceId, e.status);
  });
  return (id) => {
    const status = early.get(id);
    if (status !== undefined) {
      early.delete(id);
      return Promise.resolve(status);
    }
    return new Promise((resolve) => waiting.set(id, resolve));
  };
}

/**
 * A workload name of the side-by-side benchmark as the object the adapters take:
 * chain-<n> | fanout-<n> | concurrent-<n>x<steps> | diamond-<branch> | retry-<n>x<failures> | compile-<n>
 */
export function parseWorkload(workload) {
  const [kind, size = ''] = workload.split('-');
  const [a, b] = size.split('x').map(Number);
  if (kind === 'chain' || kind === 'fanout' || kind === 'compile') return { kind, n: a };
  if (kind === 'concurrent') return { kind, n: a, steps: b };
  if (kind === 'diamond') return { kind, branch: a };
  if (kind === 'retry') return { kind, n: a, failures: b };
  throw new Error(
    `unknown workload "${workload}" (chain-N, fanout-N, concurrent-NxSTEPS, diamond-N, retry-NxFAILURES, compile-N)`,
  );
}
