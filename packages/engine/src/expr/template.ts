/**
 * Templates in parameter values (SEMANTICS.md section 2): `{{ path }}` and
 * JSONPath `{{ $... }}`. `compileValue` parses a value once; `evaluateValue`
 * walks the precompiled form and never parses again.
 *
 * Decisions where SEMANTICS.md is silent:
 * - Path syntax: a root, then `.key` or `[index]` / `["key"]` / `['key']` segments, with no spaces
 *   except directly inside the braces and inside brackets. A dot key may hold letters, digits, `_`, `$`
 *   and `-`; any other key needs brackets. A segment that is a canonical array index (`0`, `12`, not
 *   `01`) indexes arrays; on objects it reads the key of the same spelling. String keys never read
 *   array properties (`items.length` is missing).
 * - Only own properties are read (`Object.hasOwn`); `__proto__`, `constructor` and `prototype` never
 *   resolve: a path through one of them is missing, and such keys of parameter objects are dropped
 *   from the resolved value (an object holding one is therefore never constant).
 * - A JSONPath query (`{{ $.Steps.Get.items[*].id }}`) always yields the array of all its matches,
 *   `[]` when nothing matches, evaluated by jsonpath-plus with its safe evaluator over
 *   `{ Trigger, Steps, Source, Variables, WorkflowName, WorkflowId, InstanceId }`, where `Steps` holds
 *   the steps that have an output, keyed by name. Errors inside filter expressions at run time
 *   (reading a member of a missing value) make the filter false.
 * - There is no escape for a literal `{{`: every `{{` opens a template. Object keys are never templates.
 */
import { JSONPath } from 'jsonpath-plus';
import type { CompiledValue, CompiledValueResult, EvalContext, ExprProblem } from './types.js';

/** The roots a template path may start with, in the order messages list them. */
export const TemplateRoots = [
  'Trigger',
  'Steps',
  'Source',
  'Variables',
  'WorkflowName',
  'WorkflowId',
  'InstanceId',
] as const;

/** A template root. */
export type TemplateRoot = (typeof TemplateRoots)[number];

/** Keys that never resolve and are never written (prototype pollution). */
function isUnsafeKey(key: string | number): boolean {
  return key === '__proto__' || key === 'constructor' || key === 'prototype';
}

// Node kinds of the compiled form.
const K_CONST = 0;
const K_PATH = 1;
const K_JSONPATH = 2;
const K_INTERP = 3;
const K_OBJECT = 4;
const K_ARRAY = 5;

// Root codes of a path node. R_MISSING: a path that can never resolve (unsafe key, unknown step).
const R_TRIGGER = 0;
const R_STEP = 1;
const R_STEPS = 2;
const R_SOURCE = 3;
const R_VARIABLES = 4;
const R_WORKFLOW_NAME = 5;
const R_WORKFLOW_ID = 6;
const R_INSTANCE_ID = 7;
const R_MISSING = 8;

const ROOT_CODE: Readonly<Record<TemplateRoot, number>> = {
  Trigger: R_TRIGGER,
  Steps: R_STEPS,
  Source: R_SOURCE,
  Variables: R_VARIABLES,
  WorkflowName: R_WORKFLOW_NAME,
  WorkflowId: R_WORKFLOW_ID,
  InstanceId: R_INSTANCE_ID,
};

type Segment = string | number;

const NO_SEGMENTS: readonly Segment[] = [];
const NO_KEYS: readonly string[] = [];
const NO_CHILDREN: readonly Compiled[] = [];

/**
 * The compiled form of a value. One class with one field layout for every kind keeps
 * property access monomorphic on the evaluation hot path.
 */
class Compiled implements CompiledValue {
  readonly constant: boolean;
  readonly #kind: number;
  /** K_CONST: the value itself; K_JSONPATH: the query. */
  readonly #value: unknown;
  readonly #root: number;
  readonly #step: number;
  readonly #segs: readonly Segment[];
  readonly #keys: readonly string[];
  /** K_OBJECT: values by key; K_ARRAY: items; K_INTERP: literal (K_CONST) and template parts. */
  readonly #children: readonly Compiled[];

  constructor(
    kind: number,
    value: unknown,
    root: number,
    step: number,
    segs: readonly Segment[],
    keys: readonly string[],
    children: readonly Compiled[],
  ) {
    this.constant = kind === K_CONST;
    this.#kind = kind;
    this.#value = value;
    this.#root = root;
    this.#step = step;
    this.#segs = segs;
    this.#keys = keys;
    this.#children = children;
  }

