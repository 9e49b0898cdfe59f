import { describe, expect, it } from 'vitest';
import type { Diagnostic } from '../errors.js';
import { validateSpec, validateWorkflowAttributes } from './validate.js';
import type { ValidateOptions } from './validate.js';

type Obj = Record<string, unknown>;

const RETRY = { kind: 'RETRY_STRATEGY_LINEAR', linear: { interval: '30s', maxRetries: 2 } };

/** A step running a custom action (which may choose any branch). */
function step(name: string, extra: Obj = {}): Obj {
  return { name, actionId: 'custom.action', ...extra };
}

function edge(nextStepName: string, branchName = 'main'): Obj {
  return { nextStepName, branchName };
}

/** A spec whose only trigger is a workflowTrigger starting at the first step. */
function specOf(steps: Obj[], extra: Obj = {}): Obj {
  const first = steps[0]?.['name'];
  return {
    steps,
    triggers: [{ startStepNames: first === undefined ? [] : [first], workflowTrigger: {} }],
    ...extra,
  };
}

function summary(spec: unknown, options?: ValidateOptions): { code: string; severity: string; pointer: string }[] {
  return validateSpec(spec, options).diagnostics.map(({ code, severity, pointer }) => ({ code, severity, pointer }));
}

/** Assert the spec yields exactly one diagnostic, an error with this code and pointer; return it. */
function expectOnlyError(spec: unknown, code: string, pointer: string, options?: ValidateOptions): Diagnostic {
  const result = validateSpec(spec, options);
  expect(result.diagnostics.map(({ code: c, severity, pointer: p }) => ({ code: c, severity, pointer: p }))).toEqual([
    { code, severity: 'error', pointer },
  ]);
  expect(result.ok).toBe(false);
  const d = result.diagnostics[0]!;
  expect(d.message.length).toBeGreaterThan(20);
  return d;
}

describe('validateSpec: a valid spec', () => {
  it('accepts a spec using every feature, with no diagnostic', () => {
    const spec = {
      handle: 'h',
      steps: [
        step('Start', {
          parameters: [{ name: 'x', value: '{{ Trigger.x }}' }],
          outboundEdges: [edge('Check')],
          errorHandlers: [{ fallbackStepName: 'Recover', retryStrategy: RETRY }],
          connectionLabel: 'INTEGRATION',
          display: { bounds: { x: 1, y: 2 } },
        }),
        {
          name: 'Check',
          actionId: 'com.datadoghq.core.if',
          parameters: [
            {
              name: 'conditions',
              value: [{ comparisonOperator: 'eq', leftValue: '{{ Steps.Start.ok }}', rightValue: true }],
            },
          ],
          outboundEdges: [edge('Done', 'true'), edge('Recover', 'false')],
          completionGate: {
            completionCondition: { operand1: '{{ Steps.Check.result }}', operator: 'OPERATOR_IS_NOT_NULL' },
            retryStrategy: RETRY,
          },
        },
        step('Recover', { outboundEdges: [edge('Done')], readinessGate: { thresholdType: 'ANY' } }),
        step('Done', {
          readinessGate: { thresholdType: 'ANY' },
          parameters: [{ name: 'v', value: '{{ Steps.Start }}' }],
        }),
      ],
      triggers: [
        { startStepNames: ['Start'], apiTrigger: { rateLimit: { count: 5, interval: '60s' } } },
        {
          startStepNames: ['Start'],
          scheduleTrigger: { rruleExpression: 'RRULE:FREQ=DAILY', overlapBehavior: 'EXCLUSIVE_RUN' },
        },
        { startStepNames: ['Start'], monitorTrigger: { anything: { goes: true } } },
      ],
      inputSchema: {
        parameters: [{ name: 'x', type: 'NUMBER', defaultValue: 1, allowedValues: [1, 2], allowExtraValues: false }],
      },
      outputSchema: { parameters: [{ name: 'out', type: 'OBJECT', value: '{{ Steps.Done }}', defaultValue: {} }] },
      connectionEnvs: [{ env: 'default', connections: [{ connectionId: 'c', label: 'INTEGRATION' }] }],
      annotations: [{ id: 'a', display: { bounds: { x: 0 } }, markdownTextAnnotation: { text: 'hi' } }],
    };
    expect(validateSpec(spec)).toEqual({ ok: true, diagnostics: [] });
  });
});

