import { describe, expect, it, vi } from 'vitest';
import { compileValue, evaluateValue } from './template.js';
import type { EvalContext } from './types.js';

const STEP_NAMES = ['Get', 'My Step', 'Failed', 'NotRun'];

function resolveStep(name: string): number {
  return STEP_NAMES.indexOf(name);
}

const getOutput = { body: { items: [{ id: 'a1' }, { id: 'b2', n: 7 }], total: 2, ok: true, none: null } };

function makeCtx(over: Partial<EvalContext> = {}): EvalContext {
  return {
    trigger: {
      name: 'Ada',
      count: 3,
      flag: false,
      nothing: null,
      list: [1, 2, 3],
      obj: { x: 1 },
      'key with spaces': 'spaced',
      k: 'quoted',
      '0': 'zero-key',
      '01': 'padded',
      'a}}b': 'braces',
      'my-key': 'dashed',
    },
    source: { type: 'api', api: { caller: 'me' } },
    variables: { v: 'var', n: 42 },
    workflowName: 'wf name',
    workflowId: 'wf-1',
    instanceId: 'inst-1',
    outputs: [getOutput, { x: 'spaced step' }, { error: { message: 'boom', code: 'action_failed', attempts: 2 } }],
    stepNames: STEP_NAMES,
    ...over,
  };
}

/** Compile (asserting no problems) and evaluate. */
function run(value: unknown, ctx: EvalContext = makeCtx()): unknown {
  const r = compileValue(value, resolveStep);
  expect(r.problems).toEqual([]);
  return evaluateValue(r.value, ctx);
}

describe('constants', () => {
  it('compiles template-free values to constants that evaluate to the value itself', () => {
    const obj = { a: 1, b: [1, 2, { c: 'text' }], d: null };
    for (const v of [1, 'plain', true, null, obj, [1, 'x'], '', 'a } b { c', '${ js }']) {
      const r = compileValue(v, resolveStep);
      expect(r.value.constant).toBe(true);
      expect(r.problems).toEqual([]);
      expect(r.stepRefs).toEqual([]);
      expect(evaluateValue(r.value, makeCtx())).toBe(v);
    }
  });

  it('marks templated values as not constant', () => {
    expect(compileValue('{{ Trigger.name }}', resolveStep).value.constant).toBe(false);
    expect(compileValue({ a: ['{{ Trigger.name }}'] }, resolveStep).value.constant).toBe(false);
  });
});

describe('roots', () => {
  it('reads every root', () => {
    const ctx = makeCtx();
    expect(run('{{ Trigger }}', ctx)).toBe(ctx.trigger);
    expect(run('{{ Trigger.name }}')).toBe('Ada');
    expect(run('{{ Steps.Get }}', ctx)).toBe(getOutput);
    expect(run('{{ Steps.Get.body.total }}')).toBe(2);
    expect(run('{{ Source.type }}')).toBe('api');
    expect(run('{{ Source.api.caller }}')).toBe('me');
    expect(run('{{ Source }}', ctx)).toBe(ctx.source);
    expect(run('{{ Variables.v }}')).toBe('var');
    expect(run('{{ Variables }}', ctx)).toBe(ctx.variables);
    expect(run('{{ WorkflowName }}')).toBe('wf name');
    expect(run('{{ WorkflowId }}')).toBe('wf-1');
    expect(run('{{ InstanceId }}')).toBe('inst-1');
  });

  it('reads Steps alone as an object of the outputs keyed by step name', () => {
    expect(run('{{ Steps }}')).toEqual({
      Get: getOutput,
      'My Step': { x: 'spaced step' },
      Failed: { error: { message: 'boom', code: 'action_failed', attempts: 2 } },
    });
  });

  it('reads the error of a failed step', () => {
    expect(run('{{ Steps.Failed.error.code }}')).toBe('action_failed');
    expect(run('{{ Steps.Failed.error.attempts }}')).toBe(2);
  });

  it('a step that has no output reads as missing', () => {
    expect(run('{{ Steps.NotRun }}')).toBeNull();
    expect(run('{{ Steps.NotRun.x }}')).toBeNull();
  });

  it('reads steps by the index resolved at compile time, never by name', () => {
    const spy = vi.fn(resolveStep);
    const r = compileValue('{{ Steps.Get.body.total }}', spy);
    expect(spy).toHaveBeenCalledWith('Get');
    spy.mockClear();
    // Step names are not consulted at evaluation: rename them all.
    expect(evaluateValue(r.value, makeCtx({ stepNames: ['x', 'y', 'z', 'w'] }))).toBe(2);
    expect(spy).not.toHaveBeenCalled();
  });

  it('accepts templates without spaces inside the braces and with extra ones', () => {
    expect(run('{{Trigger.name}}')).toBe('Ada');
    expect(run('{{   Trigger.name \t }}')).toBe('Ada');
    expect(run('{{\nTrigger.count\n}}')).toBe(3);
  });
});