  /** The value of this node where a whole value is expected: a missing template yields `null`. */
  evaluate(ctx: EvalContext): unknown {
    switch (this.#kind) {
      case K_CONST:
        return this.#value;
      case K_PATH:
      case K_JSONPATH:
        return this.#lookup(ctx) ?? null;
      case K_INTERP:
        return this.#interpolate(ctx);
      case K_OBJECT: {
        const keys = this.#keys;
        const children = this.#children;
        const out: Record<string, unknown> = {};
        // Unsafe keys were dropped at compile time, so plain assignment cannot reach a prototype.
        for (let i = 0; i < keys.length; i++) out[keys[i]!] = children[i]!.evaluate(ctx);
        return out;
      }
      default: {
        const children = this.#children;
        const out = new Array<unknown>(children.length);
        for (let i = 0; i < children.length; i++) out[i] = children[i]!.evaluate(ctx);
        return out;
      }
    }
  }

  /** The referenced value of a K_PATH / K_JSONPATH node, `undefined` when missing. */
  #lookup(ctx: EvalContext): unknown {
    if (this.#kind === K_JSONPATH) return this.#value === null ? [] : queryJsonPath(this.#value as string, ctx);
    let cur: unknown;
    switch (this.#root) {
      case R_TRIGGER:
        cur = ctx.trigger;
        break;
      case R_STEP:
        cur = ctx.outputs[this.#step];
        break;
      case R_STEPS:
        return stepsObject(ctx);
      case R_SOURCE:
        cur = ctx.source;
        break;
      case R_VARIABLES:
        cur = ctx.variables;
        break;
      case R_WORKFLOW_NAME:
        cur = ctx.workflowName;
        break;
      case R_WORKFLOW_ID:
        cur = ctx.workflowId;
        break;
      case R_INSTANCE_ID:
        cur = ctx.instanceId;
        break;
      default:
        return undefined;
    }
    const segs = this.#segs;
    for (let i = 0; i < segs.length; i++) {
      if (typeof cur !== 'object' || cur === null) return undefined;
      const seg = segs[i]!;
      if (Array.isArray(cur)) {
        if (typeof seg !== 'number' || seg >= cur.length) return undefined;
        cur = cur[seg];
      } else {
        if (!Object.hasOwn(cur, seg)) return undefined;
        cur = (cur as Record<Segment, unknown>)[seg];
      }
    }
    return cur;
  }

  #interpolate(ctx: EvalContext): string {
    let out = '';
    const parts = this.#children;
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i]!;
      if (part.#kind === K_CONST) {
        out += part.#value as string;
        continue;
      }
      const v = part.#lookup(ctx);
      if (typeof v === 'string') out += v;
      else if (typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v)))
        out += String(v); // = JSON
      else if (v !== undefined) out += JSON.stringify(v) ?? '';
    }
    return out;
  }
}

function constant(value: unknown): Compiled {
  return new Compiled(K_CONST, value, R_MISSING, -1, NO_SEGMENTS, NO_KEYS, NO_CHILDREN);
}

function pathNode(root: number, step: number, segs: readonly Segment[]): Compiled {
  return new Compiled(K_PATH, undefined, root, step, segs, NO_KEYS, NO_CHILDREN);
}

/** `Steps` as an object keyed by step name, holding the steps that have an output. */
function stepsObject(ctx: EvalContext): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const { stepNames, outputs } = ctx;
  for (let i = 0; i < stepNames.length; i++) {
    const name = stepNames[i]!;
    const v = outputs[i];
    if (v !== undefined && !isUnsafeKey(name)) out[name] = v;
  }
  return out;
}

function queryJsonPath(path: string, ctx: EvalContext): unknown[] {
  const json = {
    Trigger: ctx.trigger,
    Steps: stepsObject(ctx),
    Source: ctx.source,
    Variables: ctx.variables,
    WorkflowName: ctx.workflowName,
    WorkflowId: ctx.workflowId,
    InstanceId: ctx.instanceId,
  };
  // jsonpath-plus caches the parsed form of each path string, so this does not re-parse.
  const result: unknown = JSONPath({ path, json, wrap: true, eval: 'safe', ignoreEvalErrors: true });
  return Array.isArray(result) ? result : [];
}

