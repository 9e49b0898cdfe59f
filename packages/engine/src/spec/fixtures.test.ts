/**
 * Every spec recorded from the real Datadog API or its clients (`../shared/fixtures/datadog`, see SOURCES.md
 * there) validates without error, except the one meant to be invalid.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { jsonPointer } from '../errors.js';
import { validateSpec } from './validate.js';

const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));
const fixturesDir = path.join(repoRoot, '..', 'shared', 'fixtures', 'datadog');
const INVALID_FIXTURE = 'tf-test-invalid-unknown-top-level-field.json';
const SPEC_KEYS = ['steps', 'triggers', 'inputSchema', 'outputSchema', 'connectionEnvs', 'handle', 'annotations'];

/** One spec found in a fixture file, with the pointer to it inside that file. */
interface FoundSpec {
  readonly file: string;
  readonly pointer: string;
  readonly spec: Record<string, unknown>;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Find the specs in one fixture document: a bare spec (the whole file), request or response bodies
 * (`…/attributes/spec`, also in `included[]` and list `data[]`), and recorded exchanges whose bodies are
 * JSON text (HAR `postData.text` / `content.text`).
 */
function findSpecs(file: string, doc: unknown): FoundSpec[] {
  if (isRecord(doc) && Object.keys(doc).some((k) => SPEC_KEYS.includes(k)) && !('data' in doc)) {
    return [{ file, pointer: '', spec: doc }];
  }
  const found: FoundSpec[] = [];
  const stack: { value: unknown; tokens: (string | number)[] }[] = [{ value: doc, tokens: [] }];
  while (stack.length > 0) {
    const { value, tokens } = stack.pop()!;
    if (typeof value === 'string' && value.trimStart().startsWith('{')) {
      try {
        for (const inner of findSpecs(file, JSON.parse(value))) {
          found.push({ ...inner, pointer: `${jsonPointer(...tokens)}(JSON text)${inner.pointer}` });
        }
      } catch {
        // Not JSON: an ordinary string.
      }
    } else if (Array.isArray(value)) {
      value.forEach((v: unknown, i) => stack.push({ value: v, tokens: [...tokens, i] }));
    } else if (isRecord(value)) {
      if (tokens[tokens.length - 1] === 'attributes' && isRecord(value['spec'])) {
        found.push({ file, pointer: jsonPointer(...tokens, 'spec'), spec: value['spec'] });
      }
      for (const [k, v] of Object.entries(value)) stack.push({ value: v, tokens: [...tokens, k] });
    }
  }
  return found;
}

const files = readdirSync(fixturesDir)
  .filter((f) => f.endsWith('.json'))
  .sort();
const specs: FoundSpec[] = files.flatMap((file) =>
  findSpecs(file, JSON.parse(readFileSync(path.join(fixturesDir, file), 'utf8')) as unknown),
);
const validSpecs = specs.filter((s) => s.file !== INVALID_FIXTURE);

function actionIdsOf(spec: Record<string, unknown>): string[] {
  const steps = Array.isArray(spec['steps']) ? (spec['steps'] as unknown[]) : [];
  return steps.filter(isRecord).map((s) => String(s['actionId']));
}
const fixtureActionIds = new Set(validSpecs.flatMap((s) => actionIdsOf(s.spec)));

describe('Datadog fixtures', () => {
  it('finds the specs of every fixture that holds one', () => {
    const filesWithSpecs = new Set(specs.map((s) => s.file));
    // Files that hold no spec at all: instance bodies without `included` spec versions.
    const withoutSpecs = files.filter((f) => !filesWithSpecs.has(f));
    expect(withoutSpecs.sort()).toEqual([
      'response-create-workflow-instance.json',
      'response-list-workflow-instances.json',
    ]);
    expect(specs.find((s) => s.file === 'response-get-workflow-instance-canceled.json')?.pointer).toBe(
      '/included/0/attributes/spec',
    );
    expect(validSpecs.length).toBeGreaterThanOrEqual(9);
  });

  for (const found of validSpecs) {
    it(`${found.file}${found.pointer} validates without error`, () => {
      const result = validateSpec(found.spec, { pointerPrefix: found.pointer });
      expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
      expect(result.ok).toBe(true);
    });

    it(`${found.file}${found.pointer} validates with knownActionIds = the fixtures' actionIds`, () => {
      const result = validateSpec(found.spec, { knownActionIds: (id) => fixtureActionIds.has(id) });
      expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    });
  }

  it('reports the unknown actionIds when the engine knows none of the fixture actions', () => {
    const lab = validSpecs.find((s) => s.file.startsWith('lab-security-signal'))!;
    const result = validateSpec(lab.spec, { knownActionIds: () => false, pointerPrefix: '/data/attributes/spec' });
    expect(result.ok).toBe(false);
    const unknown = result.diagnostics.filter((d) => d.code === 'FSP_ERR_SPEC_UNKNOWN_ACTION');
    expect(unknown).toHaveLength(actionIdsOf(lab.spec).length);
    expect(unknown[0]).toMatchObject({ severity: 'error', pointer: '/data/attributes/spec/steps/0/actionId' });
  });

  it(`${INVALID_FIXTURE} is rejected for its unknown top-level key, and for nothing else`, () => {
    const invalid = specs.filter((s) => s.file === INVALID_FIXTURE);
    expect(invalid).toHaveLength(1);
    const result = validateSpec(invalid[0]!.spec);
    expect(result.ok).toBe(false);
    expect(result.diagnostics).toHaveLength(1);
    expect(result.diagnostics[0]).toMatchObject({
      code: 'FSP_ERR_SPEC_UNKNOWN_KEY',
      severity: 'error',
      pointer: '/foo',
    });
    // Inside a request body the pointer is prefixed.
    const inBody = validateSpec(invalid[0]!.spec, { pointerPrefix: '/data/attributes/spec' });
    expect(inBody.diagnostics.map((d) => d.pointer)).toEqual(['/data/attributes/spec/foo']);
  });
});
