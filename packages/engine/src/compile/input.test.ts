import { describe, expect, it } from 'vitest';
import type { SchemaType } from '../spec/types.js';
import { compileSpec } from './compile-spec.js';
import { checkInput, matchesSchemaType } from './input.js';
import type { InputCheck } from './input.js';
import type { CompiledInputParam } from './plan.js';

function param(
  name: string,
  type: SchemaType,
  options: { defaultValue?: unknown; allowedValues?: readonly unknown[] } = {},
): CompiledInputParam {
  return {
    name,
    type,
    hasDefault: 'defaultValue' in options,
    defaultValue: options.defaultValue,
    allowedValues: options.allowedValues ?? null,
  };
}

/** The diagnostics as `[code, pointer]` pairs, failing when the check passed. */
function problems(r: InputCheck): [string, string][] {
  if (r.ok) throw new Error(`expected problems, got input ${JSON.stringify(r.input)}`);
  return r.diagnostics.map((d) => [d.code, d.pointer]);
}

function accepted(r: InputCheck): Readonly<Record<string, unknown>> {
  if (!r.ok) throw new Error(`expected the input to pass: ${JSON.stringify(r.diagnostics)}`);
  return r.input;
}

describe('matchesSchemaType', () => {
  const cases: [SchemaType, unknown[], unknown[]][] = [
    ['STRING', ['', 'x'], [1, true, null, ['x'], {}, undefined]],
    ['NUMBER', [0, -2.5, 1e300], ['1', NaN, Infinity, -Infinity, null, true, [1], undefined]],
    ['BOOLEAN', [true, false], ['true', 0, 1, null, [true]]],
    ['OBJECT', [{}, { a: 1 }, { nested: { b: [] } }], [[], null, 'x', 1, true, [{}]]],
    ['ARRAY_STRING', [[], ['a', '']], [['a', 1], 'a', {}, null, [null], [['a']]]],
    ['ARRAY_NUMBER', [[], [1, 2.5, -3]], [['1'], [NaN], [Infinity], [1, null], 1, {}]],
    ['ARRAY_BOOLEAN', [[], [true, false]], [['true'], [0], [true, null], true]],
    ['ARRAY_OBJECT', [[], [{}, { a: 1 }]], [[[]], [null], [{}, 1], {}, [['x']]]],
  ];
  for (const [type, good, bad] of cases) {
    it(`${type}: exact JSON types only`, () => {
      for (const v of good) expect(matchesSchemaType(type, v), JSON.stringify(v)).toBe(true);
      for (const v of bad) expect(matchesSchemaType(type, v), String(JSON.stringify(v))).toBe(false);
    });
  }
});

