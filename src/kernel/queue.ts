/**
 * A FIFO queue of linked chunks: O(1) push and shift, with rare removal from the middle
 * (selective receive). Mailboxes, the run queue and stage buffers are built on it instead of
 * `Array.shift`, which is O(n) once V8 stops treating the array as a fast queue.
 *
 * Chunks start small and double up to a bound, so an idle mailbox costs a few slots; a burst of
 * a million messages fills fixed-size chunks instead of growing one array, whose every doubling
 * copies all of it and makes the garbage collector rescan it (a ring buffer spent most of a
 * burst of casts growing).
 */
export class Queue<T> {
  private head: Chunk<T>;
  private headIndex = 0;
  private tail: Chunk<T>;
  /** The next free slot of the tail chunk. */
  private tailIndex = 0;
  /** One emptied chunk of the largest size, kept to be reused by the next push that needs one. */
  private spare: Chunk<T> | null = null;
  /** Number of items held. */
  length = 0;

  /**
   * @param capacity slots of the first chunk, rounded up to a power of two
   * @param maxChunk the largest chunk, in slots
   */
  constructor(
    capacity = 8,
    private readonly maxChunk = 1024,
  ) {
    let size = 2;
    while (size < capacity && size < maxChunk) size *= 2;
    this.head = new Chunk(size);
    this.tail = this.head;
  }

  push(item: T): void {
    if (this.tailIndex === this.tail.items.length) this.addChunk();
    this.tail.items[this.tailIndex++] = item;
    this.length++;
  }

  /** Removes and returns the oldest item; `undefined` when empty. */
  shift(): T | undefined {
    if (this.length === 0) return undefined;
    const chunk = this.head;
    const item = chunk.items[this.headIndex];
    chunk.items[this.headIndex++] = undefined;
    this.length--;
    if (this.length === 0) {
      // Empty: rewind into the head chunk instead of moving on.
      this.dropAfter(this.head);
      this.headIndex = 0;
      this.tailIndex = 0;
    } else if (this.headIndex === chunk.items.length) {
      this.head = chunk.next as Chunk<T>;
      this.headIndex = 0;
      this.recycle(chunk);
    }
    return item;
  }

  /** The newest item, without removing it; `undefined` when empty. */
  last(): T | undefined {
    return this.length === 0 ? undefined : this.tail.items[this.tailIndex - 1];
  }

  /** The item at position `index` from the oldest (0), without removing it. */
  at(index: number): T | undefined {
    if (index < 0 || index >= this.length) return undefined;
    let chunk = this.head;
    let offset = this.headIndex + index;
    while (offset >= chunk.items.length) {
      offset -= chunk.items.length;
      chunk = chunk.next as Chunk<T>;
    }
    return chunk.items[offset];
  }

  /** The position of the first item at or after `from` that `match` accepts, or -1. */
  findIndex(match: (item: T) => boolean, from = 0): number {
    if (from >= this.length) return -1;
    let chunk = this.head;
    let offset = this.headIndex + Math.max(0, from);
    while (offset >= chunk.items.length) {
      offset -= chunk.items.length;
      chunk = chunk.next as Chunk<T>;
    }
    for (let i = Math.max(0, from); i < this.length; i++) {
      if (match(chunk.items[offset] as T)) return i;
      if (++offset === chunk.items.length) {
        chunk = chunk.next as Chunk<T>;
        offset = 0;
      }
    }
    return -1;
  }

  /** Removes the item at position `index`, keeping the order of the others. */
  removeAt(index: number): T | undefined {
    if (index < 0 || index >= this.length) return undefined;
    if (index === 0) return this.shift();
    let chunk = this.head;
    let offset = this.headIndex + index;
    while (offset >= chunk.items.length) {
      offset -= chunk.items.length;
      chunk = chunk.next as Chunk<T>;
    }
    const item = chunk.items[offset];
    // Every later item moves one slot towards the head.
    for (let i = index; i < this.length - 1; i++) {
      let nextChunk = chunk;
      let nextOffset = offset + 1;
      if (nextOffset === chunk.items.length) {
        nextChunk = chunk.next as Chunk<T>;
        nextOffset = 0;
      }
      chunk.items[offset] = nextChunk.items[nextOffset];
      chunk = nextChunk;
      offset = nextOffset;
    }
    chunk.items[offset] = undefined;
    this.length--;
    this.tailIndex--;
    if (this.tailIndex === 0 && this.tail !== this.head) {
      // The tail chunk is now empty: its predecessor becomes the tail, full.
      let previous = this.head;
      while (previous.next !== this.tail) previous = previous.next as Chunk<T>;
      this.recycle(this.tail);
      previous.next = null;
      this.tail = previous;
      this.tailIndex = previous.items.length;
    }
    return item;
  }

  /** Drops every item. */
  clear(): void {
    for (let chunk: Chunk<T> | null = this.head; chunk !== null; chunk = chunk.next) {
      chunk.items.fill(undefined);
    }
    this.dropAfter(this.head);
    this.headIndex = 0;
    this.tailIndex = 0;
    this.length = 0;
  }

  /** The items, oldest first, as a new array. */
  toArray(): T[] {
    const out: T[] = [];
    let chunk = this.head;
    let offset = this.headIndex;
    for (let i = 0; i < this.length; i++) {
      if (offset === chunk.items.length) {
        chunk = chunk.next as Chunk<T>;
        offset = 0;
      }
      out.push(chunk.items[offset++] as T);
    }
    return out;
  }

  private addChunk(): void {
    const size = Math.min(this.tail.items.length * 2, this.maxChunk);
    let chunk = this.spare;
    if (chunk !== null && chunk.items.length === size) this.spare = null;
    else chunk = new Chunk<T>(size);
    this.tail.next = chunk;
    this.tail = chunk;
    this.tailIndex = 0;
  }

  private recycle(chunk: Chunk<T>): void {
    chunk.next = null;
    if (chunk.items.length === this.maxChunk) this.spare = chunk;
  }

  /** Unlinks the chunks after `chunk`, which becomes the tail. */
  private dropAfter(chunk: Chunk<T>): void {
    if (chunk.next !== null) {
      this.recycle(this.tail);
      chunk.next = null;
    }
    this.tail = chunk;
  }
}

class Chunk<T> {
  readonly items: Array<T | undefined>;
  next: Chunk<T> | null = null;

  constructor(size: number) {
    this.items = new Array<T | undefined>(size);
  }
}