/** @param path - the query, or null for one that can never match (it names an unsafe key). */
function jsonPathNode(path: string | null): Compiled {
  return new Compiled(K_JSONPATH, path, R_MISSING, -1, NO_SEGMENTS, NO_KEYS, NO_CHILDREN);
}

// ---------------------------------------------------------------------------------------------
// Compilation

interface CompileState {
  readonly resolveStep: (name: string) => number;
  readonly problems: ExprProblem[];
  readonly stepRefs: number[];
  readonly unknownStepRefs: string[];
  /** Location of the value being compiled (mutated as a stack while walking). */
  readonly path: Segment[];
}

function problem(st: CompileState, message: string): void {
  st.problems.push({ message, path: st.path.slice() });
}

function addStep(st: CompileState, name: string): number {
  const index = isUnsafeKey(name) ? -1 : st.resolveStep(name);
  if (index < 0) {
    if (!st.unknownStepRefs.includes(name)) st.unknownStepRefs.push(name);
  } else if (!st.stepRefs.includes(index)) st.stepRefs.push(index);
  return index;
}

/**
 * Compile one parameter value. Templates are found in strings, recursively through arrays and
 * objects. A value without any template compiles to a constant (`constant: true`) that evaluates to
 * the value itself; inside a templated value every template-free sub-tree is shared, not copied.
 *
 * Problems (a template that does not parse) are returned with their location below `value`; the
 * string holding them then compiles to itself, unchanged. A `Steps.<Name>` whose name `resolveStep`
 * does not know (-1) is listed in `unknownStepRefs` and evaluates as missing.
 *
 * @param resolveStep - the plan index of a step name, or -1.
 */
export function compileValue(value: unknown, resolveStep: (name: string) => number): CompiledValueResult {
  const st: CompileState = { resolveStep, problems: [], stepRefs: [], unknownStepRefs: [], path: [] };
  const compiled = compileNode(value, st);
  return { value: compiled, problems: st.problems, stepRefs: st.stepRefs, unknownStepRefs: st.unknownStepRefs };
}

/**
 * Evaluate a compiled value. A whole-value template yields the referenced value itself (no copy),
 * `null` when the path is missing; interpolated strings render strings as-is, other values as JSON
 * and missing values as `""`; a JSONPath query yields the array of its matches.
 */
export function evaluateValue(value: CompiledValue, ctx: EvalContext): unknown {
  return (value as Compiled).evaluate(ctx);
}

function compileNode(value: unknown, st: CompileState): Compiled {
  if (typeof value === 'string') return compileString(value, st);
  if (typeof value !== 'object' || value === null) return constant(value);
  if (Array.isArray(value)) {
    const items: Compiled[] = [];
    let allConstant = true;
    for (let i = 0; i < value.length; i++) {
      st.path.push(i);
      const item = compileNode(value[i], st);
      st.path.pop();
      if (!item.constant) allConstant = false;
      items.push(item);
    }
    return allConstant ? constant(value) : new Compiled(K_ARRAY, undefined, R_MISSING, -1, NO_SEGMENTS, NO_KEYS, items);
  }
  const keys: string[] = [];
  const children: Compiled[] = [];
  let allConstant = true;
  for (const key of Object.keys(value)) {
    if (isUnsafeKey(key)) {
      allConstant = false; // must be rebuilt without it
      continue;
    }
    st.path.push(key);
    const child = compileNode((value as Record<string, unknown>)[key], st);
    st.path.pop();
    if (!child.constant) allConstant = false;
    keys.push(key);
    children.push(child);
  }
  return allConstant ? constant(value) : new Compiled(K_OBJECT, undefined, R_MISSING, -1, NO_SEGMENTS, keys, children);
}

/** A template found in a string: `start` is the index of `{{`, `end` the index after `}}`. */
interface Found {
  readonly start: number;
  readonly end: number;
  readonly inner: string;
}

/** Find the `}}` closing the template whose body starts at `from`; quotes count only inside `[...]` / `(...)`. */
function findClose(s: string, from: number): number {
  let depth = 0;
  let quote = '';
  for (let i = from; i < s.length; i++) {
    const c = s[i]!;
    if (quote !== '') {
      if (c === '\\') i++;
      else if (c === quote) quote = '';
    } else if (depth > 0 && (c === '"' || c === "'")) quote = c;
    else if (c === '[' || c === '(') depth++;
    else if ((c === ']' || c === ')') && depth > 0) depth--;
    else if (c === '}' && s[i + 1] === '}') return i;
  }
  return -1;
}

