/**
 * Checks of the editor and platform data the engine stores without reading: `connectionEnvs`,
 * `annotations` and step `display`. They are checked for types and required fields only, with no
 * unknown-key errors: they are editor and platform data, not read by the engine.
 */
import { at, jsonType, text } from './describe.js';
import type { Describe, Path } from './describe.js';
import type { ValidationContext } from './validation-context.js';

/** Check a `display` object: its `bounds`, when present, hold numbers. */
export function checkDisplay(ctx: ValidationContext, value: unknown, path: Path, what: Describe): void {
  const display = ctx.object(value, path, what);
  if (display === undefined || display['bounds'] === undefined) return;
  const bounds = ctx.object(display['bounds'], at(path, 'bounds'), () => `${text(what)}.bounds`);
  if (bounds === undefined) return;
  for (const [key, v] of Object.entries(bounds)) {
    if (typeof v !== 'number') {
      ctx.error(
        'FSP_ERR_SPEC_TYPE',
        at(path, 'bounds', key),
        `${text(what)}.bounds.${key} must be a number, got ${jsonType(v)}.`,
      );
    }
  }
}

/** Check `connectionEnvs`: environments with their connections and connection groups. */
export function checkConnectionEnvs(ctx: ValidationContext, value: unknown): void {
  ctx.array(value, ['connectionEnvs'], 'connectionEnvs').forEach((item, i) => {
    const path: Path = ['connectionEnvs', i];
    const what = `connectionEnvs[${i}]`;
    const env = ctx.object(item, path, what);
    if (env === undefined) return;
    ctx.requiredString(env, 'env', path, what, 'set the environment, e.g. "default".');
    ctx.array(env['connections'], at(path, 'connections'), `${what}.connections`).forEach((c, j) => {
      const cWhat = `${what}.connections[${j}]`;
      const conn = ctx.object(c, at(path, 'connections', j), cWhat);
      if (conn === undefined) return;
      ctx.requiredString(conn, 'connectionId', at(path, 'connections', j), cWhat, 'set the connection id.');
      ctx.requiredString(
        conn,
        'label',
        at(path, 'connections', j),
        cWhat,
        'set the label steps use as connectionLabel.',
      );
    });
    ctx.array(env['connectionGroups'], at(path, 'connectionGroups'), `${what}.connectionGroups`).forEach((g, j) => {
      const gPath: Path = at(path, 'connectionGroups', j);
      const gWhat = `${what}.connectionGroups[${j}]`;
      const group = ctx.object(g, gPath, gWhat);
      if (group === undefined) return;
      ctx.requiredString(group, 'connectionGroupId', gPath, gWhat, 'set the connection group id.');
      ctx.requiredString(group, 'label', gPath, gWhat, 'set the label steps use as connectionLabel.');
      ctx.array(group['tags'], at(gPath, 'tags'), `${gWhat}.tags`).forEach((t, k) => {
        if (typeof t !== 'string')
          ctx.error(
            'FSP_ERR_SPEC_TYPE',
            at(gPath, 'tags', k),
            `${gWhat}.tags[${k}] must be a string, got ${jsonType(t)}.`,
          );
      });
    });
  });
}

/** Check `annotations`: editor notes with an id, a display and a markdown text. */
export function checkAnnotations(ctx: ValidationContext, value: unknown): void {
  ctx.array(value, ['annotations'], 'annotations').forEach((item, i) => {
    const path: Path = ['annotations', i];
    const what = `annotations[${i}]`;
    const annotation = ctx.object(item, path, what);
    if (annotation === undefined) return;
    ctx.requiredString(annotation, 'id', path, what, 'give the annotation an id.');
    if (ctx.required(annotation, 'display', path, what, 'add display: { bounds: { x, y, width, height } }.')) {
      checkDisplay(ctx, annotation['display'], at(path, 'display'), `${what}.display`);
    }
    if (ctx.required(annotation, 'markdownTextAnnotation', path, what, 'add markdownTextAnnotation: { text }.')) {
      const md = ctx.object(
        annotation['markdownTextAnnotation'],
        at(path, 'markdownTextAnnotation'),
        `${what}.markdownTextAnnotation`,
      );
      if (md !== undefined)
        ctx.optionalString(md, 'text', at(path, 'markdownTextAnnotation'), `${what}.markdownTextAnnotation`);
    }
  });
}
