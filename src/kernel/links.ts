/** Links kept in an array up to this many; a Set beyond. */
const SMALL_LINKS = 16;

/**
 * @internal The links of a process that has more than one, in the order they were made. A
 * task's owner gains and loses a link per task: in a small array that costs a short scan, where a
 * `Set` churned its hash table on every add and delete. A process with many links (a large
 * supervisor) moves to a `Set` for good.
 */
export class LinkSet<T> implements Iterable<T> {
  private small: T[] | null;
  private large: Set<T> | null = null;

  constructor(first: T, second: T) {
    this.small = [first, second];
  }

  get size(): number {
    return this.small !== null ? this.small.length : (this.large as Set<T>).size;
  }

  add(item: T): void {
    const small = this.small;
    if (small === null) {
      (this.large as Set<T>).add(item);
      return;
    }
    if (small.includes(item)) return;
    if (small.length < SMALL_LINKS) {
      small.push(item);
      return;
    }
    this.large = new Set(small);
    this.large.add(item);
    this.small = null;
  }

  delete(item: T): void {
    const small = this.small;
    if (small === null) {
      (this.large as Set<T>).delete(item);
      return;
    }
    const index = small.indexOf(item);
    if (index < 0) return;
    // Shifted by hand: `splice` would allocate an array of the removed item.
    for (let i = index + 1; i < small.length; i++) small[i - 1] = small[i] as T;
    small.pop();
  }

  [Symbol.iterator](): Iterator<T> {
    return this.small !== null ? this.small.values() : (this.large as Set<T>).values();
  }
}