describe('paths', () => {
  it('follows dots and brackets', () => {
    expect(run('{{ Steps.Get.body.items[0].id }}')).toBe('a1');
    expect(run('{{ Steps.Get.body.items[1].n }}')).toBe(7);
    expect(run('{{ Trigger["key with spaces"] }}')).toBe('spaced');
    expect(run("{{ Trigger['k'] }}")).toBe('quoted');
    expect(run('{{ Trigger[ "k" ] }}')).toBe('quoted');
    expect(run('{{ Trigger["a}}b"] }}')).toBe('braces');
    expect(run('{{ Trigger.my-key }}')).toBe('dashed');
    expect(run('{{ Steps["My Step"].x }}')).toBe('spaced step');
    expect(run("{{ Steps['Get']['body'][\"items\"][1]['id'] }}")).toBe('b2');
    expect(run('{{ Trigger.list[2] }}')).toBe(3);
  });

  it('decodes escapes in quoted keys', () => {
    const ctx = makeCtx({ trigger: { 'a"b': 1, "c'd": 2, 'e\\f': 3, 'g\nh': 4, é: 5 } });
    expect(run('{{ Trigger["a\\"b"] }}', ctx)).toBe(1);
    expect(run("{{ Trigger['c\\'d'] }}", ctx)).toBe(2);
    expect(run('{{ Trigger["e\\\\f"] }}', ctx)).toBe(3);
    expect(run('{{ Trigger["g\\nh"] }}', ctx)).toBe(4);
    expect(run('{{ Trigger["\\u00e9"] }}', ctx)).toBe(5);
    expect(run('{{ Trigger.é }}', ctx)).toBe(5);
  });

  it('numeric segments index arrays and read same-named object keys', () => {
    expect(run('{{ Trigger.list.1 }}')).toBe(2);
    expect(run('{{ Trigger.list["1"] }}')).toBe(2);
    expect(run('{{ Trigger[0] }}')).toBe('zero-key');
    expect(run('{{ Trigger.0 }}')).toBe('zero-key');
    expect(run('{{ Trigger["01"] }}')).toBe('padded');
    expect(run('{{ Trigger.01 }}')).toBe('padded');
  });

  it('missing paths yield null as a whole value', () => {
    expect(run('{{ Trigger.nope }}')).toBeNull();
    expect(run('{{ Trigger.name.first }}')).toBeNull(); // through a string
    expect(run('{{ Trigger.nothing.x }}')).toBeNull(); // through null
    expect(run('{{ Trigger.list[3] }}')).toBeNull(); // out of range
    expect(run('{{ Trigger.list.length }}')).toBeNull(); // no array properties
    expect(run('{{ Trigger.obj[0] }}')).toBeNull();
    expect(run('{{ Variables.missing }}')).toBeNull();
    expect(run('{{ WorkflowName.length }}')).toBeNull();
    expect(run('{{ Trigger.nothing }}')).toBeNull(); // present null stays null
  });

  it('keeps the referenced JSON type and reference', () => {
    const ctx = makeCtx();
    const t = ctx.trigger as Record<string, unknown>;
    expect(run('{{ Trigger.count }}', ctx)).toBe(3);
    expect(run('{{ Trigger.flag }}', ctx)).toBe(false);
    expect(run('{{ Trigger.list }}', ctx)).toBe(t['list']);
    expect(run('{{ Trigger.obj }}', ctx)).toBe(t['obj']);
    expect(run('{{ Steps.Get.body.items }}', ctx)).toBe(getOutput.body.items);
  });

  it('reads no inherited property', () => {
    expect(run('{{ Trigger.toString }}')).toBeNull();
    expect(run('{{ Trigger.hasOwnProperty }}')).toBeNull();
    expect(run('{{ Variables.valueOf }}')).toBeNull();
    expect(run('A{{ Trigger.toString }}B')).toBe('AB');
  });
});