describe('validateSpec: one test per error code', () => {
  it('FSP_ERR_SPEC_TYPE: a spec that is not an object, and fields of the wrong JSON type', () => {
    expectOnlyError([], 'FSP_ERR_SPEC_TYPE', '');
    expectOnlyError(specOf([step('A', { parameters: { x: 1 } })]), 'FSP_ERR_SPEC_TYPE', '/steps/0/parameters');
    expectOnlyError(specOf([step('A', { connectionLabel: 3 })]), 'FSP_ERR_SPEC_TYPE', '/steps/0/connectionLabel');
    expectOnlyError(
      specOf([
        step('A', {
          errorHandlers: [
            { fallbackStepName: 'A2', retryStrategy: { ...RETRY, linear: { interval: '1s', maxRetries: '3' } } },
          ],
        }),
        step('A2'),
      ]),
      'FSP_ERR_SPEC_TYPE',
      '/steps/0/errorHandlers/0/retryStrategy/linear/maxRetries',
    );
    expectOnlyError(
      specOf([step('A', { outboundEdges: [edge('B'), 'B'] }), step('B')]),
      'FSP_ERR_SPEC_TYPE',
      '/steps/0/outboundEdges/1',
    );
    expectOnlyError({ steps: [], triggers: {} }, 'FSP_ERR_SPEC_TYPE', '/triggers');
    expectOnlyError(
      { steps: [], triggers: [{ startStepNames: [], apiTrigger: { rateLimit: { count: '5', interval: '60s' } } }] },
      'FSP_ERR_SPEC_TYPE',
      '/triggers/0/apiTrigger/rateLimit/count',
    );
    expectOnlyError(
      { steps: [], triggers: [{ startStepNames: [], apiTrigger: { rateLimit: { count: 1, interval: 60 } } }] },
      'FSP_ERR_SPEC_TYPE',
      '/triggers/0/apiTrigger/rateLimit/interval',
    );
    expectOnlyError(
      { steps: [], triggers: [{ scheduleTrigger: { rruleExpression: 'FREQ=DAILY', overlapBehavior: true } }] },
      'FSP_ERR_SPEC_TYPE',
      '/triggers/0/scheduleTrigger/overlapBehavior',
    );
    expectOnlyError(
      { steps: [], triggers: [{ startStepNames: [], githubTrigger: 'x' }] },
      'FSP_ERR_SPEC_TYPE',
      '/triggers/0/githubTrigger',
    );
    expectOnlyError(
      specOf([step('A', { display: { bounds: { x: 'left' } } })]),
      'FSP_ERR_SPEC_TYPE',
      '/steps/0/display/bounds/x',
    );
  });

  it('FSP_ERR_SPEC_VALUE: the JSON type is right, the value is not allowed', () => {
    const rateLimit = (limit: Obj): Obj => ({
      steps: [],
      triggers: [{ startStepNames: [], apiTrigger: { rateLimit: limit } }],
    });
    for (const count of [0, -1, 1.5, Number.MAX_VALUE]) {
      expectOnlyError(
        rateLimit({ count, interval: '60s' }),
        'FSP_ERR_SPEC_VALUE',
        '/triggers/0/apiTrigger/rateLimit/count',
      );
    }
    for (const interval of ['1m', '60', '0s', '-1s', '']) {
      const d = expectOnlyError(
        rateLimit({ count: 1, interval }),
        'FSP_ERR_SPEC_VALUE',
        '/triggers/0/apiTrigger/rateLimit/interval',
      );
      expect(d.message).toContain('"60s"');
    }
    expect(validateSpec(rateLimit({ count: 1, interval: '0.5s' })).diagnostics).toEqual([]);
    const d = expectOnlyError(
      {
        steps: [],
        triggers: [{ scheduleTrigger: { rruleExpression: 'FREQ=DAILY', overlapBehavior: 'EXCLUSIVE_RUNS' } }],
      },
      'FSP_ERR_SPEC_VALUE',
      '/triggers/0/scheduleTrigger/overlapBehavior',
    );
    expect(d.message).toContain('Did you mean "EXCLUSIVE_RUN"?');
    expectOnlyError(
      { steps: [], triggers: [{ scheduleTrigger: { rruleExpression: 'FREQ=DAILY', overlapBehavior: 'SOMETIMES' } }] },
      'FSP_ERR_SPEC_VALUE',
      '/triggers/0/scheduleTrigger/overlapBehavior',
    );
  });

  it('FSP_ERR_SPEC_VALUE: an input defaultValue outside its allowedValues', () => {
    const input = (param: Obj): Obj => specOf([step('A')], { inputSchema: { parameters: [{ name: 'x', ...param }] } });
    const d = expectOnlyError(
      input({ type: 'STRING', defaultValue: 'c', allowedValues: ['a', 'b'] }),
      'FSP_ERR_SPEC_VALUE',
      '/inputSchema/parameters/0/defaultValue',
    );
    expect(d.message).toContain('allowExtraValues');
    // ARRAY_* types: each element of the default, as the instance input check reads it.
    expectOnlyError(
      input({ type: 'ARRAY_NUMBER', defaultValue: [1, 3, 2], allowedValues: [1, 2] }),
      'FSP_ERR_SPEC_VALUE',
      '/inputSchema/parameters/0/defaultValue/1',
    );
    expectOnlyError(
      input({ type: 'OBJECT', defaultValue: { a: 2 }, allowedValues: [{ a: 1 }], allowExtraValues: false }),
      'FSP_ERR_SPEC_VALUE',
      '/inputSchema/parameters/0/defaultValue',
    );
    // Allowed: a member (compared as JSON), extra values allowed, or no allowedValues.
    expect(
      validateSpec(input({ type: 'OBJECT', defaultValue: { b: 1, a: [2] }, allowedValues: [{ a: [2], b: 1 }] }))
        .diagnostics,
    ).toEqual([]);
    expect(validateSpec(input({ type: 'ARRAY_STRING', defaultValue: [], allowedValues: ['a'] })).diagnostics).toEqual(
      [],
    );
    expect(
      validateSpec(input({ type: 'STRING', defaultValue: 'c', allowedValues: ['a'], allowExtraValues: true }))
        .diagnostics,
    ).toEqual([]);
    // A default of the wrong type is only FSP_ERR_SPEC_SCHEMA_TYPE; output schemas have no input check.
    expectOnlyError(
      input({ type: 'STRING', defaultValue: 1, allowedValues: ['a'] }),
      'FSP_ERR_SPEC_SCHEMA_TYPE',
      '/inputSchema/parameters/0/defaultValue',
    );
    const output = specOf([step('A')], {
      outputSchema: { parameters: [{ name: 'o', type: 'STRING', defaultValue: 'c', allowedValues: ['a'] }] },
    });
    expect(validateSpec(output).diagnostics).toEqual([]);
  });

  it("FSP_ERR_SPEC_DUPLICATE_PARAMETER: at the second occurrence's name", () => {
    const d = expectOnlyError(
      specOf([
        step('A', {
          parameters: [
            { name: 'url', value: 'a' },
            { name: 'method', value: 'GET' },
            { name: 'url', value: 'b' },
          ],
        }),
      ]),
      'FSP_ERR_SPEC_DUPLICATE_PARAMETER',
      '/steps/0/parameters/2/name',
    );
    expect(d.message).toContain('"url"');
    // Names are per step, and a third occurrence is reported too.
    expect(
      summary(
        specOf([
          step('A', { outboundEdges: [edge('B')], parameters: [{ name: 'p', value: 1 }] }),
          step('B', {
            parameters: [
              { name: 'p', value: 1 },
              { name: 'p', value: 2 },
              { name: 'p', value: 3 },
            ],
          }),
        ]),
      ),
    ).toEqual([
      { code: 'FSP_ERR_SPEC_DUPLICATE_PARAMETER', severity: 'error', pointer: '/steps/1/parameters/1/name' },
      { code: 'FSP_ERR_SPEC_DUPLICATE_PARAMETER', severity: 'error', pointer: '/steps/1/parameters/2/name' },
    ]);
  });

  it('FSP_ERR_SPEC_MISSING_FIELD: required fields', () => {
    expectOnlyError(specOf([{ name: 'A' }]), 'FSP_ERR_SPEC_MISSING_FIELD', '/steps/0/actionId');
    // A step without a name cannot be reached by any edge or trigger: the warning is accurate.
    expect(summary({ steps: [{ actionId: 'x' }], triggers: [{ workflowTrigger: {} }] })).toEqual([
      { code: 'FSP_ERR_SPEC_MISSING_FIELD', severity: 'error', pointer: '/steps/0/name' },
      { code: 'FSP_WARN_UNREACHABLE_STEP', severity: 'warning', pointer: '/steps/0' },
    ]);
    expectOnlyError(
      specOf([step('A', { outboundEdges: [{ nextStepName: 'B' }] }), step('B')]),
      'FSP_ERR_SPEC_MISSING_FIELD',
      '/steps/0/outboundEdges/0/branchName',
    );
    expectOnlyError(
      specOf([step('A', { outboundEdges: [{ branchName: 'main' }] })]),
      'FSP_ERR_SPEC_MISSING_FIELD',
      '/steps/0/outboundEdges/0/nextStepName',
    );
    expectOnlyError(
      specOf([
        step('A', {
          completionGate: {
            completionCondition: { operand1: 1, operator: 'OPERATOR_IS_NULL' },
            retryStrategy: { kind: 'RETRY_STRATEGY_LINEAR' },
          },
        }),
      ]),
      'FSP_ERR_SPEC_MISSING_FIELD',
      '/steps/0/completionGate/retryStrategy/linear',
    );
    expectOnlyError(
      specOf([step('A', { parameters: [{ name: 'p' }] })]),
      'FSP_ERR_SPEC_MISSING_FIELD',
      '/steps/0/parameters/0/value',
    );
    expectOnlyError(
      { steps: [], triggers: [{ scheduleTrigger: {} }] },
      'FSP_ERR_SPEC_MISSING_FIELD',
      '/triggers/0/scheduleTrigger/rruleExpression',
    );
  });

  it('FSP_ERR_SPEC_UNKNOWN_KEY: suggests the nearest known key', () => {
    const d = expectOnlyError(
      specOf([{ name: 'A', actionID: 'x', actionId: 'x' }]),
      'FSP_ERR_SPEC_UNKNOWN_KEY',
      '/steps/0/actionID',
    );
    expect(d.message).toContain('Did you mean "actionId"?');
    const far = expectOnlyError({ ...specOf([step('A')]), zzzzzz: 1 }, 'FSP_ERR_SPEC_UNKNOWN_KEY', '/zzzzzz');
    expect(far.message).toContain('Known keys: steps, triggers');
  });

  it('FSP_ERR_SPEC_UNKNOWN_KEY: a description inside the spec is a workflow attribute', () => {
    const d = expectOnlyError(
      { ...specOf([step('A')]), description: 'hi' },
      'FSP_ERR_SPEC_UNKNOWN_KEY',
      '/description',
    );
    expect(d.message).toContain('data.attributes.description');
  });

  const unknownKeyCases: readonly (readonly [string, Obj, string])[] = [
    [
      'an edge',
      specOf([step('A', { outboundEdges: [{ ...edge('B'), brnachName: 'x' }] }), step('B')]),
      '/steps/0/outboundEdges/0/brnachName',
    ],
    [
      'a parameter',
      specOf([step('A', { parameters: [{ name: 'p', value: 1, vaule: 2 }] })]),
      '/steps/0/parameters/0/vaule',
    ],
    [
      'a completion gate',
      specOf([
        step('A', {
          completionGate: {
            completionCondition: { operand1: 1, operator: 'OPERATOR_IS_NULL' },
            retryStrategy: RETRY,
            extra: 1,
          },
        }),
      ]),
      '/steps/0/completionGate/extra',
    ],
    [
      'a condition',
      specOf([
        step('A', {
          completionGate: {
            completionCondition: { operand1: 1, operator: 'OPERATOR_IS_NULL', operand3: 1 },
            retryStrategy: RETRY,
          },
        }),
      ]),
      '/steps/0/completionGate/completionCondition/operand3',
    ],
    [
      'a retry strategy',
      specOf([
        step('A', { errorHandlers: [{ fallbackStepName: 'B', retryStrategy: { ...RETRY, kinds: 1 } }] }),
        step('B'),
      ]),
      '/steps/0/errorHandlers/0/retryStrategy/kinds',
    ],
    [
      'retryStrategy.linear',
      specOf([
        step('A', {
          errorHandlers: [
            { fallbackStepName: 'B', retryStrategy: { ...RETRY, linear: { interval: '1s', maxRetries: 1, max: 2 } } },
          ],
        }),
        step('B'),
      ]),
      '/steps/0/errorHandlers/0/retryStrategy/linear/max',
    ],
    [
      'a handler',
      specOf([
        step('A', { errorHandlers: [{ fallbackStepName: 'B', retryStrategy: RETRY, fallback: 'B' }] }),
        step('B'),
      ]),
      '/steps/0/errorHandlers/0/fallback',
    ],
    [
      'a readinessGate',
      specOf([step('A', { readinessGate: { thresholdType: 'ALL', threshold: 1 } })]),
      '/steps/0/readinessGate/threshold',
    ],
    ['a schema', specOf([step('A')], { inputSchema: { parameters: [], params: [] } }), '/inputSchema/params'],
    [
      'an input schema entry',
      specOf([step('A')], { inputSchema: { parameters: [{ name: 'x', type: 'STRING', value: 'v' }] } }),
      '/inputSchema/parameters/0/value',
    ],
    [
      'an output schema entry',
      specOf([step('A')], { outputSchema: { parameters: [{ name: 'x', type: 'STRING', defaultvalue: 'v' }] } }),
      '/outputSchema/parameters/0/defaultvalue',
    ],
    ['a trigger', { steps: [], triggers: [{ startStepName: [], workflowTrigger: {} }] }, '/triggers/0/startStepName'],
    [
      'workflowTrigger',
      { steps: [], triggers: [{ workflowTrigger: { rateLimit: {} } }] },
      '/triggers/0/workflowTrigger/rateLimit',
    ],
    ['apiTrigger', { steps: [], triggers: [{ apiTrigger: { ratelimit: {} } }] }, '/triggers/0/apiTrigger/ratelimit'],
    [
      'rateLimit',
      { steps: [], triggers: [{ apiTrigger: { rateLimit: { count: 1, interval: '1s', burst: 2 } } }] },
      '/triggers/0/apiTrigger/rateLimit/burst',
    ],
    [
      'scheduleTrigger',
      { steps: [], triggers: [{ scheduleTrigger: { rruleExpression: 'FREQ=DAILY', rrule: 'x' } }] },
      '/triggers/0/scheduleTrigger/rrule',
    ],
  ];
  for (const [what, spec, pointer] of unknownKeyCases) {
    it(`FSP_ERR_SPEC_UNKNOWN_KEY in ${what}`, () => {
      expectOnlyError(spec, 'FSP_ERR_SPEC_UNKNOWN_KEY', pointer);
    });
  }

  it('keeps unknown trigger kinds without looking inside them', () => {
    expect(
      validateSpec({ steps: [], triggers: [{ startStepNames: [], securityTrigger: { whatever: [1] } }] }).diagnostics,
    ).toEqual([]);
  });

  it('FSP_ERR_SPEC_EMPTY_NAME: steps, branches, parameters and schema entries', () => {
    expect(summary({ steps: [step('')], triggers: [{ workflowTrigger: {} }] })).toEqual([
      { code: 'FSP_ERR_SPEC_EMPTY_NAME', severity: 'error', pointer: '/steps/0/name' },
      { code: 'FSP_WARN_UNREACHABLE_STEP', severity: 'warning', pointer: '/steps/0' },
    ]);
    expectOnlyError(
      specOf([step('A', { outboundEdges: [edge('B', '')] }), step('B')]),
      'FSP_ERR_SPEC_EMPTY_NAME',
      '/steps/0/outboundEdges/0/branchName',
    );
    expectOnlyError(
      specOf([step('A', { parameters: [{ name: '', value: 1 }] })]),
      'FSP_ERR_SPEC_EMPTY_NAME',
      '/steps/0/parameters/0/name',
    );
    expectOnlyError(
      specOf([step('A')], { inputSchema: { parameters: [{ name: '', type: 'STRING' }] } }),
      'FSP_ERR_SPEC_EMPTY_NAME',
      '/inputSchema/parameters/0/name',
    );
  });

  it('FSP_ERR_SPEC_DUPLICATE_STEP: the second step with a name', () => {
    const result = validateSpec(specOf([step('A', { outboundEdges: [edge('B')] }), step('B'), step('A')]));
    // Names resolve to the first step, so the second "A" is also unreachable.
    expect(summary(specOf([step('A', { outboundEdges: [edge('B')] }), step('B'), step('A')]))).toEqual([
      { code: 'FSP_ERR_SPEC_DUPLICATE_STEP', severity: 'error', pointer: '/steps/2/name' },
      { code: 'FSP_WARN_UNREACHABLE_STEP', severity: 'warning', pointer: '/steps/2' },
    ]);
    expect(result.diagnostics[0]!.message).toContain('/steps/0');
  });

  it('FSP_ERR_SPEC_UNKNOWN_STEP: edges, start steps and fallbacks, with a suggestion', () => {
    const d = expectOnlyError(
      specOf([step('A', { outboundEdges: [edge('Be'), edge('Bee')] }), step('Be')]),
      'FSP_ERR_SPEC_UNKNOWN_STEP',
      '/steps/0/outboundEdges/1/nextStepName',
    );
    expect(d.message).toContain('Did you mean "Be"?');
    expectOnlyError(
      { steps: [step('A')], triggers: [{ startStepNames: ['A', 'Nope'], workflowTrigger: {} }] },
      'FSP_ERR_SPEC_UNKNOWN_STEP',
      '/triggers/0/startStepNames/1',
    );
    expectOnlyError(
      specOf([step('A', { errorHandlers: [{ fallbackStepName: 'Gone', retryStrategy: RETRY }] })]),
      'FSP_ERR_SPEC_UNKNOWN_STEP',
      '/steps/0/errorHandlers/0/fallbackStepName',
    );
    expectOnlyError(
      specOf([step('A', { outboundEdges: [edge('')] })]),
      'FSP_ERR_SPEC_UNKNOWN_STEP',
      '/steps/0/outboundEdges/0/nextStepName',
    );
  });

  it('FSP_ERR_SPEC_CYCLE: reported once, at the edge closing it, listing its steps', () => {
    const d = expectOnlyError(
      specOf([
        step('A', { outboundEdges: [edge('B')] }),
        step('B', { outboundEdges: [edge('C')] }),
        step('C', { outboundEdges: [edge('B')] }),
      ]),
      'FSP_ERR_SPEC_CYCLE',
      '/steps/2/outboundEdges/0/nextStepName',
    );
    expect(d.message).toContain('"B" → "C" → "B"');
  });

  it('FSP_ERR_SPEC_CYCLE: a self-loop, a cycle through a fallback, and two separate cycles', () => {
    expectOnlyError(
      specOf([step('A', { outboundEdges: [edge('A')] })]),
      'FSP_ERR_SPEC_CYCLE',
      '/steps/0/outboundEdges/0/nextStepName',
    );
    expectOnlyError(
      specOf([
        step('A', { outboundEdges: [edge('B')] }),
        step('B', { errorHandlers: [{ fallbackStepName: 'A', retryStrategy: RETRY }] }),
      ]),
      'FSP_ERR_SPEC_CYCLE',
      '/steps/1/errorHandlers/0/fallbackStepName',
    );
    const two = summary(
      specOf([
        step('S', { outboundEdges: [edge('A'), edge('C')] }),
        step('A', { outboundEdges: [edge('B')] }),
        step('B', { outboundEdges: [edge('A')] }),
        step('C', { outboundEdges: [edge('D')] }),
        step('D', { outboundEdges: [edge('C')] }),
      ]),
    );
    expect(two).toEqual([
      { code: 'FSP_ERR_SPEC_CYCLE', severity: 'error', pointer: '/steps/2/outboundEdges/0/nextStepName' },
      { code: 'FSP_ERR_SPEC_CYCLE', severity: 'error', pointer: '/steps/4/outboundEdges/0/nextStepName' },
    ]);
  });

  it('FSP_ERR_SPEC_NO_TRIGGER: an empty or missing triggers list', () => {
    expectOnlyError({ steps: [], triggers: [] }, 'FSP_ERR_SPEC_NO_TRIGGER', '/triggers');
    expectOnlyError({ steps: [] }, 'FSP_ERR_SPEC_NO_TRIGGER', '/triggers');
  });

  it('FSP_ERR_SPEC_DUPLICATE_TRIGGER_KIND: at the second trigger of a kind', () => {
    expectOnlyError(
      {
        steps: [step('A')],
        triggers: [
          { startStepNames: ['A'], apiTrigger: {} },
          { startStepNames: ['A'], apiTrigger: {} },
        ],
      },
      'FSP_ERR_SPEC_DUPLICATE_TRIGGER_KIND',
      '/triggers/1/apiTrigger',
    );
  });

  it('FSP_ERR_SPEC_TRIGGER_SHAPE: zero or several *Trigger keys', () => {
    expectOnlyError(
      { steps: [step('A')], triggers: [{ startStepNames: ['A'] }] },
      'FSP_ERR_SPEC_TRIGGER_SHAPE',
      '/triggers/0',
    );
    const d = expectOnlyError(
      { steps: [step('A')], triggers: [{ startStepNames: ['A'], apiTrigger: {}, monitorTrigger: {} }] },
      'FSP_ERR_SPEC_TRIGGER_SHAPE',
      '/triggers/0',
    );
    expect(d.message).toContain('apiTrigger, monitorTrigger');
  });

  it('FSP_ERR_SPEC_WORKFLOW_TRIGGER_COMBINED: workflowTrigger with another trigger', () => {
    expectOnlyError(
      {
        steps: [step('A')],
        triggers: [
          { startStepNames: ['A'], apiTrigger: {} },
          { startStepNames: ['A'], workflowTrigger: {} },
        ],
      },
      'FSP_ERR_SPEC_WORKFLOW_TRIGGER_COMBINED',
      '/triggers/1/workflowTrigger',
    );
  });

  const withRetry = (retryStrategy: unknown): Obj =>
    specOf([step('A', { errorHandlers: [{ fallbackStepName: 'B', retryStrategy }] }), step('B')]);
  const retryPath = '/steps/0/errorHandlers/0/retryStrategy';

  it('FSP_ERR_SPEC_RETRY_KIND', () => {
    expectOnlyError(
      withRetry({ ...RETRY, kind: 'RETRY_STRATEGY_EXPONENTIAL' }),
      'FSP_ERR_SPEC_RETRY_KIND',
      `${retryPath}/kind`,
    );
  });

  it('FSP_ERR_SPEC_RETRY_INTERVAL: anything but "<number>s"', () => {
    for (const interval of ['30', '1m', '-1s', 's', '1.s', 30, null]) {
      expectOnlyError(
        withRetry({ ...RETRY, linear: { interval, maxRetries: 1 } }),
        'FSP_ERR_SPEC_RETRY_INTERVAL',
        `${retryPath}/linear/interval`,
      );
    }
    for (const interval of ['30s', '0.5s', '0s', '.5s']) {
      expect(validateSpec(withRetry({ ...RETRY, linear: { interval, maxRetries: 1 } })).ok).toBe(true);
    }
  });

  it('FSP_ERR_SPEC_RETRY_MAX: negative or non-integer maxRetries', () => {
    for (const maxRetries of [-1, 1.5, Number.MAX_VALUE]) {
      expectOnlyError(
        withRetry({ ...RETRY, linear: { interval: '1s', maxRetries } }),
        'FSP_ERR_SPEC_RETRY_MAX',
        `${retryPath}/linear/maxRetries`,
      );
    }
    expect(validateSpec(withRetry({ ...RETRY, linear: { interval: '1s', maxRetries: 0 } })).ok).toBe(true);
  });

  it('FSP_ERR_SPEC_COMPLETION_OPERATOR: with a suggestion', () => {
    const d = expectOnlyError(
      specOf([
        step('A', {
          completionGate: {
            completionCondition: { operand1: '{{ Steps.A.x }}', operator: 'OPERATOR_EQUALS' },
            retryStrategy: RETRY,
          },
        }),
      ]),
      'FSP_ERR_SPEC_COMPLETION_OPERATOR',
      '/steps/0/completionGate/completionCondition/operator',
    );
    expect(d.message).toContain('Did you mean "OPERATOR_EQUAL"?');
  });

  it('FSP_ERR_SPEC_READINESS_GATE: thresholdType other than ANY / ALL', () => {
    expectOnlyError(
      specOf([step('A', { outboundEdges: [edge('B')] }), step('B', { readinessGate: { thresholdType: 'SOME' } })]),
      'FSP_ERR_SPEC_READINESS_GATE',
      '/steps/1/readinessGate/thresholdType',
    );
  });

  it('FSP_ERR_SPEC_EXPRESSION_SYNTAX: pointer into the value, the condition and the output schema', () => {
    expectOnlyError(
      specOf([step('A', { parameters: [{ name: 'p', value: { list: ['fine', '{{ Trigger.x'] } }] })]),
      'FSP_ERR_SPEC_EXPRESSION_SYNTAX',
      '/steps/0/parameters/0/value/list/1',
    );
    expectOnlyError(
      specOf([
        step('A', {
          completionGate: {
            completionCondition: { operand1: '{{ }}', operator: 'OPERATOR_IS_NULL' },
            retryStrategy: RETRY,
          },
        }),
      ]),
      'FSP_ERR_SPEC_EXPRESSION_SYNTAX',
      '/steps/0/completionGate/completionCondition/operand1',
    );
    expectOnlyError(
      specOf([step('A')], { outputSchema: { parameters: [{ name: 'o', type: 'STRING', value: '{{ Nowhere.x }}' }] } }),
      'FSP_ERR_SPEC_EXPRESSION_SYNTAX',
      '/outputSchema/parameters/0/value',
    );
  });

  it('FSP_ERR_SPEC_EXPRESSION_SCOPE: a step that does not exist', () => {
    const d = expectOnlyError(
      specOf([
        step('Fetch', { outboundEdges: [edge('B')] }),
        step('B', { parameters: [{ name: 'p', value: 'id={{ Steps.Fetsh.id }}' }] }),
      ]),
      'FSP_ERR_SPEC_EXPRESSION_SCOPE',
      '/steps/1/parameters/0/value',
    );
    expect(d.message).toContain('reads step "Fetsh" which does not exist');
    expect(d.message).toContain('Steps.Fetch');
  });

  it('FSP_ERR_SPEC_EXPRESSION_SCOPE: a later step, a parallel branch, its own output', () => {
    expectOnlyError(
      specOf([
        step('A', { outboundEdges: [edge('B')], parameters: [{ name: 'p', value: '{{ Steps.B }}' }] }),
        step('B'),
      ]),
      'FSP_ERR_SPEC_EXPRESSION_SCOPE',
      '/steps/0/parameters/0/value',
    );
    expectOnlyError(
      specOf([
        step('S', { outboundEdges: [edge('A'), edge('B')] }),
        step('A'),
        step('B', {
          parameters: [
            { name: 'x', value: 1 },
            { name: 'p', value: '{{ Steps.A }}' },
          ],
        }),
      ]),
      'FSP_ERR_SPEC_EXPRESSION_SCOPE',
      '/steps/2/parameters/1/value',
    );
    expectOnlyError(
      specOf([step('A', { parameters: [{ name: 'p', value: '{{ Steps.A.x }}' }] })]),
      'FSP_ERR_SPEC_EXPRESSION_SCOPE',
      '/steps/0/parameters/0/value',
    );
  });

  it('FSP_ERR_SPEC_UNKNOWN_ACTION: only when knownActionIds is given', () => {
    const spec = specOf([step('A', { actionId: 'com.example.nope' })]);
    expect(validateSpec(spec).ok).toBe(true);
    expectOnlyError(spec, 'FSP_ERR_SPEC_UNKNOWN_ACTION', '/steps/0/actionId', {
      knownActionIds: (id) => id === 'custom.action',
    });
  });

  it('FSP_ERR_SPEC_RRULE: with the parser reason', () => {
    const d = expectOnlyError(
      {
        steps: [step('A')],
        triggers: [{ startStepNames: ['A'], scheduleTrigger: { rruleExpression: 'RRULE:FREQ=DAILY;BYHOUR=25' } }],
      },
      'FSP_ERR_SPEC_RRULE',
      '/triggers/0/scheduleTrigger/rruleExpression',
    );
    expect(d.message).toContain('BYHOUR=25');
  });

  it('FSP_ERR_SPEC_SCHEMA_TYPE: unknown type, defaultValue and allowedValues of the wrong type', () => {
    const d = expectOnlyError(
      specOf([step('A')], { inputSchema: { parameters: [{ name: 'x', type: 'INTEGER' }] } }),
      'FSP_ERR_SPEC_SCHEMA_TYPE',
      '/inputSchema/parameters/0/type',
    );
    expect(d.message).toContain('STRING');
    expectOnlyError(
      specOf([step('A')], { inputSchema: { parameters: [{ name: 'x', type: 'NUMBER', defaultValue: '1' }] } }),
      'FSP_ERR_SPEC_SCHEMA_TYPE',
      '/inputSchema/parameters/0/defaultValue',
    );
    expectOnlyError(
      specOf([step('A')], {
        inputSchema: { parameters: [{ name: 'x', type: 'ARRAY_STRING', defaultValue: ['a', 2] }] },
      }),
      'FSP_ERR_SPEC_SCHEMA_TYPE',
      '/inputSchema/parameters/0/defaultValue',
    );
    expectOnlyError(
      specOf([step('A')], {
        inputSchema: { parameters: [{ name: 'x', type: 'ARRAY_STRING', allowedValues: ['a', 2] }] },
      }),
      'FSP_ERR_SPEC_SCHEMA_TYPE',
      '/inputSchema/parameters/0/allowedValues/1',
    );
    expectOnlyError(
      specOf([step('A')], { outputSchema: { parameters: [{ name: 'x', type: 'STRING', allowedValues: 'a' }] } }),
      'FSP_ERR_SPEC_SCHEMA_TYPE',
      '/outputSchema/parameters/0/allowedValues',
    );
  });

  it('FSP_ERR_SPEC_SCHEMA_DUPLICATE: at the second entry', () => {
    expectOnlyError(
      specOf([step('A')], {
        inputSchema: {
          parameters: [
            { name: 'x', type: 'STRING' },
            { name: 'x', type: 'NUMBER' },
          ],
        },
      }),
      'FSP_ERR_SPEC_SCHEMA_DUPLICATE',
      '/inputSchema/parameters/1/name',
    );
  });
});

