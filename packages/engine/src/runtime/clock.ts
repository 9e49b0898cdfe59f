/** The Clock port: all time the engine sees comes from here. */

/** An armed timer. */
export interface TimerHandle {
  readonly at: number;
}

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Calls `fn` once at or after `atMs`. */
  setTimer(atMs: number, fn: () => void): TimerHandle;
  clearTimer(handle: TimerHandle): void;
}
