/**
 * A growable FIFO ring buffer: O(1) push and shift, with rare removal from the middle
 * (selective receive). Mailboxes and the run queue are built on it instead of `Array.shift`,
 * which is O(n) once V8 stops treating the array as a fast queue.
 */
export class Ring<T> {
  private items: Array<T | undefined>;
  private head = 0;
  private mask: number;
  /** Number of items held. */
  length = 0;

  /** @param capacity initial capacity, rounded up to a power of two */
  constructor(capacity = 8) {
    let size = 2;
    while (size < capacity) size *= 2;
    this.items = new Array<T | undefined>(size);
    this.mask = size - 1;
  }

  push(item: T): void {
    if (this.length > this.mask) this.grow();
    this.items[(this.head + this.length) & this.mask] = item;
    this.length++;
  }

  /** Removes and returns the oldest item; `undefined` when empty. */
  shift(): T | undefined {
    if (this.length === 0) return undefined;
    const item = this.items[this.head];
    this.items[this.head] = undefined;
    this.head = (this.head + 1) & this.mask;
    this.length--;
    return item;
  }

  /** The item at position `index` from the oldest (0), without removing it. */
  at(index: number): T | undefined {
    if (index < 0 || index >= this.length) return undefined;
    return this.items[(this.head + index) & this.mask];
  }

  /** Removes the item at position `index`, keeping the order of the others. */
  removeAt(index: number): T | undefined {
    if (index < 0 || index >= this.length) return undefined;
    if (index === 0) return this.shift();
    const items = this.items;
    const mask = this.mask;
    const item = items[(this.head + index) & mask];
    for (let i = index; i < this.length - 1; i++) {
      items[(this.head + i) & mask] = items[(this.head + i + 1) & mask];
    }
    items[(this.head + this.length - 1) & mask] = undefined;
    this.length--;
    return item;
  }

  /** Drops every item. */
  clear(): void {
    this.items.fill(undefined);
    this.head = 0;
    this.length = 0;
  }

  /** The items, oldest first, as a new array. */
  toArray(): T[] {
    const out = new Array<T>(this.length);
    for (let i = 0; i < this.length; i++) out[i] = this.items[(this.head + i) & this.mask] as T;
    return out;
  }

  private grow(): void {
    const old = this.items;
    const size = old.length * 2;
    const next = new Array<T | undefined>(size);
    for (let i = 0; i < this.length; i++) next[i] = old[(this.head + i) & this.mask];
    this.items = next;
    this.head = 0;
    this.mask = size - 1;
  }
}
