/**
 * Checks of `inputSchema` and `outputSchema`: parameter names (non-empty, unique per schema), types, and
 * `defaultValue` / `allowedValues` of the declared type, read exactly as the instance input check reads
 * them; an input parameter's default must be one of its allowedValues unless `allowExtraValues` is true.
 * Output parameter values are expressions evaluated when the instance has ended.
 */
import { deepEqual } from '../expr/compare.js';
import { at, isRecord, jsonType, quote, show } from './describe.js';
import type { Path } from './describe.js';
import { checkExpression } from './expression-checks.js';
import { nearest } from './suggest.js';
import { SchemaTypes } from './types.js';
import type { SchemaType } from './types.js';
import type { ValidationContext } from './validation-context.js';

const SCHEMA_KEYS = ['parameters'];
const INPUT_PARAM_KEYS = ['name', 'type', 'defaultValue', 'allowedValues', 'allowExtraValues', 'description', 'label'];
const OUTPUT_PARAM_KEYS = [...INPUT_PARAM_KEYS, 'value'];

function matchesScalar(type: SchemaType, value: unknown): boolean {
  switch (type) {
    case 'STRING':
    case 'ARRAY_STRING':
      return typeof value === 'string';
    case 'NUMBER':
    case 'ARRAY_NUMBER':
      return typeof value === 'number' && Number.isFinite(value);
    case 'BOOLEAN':
    case 'ARRAY_BOOLEAN':
      return typeof value === 'boolean';
    case 'OBJECT':
    case 'ARRAY_OBJECT':
      return isRecord(value);
    default: {
      const never: never = type;
      return never;
    }
  }
}

/** Whether `value` is exactly of schema type `type` (as the instance input check reads it). */
function matchesSchemaType(type: SchemaType, value: unknown): boolean {
  if (type.startsWith('ARRAY_')) return Array.isArray(value) && value.every((v) => matchesScalar(type, v));
  return matchesScalar(type, value);
}

/** What an element of `allowedValues` must be for `type`. */
function elementTypeName(type: SchemaType): string {
  return type.startsWith('ARRAY_') ? type.slice('ARRAY_'.length) : type;
}

/** Check `spec[key]`, the input or the output schema (absent is fine). */
export function checkSchema(ctx: ValidationContext, value: unknown, key: 'inputSchema' | 'outputSchema'): void {
  const known = key === 'inputSchema' ? INPUT_PARAM_KEYS : OUTPUT_PARAM_KEYS;
  if (value === undefined) return;
  const schema = ctx.object(value, [key], key);
  if (schema === undefined) return;
  ctx.checkKeys(schema, SCHEMA_KEYS, [key], key);
  const seen = new Map<string, number>();
  ctx.array(schema['parameters'], [key, 'parameters'], `${key}.parameters`).forEach((item, j) => {
    const path: Path = [key, 'parameters', j];
    const what = `${key}.parameters[${j}]`;
    const param = ctx.object(item, path, what);
    if (param === undefined) return;
    ctx.checkKeys(param, known, path, `${key} parameter ${j}`);
    const name = ctx.requiredString(param, 'name', path, what, 'name the parameter.');
    if (name === '')
      ctx.error('FSP_ERR_SPEC_EMPTY_NAME', at(path, 'name'), `${what} has an empty name; name the parameter.`);
    else if (name !== undefined) {
      const first = seen.get(name);
      if (first !== undefined) {
        ctx.error(
          'FSP_ERR_SPEC_SCHEMA_DUPLICATE',
          at(path, 'name'),
          `${key} parameter ${quote(name)} is declared twice (also at ${key}.parameters[${first}]); keep one.`,
        );
      } else seen.set(name, j);
    }
    let type: SchemaType | undefined;
    if (ctx.required(param, 'type', path, what, `set one of ${SchemaTypes.join(', ')}.`)) {
      const t = param['type'];
      if (typeof t === 'string' && (SchemaTypes as readonly string[]).includes(t)) type = t as SchemaType;
      else {
        const suggestion = typeof t === 'string' ? nearest(t, SchemaTypes) : undefined;
        const hint = suggestion !== undefined ? `Did you mean ${quote(suggestion)}? ` : '';
        ctx.error(
          'FSP_ERR_SPEC_SCHEMA_TYPE',
          at(path, 'type'),
          `${what} has the unknown type ${show(t)}. ${hint}Use one of ${SchemaTypes.join(', ')}.`,
        );
      }
    }
    ctx.optionalString(param, 'description', path, what);
    ctx.optionalString(param, 'label', path, what);
    const extra = param['allowExtraValues'];
    if (extra !== undefined && typeof extra !== 'boolean') {
      ctx.error(
        'FSP_ERR_SPEC_TYPE',
        at(path, 'allowExtraValues'),
        `${what}.allowExtraValues must be a boolean, got ${jsonType(extra)}.`,
      );
    }
    if (type !== undefined) checkSchemaValues(ctx, param, type, path, what, key);
    if (key === 'outputSchema' && param['value'] !== undefined) {
      // Outputs are evaluated when the instance has ended: they may read any step.
      checkExpression(ctx, param['value'], at(path, 'value'), -1, true);
    }
  });
}

function checkSchemaValues(
  ctx: ValidationContext,
  param: Record<string, unknown>,
  type: SchemaType,
  path: Path,
  what: string,
  key: 'inputSchema' | 'outputSchema',
): void {
  const def = param['defaultValue'];
  const defaultMatches = def !== undefined && matchesSchemaType(type, def);
  if (def !== undefined && !defaultMatches) {
    ctx.error(
      'FSP_ERR_SPEC_SCHEMA_TYPE',
      at(path, 'defaultValue'),
      `${what}.defaultValue is ${show(def)}, not a ${type} value; fix it or change the type.`,
    );
  }
  const allowed = param['allowedValues'];
  if (allowed === undefined) return;
  if (!Array.isArray(allowed)) {
    ctx.error(
      'FSP_ERR_SPEC_SCHEMA_TYPE',
      at(path, 'allowedValues'),
      `${what}.allowedValues must be an array of ${elementTypeName(type)} values, got ${jsonType(allowed)}.`,
    );
    return;
  }
  allowed.forEach((v: unknown, k: number) => {
    if (!matchesScalar(type, v)) {
      ctx.error(
        'FSP_ERR_SPEC_SCHEMA_TYPE',
        at(path, 'allowedValues', k),
        `${what}.allowedValues[${k}] is ${show(v)}, not a ${elementTypeName(type)} value.`,
      );
    }
  });
  // A default stands in for a missing input, so it must pass the check an input passes (each element for
  // ARRAY_* types), unless the parameter allows extra values.
  if (key === 'inputSchema' && defaultMatches && param['allowExtraValues'] !== true) {
    const isArray = type.startsWith('ARRAY_');
    const items = isArray ? (def as readonly unknown[]) : [def];
    items.forEach((item, k) => {
      if (allowed.some((a: unknown) => deepEqual(a, item))) return;
      ctx.error(
        'FSP_ERR_SPEC_VALUE',
        isArray ? at(path, 'defaultValue', k) : at(path, 'defaultValue'),
        `${what}.defaultValue${isArray ? `[${k}]` : ''} is ${show(item)}, which is not one of its allowedValues ` +
          `${show(allowed)}; use an allowed value, add it to allowedValues, or set allowExtraValues: true.`,
      );
    });
  }
}
