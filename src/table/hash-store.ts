/**
 * @internal The stores of `set`, `bag` and `duplicateBag` tables: a `Map` from key to a node of
 * a doubly linked list, so that lookups are one `Map.get` and `next(key)` is O(1). The order is
 * the order keys were first inserted (stable while a key stays in the table).
 */
import { isDeepStrictEqual } from "node:util";
import { invalidArgument } from "../kernel/errors.js";
import { checkKey, type TableKey } from "./keys.js";
import type { Store } from "./store.js";

interface Linked {
  readonly key: TableKey;
  prev: Linked | null;
  next: Linked | null;
  live: boolean;
}

class SetNode<V> implements Linked {
  prev: SetNode<V> | null = null;
  next: SetNode<V> | null = null;
  live = true;
  constructor(
    readonly key: TableKey,
    public value: V,
  ) {}
}

class BagNode<V> implements Linked {
  prev: BagNode<V> | null = null;
  next: BagNode<V> | null = null;
  live = true;
  constructor(
    readonly key: TableKey,
    /** Replaced, never mutated: `lookup` hands it out as is. */
    public values: readonly V[],
  ) {}
}

const NONE: readonly never[] = Object.freeze([]);

/** Keys in a linked list; a removed node keeps its `next`/`prev`, so a walk can step past it. */
abstract class LinkedStore<N extends Linked> {
  protected readonly nodes = new Map<TableKey, N>();
  private head: N | null = null;
  private tail: N | null = null;
  // Lets `next(key)` continue from the key just deleted: `for (k = first(); ...) delete(k)`.
  private lastRemoved: N | null = null;

  protected link(node: N): void {
    this.nodes.set(node.key, node);
    node.prev = this.tail;
    if (this.tail !== null) this.tail.next = node;
    else this.head = node;
    this.tail = node;
  }

  protected unlink(node: N): void {
    this.nodes.delete(node.key);
    node.live = false;
    if (node.prev !== null) node.prev.next = node.next;
    else this.head = node.next as N | null;
    if (node.next !== null) node.next.prev = node.prev;
    else this.tail = node.prev as N | null;
    this.lastRemoved = node;
  }

  has(key: TableKey): boolean {
    if (this.nodes.has(key)) return true;
    checkKey(key);
    return false;
  }

  delete(key: TableKey): boolean {
    const node = this.nodes.get(key);
    if (node === undefined) return false;
    this.unlink(node);
    return true;
  }

  clear(): void {
    for (let node = this.head; node !== null; node = node.next as N | null) node.live = false;
    this.nodes.clear();
    this.head = null;
    this.tail = null;
    this.lastRemoved = null;
  }

  first(): TableKey | undefined {
    return this.head?.key;
  }

  last(): TableKey | undefined {
    return this.tail?.key;
  }

  next(key: TableKey): TableKey | undefined {
    return this.step(key, false);
  }

  prev(key: TableKey): TableKey | undefined {
    return this.step(key, true);
  }

  private step(key: TableKey, back: boolean): TableKey | undefined {
    let node: Linked | null | undefined = this.nodes.get(key);
    if (node === undefined) {
      checkKey(key);
      const removed = this.lastRemoved;
      if (removed === null || removed.key !== key) {
        // As ETS on a hash table: there is no "after" for a key that is not in it.
        invalidArgument("key", "a key in the table", key);
      }
      node = removed;
    }
    do node = back ? (node as Linked).prev : (node as Linked).next;
    while (node !== null && !node.live);
    return node?.key;
  }

  protected walkNodes(fn: (node: N) => unknown, reverse: boolean): void {
    let node = reverse ? this.tail : this.head;
    while (node !== null) {
      if (node.live && fn(node) === false) return;
      node = (reverse ? node.prev : node.next) as N | null;
    }
  }
}

/** @internal The store of `set` tables. */
export class SetStore<V> extends LinkedStore<SetNode<V>> implements Store<V> {
  get size(): number {
    return this.nodes.size;
  }

  lookup(key: TableKey): V | undefined {
    const node = this.nodes.get(key);
    if (node !== undefined) return node.value;
    // Checked only on a miss, so that a hit costs one Map.get.
    checkKey(key);
    return undefined;
  }

  insert(key: TableKey, value: V): void {
    const node = this.nodes.get(key);
    if (node !== undefined) node.value = value;
    else this.link(new SetNode(key, value));
  }

  insertNew(key: TableKey, value: V): boolean {
    if (this.nodes.has(key)) return false;
    this.link(new SetNode(key, value));
    return true;
  }

  deleteObject(key: TableKey, value: V): boolean {
    const node = this.nodes.get(key);
    if (node === undefined || !isDeepStrictEqual(node.value, value)) return false;
    this.unlink(node);
    return true;
  }

  walk(fn: (key: TableKey, value: V) => unknown, reverse: boolean): void {
    this.walkNodes((node) => fn(node.key, node.value), reverse);
  }
}

/** @internal The store of `bag` (`distinct`) and `duplicateBag` tables. */
export class BagStore<V> extends LinkedStore<BagNode<V>> implements Store<V> {
  private objects = 0;

  constructor(private readonly distinct: boolean) {
    super();
  }

  get size(): number {
    return this.objects;
  }

  lookup(key: TableKey): readonly V[] {
    const node = this.nodes.get(key);
    if (node !== undefined) return node.values;
    checkKey(key);
    return NONE;
  }

  insert(key: TableKey, value: V): void {
    const node = this.nodes.get(key);
    if (node === undefined) {
      this.link(new BagNode(key, Object.freeze([value])));
    } else {
      if (this.distinct && node.values.some((v) => isDeepStrictEqual(v, value))) return;
      node.values = Object.freeze([...node.values, value]);
    }
    this.objects++;
  }

  insertNew(key: TableKey, value: V): boolean {
    if (this.nodes.has(key)) return false;
    this.link(new BagNode(key, Object.freeze([value])));
    this.objects++;
    return true;
  }

  override delete(key: TableKey): boolean {
    const node = this.nodes.get(key);
    if (node === undefined) return false;
    this.objects -= node.values.length;
    this.unlink(node);
    return true;
  }

  override clear(): void {
    super.clear();
    this.objects = 0;
  }

  deleteObject(key: TableKey, value: V): boolean {
    const node = this.nodes.get(key);
    if (node === undefined) return false;
    const kept = node.values.filter((v) => !isDeepStrictEqual(v, value));
    const removed = node.values.length - kept.length;
    if (removed === 0) return false;
    this.objects -= removed;
    if (kept.length === 0) this.unlink(node);
    else node.values = Object.freeze(kept);
    return true;
  }

  walk(fn: (key: TableKey, value: V) => unknown, reverse: boolean): void {
    this.walkNodes((node) => {
      const values = node.values;
      for (let i = reverse ? values.length - 1 : 0; reverse ? i >= 0 : i < values.length; ) {
        if (fn(node.key, values[i] as V) === false) return false;
        i += reverse ? -1 : 1;
      }
      return true;
    }, reverse);
  }
}
