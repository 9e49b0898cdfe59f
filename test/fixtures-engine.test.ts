/**
 * The recorded Datadog specs run through the public engine API: each is accepted by a strict engine
 * (unknown action ids refused) once stubs are registered for its non-built-in actions, and each of its
 * triggers starts an instance that runs to SUCCEEDED on the simulated clock.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BuiltinActionIds, createEngine, createMemoryStore, createSimulatedClock } from '@flowspec/engine';
import type { Engine, FlowspecError } from '@flowspec/engine';
import { describe, expect, it } from 'vitest';

const dir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'shared', 'fixtures', 'datadog');
const INVALID = 'tf-test-invalid-unknown-top-level-field.json';

interface FixtureSpec {
  steps?: { name: string; actionId: string }[];
  triggers?: Record<string, unknown>[];
}

const specs = readdirSync(dir)
  .filter((f) => f.endsWith('.json') && !f.startsWith('response-'))
  .map((file) => ({ file, spec: JSON.parse(readFileSync(join(dir, file), 'utf8')) as FixtureSpec }));

const builtins = new Set<string>(Object.values(BuiltinActionIds));

function strictEngine(
  spec: FixtureSpec,
  calls: string[],
): { engine: Engine; clock: ReturnType<typeof createSimulatedClock> } {
  const clock = createSimulatedClock();
  const actions: Record<string, (p: Readonly<Record<string, unknown>>, ctx: { stepName: string }) => unknown> = {};
  for (const step of spec.steps ?? []) {
    if (!builtins.has(step.actionId)) {
      actions[step.actionId] = (_p, ctx) => {
        calls.push(ctx.stepName);
        return { stub: true };
      };
    }
  }
  const fetch = (async () =>
    new Response(JSON.stringify({ ok: true }), {
      status: 200,
      headers: { 'content-type': 'application/json' },
    })) as typeof globalThis.fetch;
  const engine = createEngine({
    store: createMemoryStore(),
    clock,
    strictActions: true,
    actions,
    builtins: { http: { fetch } },
  });
  return { engine, clock };
}

describe('Datadog fixture specs through the engine', () => {
  it('finds the fixture specs', () => {
    expect(specs.length).toBeGreaterThanOrEqual(8);
  });

  for (const { file, spec } of specs) {
    if (file === INVALID) {
      it(`${file}: refused with FSP_ERR_SPEC_UNKNOWN_KEY at /spec/foo`, async () => {
        const { engine } = strictEngine(spec, []);
        const err = (await engine.createWorkflow({ name: file, spec }).catch((e: unknown) => e)) as FlowspecError;
        expect(err.code).toBe('FSP_ERR_SPEC_INVALID');
        expect(err.diagnostics.filter((d) => d.severity === 'error').map((d) => [d.code, d.pointer])).toEqual([
          ['FSP_ERR_SPEC_UNKNOWN_KEY', '/spec/foo'],
        ]);
      });
      continue;
    }
    it(`${file}: accepted by a strict engine, and every trigger runs it to success`, async () => {
      const calls: string[] = [];
      const { engine, clock } = strictEngine(spec, calls);
      const wf = await engine.createWorkflow({ name: file, spec });
      for (const trigger of spec.triggers ?? []) {
        const kind = Object.keys(trigger).find((k) => k.endsWith('Trigger'))!;
        const source = { type: kind.replace(/Trigger$/, ''), url: 'https://example.com/x', monitor: { name: 'm' } };
        const { instanceId } = await engine.execute(wf.id, {}, { trigger: kind, source });
        let done = false;
        const finished = engine.waitFor(instanceId).then((v) => ((done = true), v));
        for (let i = 0; !done && i < 100; i++) await clock.advanceBy(60_000);
        const view = await finished;
        expect(view.error).toBeNull();
        expect(view.status).toBe('SUCCEEDED');
        for (const s of view.steps) expect(['SUCCEEDED', 'SKIPPED']).toContain(s.status);
        const starts = (trigger.startStepNames as string[] | undefined) ?? [];
        for (const name of starts) expect(view.steps.find((s) => s.name === name)?.status).toBe('SUCCEEDED');
      }
      await engine.stop();
    });
  }
});
