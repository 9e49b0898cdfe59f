/**
 * The real clock: Date.now() and Node timers. Node's setTimeout takes at most
 * 2^31-1 ms (about 24.8 days; a longer delay fires at once with a warning),
 * so a timer further away is armed in hops of at most that long. A timer never
 * fires before its time by Date.now(): when Node wakes it early (timers run on
 * a monotonic clock, Date.now() follows the wall clock, which can be set back),
 * it is re-armed for the rest.
 */
import type { Clock, TimerHandle } from './clock.js';

/** The longest delay Node's setTimeout honours. */
const MAX_DELAY_MS = 2 ** 31 - 1;

class SystemTimer implements TimerHandle {
  readonly at: number;
  #fn: (() => void) | null;
  #timeout: ReturnType<typeof setTimeout> | null = null;

  constructor(at: number, fn: () => void) {
    this.at = at;
    this.#fn = fn;
  }

  arm(): void {
    if (this.#fn === null) return;
    const delay = this.at - Date.now();
    if (!(delay > 0)) {
      // Due (or NaN: read as "now"); still asynchronous, as a timer callback always is.
      this.#timeout = setTimeout(this.#fire, 0);
      return;
    }
    // Infinity: never due; keep the handle, arm nothing.
    if (delay === Infinity) return;
    this.#timeout = setTimeout(this.#check, Math.min(Math.ceil(delay), MAX_DELAY_MS));
  }

  readonly #check = (): void => {
    this.#timeout = null;
    if (this.at > Date.now()) this.arm();
    else this.#fire();
  };

  readonly #fire = (): void => {
    this.#timeout = null;
    const fn = this.#fn;
    this.#fn = null;
    fn?.();
  };

  clear(): void {
    this.#fn = null;
    if (this.#timeout !== null) clearTimeout(this.#timeout);
    this.#timeout = null;
  }
}

/** The Clock of production: wall-clock time (Date.now) and Node timers. */
export const systemClock: Clock = Object.freeze({
  now(): number {
    return Date.now();
  },
  setTimer(atMs: number, fn: () => void): TimerHandle {
    const timer = new SystemTimer(atMs, fn);
    timer.arm();
    return timer;
  },
  clearTimer(handle: TimerHandle): void {
    if (handle instanceof SystemTimer) handle.clear();
  },
});