function compileString(s: string, st: CompileState): Compiled {
  let open = s.indexOf('{{');
  if (open < 0) return constant(s);
  const found: Found[] = [];
  let ok = true;
  while (open >= 0) {
    const close = findClose(s, open + 2);
    if (close < 0) {
      problem(
        st,
        `unterminated template: the "{{" at character ${open} of ${JSON.stringify(s)} has no closing "}}"; ` +
          'add "}}" after the path',
      );
      ok = false;
      break;
    }
    found.push({ start: open, end: close + 2, inner: s.slice(open + 2, close) });
    open = s.indexOf('{{', close + 2);
  }
  const exprs: Compiled[] = [];
  for (const f of found) {
    const node = compileExpression(f.inner, st);
    if (node === null) ok = false;
    else exprs.push(node);
  }
  if (!ok) return constant(s);
  const first = found[0]!;
  if (found.length === 1 && first.start === 0 && first.end === s.length) return exprs[0]!;
  const parts: Compiled[] = [];
  let last = 0;
  found.forEach((f, i) => {
    if (f.start > last) parts.push(constant(s.slice(last, f.start)));
    parts.push(exprs[i]!);
    last = f.end;
  });
  if (last < s.length) parts.push(constant(s.slice(last)));
  return new Compiled(K_INTERP, undefined, R_MISSING, -1, NO_SEGMENTS, NO_KEYS, parts);
}

/** Compile the text between `{{` and `}}`; null after reporting a problem. */
function compileExpression(inner: string, st: CompileState): Compiled | null {
  const src = inner.trim();
  const shown = `{{${inner}}}`;
  if (src === '') {
    problem(st, `empty template "${shown}"; write a path such as {{ Trigger.name }} or remove the braces`);
    return null;
  }
  if (src.startsWith('$')) {
    const checked = checkJsonPath(src);
    if (typeof checked === 'string') {
      problem(st, `bad JSONPath in "${shown}": ${checked}`);
      return null;
    }
    for (const name of checked.steps) addStep(st, name);
    return jsonPathNode(checked.blocked ? null : src);
  }
  const parsed = parsePath(src);
  if (typeof parsed === 'string') {
    problem(st, `bad template "${shown}": ${parsed}`);
    return null;
  }
  const { root, segs } = parsed;
  let code = ROOT_CODE[root];
  let step = -1;
  let rest = segs;
  if (code === R_STEPS && segs.length > 0) {
    step = addStep(st, String(segs[0]));
    code = step < 0 ? R_MISSING : R_STEP;
    rest = segs.slice(1);
  }
  if (rest.some(isUnsafeKey)) code = R_MISSING;
  return pathNode(code, step, code === R_MISSING ? NO_SEGMENTS : rest);
}

// ---------------------------------------------------------------------------------------------
// Path syntax

const NAME_CHAR = /^[\p{L}\p{N}_$-]$/u;
const INDEX = /^(?:0|[1-9]\d*)$/;

function isRoot(name: string): name is TemplateRoot {
  return (TemplateRoots as readonly string[]).includes(name);
}

/** A canonical array index becomes a number segment; anything else stays a key. */
function toSegment(key: string): Segment {
  return INDEX.test(key) && key.length < 16 ? Number(key) : key;
}

function readName(src: string, from: number): number {
  let i = from;
  while (i < src.length && NAME_CHAR.test(src[i]!)) i++;
  return i;
}

const ESCAPES: Readonly<Record<string, string>> = {
  '\\': '\\',
  '"': '"',
  "'": "'",
  '/': '/',
  n: '\n',
  t: '\t',
  r: '\r',
  b: '\b',
  f: '\f',
};