describe('prototype pollution', () => {
  it('never resolves __proto__, constructor or prototype', () => {
    const ctx = makeCtx({
      trigger: JSON.parse('{"__proto__": {"secret": 1}, "constructor": {"prototype": 2}, "a": {"prototype": 3}}'),
    });
    for (const t of [
      '{{ Trigger.__proto__ }}',
      '{{ Trigger.__proto__.secret }}',
      '{{ Trigger["__proto__"] }}',
      '{{ Trigger.constructor }}',
      '{{ Trigger.constructor.prototype }}',
      '{{ Trigger.a.prototype }}',
      '{{ Steps.Get.constructor }}',
    ]) {
      expect(run(t, ctx)).toBeNull();
      expect(run(`<${t}>`, ctx)).toBe('<>');
    }
    // on ordinary objects too (inherited members)
    expect(run('{{ Trigger.constructor }}')).toBeNull();
    expect(run('{{ Trigger.__proto__ }}')).toBeNull();
  });

  it('Steps.__proto__ is no step', () => {
    const spy = vi.fn(resolveStep);
    const r = compileValue('{{ Steps.__proto__.x }}', spy);
    expect(spy).not.toHaveBeenCalled();
    expect(r.unknownStepRefs).toEqual(['__proto__']);
    expect(evaluateValue(r.value, makeCtx())).toBeNull();
  });

  it('drops unsafe keys of parameter objects parsed from JSON', () => {
    const params = JSON.parse(
      '{"__proto__": {"polluted": true}, "constructor": {"prototype": {"polluted": true}}, "prototype": 1, "a": "{{ Trigger.name }}", "b": {"__proto__": {"polluted": true}, "c": 1}}',
    ) as unknown;
    const r = compileValue(params, resolveStep);
    expect(r.problems).toEqual([]);
    const out = evaluateValue(r.value, makeCtx()) as Record<string, unknown>;
    expect(Object.keys(out)).toEqual(['a', 'b']);
    expect(out['a']).toBe('Ada');
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.hasOwn(out, '__proto__')).toBe(false);
    const b = out['b'] as Record<string, unknown>;
    expect(Object.keys(b)).toEqual(['c']);
    expect(Object.getPrototypeOf(b)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
  });

  it('an otherwise constant object holding an unsafe key is rebuilt without it', () => {
    const params = JSON.parse('{"__proto__": {"x": 1}, "a": 1}') as unknown;
    const r = compileValue(params, resolveStep);
    expect(r.value.constant).toBe(false);
    expect(evaluateValue(r.value, makeCtx())).toStrictEqual({ a: 1 });
  });
});

