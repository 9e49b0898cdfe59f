/**
 * A reusable list for the driver's per-turn work. `clear()` drops the references but keeps the
 * backing store: `array.length = 0` makes V8 give the store up, so a list refilled every turn would
 * reallocate it every turn (measured: most of the engine's per-step garbage before this existed).
 */
export class TurnBuffer<T> {
  #items: (T | undefined)[] = [];
  #count = 0;

  get length(): number {
    return this.#count;
  }

  push(item: T): void {
    this.#items[this.#count++] = item;
  }

  /** The item at `i` (0 <= i < length). */
  at(i: number): T {
    return this.#items[i] as T;
  }

  /** Replace the item at `i` (0 <= i < length). */
  set(i: number, item: T): void {
    this.#items[i] = item;
  }

  clear(): void {
    const items = this.#items;
    for (let i = 0; i < this.#count; i++) items[i] = undefined;
    this.#count = 0;
  }
}
