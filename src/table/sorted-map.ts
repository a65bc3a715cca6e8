/**
 * @internal A sorted map as a B+ tree: O(log n) get, set and delete, keys kept in the order of a
 * comparator, leaves linked both ways so that walking in order costs O(1) per step. The store of
 * `orderedSet` tables; it knows nothing of tables.
 */

/** Negative when `a` sorts before `b`, zero when they are the same key, positive after. */
export type Compare<K> = (a: K, b: K) => number;

class Leaf<K, V> {
  keys: K[] = [];
  values: V[] = [];
  next: Leaf<K, V> | null = null;
  prev: Leaf<K, V> | null = null;
}

class Branch<K, V> {
  // keys[i] separates children[i] (all keys < keys[i]) from children[i + 1] (all keys >= keys[i]).
  constructor(
    public keys: K[],
    public children: Array<Leaf<K, V> | Branch<K, V>>,
  ) {}
}

type Node<K, V> = Leaf<K, V> | Branch<K, V>;

/** A position in the leaves: the key at `leaf.keys[index]`, or nowhere. */
interface Cursor<K, V> {
  leaf: Leaf<K, V> | null;
  index: number;
}

/**
 * @internal A B+ tree map. `maxKeys` (even, >= 4) bounds the keys of a leaf and the children of a
 * branch; every node but the root holds at least half of that.
 */
export class SortedMap<K, V> {
  private root: Node<K, V> = new Leaf();
  private count = 0;
  /** Bumped by every change, so that a walk notices writes made by its own callback. */
  private version = 0;
  private readonly min: number;
  // Handed from a child's split to its parent without allocating a result object.
  private splitKey: K | undefined = undefined;
  private added = false;

  constructor(
    private readonly compare: Compare<K>,
    private readonly maxKeys = 64,
  ) {
    if (!(Number.isInteger(maxKeys) && maxKeys >= 4 && maxKeys % 2 === 0)) {
      throw new RangeError(`maxKeys must be an even integer >= 4, got ${maxKeys}`);
    }
    this.min = maxKeys / 2;
  }

  get size(): number {
    return this.count;
  }

  get(key: K): V | undefined {
    const leaf = this.leafFor(key);
    const i = this.lowerBound(leaf.keys, key);
    return i < leaf.keys.length && this.compare(leaf.keys[i] as K, key) === 0
      ? leaf.values[i]
      : undefined;
  }

  has(key: K): boolean {
    const leaf = this.leafFor(key);
    const i = this.lowerBound(leaf.keys, key);
    return i < leaf.keys.length && this.compare(leaf.keys[i] as K, key) === 0;
  }

  /** Sets `key` to `value`; true when the key is new. */
  set(key: K, value: V): boolean {
    this.added = false;
    const right = this.insertInto(this.root, key, value);
    if (right !== null) {
      this.root = new Branch<K, V>([this.splitKey as K], [this.root, right]);
      this.splitKey = undefined;
    }
    this.version++;
    if (this.added) this.count++;
    return this.added;
  }

  /** Removes `key`; true when it was there. */
  delete(key: K): boolean {
    if (!this.deleteFrom(this.root, key)) return false;
    this.count--;
    this.version++;
    const root = this.root;
    if (root instanceof Branch && root.children.length === 1)
      this.root = root.children[0] as Node<K, V>;
    return true;
  }

  clear(): void {
    this.root = new Leaf();
    this.count = 0;
    this.version++;
  }

  first(): K | undefined {
    const leaf = this.edgeLeaf(false);
    return leaf.keys[0];
  }

  last(): K | undefined {
    const leaf = this.edgeLeaf(true);
    return leaf.keys[leaf.keys.length - 1];
  }

  /** The smallest key after `key` (which need not be in the map). */
  next(key: K): K | undefined {
    const { leaf, index } = this.seek(key, true);
    return leaf === null ? undefined : leaf.keys[index];
  }

  /** The greatest key before `key` (which need not be in the map). */
  prev(key: K): K | undefined {
    const leaf = this.leafFor(key);
    const i = this.lowerBound(leaf.keys, key) - 1;
    if (i >= 0) return leaf.keys[i];
    const before = leaf.prev;
    return before === null ? undefined : before.keys[before.keys.length - 1];
  }

  /**
   * Calls `fn` for each entry in key order (or reverse); stops when it returns `false` exactly. Entries
   * that `fn` adds or removes are seen or not, but every entry present throughout is seen once.
   */
  walk(fn: (key: K, value: V) => unknown, reverse = false): void {
    let leaf: Leaf<K, V> | null = this.edgeLeaf(reverse);
    let index = reverse ? leaf.keys.length - 1 : 0;
    while (leaf !== null) {
      if (index < 0 || index >= leaf.keys.length) {
        leaf = reverse ? leaf.prev : leaf.next;
        if (leaf !== null) index = reverse ? leaf.keys.length - 1 : 0;
        continue;
      }
      const key = leaf.keys[index] as K;
      const version = this.version;
      if (fn(key, leaf.values[index] as V) === false) return;
      if (version === this.version) {
        index += reverse ? -1 : 1;
      } else if (reverse) {
        const at = this.leafFor(key);
        leaf = at;
        index = this.lowerBound(at.keys, key) - 1;
      } else {
        ({ leaf, index } = this.seek(key, true));
      }
    }
  }

  // ---- internals --------------------------------------------------------------------------

