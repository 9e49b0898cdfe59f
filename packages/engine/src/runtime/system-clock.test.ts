import { afterEach, describe, expect, it, vi } from 'vitest';
import type { TimerHandle } from './clock.js';
import { systemClock } from './system-clock.js';

/**
 * Arm a timer more than 2^31-1 ms away and check it asked Node for the longest delay Node
 * honours (a longer one would run after 1 ms, and the fake timers would spin forever).
 */
function armFarAway(at: number, fn: () => void): TimerHandle {
  const spy = vi.spyOn(globalThis, 'setTimeout');
  try {
    const handle = systemClock.setTimer(at, fn);
    expect(spy).toHaveBeenCalledTimes(1);
    expect(spy.mock.calls[0]![1]).toBe(2 ** 31 - 1);
    return handle;
  } finally {
    spy.mockRestore();
  }
}

describe('systemClock', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('now() is Date.now()', () => {
    const before = Date.now();
    const now = systemClock.now();
    expect(now).toBeGreaterThanOrEqual(before);
    expect(now).toBeLessThanOrEqual(Date.now());
  });

  it('fires a real 5 ms timer at or after its time', async () => {
    const at = Date.now() + 5;
    const firedAt = await new Promise<number>((resolve) => systemClock.setTimer(at, () => resolve(Date.now())));
    expect(firedAt).toBeGreaterThanOrEqual(at);
  });

  it('clearTimer stops a timer; clearing twice or a foreign handle is harmless', () => {
    vi.useFakeTimers();
    const fn = vi.fn();
    const handle = systemClock.setTimer(Date.now() + 100, fn);
    expect(handle.at).toBe(Date.now() + 100);
    systemClock.clearTimer(handle);
    systemClock.clearTimer(handle);
    systemClock.clearTimer({ at: 0 });
    vi.advanceTimersByTime(1000);
    expect(fn).not.toHaveBeenCalled();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('fires a timer in the past (or at NaN) asynchronously, soon', () => {
    vi.useFakeTimers();
    const fn = vi.fn();
    systemClock.setTimer(Date.now() - 1000, fn);
    systemClock.setTimer(Number.NaN, fn);
    expect(fn).not.toHaveBeenCalled();
    vi.advanceTimersByTime(0);
    expect(fn).toHaveBeenCalledTimes(2);
  });

  it('chains delays longer than 2^31-1 ms instead of firing at once', () => {
    vi.useFakeTimers();
    const fn = vi.fn();
    const start = Date.now();
    const delay = 2 ** 31 + 5 * 24 * 3600 * 1000; // about 30 days
    armFarAway(start + delay, fn);
    vi.advanceTimersByTime(2 ** 31 - 1);
    expect(fn).not.toHaveBeenCalled();
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(delay - (2 ** 31 - 1) - 1);
    expect(fn).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(fn).toHaveBeenCalledTimes(1);
    expect(Date.now()).toBe(start + delay);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a chained timer can be cleared between hops', () => {
    vi.useFakeTimers();
    const fn = vi.fn();
    const handle = armFarAway(Date.now() + 3 * 2 ** 31, fn);
    vi.advanceTimersByTime(2 ** 31);
    systemClock.clearTimer(handle);
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(4 * 2 ** 31);
    expect(fn).not.toHaveBeenCalled();
  });

  it('re-arms instead of firing early when Date.now() is behind the due time on wake-up', () => {
    vi.useFakeTimers();
    const fn = vi.fn();
    const start = Date.now();
    systemClock.setTimer(start + 1000, fn);
    vi.setSystemTime(start - 500); // the wall clock is set back while the timer waits
    vi.advanceTimersByTime(1000);
    expect(fn).not.toHaveBeenCalled();
    vi.advanceTimersByTime(500);
    expect(fn).toHaveBeenCalledTimes(1);
    expect(Date.now()).toBeGreaterThanOrEqual(start + 1000);
  });

  it('never fires a timer due at Infinity, and keeps no Node timer for it', () => {
    vi.useFakeTimers();
    const fn = vi.fn();
    systemClock.setTimer(Infinity, fn);
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(10 * 2 ** 31);
    expect(fn).not.toHaveBeenCalled();
  });
});
