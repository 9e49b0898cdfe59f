import { describe, expect, it } from 'vitest';
import { Emitter, LISTEN_INSTANCE_FINISHED, LISTEN_STEP_PROGRESS, LISTEN_STEP_STARTED } from './events.js';
import type { EngineEvents } from './events.js';

const started = (instanceId: string): EngineEvents['instance:started'] => ({ instanceId, workflowId: 'wf' });

describe('Emitter', () => {
  it('calls listeners of an event in the order they were added, with the payload', () => {
    const em = new Emitter();
    const seen: string[] = [];
    em.on('instance:started', (p) => seen.push(`1:${p.instanceId}`));
    em.on('instance:started', (p) => seen.push(`2:${p.instanceId}`));
    em.on('engine:error', () => seen.push('other event'));
    em.emit('instance:started', started('i-1'));
    expect(seen).toEqual(['1:i-1', '2:i-1']);
  });

  it('passes the payload object itself', () => {
    const em = new Emitter();
    const payload = started('i-1');
    let got: unknown;
    em.on('instance:started', (p) => {
      got = p;
    });
    em.emit('instance:started', payload);
    expect(got).toBe(payload);
  });

  it('emitting an event nobody listens to does nothing', () => {
    const em = new Emitter();
    expect(() => em.emit('engine:error', { error: new Error('x') })).not.toThrow();
  });

  it('has() tells whether an event has listeners, per event', () => {
    const em = new Emitter();
    expect(em.has('step:started')).toBe(false);
    const off = em.on('step:started', () => {});
    expect(em.has('step:started')).toBe(true);
    expect(em.has('step:finished')).toBe(false);
    off();
    expect(em.has('step:started')).toBe(false);
  });

  it('on() returns an unsubscribe that removes that listener only, and is harmless twice', () => {
    const em = new Emitter();
    const seen: string[] = [];
    const a = () => seen.push('a');
    const offA = em.on('instance:started', a);
    em.on('instance:started', () => seen.push('b'));
    offA();
    offA();
    em.emit('instance:started', started('x'));
    expect(seen).toEqual(['b']);
    expect(em.has('instance:started')).toBe(true);
  });

  it('a listener added twice is called twice and removed one registration at a time', () => {
    const em = new Emitter();
    let calls = 0;
    const l = () => {
      calls++;
    };
    const off1 = em.on('instance:started', l);
    em.on('instance:started', l);
    em.emit('instance:started', started('x'));
    expect(calls).toBe(2);
    off1();
    em.emit('instance:started', started('x'));
    expect(calls).toBe(3);
  });

  it('a throwing listener does not stop the others and does not throw to the emitter', () => {
    const em = new Emitter();
    const seen: string[] = [];
    em.on('step:started', () => {
      seen.push('first');
      throw new Error('listener bug');
    });
    em.on('step:started', () => {
      seen.push('second');
    });
    em.on('step:started', () => {
      throw 'not even an Error';
    });
    em.on('step:started', (p) => {
      seen.push(`last:${p.step}#${p.attempt}`);
    });
    expect(() => em.emit('step:started', { instanceId: 'i', workflowId: 'w', step: 'S', attempt: 2 })).not.toThrow();
    expect(seen).toEqual(['first', 'second', 'last:S#2']);
  });

  it('a listener added during emit is not called by that emit, but by the next', () => {
    const em = new Emitter();
    const seen: string[] = [];
    em.on('instance:started', (p) => {
      seen.push(`outer:${p.instanceId}`);
      if (p.instanceId === 'first') em.on('instance:started', (q) => seen.push(`inner:${q.instanceId}`));
    });
    em.emit('instance:started', started('first'));
    expect(seen).toEqual(['outer:first']);
    em.emit('instance:started', started('second'));
    expect(seen).toEqual(['outer:first', 'outer:second', 'inner:second']);
  });

  it('a listener removed during emit still sees that emit (the list is copied), not later ones', () => {
    const em = new Emitter();
    const seen: string[] = [];
    let offB: () => void = () => {};
    em.on('instance:started', () => {
      seen.push('a');
      offB();
    });
    offB = em.on('instance:started', () => seen.push('b'));
    em.emit('instance:started', started('1'));
    em.emit('instance:started', started('2'));
    expect(seen).toEqual(['a', 'b', 'a']);
  });

  it('emitters do not share listeners', () => {
    const a = new Emitter();
    const b = new Emitter();
    a.on('engine:error', () => {});
    expect(b.has('engine:error')).toBe(false);
  });
});

describe('Emitter: unknown event names', () => {
  it('refuses to subscribe to an event that does not exist, naming the ones that do', () => {
    const em = new Emitter();
    expect(() => em.on('step:done' as never, () => undefined)).toThrow(
      /unknown event "step:done"; the events are: instance:started, .*step:finished/,
    );
    for (const inherited of ['toString', 'constructor', '__proto__']) {
      expect(() => em.on(inherited as never, () => undefined)).toThrow(/unknown event/);
    }
  });
});

describe('Emitter.mask', () => {
  it('tells which step-level events have listeners, and follows unsubscribes', () => {
    const em = new Emitter();
    expect(em.mask).toBe(0);
    const offStarted = em.on('step:started', () => undefined);
    expect(em.mask).toBe(LISTEN_STEP_STARTED);
    const offWaiting = em.on('step:waiting', () => undefined);
    const offDone = em.on('instance:finished', () => undefined);
    expect(em.mask).toBe(LISTEN_STEP_STARTED | LISTEN_STEP_PROGRESS | LISTEN_INSTANCE_FINISHED);
    offStarted();
    offWaiting();
    expect(em.mask).toBe(LISTEN_INSTANCE_FINISHED);
    em.on('step:finished', () => undefined);
    expect(em.mask).toBe(LISTEN_STEP_PROGRESS | LISTEN_INSTANCE_FINISHED);
    offDone();
    em.on('instance:started', () => undefined);
    expect(em.mask).toBe(LISTEN_STEP_PROGRESS);
  });
});