describe('interpolation', () => {
  it('inserts strings as-is and other values as JSON', () => {
    expect(run('Hello {{ Trigger.name }}!')).toBe('Hello Ada!');
    expect(run('n={{ Trigger.count }}')).toBe('n=3');
    expect(run('f={{ Trigger.flag }}')).toBe('f=false');
    expect(run('null={{ Trigger.nothing }}')).toBe('null=null');
    expect(run('list={{ Trigger.list }}')).toBe('list=[1,2,3]');
    expect(run('obj={{ Trigger.obj }}')).toBe('obj={"x":1}');
  });

  it('renders missing values as ""', () => {
    expect(run('[{{ Trigger.nope }}]')).toBe('[]');
    expect(run('[{{ Steps.NotRun.x }}]')).toBe('[]');
  });

  it('handles several templates and keeps the text around them verbatim', () => {
    expect(run('  {{ Trigger.name }} / {{Variables.n}} / {{ InstanceId }}  ')).toBe('  Ada / 42 / inst-1  ');
    expect(run('{{ Trigger.name }}{{ Trigger.count }}')).toBe('Ada3');
    expect(run('a } b {{ Trigger.k }} }} c')).toBe('a } b quoted }} c');
  });

  it('a template with text around it is a string even when the text is whitespace', () => {
    expect(run(' {{ Trigger.count }}')).toBe(' 3');
    expect(run('{{ Trigger.count }}\n')).toBe('3\n');
  });
});

describe('objects and arrays', () => {
  it('resolves templates recursively', () => {
    const value = {
      user: {
        name: '{{ Trigger.name }}',
        tags: ['{{ Trigger.count }}', 'fixed', { deep: '{{ Steps.Get.body.items[0] }}' }],
      },
      greeting: 'Hi {{ Trigger.name }}',
      n: 5,
    };
    expect(run(value)).toEqual({
      user: { name: 'Ada', tags: [3, 'fixed', { deep: { id: 'a1' } }] },
      greeting: 'Hi Ada',
      n: 5,
    });
  });

  it('missing whole values inside objects and arrays become null', () => {
    expect(run({ a: '{{ Trigger.nope }}', b: ['{{ Trigger.nope }}'] })).toStrictEqual({ a: null, b: [null] });
  });

  it('shares template-free sub-trees and builds new containers for templated ones', () => {
    const shared = { deep: { list: [1, 2] } };
    const sharedArr = [{ k: 1 }];
    const value = { s: shared, arr: [sharedArr, '{{ Trigger.name }}'], t: '{{ Trigger.count }}' };
    const r = compileValue(value, resolveStep);
    const one = evaluateValue(r.value, makeCtx()) as typeof value;
    const two = evaluateValue(r.value, makeCtx()) as typeof value;
    expect(one.s).toBe(shared);
    expect(one.arr[0]).toBe(sharedArr);
    expect(one).not.toBe(value);
    expect(one).not.toBe(two);
    expect(one.arr).not.toBe(two.arr);
    expect(one).toEqual({ s: shared, arr: [sharedArr, 'Ada'], t: 3 });
  });

  it('evaluation reflects the context of each call', () => {
    const r = compileValue({ v: '{{ Variables.v }}' }, resolveStep);
    expect(evaluateValue(r.value, makeCtx())).toEqual({ v: 'var' });
    expect(evaluateValue(r.value, makeCtx({ variables: { v: 'changed' } }))).toEqual({ v: 'changed' });
  });
});

describe('step references', () => {
  it('lists the steps read, once each, and unknown names separately', () => {
    const r = compileValue(
      {
        a: '{{ Steps.Get.body }}',
        b: ['{{ Steps["My Step"].x }} and {{ Steps.Get.body.total }}', '{{ Steps.Nope.x }}'],
        c: '{{ Steps.Nope }} {{ Steps.Other }}',
        d: '{{ Steps }}',
      },
      resolveStep,
    );
    expect(r.problems).toEqual([]);
    expect(r.stepRefs).toEqual([0, 1]);
    expect(r.unknownStepRefs).toEqual(['Nope', 'Other']);
    const out = evaluateValue(r.value, makeCtx()) as Record<string, unknown>;
    expect(out['b']).toEqual(['spaced step and 2', null]);
    expect(out['c']).toBe(' ');
  });

  it('other roots read no step', () => {
    const r = compileValue('{{ Trigger.Steps }} {{ Variables.Get }}', resolveStep);
    expect(r.stepRefs).toEqual([]);
    expect(r.unknownStepRefs).toEqual([]);
  });
});

