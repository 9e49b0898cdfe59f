/**
 * A Clock whose time moves only when a test says so. Timers fire in due order
 * (ties in the order they were armed), `now()` jumps to each timer's due time as
 * it fires, and between timers the engine's asynchronous work (promise chains,
 * queueMicrotask, p-queue, store promises that resolve without real I/O) is let
 * run by awaiting a few setImmediate turns. So a test can
 * `await clock.advanceBy(1000)` and then assert on the state. Nothing waits in
 * real time.
 */
import { FlowspecError } from '../errors.js';
import type { Clock, TimerHandle } from './clock.js';

/** A Clock driven by the test: see {@link createSimulatedClock}. */
export interface SimulatedClock extends Clock {
  /**
   * Move time forward by `ms`, firing every timer due up to the new time (also
   * those armed meanwhile), letting async work settle after each.
   */
  advanceBy(ms: number): Promise<void>;
  /** Move time forward to `ms` (not before now), like advanceBy. */
  advanceTo(ms: number): Promise<void>;
  /** Armed timers that have neither fired nor been cleared. */
  pendingTimers(): number;
  /**
   * Fire timers in due order until none is armed (time jumps to each), letting
   * async work settle after each; throws once more than `maxTimers` fired (a
   * timer that keeps re-arming itself).
   * @default maxTimers 10000
   */
  runAll(maxTimers?: number): Promise<void>;
}

/**
 * setImmediate turns awaited to let async work settle. One turn drains every
 * microtask; further turns cover work that hops through setImmediate itself
 * (stream and I/O-ish helpers) a few times.
 */
const SETTLE_TURNS = 8;

function nextTurn(): Promise<void> {
  return new Promise<void>((resolve) => setImmediate(resolve));
}

async function settle(): Promise<void> {
  for (let i = 0; i < SETTLE_TURNS; i++) await nextTurn();
}

/** An armed timer; `fn` is null once it fired or was cleared. */
class SimTimer implements TimerHandle {
  readonly at: number;
  readonly seq: number;
  readonly owner: SimClock;
  fn: (() => void) | null;

  constructor(at: number, seq: number, owner: SimClock, fn: () => void) {
    this.at = at;
    this.seq = seq;
    this.owner = owner;
    this.fn = fn;
  }
}

function before(a: SimTimer, b: SimTimer): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}

/** A binary min-heap of timers by (at, seq); cleared timers are dropped lazily. */
class TimerHeap {
  readonly #items: SimTimer[] = [];

  push(t: SimTimer): void {
    const items = this.#items;
    let i = items.length;
    items.push(t);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = items[parent]!;
      if (!before(t, p)) break;
      items[i] = p;
      i = parent;
    }
    items[i] = t;
  }

  /** The earliest armed timer, without removing it. */
  peek(): SimTimer | undefined {
    const items = this.#items;
    while (items.length > 0 && items[0]!.fn === null) this.#pop();
    return items[0];
  }

  pop(): SimTimer | undefined {
    const t = this.peek();
    if (t !== undefined) this.#pop();
    return t;
  }

  #pop(): void {
    const items = this.#items;
    const last = items.pop()!;
    if (items.length === 0) return;
    let i = 0;
    const n = items.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && before(items[r]!, items[l]!) ? r : l;
      if (!before(items[c]!, last)) break;
      items[i] = items[c]!;
      i = c;
    }
    items[i] = last;
  }
}

class SimClock implements SimulatedClock {
  #now: number;
  #seq = 0;
  #pending = 0;
  readonly #heap = new TimerHeap();
  /** Advances run one after another, so concurrent calls add up. */
  #queue: Promise<void> = Promise.resolve();

  constructor(startMs: number) {
    this.#now = startMs;
  }

  now(): number {
    return this.#now;
  }

  setTimer(atMs: number, fn: () => void): TimerHandle {
    if (typeof fn !== 'function') throw new FlowspecError('FSP_ERR_INVALID_ARGUMENT', 'setTimer needs a function');
    // NaN would break the heap order; "at or after NaN" is read as "now".
    const at = Number.isNaN(atMs) ? this.#now : atMs;
    const timer = new SimTimer(at, this.#seq++, this, fn);
    this.#heap.push(timer);
    this.#pending++;
    return timer;
  }

  clearTimer(handle: TimerHandle): void {
    if (!(handle instanceof SimTimer) || handle.owner !== this || handle.fn === null) return;
    handle.fn = null;
    this.#pending--;
  }

  pendingTimers(): number {
    return this.#pending;
  }

  advanceBy(ms: number): Promise<void> {
    if (!(ms >= 0) || ms === Infinity) {
      return Promise.reject(
        new FlowspecError('FSP_ERR_INVALID_ARGUMENT', `advanceBy needs a finite ms >= 0, got ${String(ms)}`),
      );
    }
    return this.#serial(() => this.#advance(this.#now + ms));
  }

  advanceTo(ms: number): Promise<void> {
    if (!Number.isFinite(ms)) {
      return Promise.reject(
        new FlowspecError('FSP_ERR_INVALID_ARGUMENT', `advanceTo needs a finite ms, got ${String(ms)}`),
      );
    }
    return this.#serial(() => {
      if (ms < this.#now) {
        throw new FlowspecError(
          'FSP_ERR_INVALID_ARGUMENT',
          `advanceTo(${ms}) is before now (${this.#now}); simulated time only moves forward`,
        );
      }
      return this.#advance(ms);
    });
  }

  runAll(maxTimers = 10_000): Promise<void> {
    return this.#serial(async () => {
      await settle();
      let fired = 0;
      for (;;) {
        const t = this.#heap.peek();
        if (t === undefined || !Number.isFinite(t.at)) return;
        if (fired >= maxTimers) {
          throw new FlowspecError(
            'FSP_ERR_INVALID_ARGUMENT',
            `runAll fired ${maxTimers} timers and more are armed; a timer probably re-arms itself (use advanceBy)`,
          );
        }
        fired++;
        await this.#fire();
      }
    });
  }

  #serial(run: () => Promise<void>): Promise<void> {
    const next = this.#queue.then(run);
    this.#queue = next.catch(() => undefined);
    return next;
  }

  async #advance(target: number): Promise<void> {
    await settle();
    for (;;) {
      const t = this.#heap.peek();
      if (t === undefined || t.at > target) break;
      await this.#fire();
    }
    this.#now = target;
    await settle();
  }

  /** Fire the earliest timer, then let async work settle. */
  async #fire(): Promise<void> {
    const t = this.#heap.pop()!;
    const fn = t.fn!;
    t.fn = null;
    this.#pending--;
    if (t.at > this.#now) this.#now = t.at;
    fn();
    await settle();
  }
}

/**
 * Create a simulated clock starting at `startMs` (ms since the epoch).
 * @param startMs @default Date.UTC(2026, 0, 1)
 */
export function createSimulatedClock(startMs: number = Date.UTC(2026, 0, 1)): SimulatedClock {
  return new SimClock(startMs);
}
