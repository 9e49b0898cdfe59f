/**
 * Vocabulary shared by the spec checks: pointer paths built token by token, descriptions rendered only
 * when a problem is reported, JSON type names, short previews of values, and the duration format.
 */

/** Pointer tokens from the root of the validated document (the pointer prefix is added when reporting). */
export type Path = readonly (string | number)[];

/**
 * What a message talks about ("Edge 0 of Step "A""). A function when built per element of a large spec:
 * the text is only made when a problem is reported.
 */
export type Describe = string | (() => string);

/** The text of a description. */
export function text(what: Describe): string {
  return typeof what === 'string' ? what : what();
}

/** `path` extended by `tokens`: a copy, because sibling fields share their parent's path. */
export function at(path: Path, ...tokens: readonly (string | number)[]): Path {
  const out = path.slice();
  for (const token of tokens) out.push(token);
  return out;
}

/** A JSON object (not null, not an array). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The JSON type of a value, for messages ("an array", "a string", "null"). */
export function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return 'a string';
  if (typeof value === 'number') return 'a number';
  if (typeof value === 'boolean') return 'a boolean';
  return typeof value;
}

/** A name in double quotes, escaped as JSON. */
export function quote(text: string): string {
  return JSON.stringify(text);
}

/** A value as JSON, cut to 60 characters, for messages. */
export function show(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 60 ? `${text.slice(0, 60)}…` : text;
}

/** A duration, `"<number>s"`: `"30s"`, `"0.5s"`; not `"30"`, `"1m"`, `"-1s"`. */
export const SECONDS = /^(?:\d+(?:\.\d+)?|\.\d+)s$/;