describe('validateWorkflowAttributes', () => {
  it('FSP_ERR_SPEC_DESCRIPTION_TOO_LONG over 300 characters', () => {
    expect(validateWorkflowAttributes({ name: 'w', description: 'x'.repeat(300) }, '')).toEqual([]);
    expect(validateWorkflowAttributes({ name: 'w', description: '😀'.repeat(300) }, '')).toEqual([]);
    const out = validateWorkflowAttributes({ name: 'w', description: 'x'.repeat(301) }, '/data/attributes');
    expect(out).toMatchObject([
      { code: 'FSP_ERR_SPEC_DESCRIPTION_TOO_LONG', severity: 'error', pointer: '/data/attributes/description' },
    ]);
  });

  it('FSP_ERR_WORKFLOW_NAME for a missing, empty or non-string name', () => {
    for (const name of [undefined, '', '   ', 42]) {
      expect(validateWorkflowAttributes({ name, description: undefined }, '/data/attributes')).toMatchObject([
        { code: 'FSP_ERR_WORKFLOW_NAME', severity: 'error', pointer: '/data/attributes/name' },
      ]);
    }
  });

  it('FSP_ERR_SPEC_TYPE for a description that is not a string', () => {
    expect(validateWorkflowAttributes({ name: 'w', description: 5 }, '')).toMatchObject([
      { code: 'FSP_ERR_SPEC_TYPE', severity: 'error', pointer: '/description' },
    ]);
  });
});

