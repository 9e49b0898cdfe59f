/**
 * Checks of the step graph as a whole, once every step, edge, trigger and expression has been read:
 * cycles, steps that never run (warnings), and the "decided before" scope rule of expressions
 * (docs/adr/0003-expression-scope.md).
 *
 * Decisions:
 * - The graph (outbound edges and error-handler fallbacks) is walked with explicit stacks and queues,
 *   never recursion: a spec may have 100,000 steps. Adjacency is kept in flat typed arrays.
 * - A cycle is reported at each back edge of a depth-first search, naming the cycle that edge closes:
 *   removing every reported edge makes the graph acyclic.
 * - "Decided before" is computed only when some expression reads a step, only on an acyclic graph, and
 *   only for the steps that are read: one bit column per read step.
 */
import type { ErrorCode } from '../errors.js';
import { isRecord, quote } from './describe.js';
import type { Path } from './describe.js';

/** One `Steps.X` read by an expression, checked against "decided before" once the graph is known. */
export interface StepRead {
  /** The step whose expression reads. */
  readonly reader: number;
  /** The step it reads. */
  readonly step: number;
  /** Where the expression is. */
  readonly path: Path;
}

/** An edge of the step graph (an outbound edge or an error-handler fallback) whose target exists. */
export interface Edge {
  readonly from: number;
  readonly to: number;
  /** Branch of an outbound edge; null for a fallback edge. */
  readonly branch: string | null;
  /** Position in the step's `outboundEdges` (or `errorHandlers` for a fallback). */
  readonly index: number;
}

/** What the graph checks read, as collected by the per-field checks. */
export interface StepGraph {
  /** Steps as given (entries that are not objects stay, so indices match pointers). */
  readonly steps: readonly unknown[];
  /** The actionId of each step that has a non-empty string one. */
  readonly actionIds: readonly (string | undefined)[];
  /** 1 for a step whose readinessGate is ANY. */
  readonly joinAny: Uint8Array;
  /** Outbound edges, then error-handler fallbacks, in document order per step. */
  readonly edges: readonly Edge[];
  /** Start steps of every trigger. */
  readonly startSteps: readonly number[];
  /** Steps read by the expressions of other steps. */
  readonly reads: readonly StepRead[];
  /** Whether the spec lists any trigger (without one, reachability is not checked). */
  readonly hasTriggers: boolean;
}

/** Where the graph checks report. */
export interface GraphReporter {
  error(code: ErrorCode, path: Path, message: string): void;
  warn(code: ErrorCode, path: Path, message: string): void;
  /** The name of a step for messages. */
  stepName(step: number): string;
}

/**
 * Branches a built-in action can choose on success, by actionId; `null` = none (it never succeeds).
 * `com.datadoghq.core.switch` is resolved from its `cases` parameter. Other actions may choose any branch.
 */
const BUILTIN_BRANCHES: ReadonlyMap<string, ReadonlySet<string> | null> = new Map<string, ReadonlySet<string> | null>([
  ['com.datadoghq.core.if', new Set(['true', 'false'])],
  ['com.datadoghq.core.noop', new Set(['main'])],
  ['com.datadoghq.core.echo', new Set(['main'])],
  ['com.datadoghq.core.sleep', new Set(['main'])],
  ['com.datadoghq.core.setVariable', new Set(['main'])],
  ['com.datadoghq.core.setVariables', new Set(['main'])],
  ['com.datadoghq.http.request', new Set(['main'])],
  ['com.datadoghq.core.error', null],
]);
const SWITCH_ACTION = 'com.datadoghq.core.switch';
const SWITCH_DEFAULT_BRANCH = 'default';

/** Bit-matrix budget of the scope check, in 32-bit words (16 MiB); more read steps are done in several passes. */
const SCOPE_WORD_BUDGET = 1 << 22;
/**
 * Most words (32 read steps each) per pass. Narrow passes cost the same word operations in the worst case,
 * and usually far fewer: a pass only walks the order from its first read step to its last reader.
 */
const SCOPE_PASS_WORDS = 8;
/** Longest list of step names shown in one message. */
const MAX_NAMES_SHOWN = 12;

