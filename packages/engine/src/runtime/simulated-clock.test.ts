import { describe, expect, it } from 'vitest';
import { createSimulatedClock } from './simulated-clock.js';

const START = Date.UTC(2026, 0, 1);

describe('createSimulatedClock', () => {
  it('starts at 2026-01-01 UTC by default, or at the time given, and stands still', async () => {
    expect(createSimulatedClock().now()).toBe(START);
    const clock = createSimulatedClock(1000);
    expect(clock.now()).toBe(1000);
    await new Promise<void>((r) => setImmediate(r));
    expect(clock.now()).toBe(1000);
  });

  it('fires timers in due order and moves now() to each due time as it fires', async () => {
    const clock = createSimulatedClock(0);
    const seen: [string, number][] = [];
    clock.setTimer(300, () => seen.push(['c', clock.now()]));
    clock.setTimer(100, () => seen.push(['a', clock.now()]));
    clock.setTimer(200, () => seen.push(['b', clock.now()]));
    await clock.advanceBy(250);
    expect(seen).toEqual([
      ['a', 100],
      ['b', 200],
    ]);
    expect(clock.now()).toBe(250);
    expect(clock.pendingTimers()).toBe(1);
    await clock.advanceBy(50);
    expect(seen.at(-1)).toEqual(['c', 300]);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('fires timers due at the same time in the order they were armed', async () => {
    const clock = createSimulatedClock(0);
    const seen: number[] = [];
    for (let i = 0; i < 20; i++) clock.setTimer(i % 2 === 0 ? 10 : 5, () => seen.push(i));
    await clock.advanceTo(10);
    expect(seen).toEqual([1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 0, 2, 4, 6, 8, 10, 12, 14, 16, 18]);
  });

  it('fires a timer exactly at its due time, not a millisecond before', async () => {
    const clock = createSimulatedClock(0);
    let fired = false;
    clock.setTimer(1000, () => (fired = true));
    await clock.advanceBy(999);
    expect(fired).toBe(false);
    await clock.advanceBy(1);
    expect(fired).toBe(true);
  });

  it('fires timers armed during an advance when they fall within its target, and only those', async () => {
    const clock = createSimulatedClock(0);
    const seen: [string, number][] = [];
    clock.setTimer(100, () => {
      seen.push(['outer', clock.now()]);
      clock.setTimer(clock.now() + 50, () => {
        seen.push(['inner', clock.now()]);
        clock.setTimer(clock.now() + 500, () => seen.push(['late', clock.now()]));
      });
    });
    await clock.advanceBy(200);
    expect(seen).toEqual([
      ['outer', 100],
      ['inner', 150],
    ]);
    expect(clock.now()).toBe(200);
    expect(clock.pendingTimers()).toBe(1);
    await clock.advanceBy(450);
    expect(seen.at(-1)).toEqual(['late', 650]);
  });

  it('lets promise chains, microtasks and setImmediate hops settle after each timer and before returning', async () => {
    const clock = createSimulatedClock(0);
    const log: string[] = [];
    clock.setTimer(10, () => {
      void (async () => {
        await Promise.resolve();
        await new Promise<void>((r) => queueMicrotask(r));
        await new Promise<void>((r) => setImmediate(r));
        log.push(`work done at ${clock.now()}`);
        // async work that arms the next timer: it must still fire within this advance
        clock.setTimer(clock.now() + 10, () => log.push(`second timer at ${clock.now()}`));
      })();
    });
    await clock.advanceBy(100);
    expect(log).toEqual(['work done at 10', 'second timer at 20']);
  });

  it('settles async work started before the advance', async () => {
    const clock = createSimulatedClock(0);
    let done = false;
    void Promise.resolve()
      .then(() => new Promise<void>((r) => setImmediate(r)))
      .then(() => {
        done = true;
      });
    await clock.advanceBy(0);
    expect(done).toBe(true);
  });

  it('fires a timer set in the past on the next advance (advanceBy(0)), without moving time back', async () => {
    const clock = createSimulatedClock(5000);
    const seen: number[] = [];
    clock.setTimer(1000, () => seen.push(clock.now()));
    clock.setTimer(Number.NaN, () => seen.push(-clock.now()));
    expect(seen).toEqual([]);
    await clock.advanceBy(0);
    expect(seen).toEqual([5000, -5000]);
    expect(clock.now()).toBe(5000);
  });

  it('clearTimer stops a timer; clearing a fired, cleared or foreign handle is harmless', async () => {
    const clock = createSimulatedClock(0);
    const other = createSimulatedClock(0);
    const seen: string[] = [];
    const a = clock.setTimer(10, () => seen.push('a'));
    const b = clock.setTimer(20, () => seen.push('b'));
    const foreign = other.setTimer(10, () => seen.push('foreign'));
    expect(clock.pendingTimers()).toBe(2);
    clock.clearTimer(b);
    clock.clearTimer(b);
    clock.clearTimer(foreign);
    clock.clearTimer({ at: 10 });
    expect(clock.pendingTimers()).toBe(1);
    expect(other.pendingTimers()).toBe(1);
    await clock.advanceBy(100);
    expect(seen).toEqual(['a']);
    clock.clearTimer(a);
    expect(clock.pendingTimers()).toBe(0);
    await other.advanceBy(10);
    expect(seen).toEqual(['a', 'foreign']);
  });

  it('a timer cleared by an earlier timer of the same advance does not fire', async () => {
    const clock = createSimulatedClock(0);
    const seen: string[] = [];
    const later = clock.setTimer(50, () => seen.push('later'));
    clock.setTimer(10, () => {
      seen.push('first');
      void Promise.resolve().then(() => clock.clearTimer(later));
    });
    await clock.advanceBy(100);
    expect(seen).toEqual(['first']);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('handle.at is the due time asked for', () => {
    const clock = createSimulatedClock(0);
    expect(clock.setTimer(1234, () => undefined).at).toBe(1234);
  });

  it('concurrent advances run one after another and add up', async () => {
    const clock = createSimulatedClock(0);
    const seen: number[] = [];
    clock.setTimer(150, () => seen.push(clock.now()));
    await Promise.all([clock.advanceBy(100), clock.advanceBy(100)]);
    expect(clock.now()).toBe(200);
    expect(seen).toEqual([150]);
  });

  it('advanceTo refuses to go back in time; advanceBy refuses negative or non-finite steps', async () => {
    const clock = createSimulatedClock(1000);
    await expect(clock.advanceTo(999)).rejects.toMatchObject({ code: 'FSP_ERR_INVALID_ARGUMENT' });
    await expect(clock.advanceBy(-1)).rejects.toMatchObject({ code: 'FSP_ERR_INVALID_ARGUMENT' });
    await expect(clock.advanceBy(Number.NaN)).rejects.toMatchObject({ code: 'FSP_ERR_INVALID_ARGUMENT' });
    await expect(clock.advanceBy(Infinity)).rejects.toMatchObject({ code: 'FSP_ERR_INVALID_ARGUMENT' });
    expect(clock.now()).toBe(1000);
    await clock.advanceTo(1000);
    expect(clock.now()).toBe(1000);
  });

  it('a throwing timer rejects the advance, and the clock keeps working', async () => {
    const clock = createSimulatedClock(0);
    const seen: number[] = [];
    clock.setTimer(10, () => {
      throw new Error('boom');
    });
    clock.setTimer(20, () => seen.push(clock.now()));
    await expect(clock.advanceBy(100)).rejects.toThrow('boom');
    expect(clock.now()).toBe(10);
    await clock.advanceBy(90);
    expect(seen).toEqual([20]);
    expect(clock.now()).toBe(100);
  });

  it('runAll fires everything, including timers armed by timers, jumping time to each', async () => {
    const clock = createSimulatedClock(0);
    const seen: number[] = [];
    clock.setTimer(1_000_000, () => {
      seen.push(clock.now());
      clock.setTimer(clock.now() + 5, () => seen.push(clock.now()));
    });
    clock.setTimer(10, () => seen.push(clock.now()));
    clock.setTimer(Infinity, () => seen.push(-1));
    await clock.runAll();
    expect(seen).toEqual([10, 1_000_000, 1_000_005]);
    expect(clock.now()).toBe(1_000_005);
    expect(clock.pendingTimers()).toBe(1); // the never-due timer
  });

  it('runAll stops a timer that keeps re-arming itself', async () => {
    const clock = createSimulatedClock(0);
    let n = 0;
    const tick = (): void => {
      n++;
      clock.setTimer(clock.now() + 1, tick);
    };
    clock.setTimer(1, tick);
    await expect(clock.runAll(50)).rejects.toMatchObject({ code: 'FSP_ERR_INVALID_ARGUMENT' });
    expect(n).toBe(50);
  });

  it('handles many timers in due order (heap order under random arming)', async () => {
    const clock = createSimulatedClock(0);
    const fired: number[] = [];
    let x = 12345;
    const dues: number[] = [];
    for (let i = 0; i < 500; i++) {
      x = (x * 1103515245 + 12345) % 2147483648;
      const at = x % 1000;
      dues.push(at);
      clock.setTimer(at, () => fired.push(clock.now()));
    }
    await clock.advanceBy(1000);
    expect(fired).toEqual([...dues].sort((a, b) => a - b));
  });
});