describe('JSONPath', () => {
  it('returns the array of all matches', () => {
    expect(run('{{ $.Steps.Get.body.items[*].id }}')).toEqual(['a1', 'b2']);
    expect(run('{{ $.Trigger.name }}')).toEqual(['Ada']);
    expect(run('{{ $.Trigger.list[1:] }}')).toEqual([2, 3]);
    expect(run('{{ $..caller }}')).toEqual(['me']);
    expect(run('{{ $.Steps.Get.body.items[?(@.n > 5)].id }}')).toEqual(['b2']);
    expect(run("{{ $.Steps['My Step'].x }}")).toEqual(['spaced step']);
    expect(run('{{ $.Variables.n }}')).toEqual([42]);
    expect(run('{{ $.WorkflowName }}')).toEqual(['wf name']);
    expect(run('{{ $.WorkflowId }}')).toEqual(['wf-1']);
    expect(run('{{ $.InstanceId }}')).toEqual(['inst-1']);
    expect(run('{{ $.Source.type }}')).toEqual(['api']);
  });

  it('accepts jsonpath-plus extensions: property names, parents and type selectors', () => {
    expect(run('{{ $.Trigger.obj.*~ }}')).toEqual(['x']);
    expect(run('{{ $.Steps.Get~ }}')).toEqual(['Get']);
    expect(run('{{ $.Trigger.list[?(@ > 2)]^ }}')).toEqual([[1, 2, 3]]);
    expect(run('{{ $.Trigger.*@number() }}')).toEqual([3]);
    const r = compileValue('{{ $.Steps.Get~ }}', resolveStep);
    expect(r.stepRefs).toEqual([0]);
    expect(compileValue('{{ $.Trigger.*@nope() }}', resolveStep).problems[0]!.message).toMatch(
      /unknown type selector.*@string\(\)/,
    );
  });

  it('returns [] when nothing matches', () => {
    expect(run('{{ $.Trigger.nope }}')).toEqual([]);
    expect(run('{{ $.Steps.NotRun }}')).toEqual([]);
    expect(run('{{ $.Steps.Get.body.items[?(@.missing.deeper == 1)] }}')).toEqual([]);
  });

  it('sees only steps that have an output', () => {
    expect(run('{{ $.Steps.* }}')).toHaveLength(3);
  });

  it('is interpolated as JSON inside a longer string', () => {
    expect(run('ids: {{ $.Steps.Get.body.items[*].id }}')).toBe('ids: ["a1","b2"]');
  });

  it('never reads unsafe keys', () => {
    const ctx = makeCtx({ trigger: JSON.parse('{"__proto__": {"secret": 1}}') });
    expect(run('{{ $.Trigger.__proto__ }}', ctx)).toEqual([]);
    expect(run('{{ $..__proto__ }}', ctx)).toEqual([]);
    expect(run("{{ $.Trigger['constructor'] }}", ctx)).toEqual([]);
    expect(run('{{ $.Trigger.toString }}', ctx)).toEqual([]);
  });

  it('records steps named literally after $.Steps', () => {
    const cases: [string, number[], string[]][] = [
      ['{{ $.Steps.Get.body }}', [0], []],
      ["{{ $['Steps']['My Step'].x }}", [1], []],
      ['{{ $.Steps["Get"] }}', [0], []],
      ['{{ $.Steps[Get,Failed].x }}', [0, 2], []],
      ['{{ $.Steps.Nope.x }}', [], ['Nope']],
      ['{{ $.Steps.*.x }}', [], []],
      ['{{ $.Steps[*] }}', [], []],
      ['{{ $.Steps[?(@.x)] }}', [], []],
      ['{{ $..Get }}', [], []],
      ['{{ $.Steps }}', [], []],
      ['{{ $.Trigger.Steps.Get }}', [], []],
    ];
    for (const [t, refs, unknown] of cases) {
      const r = compileValue(t, resolveStep);
      expect(r.problems, t).toEqual([]);
      expect(r.stepRefs, t).toEqual(refs);
      expect(r.unknownStepRefs, t).toEqual(unknown);
    }
  });
});

