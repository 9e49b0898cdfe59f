import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ErrorCodes, FlowspecError, StepErrorCodes, jsonPointer } from './errors.js';

const doc = readFileSync(join(dirname(fileURLToPath(import.meta.url)), '../../../docs/reference/errors.md'), 'utf8');

describe('error codes', () => {
  it('documents every engine and step error code in docs/reference/errors.md', () => {
    const documented = new Set([...doc.matchAll(/^\|\s*`([A-Za-z_]+)`\s*\|/gm)].map((m) => m[1]));
    const missing = [...Object.keys(ErrorCodes), ...Object.keys(StepErrorCodes)].filter((c) => !documented.has(c));
    expect(missing).toEqual([]);
  });

  it('documents no code that does not exist', () => {
    const known = new Set([...Object.keys(ErrorCodes), ...Object.keys(StepErrorCodes)]);
    const stale = [...doc.matchAll(/^\|\s*`([A-Za-z_]+)`\s*\|/gm)].map((m) => m[1]).filter((c) => !known.has(c!));
    expect(stale).toEqual([]);
  });

  it('FlowspecError carries code, diagnostics, details and cause', () => {
    const cause = new Error('disk full');
    const err = new FlowspecError('FSP_ERR_STORE', 'store failed', { details: { tries: 2 }, cause });
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe('FlowspecError');
    expect(err.code).toBe('FSP_ERR_STORE');
    expect(err.diagnostics).toEqual([]);
    expect(err.details).toEqual({ tries: 2 });
    expect(err.cause).toBe(cause);
  });

  it('builds RFC 6901 pointers, escaping ~ and /', () => {
    expect(jsonPointer('steps', 3, 'outboundEdges', 0, 'nextStepName')).toBe('/steps/3/outboundEdges/0/nextStepName');
    expect(jsonPointer('a/b', 'c~d')).toBe('/a~1b/c~0d');
    expect(jsonPointer()).toBe('');
  });
});