  private lowerBound(keys: K[], key: K): number {
    let lo = 0;
    let hi = keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.compare(keys[mid] as K, key) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private upperBound(keys: K[], key: K): number {
    let lo = 0;
    let hi = keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.compare(keys[mid] as K, key) <= 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private leafFor(key: K): Leaf<K, V> {
    let node = this.root;
    while (node instanceof Branch)
      node = node.children[this.upperBound(node.keys, key)] as Node<K, V>;
    return node;
  }

  private edgeLeaf(last: boolean): Leaf<K, V> {
    let node = this.root;
    while (node instanceof Branch) {
      node = node.children[last ? node.children.length - 1 : 0] as Node<K, V>;
    }
    return node;
  }

  /** The first entry after `key` (strict) or at or after it. */
  private seek(key: K, strict: boolean): Cursor<K, V> {
    const leaf = this.leafFor(key);
    const i = strict ? this.upperBound(leaf.keys, key) : this.lowerBound(leaf.keys, key);
    if (i < leaf.keys.length) return { leaf, index: i };
    return { leaf: leaf.next, index: 0 };
  }

  /** Inserts below `node`; returns the new right sibling when `node` split (key in splitKey). */
  private insertInto(node: Node<K, V>, key: K, value: V): Node<K, V> | null {
    if (node instanceof Leaf) {
      const i = this.lowerBound(node.keys, key);
      if (i < node.keys.length && this.compare(node.keys[i] as K, key) === 0) {
        node.values[i] = value;
        return null;
      }
      node.keys.splice(i, 0, key);
      node.values.splice(i, 0, value);
      this.added = true;
      if (node.keys.length <= this.maxKeys) return null;
      const right = new Leaf<K, V>();
      const half = node.keys.length >>> 1;
      right.keys = node.keys.splice(half);
      right.values = node.values.splice(half);
      right.next = node.next;
      if (right.next !== null) right.next.prev = right;
      right.prev = node;
      node.next = right;
      this.splitKey = right.keys[0];
      return right;
    }
    const ci = this.upperBound(node.keys, key);
    const grown = this.insertInto(node.children[ci] as Node<K, V>, key, value);
    if (grown === null) return null;
    node.keys.splice(ci, 0, this.splitKey as K);
    node.children.splice(ci + 1, 0, grown);
    if (node.children.length <= this.maxKeys) return null;
    const mid = node.children.length >>> 1;
    const rightKeys = node.keys.splice(mid);
    this.splitKey = node.keys.pop();
    return new Branch(rightKeys, node.children.splice(mid));
  }

  private deleteFrom(node: Node<K, V>, key: K): boolean {
    if (node instanceof Leaf) {
      const i = this.lowerBound(node.keys, key);
      if (i >= node.keys.length || this.compare(node.keys[i] as K, key) !== 0) return false;
      node.keys.splice(i, 1);
      node.values.splice(i, 1);
      return true;
    }
    const ci = this.upperBound(node.keys, key);
    const child = node.children[ci] as Node<K, V>;
    if (!this.deleteFrom(child, key)) return false;
    if (sizeOf(child) < this.min) this.rebalance(node, ci);
    return true;
  }

  /** `parent.children[ci]` fell below the minimum: borrow from a sibling or merge with one. */
  private rebalance(parent: Branch<K, V>, ci: number): void {
    const child = parent.children[ci] as Node<K, V>;
    const left = ci > 0 ? (parent.children[ci - 1] as Node<K, V>) : null;
    const right = ci + 1 < parent.children.length ? (parent.children[ci + 1] as Node<K, V>) : null;
    if (left !== null && sizeOf(left) > this.min) {
      if (child instanceof Leaf) {
        const from = left as Leaf<K, V>;
        child.keys.unshift(from.keys.pop() as K);
        child.values.unshift(from.values.pop() as V);
        parent.keys[ci - 1] = child.keys[0] as K;
      } else {
        const from = left as Branch<K, V>;
        child.keys.unshift(parent.keys[ci - 1] as K);
        child.children.unshift(from.children.pop() as Node<K, V>);
        parent.keys[ci - 1] = from.keys.pop() as K;
      }
    } else if (right !== null && sizeOf(right) > this.min) {
      if (child instanceof Leaf) {
        const from = right as Leaf<K, V>;
        child.keys.push(from.keys.shift() as K);
        child.values.push(from.values.shift() as V);
        parent.keys[ci] = from.keys[0] as K;
      } else {
        const from = right as Branch<K, V>;
        child.keys.push(parent.keys[ci] as K);
        child.children.push(from.children.shift() as Node<K, V>);
        parent.keys[ci] = from.keys.shift() as K;
      }
    } else if (left !== null) {
      this.merge(parent, ci - 1);
    } else if (right !== null) {
      this.merge(parent, ci);
    }
  }

  /** Merges `parent.children[li + 1]` into `parent.children[li]`. */
  private merge(parent: Branch<K, V>, li: number): void {
    const left = parent.children[li] as Node<K, V>;
    const right = parent.children[li + 1] as Node<K, V>;
    const separator = parent.keys[li] as K;
    if (left instanceof Leaf) {
      const r = right as Leaf<K, V>;
      for (let i = 0; i < r.keys.length; i++) {
        left.keys.push(r.keys[i] as K);
        left.values.push(r.values[i] as V);
      }
      left.next = r.next;
      if (r.next !== null) r.next.prev = left;
    } else {
      const r = right as Branch<K, V>;
      left.keys.push(separator, ...r.keys);
      left.children.push(...r.children);
    }
    parent.keys.splice(li, 1);
    parent.children.splice(li + 1, 1);
  }
}

function sizeOf<K, V>(node: Node<K, V>): number {
  return node instanceof Leaf ? node.keys.length : node.children.length;
}