describe('problems', () => {
  /** Compile and return the single problem. */
  function problemOf(value: unknown): { message: string; path: readonly (string | number)[] } {
    const r = compileValue(value, resolveStep);
    expect(r.problems).toHaveLength(1);
    return r.problems[0]!;
  }

  it.each([
    ['{{ Trigger.name', /unterminated template.*"\}\}"/],
    ['Hi {{ Trigger.name } there', /unterminated template/],
    ['{{ }}', /empty template/],
    ['{{}}', /empty template/],
    [
      '{{ Trigerr.x }}',
      /unknown root "Trigerr"; roots are Trigger, Steps, Source, Variables, WorkflowName, WorkflowId, InstanceId/,
    ],
    ['{{ trigger.x }}', /unknown root "trigger" \(did you mean "Trigger"\?\)/],
    ['{{ .x }}', /must start with a root/],
    ['{{ Trigger[abc] }}', /bad bracket.*\[0\] or \["my key"\]/],
    ['{{ Trigger[] }}', /bad bracket/],
    ['{{ Trigger[01] }}', /bad index "\[01\]"/],
    ['{{ Trigger[-1] }}', /bad bracket/],
    ['{{ Trigger[0 }}', /missing "\]"/],
    ['{{ Trigger["a" "b"] }}', /missing "\]"/],
    ['{{ Trigger["abc] }}', /unterminated quoted key|has no closing/],
    ['{{ Trigger["a\\qb"] }}', /unknown escape/],
    ['{{ Trigger. }}', /ends with "\."/],
    ['{{ Trigger..x }}', /expected a key after "\."/],
    ['{{ Trigger.a b }}', /unexpected space.*brackets/],
    ['{{ Trigger.a+b }}', /unexpected "\+"/],
    ['{{ $.a[ }}', /bad JSONPath.*not closed/],
    ['{{ $. }}', /bad JSONPath.*ends with "\."/],
    ['{{ $.. }}', /bad JSONPath.*ends with "\.\."/],
    ['{{ $[] }}', /bad JSONPath.*empty brackets/],
    ['{{ $[?(@.a ==)] }}', /bad JSONPath.*bad filter expression/],
    ['{{ $[(@.length -)] }}', /bad JSONPath.*bad script expression/],
    ["{{ $['a','b'] }}", /bad JSONPath.*unions of names/],
    ['{{ $ foo }}', /bad JSONPath.*unexpected " "/],
    ['{{ $.a[x y] }}', /bad JSONPath.*bad bracket content/],
  ])('%s', (template, message) => {
    const p = problemOf(template);
    expect(p.message).toMatch(message);
    expect(p.path).toEqual([]);
  });

  it('locates problems below the compiled value and reports every one', () => {
    const r = compileValue(
      { ok: '{{ Trigger.name }}', a: [1, { b: '{{ Foo }}' }], c: 'x {{ }} y {{ Bar }}', d: { 'e f': '{{ Trigger.x' } },
      resolveStep,
    );
    expect(r.problems.map((p) => p.path)).toEqual([['a', 1, 'b'], ['c'], ['c'], ['d', 'e f']]);
    expect(r.problems[0]!.message).toMatch(/unknown root "Foo"/);
    expect(r.problems[1]!.message).toMatch(/empty template/);
    expect(r.problems[2]!.message).toMatch(/unknown root "Bar"/);
    expect(r.problems[3]!.message).toMatch(/unterminated/);
  });

  it('a string with a problem compiles to itself', () => {
    const r = compileValue({ a: 'x {{ Nope }}', b: '{{ Trigger.name }}' }, resolveStep);
    expect(evaluateValue(r.value, makeCtx())).toEqual({ a: 'x {{ Nope }}', b: 'Ada' });
  });
});
