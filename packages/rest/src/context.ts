/**
 * What every route handler shares: the engine, the keyring, and small caches
 * of immutable data (spec versions never change once written).
 */
import type { Engine, InstanceSource, SpecVersionRecord, WorkflowRecord } from '@flowspec/engine';
import { FlowspecError } from '@flowspec/engine';
import type { FastifyRequest } from 'fastify';
import type { Keyring, Principal, Scope } from './auth.js';

/** The route families; each answers with its recorded content type. */
export type RouteFamily = 'workflow' | 'instance' | 'domo' | 'service';

/** Per-route settings (fastify route `config`). */
export interface RouteSettings {
  /** The scope the route needs, or null for routes open without keys. */
  readonly scope: Scope | null;
  readonly family: RouteFamily;
  /** Prefix of engine diagnostic pointers: where the validated document sits in the body. */
  readonly pointer?: string;
}

/** Content type of each family: workflow routes as recorded (JSON:API), the others plain JSON. */
export const contentTypes: Readonly<Record<RouteFamily, string>> = {
  workflow: 'application/vnd.api+json',
  instance: 'application/json',
  domo: 'application/json',
  service: 'application/json',
};

/** The content type of an error for a URL no route matched. */
export function contentTypeForUrl(url: string): string {
  const path = url.split('?')[0] ?? '';
  return /^\/api\/v2\/workflows(\/[^/]*)?\/?$/.test(path) ? contentTypes.workflow : contentTypes.instance;
}

const SPEC_CACHE_LIMIT = 2000;

/** Handler dependencies. */
export class RestContext {
  readonly engine: Engine;
  readonly keyring: Keyring;
  readonly #versions = new Map<string, SpecVersionRecord>();
  readonly #triggerKinds = new WeakMap<SpecVersionRecord, string | undefined>();
  readonly #sources = new WeakMap<Principal, Map<string, InstanceSource>>();

  constructor(engine: Engine, keyring: Keyring) {
    this.engine = engine;
    this.keyring = keyring;
  }

  /** The workflow record (no spec), or a 404. */
  async workflow(id: string): Promise<WorkflowRecord> {
    const wf = await this.engine.store.getWorkflow(id);
    if (!wf) throw new FlowspecError('FSP_ERR_WORKFLOW_NOT_FOUND', `No workflow has id "${id}".`);
    return wf;
  }

  /** The workflow record, or undefined when there is none. */
  async maybeWorkflow(id: string): Promise<WorkflowRecord | undefined> {
    return (await this.engine.store.getWorkflow(id)) ?? undefined;
  }

  /** A spec version (cached: versions are immutable). */
  async specVersion(workflowId: string, version: number): Promise<SpecVersionRecord> {
    const key = `${workflowId}@${version}`;
    const hit = this.#versions.get(key);
    if (hit) return hit;
    const rec = await this.engine.getSpecVersion(workflowId, version);
    if (this.#versions.size >= SPEC_CACHE_LIMIT) this.#versions.delete(this.#versions.keys().next().value!);
    this.#versions.set(key, rec);
    return rec;
  }

  /**
   * The trigger an API execute starts through (SEMANTICS.md section 8): the
   * apiTrigger if the spec has one, else the workflowTrigger, else undefined
   * (the engine then refuses with FSP_ERR_NO_EXECUTE_TRIGGER).
   */
  executeTrigger(version: SpecVersionRecord): string | undefined {
    if (this.#triggerKinds.has(version)) return this.#triggerKinds.get(version);
    const triggers = Array.isArray(version.spec.triggers) ? version.spec.triggers : [];
    const has = (kind: string): boolean => triggers.some((t) => t !== null && typeof t === 'object' && kind in t);
    const kind = has('apiTrigger') ? 'apiTrigger' : has('workflowTrigger') ? 'workflowTrigger' : undefined;
    this.#triggerKinds.set(version, kind);
    return kind;
  }

  /**
   * The instance `Source` for a run started by `principal` through `kind`:
   * `{ type: 'api' | 'manual', api|manual: { actingUser } }` (the REST `source`
   * and the `Source` template root). One frozen object per principal and kind.
   */
  sourceFor(principal: Principal, kind: string | undefined): InstanceSource | undefined {
    if (kind === undefined) return undefined;
    let byKind = this.#sources.get(principal);
    if (byKind === undefined) this.#sources.set(principal, (byKind = new Map()));
    let source = byKind.get(kind);
    if (source === undefined) {
      const type = kind === 'apiTrigger' ? 'api' : kind === 'workflowTrigger' ? 'manual' : kind.replace(/Trigger$/, '');
      source = Object.freeze({
        type,
        [type]: Object.freeze({
          actingUser: Object.freeze({ userUuid: principal.user, userName: principal.name, userEmail: principal.email }),
        }),
      });
      byKind.set(kind, source);
    }
    return source;
  }
}

/** The authenticated principal of a request (set by the auth hook; routes with a scope always have one). */
export function principalOf(request: FastifyRequest): Principal {
  const p = request.flowspecPrincipal;
  if (p === null) throw new Error('route without a scope asked for the principal');
  return p;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The caller, once the key pair was checked (null on open routes). */
    flowspecPrincipal: Principal | null;
  }
}
