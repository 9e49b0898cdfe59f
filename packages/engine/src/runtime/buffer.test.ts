import { describe, expect, it } from 'vitest';
import { TurnBuffer } from './buffer.js';

describe('TurnBuffer', () => {
  it('starts empty', () => {
    const b = new TurnBuffer<string>();
    expect(b.length).toBe(0);
  });

  it('push appends; at reads by index; length counts', () => {
    const b = new TurnBuffer<{ id: number }>();
    const items = [{ id: 1 }, { id: 2 }, { id: 3 }];
    for (const it of items) b.push(it);
    expect(b.length).toBe(3);
    expect(b.at(0)).toBe(items[0]);
    expect(b.at(1)).toBe(items[1]);
    expect(b.at(2)).toBe(items[2]);
  });

  it('clear empties the list and drops its references', () => {
    const b = new TurnBuffer<object>();
    b.push({ big: 1 });
    b.push({ big: 2 });
    b.clear();
    expect(b.length).toBe(0);
    // The slots no longer hold the items (they can be collected).
    expect(b.at(0)).toBeUndefined();
    expect(b.at(1)).toBeUndefined();
  });

  it('is reusable after clear: new items overwrite from index 0', () => {
    const b = new TurnBuffer<string>();
    b.push('a');
    b.push('b');
    b.push('c');
    b.clear();
    b.push('x');
    expect(b.length).toBe(1);
    expect(b.at(0)).toBe('x');
    expect(b.at(1)).toBeUndefined();
    b.push('y');
    expect([b.at(0), b.at(1)]).toEqual(['x', 'y']);
  });

  it('keeps falsy items', () => {
    const b = new TurnBuffer<number | null>();
    b.push(0);
    b.push(null);
    expect(b.length).toBe(2);
    expect(b.at(0)).toBe(0);
    expect(b.at(1)).toBeNull();
  });

  it('survives many fill / clear rounds', () => {
    const b = new TurnBuffer<number>();
    for (let round = 1; round <= 50; round++) {
      for (let i = 0; i < round; i++) b.push(round * 1000 + i);
      expect(b.length).toBe(round);
      expect(b.at(round - 1)).toBe(round * 1000 + round - 1);
      b.clear();
      expect(b.length).toBe(0);
      expect(b.at(0)).toBeUndefined();
    }
  });
});