/** Read a quoted key starting at `from` (the quote); the key and the index after the closing quote, or an error. */
function readQuoted(src: string, from: number): { key: string; end: number } | string {
  const q = src[from]!;
  let key = '';
  for (let i = from + 1; i < src.length; i++) {
    const c = src[i]!;
    if (c === q) return { key, end: i + 1 };
    if (c !== '\\') {
      key += c;
      continue;
    }
    const e = src[i + 1];
    if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(src.slice(i + 2, i + 6))) {
      key += String.fromCharCode(parseInt(src.slice(i + 2, i + 6), 16));
      i += 5;
    } else if (e !== undefined && Object.hasOwn(ESCAPES, e)) {
      key += ESCAPES[e];
      i++;
    } else
      return `unknown escape "\\${e ?? ''}" in a quoted key; escape only \\\\, quotes and \\n \\t \\r \\b \\f \\uXXXX`;
  }
  return `unterminated quoted key starting at character ${from}; close it with ${q}`;
}

function skipSpaces(src: string, i: number): number {
  while (i < src.length && (src[i] === ' ' || src[i] === '\t' || src[i] === '\n' || src[i] === '\r')) i++;
  return i;
}

const ROOT_LIST = TemplateRoots.join(', ');

/** Parse `Root.key[0]["k"]...`; an error message when it does not parse. */
function parsePath(src: string): { root: TemplateRoot; segs: Segment[] } | string {
  const rootEnd = readName(src, 0);
  const rootName = src.slice(0, rootEnd);
  if (rootName === '') {
    return `a template must start with a root (${ROOT_LIST}), found "${src[0]}"`;
  }
  if (!isRoot(rootName)) {
    const near = TemplateRoots.find((r) => r.toLowerCase() === rootName.toLowerCase());
    return `unknown root "${rootName}"${near ? ` (did you mean "${near}"?)` : ''}; roots are ${ROOT_LIST}`;
  }
  const segs: Segment[] = [];
  let i = rootEnd;
  while (i < src.length) {
    const c = src[i]!;
    if (c === '.') {
      const end = readName(src, i + 1);
      if (end === i + 1) {
        const next = src[i + 1];
        return next === undefined
          ? 'the path ends with "."; remove it or add a key'
          : `expected a key after "." at character ${i}, found "${next}"; keys with other characters need brackets, e.g. ["my-key"]`;
      }
      segs.push(toSegment(src.slice(i + 1, end)));
      i = end;
    } else if (c === '[') {
      let j = skipSpaces(src, i + 1);
      const d = src[j];
      if (d === '"' || d === "'") {
        const q = readQuoted(src, j);
        if (typeof q === 'string') return q;
        segs.push(toSegment(q.key));
        j = q.end;
      } else if (d !== undefined && d >= '0' && d <= '9') {
        const end = readName(src, j);
        const text = src.slice(j, end);
        if (!INDEX.test(text) || text.length >= 16) {
          return `bad index "[${text}]"; an index is a non-negative integer without leading zeros, a key is quoted: ["${text}"]`;
        }
        segs.push(Number(text));
        j = end;
      } else {
        return `bad bracket at character ${i}; brackets hold an index or a quoted key, e.g. [0] or ["my key"]`;
      }
      j = skipSpaces(src, j);
      if (src[j] !== ']') return `missing "]" at character ${j}; brackets hold one index or one quoted key`;
      i = j + 1;
    } else if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      return `unexpected space at character ${i}; a path has no spaces, keys with spaces need brackets, e.g. ["my key"]`;
    } else {
      return `unexpected "${c}" at character ${i}; continue a path with .key, [0] or ["key"]`;
    }
  }
  return { root: rootName, segs };
}

// ---------------------------------------------------------------------------------------------
// JSONPath syntax

/** A named step of a JSONPath query, as far as the step refs need it. */
type JsonSeg = { readonly names: readonly string[] } | null;

/** Index of the `]` closing the `[` at `from`, honouring nested brackets, parentheses and quotes; -1 if none. */
function matchBracket(src: string, from: number): number {
  let depth = 0;
  let quote = '';
  for (let i = from; i < src.length; i++) {
    const c = src[i]!;
    if (quote !== '') {
      if (c === '\\') i++;
      else if (c === quote) quote = '';
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '[' || c === '(') depth++;
    else if (c === ']' || c === ')') {
      depth--;
      if (depth === 0) return c === ']' ? i : -1;
      if (depth < 0) return -1;
    }
  }
  return -1;
}

/** Parse a filter/script expression the way jsonpath-plus will; an error message or null. */
function checkScript(kind: '?' | '', script: string): string | null {
  try {
    JSONPath({ path: `$[${kind}(${script})]`, json: { probe: {} }, wrap: true, eval: 'safe', ignoreEvalErrors: true });
    return null;
  } catch (e) {
    return `bad ${kind === '?' ? 'filter' : 'script'} expression "(${script})": ${(e as Error).message}`;
  }
}

