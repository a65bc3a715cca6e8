/**
 * @internal Where a table keeps its objects: one store per kind, all behind {@link Store}. A
 * table object is a key and a value; stores hold references, never copies.
 */
import { isDeepStrictEqual } from "node:util";
import { checkKey, compareKeys, type TableKey } from "./keys.js";
import { SortedMap } from "./sorted-map.js";

/** @internal The operations every kind of table supports, on key and value. */
export interface Store<V> {
  /** How many objects the table holds (a bag counts each object, not each key). */
  readonly size: number;
  /** `set`, `orderedSet`: the value or `undefined`; bags: the frozen array of values. */
  lookup(key: TableKey): V | undefined | readonly V[];
  has(key: TableKey): boolean;
  /** `set`, `orderedSet`: replaces; `bag`: adds unless an equal object is there; `duplicateBag`: adds. */
  insert(key: TableKey, value: V): void;
  /** Inserts only when no object has this key; true when it did. */
  insertNew(key: TableKey, value: V): boolean;
  /** Removes every object with this key; true when there was one. */
  delete(key: TableKey): boolean;
  /** Removes the objects equal (deeply) to `[key, value]`; true when there was one. */
  deleteObject(key: TableKey, value: V): boolean;
  clear(): void;
  first(): TableKey | undefined;
  last(): TableKey | undefined;
  next(key: TableKey): TableKey | undefined;
  prev(key: TableKey): TableKey | undefined;
  /**
   * Calls `fn` on each object, in the table's order (or reverse), until it returns `false`.
   * Objects written by `fn` may or may not be visited; objects present throughout are, once.
   */
  walk(fn: (key: TableKey, value: V) => unknown, reverse: boolean): void;
}

/** @internal The store of `orderedSet` tables: a B+ tree in key order. */
export class OrderedStore<V> implements Store<V> {
  private readonly map = new SortedMap<TableKey, V>(compareKeys);

  get size(): number {
    return this.map.size;
  }

  lookup(key: TableKey): V | undefined {
    checkKey(key);
    return this.map.get(key);
  }

  has(key: TableKey): boolean {
    checkKey(key);
    return this.map.has(key);
  }

  insert(key: TableKey, value: V): void {
    this.map.set(key, value);
  }

  insertNew(key: TableKey, value: V): boolean {
    if (this.map.has(key)) return false;
    this.map.set(key, value);
    return true;
  }

  delete(key: TableKey): boolean {
    return this.map.delete(key);
  }

  deleteObject(key: TableKey, value: V): boolean {
    if (!this.map.has(key) || !isDeepStrictEqual(this.map.get(key), value)) return false;
    return this.map.delete(key);
  }

  clear(): void {
    this.map.clear();
  }

  first(): TableKey | undefined {
    return this.map.first();
  }

  last(): TableKey | undefined {
    return this.map.last();
  }

  next(key: TableKey): TableKey | undefined {
    return this.map.next(key);
  }

  prev(key: TableKey): TableKey | undefined {
    return this.map.prev(key);
  }

  walk(fn: (key: TableKey, value: V) => unknown, reverse: boolean): void {
    this.map.walk(fn, reverse);
  }
}