/** Pointer tokens of the `nextStepName` / `fallbackStepName` naming the edge's target. */
function edgePath(edge: Edge): Path {
  return edge.branch === null
    ? ['steps', edge.from, 'errorHandlers', edge.index, 'fallbackStepName']
    : ['steps', edge.from, 'outboundEdges', edge.index, 'nextStepName'];
}

/**
 * Check the step graph: `FSP_ERR_SPEC_CYCLE` at each edge closing a cycle; `FSP_WARN_UNREACHABLE_STEP` and
 * `FSP_WARN_JOIN_NEVER_FIRES` for steps that never run (when the spec has triggers); and, on an acyclic
 * graph, `FSP_ERR_SPEC_EXPRESSION_SCOPE` for each read of a step not decided before its reader.
 */
export function checkGraph(graph: StepGraph, reporter: GraphReporter): void {
  new GraphChecker(graph, reporter).check();
}

/** One run of the graph checks: adjacency in flat typed arrays, then each check over them. */
class GraphChecker {
  readonly #reporter: GraphReporter;
  readonly #steps: readonly unknown[];
  readonly #actionIds: readonly (string | undefined)[];
  readonly #joinAny: Uint8Array;
  readonly #edges: readonly Edge[];
  readonly #startSteps: readonly number[];
  readonly #reads: readonly StepRead[];
  readonly #hasTriggers: boolean;

  constructor(graph: StepGraph, reporter: GraphReporter) {
    this.#reporter = reporter;
    this.#steps = graph.steps;
    this.#actionIds = graph.actionIds;
    this.#joinAny = graph.joinAny;
    this.#edges = graph.edges;
    this.#startSteps = graph.startSteps;
    this.#reads = graph.reads;
    this.#hasTriggers = graph.hasTriggers;
  }

  check(): void {
    const n = this.#steps.length;
    const edges = this.#edges;
    const m = edges.length;
    // Outbound adjacency (CSR), edges in document order per step.
    const outStart = new Int32Array(n + 1);
    for (const e of edges) outStart[e.from + 1]! += 1;
    for (let s = 0; s < n; s++) outStart[s + 1]! += outStart[s]!;
    const outEdge = new Int32Array(m);
    const fill = outStart.slice(0, n);
    for (let e = 0; e < m; e++) outEdge[fill[edges[e]!.from]!++] = e;
    // Inbound adjacency.
    const inStart = new Int32Array(n + 1);
    for (const e of edges) inStart[e.to + 1]! += 1;
    for (let s = 0; s < n; s++) inStart[s + 1]! += inStart[s]!;
    const inEdge = new Int32Array(m);
    const inFill = inStart.slice(0, n);
    for (let e = 0; e < m; e++) inEdge[inFill[edges[e]!.to]!++] = e;

    const order = this.#topologicalOrder(n, outStart, outEdge, inStart);
    if (order.length < n) this.#reportCycles(n, outStart, outEdge, order);
    if (this.#hasTriggers) this.#checkReachability(n, outStart, outEdge, inStart, inEdge);
    if (order.length === n && this.#reads.length > 0) this.#checkScope(n, order, inStart, inEdge);
  }

  /** Kahn's algorithm; the order is shorter than n when the graph has a cycle. */
  #topologicalOrder(n: number, outStart: Int32Array, outEdge: Int32Array, inStart: Int32Array): Int32Array {
    const indegree = new Int32Array(n);
    for (let s = 0; s < n; s++) indegree[s] = inStart[s + 1]! - inStart[s]!;
    const order = new Int32Array(n);
    let head = 0;
    let tail = 0;
    for (let s = 0; s < n; s++) if (indegree[s] === 0) order[tail++] = s;
    while (head < tail) {
      const s = order[head++]!;
      for (let k = outStart[s]!; k < outStart[s + 1]!; k++) {
        const t = this.#edges[outEdge[k]!]!.to;
        indegree[t]! -= 1;
        if (indegree[t] === 0) order[tail++] = t;
      }
    }
    return order.subarray(0, tail);
  }

  /**
   * Report every back edge of an iterative depth-first search over the steps left out of the topological
   * order (those on or behind a cycle). Removing every reported edge makes the graph acyclic, and each
   * report names the cycle its edge closes, so a cycle is reported once.
   */
  #reportCycles(n: number, outStart: Int32Array, outEdge: Int32Array, order: Int32Array): void {
    const acyclic = new Uint8Array(n);
    for (const s of order) acyclic[s] = 1;
    const state = new Uint8Array(n); // 0 new, 1 on the DFS stack, 2 done
    const stack = new Int32Array(n);
    const cursor = new Int32Array(n);
    const position = new Int32Array(n);
    for (let root = 0; root < n; root++) {
      if (acyclic[root] === 1 || state[root] !== 0) continue;
      let depth = 1;
      stack[0] = root;
      cursor[0] = outStart[root]!;
      position[root] = 0;
      state[root] = 1;
      while (depth > 0) {
        const v = stack[depth - 1]!;
        const k = cursor[depth - 1]!;
        if (k >= outStart[v + 1]!) {
          state[v] = 2;
          depth -= 1;
          continue;
        }
        cursor[depth - 1] = k + 1;
        const edge = this.#edges[outEdge[k]!]!;
        const w = edge.to;
        if (acyclic[w] === 1) continue;
        if (state[w] === 0) {
          state[w] = 1;
          position[w] = depth;
          stack[depth] = w;
          cursor[depth] = outStart[w]!;
          depth += 1;
        } else if (state[w] === 1) {
          this.#reportCycle(stack.subarray(position[w]!, depth), edge);
        }
      }
    }
  }