const TYPE_NAMES = [
  'null',
  'boolean',
  'number',
  'string',
  'integer',
  'undefined',
  'nonFinite',
  'scalar',
  'array',
  'object',
  'function',
  'other',
] as const;
/** jsonpath-plus type selectors such as `@string()`. */
const TYPE_SELECTOR = new RegExp(`^@(?:${TYPE_NAMES.join('|')})\\(\\)`);

const SLICE = /^-?\d*:-?\d*(?::-?\d*)?$/;
const BARE = /^[^\s'"()[\],]+$/;

/** Check the bracket content of a JSONPath step. */
function checkBracket(content: string): JsonSeg | string {
  if (content === '') return 'empty brackets "[]"; write an index, a name, *, a slice or a filter';
  if (content.startsWith('?(') || content.startsWith('(')) {
    const filter = content.startsWith('?');
    if (!content.endsWith(')')) return `"${content}" must end with ")"`;
    const err = checkScript(filter ? '?' : '', content.slice(filter ? 2 : 1, -1));
    return err ?? null;
  }
  if (content === '*' || SLICE.test(content) || /^-?\d+$/.test(content)) return null;
  const quoted = content[0] === '"' || content[0] === "'";
  if (quoted) {
    const q = readQuoted(content, 0);
    if (typeof q === 'string') return q;
    if (q.end !== content.length) {
      return `unexpected text after the quoted name in "[${content}]"; unions of names are written without quotes: [a,b]`;
    }
    return { names: [q.key] };
  }
  const parts = content.split(',').map((p) => p.trim());
  for (const p of parts) {
    if (!BARE.test(p))
      return `bad bracket content "[${content}]"; write an index, a name, *, a slice, [a,b] or ?(filter)`;
  }
  return { names: parts };
}

/**
 * Check a JSONPath query (starting with `$`). Returns an error message, or the step names it reads
 * literally (`$.Steps.X`, `$['Steps']['X']`, `$.Steps[X,Y]`) and whether a named step is an unsafe key.
 */
function checkJsonPath(src: string): { steps: string[]; blocked: boolean } | string {
  const segs: JsonSeg[] = [];
  let blocked = false;
  let i = 1;
  while (i < src.length) {
    const c = src[i]!;
    if (c === '.') {
      const descent = src[i + 1] === '.';
      if (descent) segs.push(null);
      i += descent ? 2 : 1;
      if (descent && src[i] === '[') continue;
      let end = i;
      while (end < src.length && !/[.[\]\s()'"~^@]/.test(src[end]!)) end++;
      if (end === i) {
        return src[i] === undefined
          ? `the query ends with "${descent ? '..' : '.'}"; add a name or *`
          : `expected a name or * after "${descent ? '..' : '.'}" at character ${i}, found "${src[i]}"`;
      }
      const name = src.slice(i, end);
      segs.push(name === '*' || descent ? null : { names: [name] });
      if (descent && isUnsafeKey(name)) blocked = true;
      i = end;
    } else if (c === '[') {
      const close = matchBracket(src, i);
      if (close < 0) return `the "[" at character ${i} is not closed by a matching "]"`;
      const seg = checkBracket(src.slice(i + 1, close).trim());
      if (typeof seg === 'string') return seg;
      segs.push(seg);
      i = close + 1;
    } else if (c === '^' || c === '~') {
      segs.push(null);
      i++;
    } else if (c === '@') {
      const type = TYPE_SELECTOR.exec(src.slice(i));
      if (!type)
        return `unknown type selector at character ${i}; use one of ${TYPE_NAMES.map((t) => `@${t}()`).join(', ')}`;
      segs.push(null);
      i += type[0].length;
    } else {
      return `unexpected "${c}" at character ${i}; JSONPath steps start with ".", ".." or "["`;
    }
  }
  for (const seg of segs) if (seg?.names.length === 1 && isUnsafeKey(seg.names[0]!)) blocked = true;
  const first = segs[0];
  const second = segs[1];
  const steps = first?.names.length === 1 && first.names[0] === 'Steps' && second ? [...second.names] : [];
  return { steps, blocked };
}
