/** Instance input against the inputSchema (SEMANTICS.md section 7). Pure. */
import { jsonPointer } from '../errors.js';
import type { Diagnostic } from '../errors.js';
import type { SchemaType } from '../spec/types.js';
import { deepEqual } from '../expr/compare.js';
import type { CompiledInputParam } from './plan.js';

/** Whether `value` is exactly of schema type `type` (NUMBER is a JSON number, ARRAY_STRING an array of strings, ...). */
export function matchesSchemaType(type: SchemaType, value: unknown): boolean {
  switch (type) {
    case 'STRING':
      return typeof value === 'string';
    case 'NUMBER':
      return typeof value === 'number' && Number.isFinite(value);
    case 'BOOLEAN':
      return typeof value === 'boolean';
    case 'OBJECT':
      return isPlainObject(value);
    case 'ARRAY_STRING':
      return Array.isArray(value) && value.every((v) => typeof v === 'string');
    case 'ARRAY_NUMBER':
      return Array.isArray(value) && value.every((v) => typeof v === 'number' && Number.isFinite(v));
    case 'ARRAY_BOOLEAN':
      return Array.isArray(value) && value.every((v) => typeof v === 'boolean');
    case 'ARRAY_OBJECT':
      return Array.isArray(value) && value.every(isPlainObject);
    default: {
      const never: never = type;
      return never;
    }
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The result of checking an input: the input after defaults, or every problem. */
export type InputCheck =
  | { readonly ok: true; readonly input: Readonly<Record<string, unknown>> }
  | { readonly ok: false; readonly diagnostics: readonly Diagnostic[] };

/**
 * Check `input` against the compiled input schema: required parameters,
 * exact types, allowedValues (each element for ARRAY_* types); fill defaults;
 * undeclared keys pass through. Reports every problem at once; pointers are
 * relative to the input object (`/name`).
 */
export function checkInput(schema: readonly CompiledInputParam[], input: unknown): InputCheck {
  if (input === undefined || input === null) input = {};
  if (!isPlainObject(input)) {
    return {
      ok: false,
      diagnostics: [
        {
          code: 'FSP_ERR_INPUT_TYPE',
          severity: 'error',
          message: `The input must be a JSON object of parameters, got ${Array.isArray(input) ? 'an array' : typeof input}.`,
          pointer: '',
        },
      ],
    };
  }
  if (schema.length === 0) return { ok: true, input };
  const diagnostics: Diagnostic[] = [];
  const out: Record<string, unknown> = { ...input };
  for (const p of schema) {
    const has = Object.hasOwn(input, p.name) && input[p.name] !== undefined;
    if (!has) {
      // defineProperty, not assignment: a parameter named `__proto__` must not replace the prototype.
      if (p.hasDefault) Object.defineProperty(out, p.name, { value: p.defaultValue, ...OWN_DATA });
      else
        diagnostics.push({
          code: 'FSP_ERR_INPUT_REQUIRED',
          severity: 'error',
          message: `Input parameter "${p.name}" (${p.type}) is required: it has no defaultValue. Pass it in the input.`,
          pointer: jsonPointer(p.name),
        });
      continue;
    }
    const value = input[p.name];
    if (!matchesSchemaType(p.type, value)) {
      diagnostics.push({
        code: 'FSP_ERR_INPUT_TYPE',
        severity: 'error',
        message: `Input parameter "${p.name}" must be ${describeType(p.type)}, got ${JSON.stringify(value)}.`,
        pointer: jsonPointer(p.name),
      });
      continue;
    }
    if (p.allowedValues !== null) {
      const allowed = p.allowedValues;
      const items = Array.isArray(value) && p.type.startsWith('ARRAY_') ? (value as unknown[]) : [value];
      items.forEach((item, i) => {
        if (!allowed.some((a) => deepEqual(a, item))) {
          diagnostics.push({
            code: 'FSP_ERR_INPUT_NOT_ALLOWED',
            severity: 'error',
            message: `Input parameter "${p.name}" has ${JSON.stringify(item)}, which is not one of the allowedValues ${JSON.stringify(allowed)}.`,
            pointer: items.length === 1 && !Array.isArray(value) ? jsonPointer(p.name) : jsonPointer(p.name, i),
          });
        }
      });
    }
  }
  return diagnostics.length > 0 ? { ok: false, diagnostics } : { ok: true, input: out };
}

const OWN_DATA = { enumerable: true, writable: true, configurable: true } as const;

function describeType(type: SchemaType): string {
  switch (type) {
    case 'STRING':
      return 'a string';
    case 'NUMBER':
      return 'a number';
    case 'BOOLEAN':
      return 'a boolean';
    case 'OBJECT':
      return 'an object';
    default:
      return `an array of ${type.slice(6).toLowerCase()}s`;
  }
}