  #reportCycle(cycle: Int32Array, closing: Edge): void {
    const names: string[] = [];
    const shown = cycle.length <= MAX_NAMES_SHOWN ? cycle : cycle.subarray(0, MAX_NAMES_SHOWN - 2);
    for (const s of shown) names.push(quote(this.#reporter.stepName(s)));
    if (shown.length < cycle.length) {
      names.push(
        `… ${cycle.length - shown.length - 1} more …`,
        quote(this.#reporter.stepName(cycle[cycle.length - 1]!)),
      );
    }
    names.push(quote(this.#reporter.stepName(closing.to)));
    const via = closing.branch === null ? 'error-handler fallback' : 'edge';
    this.#reporter.error(
      'FSP_ERR_SPEC_CYCLE',
      edgePath(closing),
      `Steps form a cycle of ${cycle.length} step(s): ${names.join(' → ')}. Edges and error-handler fallbacks must not ` +
        `loop (a step runs at most once per instance); remove or redirect the ${via} from ${quote(this.#reporter.stepName(closing.from))} ` +
        `to ${quote(this.#reporter.stepName(closing.to))}.`,
    );
  }

  /** Which branches step `s` can choose on success; undefined = any. */
  #possibleBranches(s: number): ReadonlySet<string> | null | undefined {
    const actionId = this.#actionIds[s];
    if (actionId === undefined) return undefined;
    if (actionId === SWITCH_ACTION) return this.#switchBranches(s);
    return BUILTIN_BRANCHES.get(actionId);
  }

  /** Case names of a switch whose `cases` parameter is a constant array; undefined when not known before running. */
  #switchBranches(s: number): ReadonlySet<string> | undefined {
    const step = this.#steps[s] as Record<string, unknown>;
    const params = step['parameters'];
    if (!Array.isArray(params)) return undefined;
    const casesParam: unknown = params.find((p: unknown) => isRecord(p) && p['name'] === 'cases');
    if (!isRecord(casesParam) || !Array.isArray(casesParam['value'])) return undefined;
    const branches = new Set<string>([SWITCH_DEFAULT_BRANCH]);
    for (const c of casesParam['value'] as unknown[]) {
      if (!isRecord(c) || typeof c['name'] !== 'string' || c['name'].includes('{{')) return undefined;
      branches.add(c['name']);
    }
    return branches;
  }

  /**
   * Warnings: steps no trigger reaches, and steps reached only through edges that can never be taken
   * (a branch the built-in action never chooses, or a source that itself never runs).
   */
  #checkReachability(
    n: number,
    outStart: Int32Array,
    outEdge: Int32Array,
    inStart: Int32Array,
    inEdge: Int32Array,
  ): void {
    const reachable = new Uint8Array(n);
    const canRun = new Uint8Array(n);
    const queue = new Int32Array(n);
    let tail = 0;
    for (const s of this.#startSteps) {
      if (reachable[s] === 0) {
        reachable[s] = 1;
        queue[tail++] = s;
      }
    }
    for (let head = 0; head < tail; head++) {
      const s = queue[head]!;
      for (let k = outStart[s]!; k < outStart[s + 1]!; k++) {
        const t = this.#edges[outEdge[k]!]!.to;
        if (reachable[t] === 0) {
          reachable[t] = 1;
          queue[tail++] = t;
        }
      }
    }
    // Same walk, following only edges that can be taken.
    // Only switch steps compute their branches (from their cases); cache those.
    const switchCache = new Map<number, ReadonlySet<string> | undefined>();
    const branchesOf = (s: number): ReadonlySet<string> | null | undefined => {
      if (this.#actionIds[s] !== SWITCH_ACTION) return this.#possibleBranches(s);
      if (!switchCache.has(s)) switchCache.set(s, this.#possibleBranches(s) ?? undefined);
      return switchCache.get(s);
    };
    const canTake = (edge: Edge): boolean => {
      if (edge.branch === null) return true; // any step can fail
      const branches = branchesOf(edge.from);
      return branches === undefined || (branches !== null && branches.has(edge.branch));
    };
    tail = 0;
    for (const s of this.#startSteps) {
      if (canRun[s] === 0) {
        canRun[s] = 1;
        queue[tail++] = s;
      }
    }
    for (let head = 0; head < tail; head++) {
      const s = queue[head]!;
      for (let k = outStart[s]!; k < outStart[s + 1]!; k++) {
        const edge = this.#edges[outEdge[k]!]!;
        if (canRun[edge.to] === 0 && canTake(edge)) {
          canRun[edge.to] = 1;
          queue[tail++] = edge.to;
        }
      }
    }
    for (let s = 0; s < n; s++) {
      if (!isRecord(this.#steps[s]) || (reachable[s] === 1 && canRun[s] === 1)) continue;
      const name = quote(this.#reporter.stepName(s));
      if (reachable[s] === 0) {
        this.#reporter.warn(
          'FSP_WARN_UNREACHABLE_STEP',
          ['steps', s],
          `Step ${name} is not reachable from any trigger's startStepNames, so it never runs; connect it with an edge or remove it.`,
        );
      } else if (canRun[s] === 0) {
        const reasons: string[] = [];
        for (let k = inStart[s]!; k < inStart[s + 1]! && reasons.length < 3; k++) {
          reasons.push(this.#deadEdgeReason(this.#edges[inEdge[k]!]!, canRun, branchesOf));
        }
        const more = inStart[s + 1]! - inStart[s]! - reasons.length;
        this.#reporter.warn(
          'FSP_WARN_JOIN_NEVER_FIRES',
          ['steps', s],
          `Step ${name} can never run: none of its inbound edges can be taken (${reasons.join('; ')}` +
            `${more > 0 ? `; and ${more} more` : ''}). Fix the branch names or the edges.`,
        );
      }
    }
  }

  #deadEdgeReason(
    edge: Edge,
    canRun: Uint8Array,
    branchesOf: (s: number) => ReadonlySet<string> | null | undefined,
  ): string {
    const from = quote(this.#reporter.stepName(edge.from));
    if (canRun[edge.from] === 0) return `${from} itself never runs`;
    const branches = branchesOf(edge.from);
    const actionId = this.#actionIds[edge.from] ?? '';
    if (branches === null)
      return `${from} (${actionId}) never succeeds, so its edge on branch ${quote(edge.branch ?? '')} is never taken`;
    const choices = branches === undefined ? 'any branch' : [...branches].map(quote).join(' or ');
    return `${from} (${actionId}) only chooses ${choices}, never ${quote(edge.branch ?? '')}`;
  }

  /**
   * The scope rule: a step may read `Steps.X` only when X is certainly decided before it starts. With
   * D(S) that set: start steps have D = ∅; an ALL join has D = ∪ over predecessors P of ({P} ∪ D(P));
   * an ANY join the ∩. D is computed in topological order as bitsets, with one column per step that
   * some expression reads (not per step), in as many passes as the memory budget needs.
   */
  #checkScope(n: number, order: Int32Array, inStart: Int32Array, inEdge: Int32Array): void {
    const reads = this.#reads;
    const topoPos = new Int32Array(n);
    order.forEach((s, i) => {
      topoPos[s] = i;
    });
    // Columns: the read steps, in topological order, so each pass covers a contiguous stretch of the order.
    const column = new Int32Array(n).fill(-1);
    const columns: number[] = [];
    for (const read of reads) {
      if (column[read.step] === -1) {
        column[read.step] = 0;
        columns.push(read.step);
      }
    }
    columns.sort((a, b) => topoPos[a]! - topoPos[b]!);
    columns.forEach((step, c) => {
      column[step] = c;
    });
    // The last reader (in topological order) of each column bounds the stretch a pass must walk.
    const lastReader = new Int32Array(columns.length).fill(-1);
    const readsByColumn: number[][] = columns.map(() => []);
    reads.forEach((read, r) => {
      const c = column[read.step]!;
      readsByColumn[c]!.push(r);
      if (topoPos[read.reader]! > lastReader[c]!) lastReader[c] = topoPos[read.reader]!;
    });
    const isStart = new Uint8Array(n);
    for (const s of this.#startSteps) isStart[s] = 1;
    const totalWords = Math.ceil(columns.length / 32);
    const words = Math.max(1, Math.min(totalWords, SCOPE_PASS_WORDS, Math.floor(SCOPE_WORD_BUDGET / Math.max(n, 1))));
    const passColumns = words * 32;
    // Rows by step index; only rows of the walked stretch are written, and they are zeroed after each pass.
    const decided = new Uint32Array(n * words);
    const failed = new Uint8Array(reads.length);
    for (let firstColumn = 0; firstColumn < columns.length; firstColumn += passColumns) {
      const lastColumn = Math.min(columns.length, firstColumn + passColumns);
      // Steps before the first read step in the order cannot have it as an ancestor: their bits stay 0.
      const from = topoPos[columns[firstColumn]!]!;
      let to = -1;
      for (let c = firstColumn; c < lastColumn; c++) if (lastReader[c]! > to) to = lastReader[c]!;
      for (let i = from; i <= to; i++) {
        const s = order[i]!;
        const begin = inStart[s]!;
        const end = inStart[s + 1]!;
        if (isStart[s] === 1 || begin === end) continue; // D = ∅
        const base = s * words;
        const any = this.#joinAny[s] === 1;
        for (let k = begin; k < end; k++) {
          const p = this.#edges[inEdge[k]!]!.from;
          const pBase = p * words;
          // {P} ∪ D(P): P's own bit, when P is a read step whose column is in this pass.
          const local = column[p]! - firstColumn;
          const ownWord = local >= 0 && local < lastColumn - firstColumn ? local >>> 5 : -1;
          const ownBit = ownWord >= 0 ? 1 << (local & 31) : 0;
          for (let w = 0; w < words; w++) {
            const bits = w === ownWord ? decided[pBase + w]! | ownBit : decided[pBase + w]!;
            if (k === begin) decided[base + w] = bits;
            else if (any) decided[base + w] = decided[base + w]! & bits;
            else decided[base + w] = decided[base + w]! | bits;
          }
        }
      }
      for (let c = firstColumn; c < lastColumn; c++) {
        const local = c - firstColumn;
        for (const r of readsByColumn[c]!) {
          const reader = reads[r]!.reader;
          if ((decided[reader * words + (local >>> 5)]! & (1 << (local & 31))) === 0) failed[r] = 1;
        }
      }
      for (let i = from; i <= to; i++) decided.fill(0, order[i]! * words, (order[i]! + 1) * words);
    }
    this.#reads.forEach((read, r) => {
      if (failed[r] === 0) return;
      const reader = quote(this.#reporter.stepName(read.reader));
      const name = this.#reporter.stepName(read.step);
      this.#reporter.error(
        'FSP_ERR_SPEC_EXPRESSION_SCOPE',
        read.path,
        `Step ${reader} reads Steps.${name}, but ${quote(name)} is not certain to have run or been decided before ${reader} ` +
          'starts (it is not an ancestor on every path, e.g. it sits on another branch of an ANY join or after it). ' +
          `Add an edge path from ${quote(name)} to ${reader}, or read it in a later step.`,
      );
    });
  }
}