describe('checkInput', () => {
  it('accepts a value of each exact type', () => {
    const schema = [
      param('s', 'STRING'),
      param('n', 'NUMBER'),
      param('b', 'BOOLEAN'),
      param('o', 'OBJECT'),
      param('as', 'ARRAY_STRING'),
      param('an', 'ARRAY_NUMBER'),
      param('ab', 'ARRAY_BOOLEAN'),
      param('ao', 'ARRAY_OBJECT'),
    ];
    const input = { s: 'x', n: 1, b: false, o: { k: 1 }, as: ['a'], an: [1], ab: [true], ao: [{}] };
    expect(accepted(checkInput(schema, input))).toEqual(input);
  });

  it('reports each wrong type with FSP_ERR_INPUT_TYPE at the parameter pointer', () => {
    const schema = [
      param('s', 'STRING'),
      param('n', 'NUMBER'),
      param('b', 'BOOLEAN'),
      param('o', 'OBJECT'),
      param('o2', 'OBJECT'),
      param('as', 'ARRAY_STRING'),
      param('an', 'ARRAY_NUMBER'),
      param('ab', 'ARRAY_BOOLEAN'),
      param('ao', 'ARRAY_OBJECT'),
    ];
    const input = { s: 1, n: '1', b: 'true', o: [], o2: null, as: ['a', 2], an: ['1'], ab: [1], ao: [[]] };
    expect(problems(checkInput(schema, input))).toEqual([
      ['FSP_ERR_INPUT_TYPE', '/s'],
      ['FSP_ERR_INPUT_TYPE', '/n'],
      ['FSP_ERR_INPUT_TYPE', '/b'],
      ['FSP_ERR_INPUT_TYPE', '/o'],
      ['FSP_ERR_INPUT_TYPE', '/o2'],
      ['FSP_ERR_INPUT_TYPE', '/as'],
      ['FSP_ERR_INPUT_TYPE', '/an'],
      ['FSP_ERR_INPUT_TYPE', '/ab'],
      ['FSP_ERR_INPUT_TYPE', '/ao'],
    ]);
  });

  it('says what type was expected and what it got', () => {
    const r = checkInput([param('n', 'NUMBER'), param('tags', 'ARRAY_STRING')], { n: '1', tags: 'a' });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.diagnostics[0]!.message).toBe('Input parameter "n" must be a number, got "1".');
    expect(r.diagnostics[1]!.message).toBe('Input parameter "tags" must be an array of strings, got "a".');
    expect(r.diagnostics.every((d) => d.severity === 'error')).toBe(true);
  });

  it('requires parameters without a default; missing and undefined are both missing', () => {
    const schema = [param('a', 'STRING'), param('b', 'NUMBER')];
    expect(problems(checkInput(schema, {}))).toEqual([
      ['FSP_ERR_INPUT_REQUIRED', '/a'],
      ['FSP_ERR_INPUT_REQUIRED', '/b'],
    ]);
    expect(problems(checkInput(schema, { a: undefined, b: 2 }))).toEqual([['FSP_ERR_INPUT_REQUIRED', '/a']]);
  });

  it('fills defaults for missing values only, without touching the given input', () => {
    const schema = [
      param('count', 'NUMBER', { defaultValue: 3 }),
      param('name', 'STRING', { defaultValue: 'anon' }),
      param('flags', 'ARRAY_BOOLEAN', { defaultValue: [] }),
    ];
    const input = { name: 'bob' };
    const out = accepted(checkInput(schema, input));
    expect(out).toEqual({ count: 3, name: 'bob', flags: [] });
    expect(out).not.toBe(input);
    expect(input).toEqual({ name: 'bob' });
    // A given value is type-checked even when there is a default.
    expect(problems(checkInput(schema, { count: '4' }))).toEqual([['FSP_ERR_INPUT_TYPE', '/count']]);
  });

  it('passes undeclared keys through', () => {
    const schema = [param('a', 'STRING', { defaultValue: 'x' })];
    expect(accepted(checkInput(schema, { extra: [1, { z: true }], other: null }))).toEqual({
      a: 'x',
      extra: [1, { z: true }],
      other: null,
    });
  });

  it('returns the input itself when the schema is empty', () => {
    const input = { anything: 1 };
    expect(accepted(checkInput([], input))).toBe(input);
  });

  it('treats a missing (null or undefined) input as {}', () => {
    const schema = [param('a', 'STRING', { defaultValue: 'x' })];
    expect(accepted(checkInput(schema, null))).toEqual({ a: 'x' });
    expect(accepted(checkInput(schema, undefined))).toEqual({ a: 'x' });
    expect(accepted(checkInput([], undefined))).toEqual({});
    expect(problems(checkInput([param('r', 'NUMBER')], null))).toEqual([['FSP_ERR_INPUT_REQUIRED', '/r']]);
  });

  it('refuses an input that is not an object, with one diagnostic at the root', () => {
    for (const [input, got] of [
      [[1, 2], 'an array'],
      ['text', 'string'],
      [5, 'number'],
      [true, 'boolean'],
    ] as const) {
      const r = checkInput([param('a', 'STRING', { defaultValue: 'x' })], input);
      expect(problems(r)).toEqual([['FSP_ERR_INPUT_TYPE', '']]);
      if (!r.ok) expect(r.diagnostics[0]!.message).toContain(`got ${got}`);
    }
    // Also with an empty schema: the input must still be an object.
    expect(problems(checkInput([], []))).toEqual([['FSP_ERR_INPUT_TYPE', '']]);
  });

  it('restricts scalars to allowedValues (deep equality for objects)', () => {
    const schema = [
      param('env', 'STRING', { allowedValues: ['prod', 'dev'] }),
      param('n', 'NUMBER', { allowedValues: [1, 2] }),
      param('o', 'OBJECT', { allowedValues: [{ a: [1, 2] }] }),
    ];
    expect(accepted(checkInput(schema, { env: 'dev', n: 2, o: { a: [1, 2] } }))).toEqual({
      env: 'dev',
      n: 2,
      o: { a: [1, 2] },
    });
    const r = checkInput(schema, { env: 'qa', n: 3, o: { a: [2, 1] } });
    expect(problems(r)).toEqual([
      ['FSP_ERR_INPUT_NOT_ALLOWED', '/env'],
      ['FSP_ERR_INPUT_NOT_ALLOWED', '/n'],
      ['FSP_ERR_INPUT_NOT_ALLOWED', '/o'],
    ]);
    if (!r.ok) {
      expect(r.diagnostics[0]!.message).toBe(
        'Input parameter "env" has "qa", which is not one of the allowedValues ["prod","dev"].',
      );
    }
  });

  it('checks allowedValues per element of ARRAY_* values, with element pointers', () => {
    const schema = [
      param('tags', 'ARRAY_STRING', { allowedValues: ['a', 'b'] }),
      param('ns', 'ARRAY_NUMBER', { allowedValues: [1] }),
    ];
    expect(accepted(checkInput(schema, { tags: ['a', 'b', 'a'], ns: [] }))).toEqual({ tags: ['a', 'b', 'a'], ns: [] });
    expect(problems(checkInput(schema, { tags: ['a', 'x', 'b', 'y'], ns: [2] }))).toEqual([
      ['FSP_ERR_INPUT_NOT_ALLOWED', '/tags/1'],
      ['FSP_ERR_INPUT_NOT_ALLOWED', '/tags/3'],
      ['FSP_ERR_INPUT_NOT_ALLOWED', '/ns/0'],
    ]);
  });

  it('does not check allowedValues of a value of the wrong type (one problem per parameter)', () => {
    const schema = [param('tags', 'ARRAY_STRING', { allowedValues: ['a'] })];
    expect(problems(checkInput(schema, { tags: ['z', 1] }))).toEqual([['FSP_ERR_INPUT_TYPE', '/tags']]);
  });

  it('does not apply allowedValues to a default', () => {
    const schema = [param('env', 'STRING', { defaultValue: 'other', allowedValues: ['prod'] })];
    expect(accepted(checkInput(schema, {}))).toEqual({ env: 'other' });
  });

  it('honours allowExtraValues through the compiled schema', () => {
    const plan = compileSpec({
      triggers: [{ startStepNames: [], workflowTrigger: {} }],
      inputSchema: {
        parameters: [
          { name: 'open', type: 'ARRAY_STRING', allowedValues: ['a'], allowExtraValues: true },
          { name: 'closed', type: 'ARRAY_STRING', allowedValues: ['a'], allowExtraValues: false },
        ],
      },
    });
    expect(problems(checkInput(plan.inputSchema, { open: ['z'], closed: ['a', 'z'] }))).toEqual([
      ['FSP_ERR_INPUT_NOT_ALLOWED', '/closed/1'],
    ]);
    expect(accepted(checkInput(plan.inputSchema, { open: ['z'], closed: ['a'] }))).toEqual({
      open: ['z'],
      closed: ['a'],
    });
  });

  it('reports every problem at once, in schema order', () => {
    const schema = [
      param('a', 'STRING'),
      param('b', 'NUMBER'),
      param('c', 'STRING', { allowedValues: ['ok'] }),
      param('d', 'BOOLEAN', { defaultValue: true }),
      param('e', 'ARRAY_NUMBER', { allowedValues: [1] }),
    ];
    expect(problems(checkInput(schema, { b: 'x', c: 'no', e: [1, 2, 3] }))).toEqual([
      ['FSP_ERR_INPUT_REQUIRED', '/a'],
      ['FSP_ERR_INPUT_TYPE', '/b'],
      ['FSP_ERR_INPUT_NOT_ALLOWED', '/c'],
      ['FSP_ERR_INPUT_NOT_ALLOWED', '/e/1'],
      ['FSP_ERR_INPUT_NOT_ALLOWED', '/e/2'],
    ]);
  });

  it('escapes parameter names in pointers (RFC 6901)', () => {
    expect(problems(checkInput([param('a/b~c', 'STRING')], {}))).toEqual([['FSP_ERR_INPUT_REQUIRED', '/a~1b~0c']]);
  });

  it('fills a default named __proto__ as an own key, never as the prototype', () => {
    const schema = [param('__proto__', 'OBJECT', { defaultValue: { polluted: 1 } })];
    const out = accepted(checkInput(schema, { a: 1 }));
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect((out as { polluted?: unknown }).polluted).toBeUndefined();
    expect(Object.keys(out)).toEqual(['a', '__proto__']);
    expect(JSON.stringify(out)).toBe('{"a":1,"__proto__":{"polluted":1}}');
    // Given in JSON, the key passes through as an own key too.
    const given = accepted(checkInput(schema, JSON.parse('{"__proto__":{"b":2}}')));
    expect(Object.getPrototypeOf(given)).toBe(Object.prototype);
    expect(JSON.stringify(given)).toBe('{"__proto__":{"b":2}}');
  });

  it('does not read inherited keys as given values', () => {
    const input = Object.create({ inherited: 'x' }) as Record<string, unknown>;
    expect(problems(checkInput([param('inherited', 'STRING')], input))).toEqual([
      ['FSP_ERR_INPUT_REQUIRED', '/inherited'],
    ]);
  });
});