describe('validateSpec: many problems at once', () => {
  it('reports every problem, not just the first, and prefixes pointers', () => {
    const spec = {
      steps: [
        {
          name: 'A',
          actionId: 'x',
          outboundEdges: [edge('Missing'), { nextStepName: 'B' }],
          readinessGate: { thresholdType: 'MOST' },
        },
        { name: 'B', actionId: 7, parameters: [{ name: 'p', value: '{{ Steps.' }] },
        {
          name: 'A',
          actionId: 'x',
          errorHandlers: [
            { fallbackStepName: 'B', retryStrategy: { kind: 'X', linear: { interval: '5', maxRetries: -2 } } },
          ],
        },
      ],
      triggers: [
        { startStepNames: ['A'], workflowTrigger: {} },
        { startStepNames: ['B'], apiTrigger: {} },
        { startStepNames: [] },
      ],
      inputSchema: {
        parameters: [
          { name: 'i', type: 'TEXT' },
          { name: 'i', type: 'STRING' },
        ],
      },
      extra: true,
    };
    const result = validateSpec(spec, { pointerPrefix: '/data/attributes/spec' });
    expect(result.ok).toBe(false);
    const got = result.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.code} ${d.pointer}`);
    const p = '/data/attributes/spec';
    expect(got.sort()).toEqual(
      [
        `FSP_ERR_SPEC_UNKNOWN_KEY ${p}/extra`,
        `FSP_ERR_SPEC_DUPLICATE_STEP ${p}/steps/2/name`,
        `FSP_ERR_SPEC_UNKNOWN_STEP ${p}/steps/0/outboundEdges/0/nextStepName`,
        `FSP_ERR_SPEC_MISSING_FIELD ${p}/steps/0/outboundEdges/1/branchName`,
        `FSP_ERR_SPEC_READINESS_GATE ${p}/steps/0/readinessGate/thresholdType`,
        `FSP_ERR_SPEC_TYPE ${p}/steps/1/actionId`,
        `FSP_ERR_SPEC_EXPRESSION_SYNTAX ${p}/steps/1/parameters/0/value`,
        `FSP_ERR_SPEC_RETRY_KIND ${p}/steps/2/errorHandlers/0/retryStrategy/kind`,
        `FSP_ERR_SPEC_RETRY_INTERVAL ${p}/steps/2/errorHandlers/0/retryStrategy/linear/interval`,
        `FSP_ERR_SPEC_RETRY_MAX ${p}/steps/2/errorHandlers/0/retryStrategy/linear/maxRetries`,
        `FSP_ERR_SPEC_TRIGGER_SHAPE ${p}/triggers/2`,
        `FSP_ERR_SPEC_WORKFLOW_TRIGGER_COMBINED ${p}/triggers/0/workflowTrigger`,
        `FSP_ERR_SPEC_SCHEMA_TYPE ${p}/inputSchema/parameters/0/type`,
        `FSP_ERR_SPEC_SCHEMA_DUPLICATE ${p}/inputSchema/parameters/1/name`,
      ].sort(),
    );
    for (const d of result.diagnostics) expect(d.message).toMatch(/\S{3,}.*\S/);
  });

  it('escapes pointer tokens (RFC 6901)', () => {
    expect(summary(specOf([step('A', { 'a/b~c': 1 })]))).toEqual([
      { code: 'FSP_ERR_SPEC_UNKNOWN_KEY', severity: 'error', pointer: '/steps/0/a~1b~0c' },
    ]);
  });
});

describe('validateSpec: warnings', () => {
  it('FSP_WARN_UNREACHABLE_STEP: a step no trigger reaches; ok stays true', () => {
    const result = validateSpec(specOf([step('A'), step('Island', { outboundEdges: [edge('Shore')] }), step('Shore')]));
    expect(result.ok).toBe(true);
    expect(summary(specOf([step('A'), step('Island', { outboundEdges: [edge('Shore')] }), step('Shore')]))).toEqual([
      { code: 'FSP_WARN_UNREACHABLE_STEP', severity: 'warning', pointer: '/steps/1' },
      { code: 'FSP_WARN_UNREACHABLE_STEP', severity: 'warning', pointer: '/steps/2' },
    ]);
  });

  it('a step reached from any one trigger is reachable', () => {
    const spec = {
      steps: [step('A'), step('B')],
      triggers: [
        { startStepNames: ['A'], apiTrigger: {} },
        { startStepNames: ['B'], monitorTrigger: {} },
      ],
    };
    expect(validateSpec(spec).diagnostics).toEqual([]);
  });

  it('FSP_WARN_JOIN_NEVER_FIRES: a branch com.datadoghq.core.if never chooses, propagated downstream', () => {
    const spec = specOf([
      { name: 'If', actionId: 'com.datadoghq.core.if', outboundEdges: [edge('Yes', 'yes'), edge('Fine', 'true')] },
      step('Yes', { outboundEdges: [edge('After')] }),
      step('After'),
      step('Fine'),
    ]);
    const result = validateSpec(spec);
    expect(result.ok).toBe(true);
    expect(summary(spec)).toEqual([
      { code: 'FSP_WARN_JOIN_NEVER_FIRES', severity: 'warning', pointer: '/steps/1' },
      { code: 'FSP_WARN_JOIN_NEVER_FIRES', severity: 'warning', pointer: '/steps/2' },
    ]);
    expect(result.diagnostics[0]!.message).toContain('only chooses "true" or "false", never "yes"');
    expect(result.diagnostics[1]!.message).toContain('"Yes" itself never runs');
  });

  it('FSP_WARN_JOIN_NEVER_FIRES: error never succeeds, main-only actions, constant switch cases', () => {
    const spec = specOf([
      step('S', { outboundEdges: [edge('Err'), edge('Sw'), edge('Noop'), edge('Custom')] }),
      {
        name: 'Err',
        actionId: 'com.datadoghq.core.error',
        outboundEdges: [edge('AfterErr')],
        errorHandlers: [{ fallbackStepName: 'Fallback', retryStrategy: RETRY }],
      },
      {
        name: 'Sw',
        actionId: 'com.datadoghq.core.switch',
        parameters: [
          {
            name: 'cases',
            value: [
              { name: 'red', value: 1 },
              { name: 'blue', value: '{{ Trigger.b }}' },
            ],
          },
        ],
        outboundEdges: [edge('Red', 'red'), edge('Default', 'default'), edge('Green', 'green')],
      },
      {
        name: 'Noop',
        actionId: 'com.datadoghq.core.noop',
        outboundEdges: [edge('NoopMain'), edge('NoopOther', 'other')],
      },
      step('Custom', { outboundEdges: [edge('AnyBranch', 'whatever')] }),
      step('AfterErr'),
      step('Fallback'),
      step('Red'),
      step('Default'),
      step('Green'),
      step('NoopMain'),
      step('NoopOther'),
      step('AnyBranch'),
    ]);
    const warned = summary(spec).map((d) => `${d.code} ${d.pointer}`);
    expect(warned).toEqual([
      'FSP_WARN_JOIN_NEVER_FIRES /steps/5', // AfterErr
      'FSP_WARN_JOIN_NEVER_FIRES /steps/9', // Green
      'FSP_WARN_JOIN_NEVER_FIRES /steps/11', // NoopOther
    ]);
  });

  it('a switch whose cases are not constant may choose any branch', () => {
    const spec = specOf([
      {
        name: 'Sw',
        actionId: 'com.datadoghq.core.switch',
        parameters: [{ name: 'cases', value: '{{ Trigger.cases }}' }],
        outboundEdges: [edge('X', 'x')],
      },
      step('X'),
    ]);
    expect(validateSpec(spec).diagnostics).toEqual([]);
  });

  it('a join with one live inbound edge fires', () => {
    const spec = specOf([
      { name: 'If', actionId: 'com.datadoghq.core.if', outboundEdges: [edge('J', 'maybe'), edge('J', 'false')] },
      step('J'),
    ]);
    expect(validateSpec(spec).diagnostics).toEqual([]);
  });
});

describe('validateSpec: decided-before scope rule (ANY / ALL joins)', () => {
  /** S → If; If true → A, false → B; A → J; B → J; J reads `read` with the given gate. */
  function diamond(thresholdType: 'ANY' | 'ALL', read: string): Obj {
    return specOf([
      step('S', { outboundEdges: [edge('If')] }),
      { name: 'If', actionId: 'com.datadoghq.core.if', outboundEdges: [edge('A', 'true'), edge('B', 'false')] },
      step('A', { outboundEdges: [edge('J')] }),
      step('B', { outboundEdges: [edge('J')] }),
      step('J', { readinessGate: { thresholdType }, parameters: [{ name: 'p', value: `{{ Steps.${read} }}` }] }),
    ]);
  }

  it('rejects reading a step on another branch of an ANY join', () => {
    const d = expectOnlyError(diamond('ANY', 'A'), 'FSP_ERR_SPEC_EXPRESSION_SCOPE', '/steps/4/parameters/0/value');
    expect(d.message).toContain('Steps.A');
  });

  it('accepts reading it through an ALL join (every inbound edge is resolved first)', () => {
    expect(validateSpec(diamond('ALL', 'A')).diagnostics).toEqual([]);
    expect(validateSpec(diamond('ALL', 'B')).diagnostics).toEqual([]);
  });

  it('accepts reading a step before the fork through an ANY join', () => {
    expect(validateSpec(diamond('ANY', 'If')).diagnostics).toEqual([]);
    expect(validateSpec(diamond('ANY', 'S')).diagnostics).toEqual([]);
  });

  it('lets a completion condition read its own step and a fallback read the failed step', () => {
    const spec = specOf([
      step('A', {
        completionGate: {
          completionCondition: { operand1: '{{ Steps.A.done }}', operator: 'OPERATOR_EQUAL', operand2: true },
          retryStrategy: RETRY,
        },
        errorHandlers: [{ fallbackStepName: 'F', retryStrategy: RETRY }],
      }),
      step('F', { parameters: [{ name: 'why', value: '{{ Steps.A.error.message }}' }] }),
    ]);
    expect(validateSpec(spec).diagnostics).toEqual([]);
  });

  it('rejects a completion condition reading a later step', () => {
    const spec = specOf([
      step('A', {
        outboundEdges: [edge('B')],
        completionGate: {
          completionCondition: { operand1: '{{ Steps.B }}', operator: 'OPERATOR_IS_NULL' },
          retryStrategy: RETRY,
        },
      }),
      step('B'),
    ]);
    expectOnlyError(spec, 'FSP_ERR_SPEC_EXPRESSION_SCOPE', '/steps/0/completionGate/completionCondition');
  });

  it('lets output schema values read any step, and a start step read nothing before it', () => {
    const ok = specOf([step('A', { outboundEdges: [edge('B')] }), step('B')], {
      outputSchema: {
        parameters: [{ name: 'o', type: 'OBJECT', value: { a: '{{ Steps.A }}', b: '{{ $.Steps.B }}' } }],
      },
    });
    expect(validateSpec(ok).diagnostics).toEqual([]);
    // B is a start step too: when a trigger starts it, A has not run.
    const startRead = {
      steps: [
        step('A', { outboundEdges: [edge('B')] }),
        step('B', { parameters: [{ name: 'p', value: '{{ Steps.A }}' }] }),
      ],
      triggers: [{ startStepNames: ['A', 'B'], workflowTrigger: {} }],
    };
    expectOnlyError(startRead, 'FSP_ERR_SPEC_EXPRESSION_SCOPE', '/steps/1/parameters/0/value');
  });

  it('handles more read steps than one bit word (columns past 32)', () => {
    const n = 70;
    const steps: Obj[] = [];
    for (let i = 0; i < n; i++) steps.push(step(`S${i}`, { outboundEdges: [edge('Join')] }));
    const reads = Array.from({ length: n }, (_, i) => ({ name: `p${i}`, value: `{{ Steps.S${i} }}` }));
    steps.push(step('Join', { parameters: reads }));
    const allGate = {
      steps,
      triggers: [{ startStepNames: steps.slice(0, n).map((s) => s['name']), workflowTrigger: {} }],
    };
    expect(validateSpec(allGate).diagnostics).toEqual([]);
    steps[n] = step('Join', { parameters: reads, readinessGate: { thresholdType: 'ANY' } });
    const anyGate = { steps, triggers: allGate.triggers };
    const got = summary(anyGate);
    expect(got).toHaveLength(n);
    expect(got[n - 1]).toEqual({
      code: 'FSP_ERR_SPEC_EXPRESSION_SCOPE',
      severity: 'error',
      pointer: `/steps/${n}/parameters/${n - 1}/value`,
    });
  });
});

describe('validateSpec: large specs (no recursion)', () => {
  function chain(n: number, withReads: boolean): Obj[] {
    const steps: Obj[] = new Array<Obj>(n);
    for (let i = 0; i < n; i++) {
      const s: Obj = { name: `S${i}`, actionId: 'custom.action' };
      if (i + 1 < n) s['outboundEdges'] = [edge(`S${i + 1}`)];
      if (withReads && i > 0) s['parameters'] = [{ name: 'prev', value: `{{ Steps.S${i - 1}.out }}` }];
      steps[i] = s;
    }
    return steps;
  }

  it('validates a 10,000-step chain without references in milliseconds', () => {
    const spec = specOf(chain(10_000, false));
    const started = performance.now();
    const result = validateSpec(spec);
    const elapsed = performance.now() - started;
    expect(result.diagnostics).toEqual([]);
    // A generous bound (a regression guard, not a benchmark): the check is linear.
    expect(elapsed).toBeLessThan(1_000);
  });

  it('validates a 10,000-step chain where every step reads its predecessor', () => {
    expect(validateSpec(specOf(chain(10_000, true))).diagnostics).toEqual([]);
  });

  it('reports a 10,000-step cycle once', () => {
    const steps = chain(10_000, false);
    steps[9_999] = { ...steps[9_999], outboundEdges: [edge('S1')] };
    const got = validateSpec(specOf(steps)).diagnostics;
    expect(got.map(({ code, pointer }) => ({ code, pointer }))).toEqual([
      { code: 'FSP_ERR_SPEC_CYCLE', pointer: '/steps/9999/outboundEdges/0/nextStepName' },
    ]);
    expect(got[0]!.message).toContain('cycle of 9999 step(s)');
    expect(got[0]!.message.length).toBeLessThan(1_000);
  });

  it('reports 20,000 unknown step names quickly (did-you-mean work is capped)', () => {
    const steps: Obj[] = [];
    for (let i = 0; i < 20_000; i++) {
      steps.push(step(`S${String(i).padStart(5, '0')}`, { outboundEdges: [edge(`T${String(i).padStart(5, '0')}`)] }));
    }
    const started = performance.now();
    const errors = validateSpec(specOf(steps)).diagnostics.filter((d) => d.severity === 'error');
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(errors).toHaveLength(20_000);
    expect(errors.every((d) => d.code === 'FSP_ERR_SPEC_UNKNOWN_STEP')).toBe(true);
    expect(errors[0]!.message).toContain('Did you mean "S00000"?');
  });

  it('checks reads in a 100,000-step chain over several bitset passes', () => {
    const steps = chain(100_000, true);
    // One bad read, of a later step, deep inside.
    steps[50_000] = { ...steps[50_000], parameters: [{ name: 'next', value: '{{ Steps.S60000 }}' }] };
    const got = summary(specOf(steps));
    expect(got).toEqual([
      { code: 'FSP_ERR_SPEC_EXPRESSION_SCOPE', severity: 'error', pointer: '/steps/50000/parameters/0/value' },
    ]);
  });
});
