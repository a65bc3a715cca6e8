/**
 * Table: ETS-like in-memory tables owned by a process and read by any process with plain
 * synchronous calls, without a message round trip.
 */
import { send } from "../kernel/api.js";
import { invalidArgument } from "../kernel/errors.js";
import { isPid, type Pid } from "../kernel/pid.js";
import type { Process, Self } from "../kernel/process.js";
import { currentRuntime } from "../kernel/runtime.js";
import {
  applyCounterOps,
  type CounterOp,
  checkCounterOp,
  type NumericField,
  patchValue,
} from "./counter.js";
import { TableAccessError } from "./errors.js";
import { BagStore, SetStore } from "./hash-store.js";
import { checkKey, type TableKey } from "./keys.js";
import {
  type BagKind,
  type Lookup,
  type TableInfo,
  type TableOptions,
  tableOptions,
  type UniqueKind,
} from "./options.js";
import { matchesPattern, type TablePattern } from "./pattern.js";
import { findTable, type TableKind, TableState } from "./state.js";
import { OrderedStore, type Store } from "./store.js";
import { TransferMessage } from "./transfer.js";

function announce(state: TableState, to: Process, from: Pid, data: unknown): void {
  send(to.pid, new TransferMessage(new Table(state, to.pid), from, data));
}

/**
 * A handle on an ETS-like table: `Table<K, V, Kind>` holds objects `[key, value]`, keys of type
 * `K` (strings, numbers, bigints), values of type `V`, stored by reference (never copied: do not
 * mutate a stored value; `updateCounter` and `updateElement` write new objects).
 *
 * Reads are plain method calls from any process. A handle acts as one process (or as none):
 * `Table.create(self)` returns the owner's handle, `table.as(self)` another process's,
 * `Table.whereis(name)` one acting as no process. Writes go through a handle acting as the owner,
 * unless the table is `public`; a `private` table is read only that way too. Otherwise the
 * operation throws `TableAccessError` (`ERR_TABLE_ACCESS`). When the owner exits, the table is
 * deleted (every operation then throws `NoTableError`, `ERR_NO_TABLE`), or passes to its heir.
 *
 * @example A read-heavy cache owned by a process, read by others
 * ```ts
 * const prices = Table.create<string, number>(self, { name: "prices" });
 * prices.insert("apple", 3);
 * // in any other process, no message exchanged:
 * Table.whereis<string, number>("prices")?.lookup("apple"); // 3
 * ```
 */
export class Table<K extends TableKey = TableKey, V = unknown, Kind extends TableKind = "set"> {
  /** @internal */
  constructor(
    private readonly state: TableState,
    /** The process this handle acts as, `undefined` for none. */
    readonly holder: Pid | undefined,
  ) {}

  /**
   * Creates a table owned by `owner` and returns the owner's handle. See {@link tableOptions};
   * bad options throw `InvalidArgumentError` (a taken name too). Give `Kind` with a bag kind:
   * `Table.create<string, Order, "bag">(self, { kind: "bag" })`.
   *
   * @example
   * ```ts
   * const sessions = Table.create<string, Session>(self, { access: "public", heir: backup });
   * const events = Table.create<number, string, "orderedSet">(self, { kind: "orderedSet" });
   * ```
   */
  static create<K extends TableKey = TableKey, V = unknown, Kind extends TableKind = "set">(
    owner: Self,
    options?: TableOptions<Kind>,
  ): Table<K, V, Kind> {
    const opts = tableOptions.parse(options, "options");
    const process =
      typeof owner === "object" && owner !== null && isPid(owner.pid)
        ? currentRuntime().lookup(owner.pid)
        : undefined;
    if (process === undefined || !process.alive) invalidArgument("owner", "a live process", owner);
    const store: Store<unknown> =
      opts.kind === "set"
        ? new SetStore()
        : opts.kind === "orderedSet"
          ? new OrderedStore()
          : new BagStore(opts.kind === "bag");
    const state = new TableState(
      store,
      opts.kind,
      opts.access,
      opts.name,
      process,
      opts.heir,
      opts.heirData,
      announce,
    );
    return new Table(state, process.pid);
  }

  /**
   * The table registered under `name` in the current runtime, as a handle acting as no process
   * (reads; writes if public), or `undefined`. Use `.as(self)` to act as a process.
   *
   * @example
   * ```ts
   * const prices = Table.whereis<string, number>("prices");
   * ```
   */
  static whereis<K extends TableKey = TableKey, V = unknown, Kind extends TableKind = "set">(
    name: string,
  ): Table<K, V, Kind> | undefined {
    const state = findTable(currentRuntime(), name);
    return state === undefined ? undefined : new Table(state, undefined);
  }

  /** A handle on the same table acting as `self`. @example `Table.whereis("t")?.as(self)` */
  as(self: Self): Table<K, V, Kind> {
    return new Table(this.state, self.pid);
  }

  /** The table's id, unique in this thread. */
  get id(): number {
    return this.state.id;
  }

  /** The table's name, if it has one. */
  get name(): string | undefined {
    return this.state.name;
  }

  /** The table's kind. */
  get kind(): Kind {
    return this.state.kind as Kind;
  }

  /** True until the table is deleted. @example `if (!cache.exists) rebuild()` */
  get exists(): boolean {
    return this.state.store !== null;
  }

  /** The number of objects. */
  get size(): number {
    return this.readable("size").size;
  }

  // ---- reads ------------------------------------------------------------------------------

  /**
   * The value under `key` (`undefined` when absent) for `set` and `orderedSet`; for bags, the
   * (frozen) array of values, empty when absent. One `Map.get` on a `set`.
   *
   * @example
   * ```ts
   * prices.lookup("apple"); // 3
   * orders.lookup("alice"); // [order1, order2]
   * ```
   */
  lookup(key: K): Lookup<Kind, V> {
    const store = this.state.open;
    return (store !== null ? store : this.readable("lookup")).lookup(key) as Lookup<Kind, V>;
  }

  /**
   * The field `field` of the value under `key` (bags: of each value). Throws
   * `InvalidArgumentError` when the key is absent, unless `defaultValue` is given.
   *
   * @example
   * ```ts
   * users.lookupElement("alice", "age"); // 42
   * ```
   */
  lookupElement<F extends keyof V>(
    key: K,
    field: F,
    ...defaultValue: [] | [V[F]]
  ): Kind extends BagKind ? V[F][] : V[F] {
    const found = this.readable("lookupElement").lookup(key);
    if (found === undefined || (Array.isArray(found) && found.length === 0)) {
      if (defaultValue.length > 0) return defaultValue[0] as never;
      return invalidArgument("key", "a key in the table", key);
    }
    const pick = (v: unknown) => (v as Record<PropertyKey, unknown>)?.[field as PropertyKey];
    return (
      this.state.kind === "bag" || this.state.kind === "duplicateBag"
        ? (found as unknown[]).map(pick)
        : pick(found)
    ) as never;
  }

  /** True when an object has `key`. @example `if (!cache.member(k)) cache.insert(k, load(k))` */
  member(key: K): boolean {
    const store = this.state.open;
    return (store !== null ? store : this.readable("member")).has(key);
  }

  /**
   * The first key: the smallest for `orderedSet`, the oldest for the others; `undefined` when
   * empty. With {@link next}, walks the table; deleting the key just visited keeps the walk going.
   *
   * @example
   * ```ts
   * for (let k = t.first(); k !== undefined; k = t.next(k)) console.log(k);
   * ```
   */
  first(): K | undefined {
    return this.readable("first").first() as K | undefined;
  }

  /** The last key (see {@link first}). @example `t.last()` */
  last(): K | undefined {
    return this.readable("last").last() as K | undefined;
  }

  /**
   * The key after `key`, `undefined` at the end. On `orderedSet`, `key` need not be in the
   * table; on the others it must be (or be the key just deleted), else `InvalidArgumentError`.
   *
   * @example
   * ```ts
   * events.next(1700000000); // the first timestamp after it
   * ```
   */
  next(key: K): K | undefined {
    return this.readable("next").next(this.orderedKey(key)) as K | undefined;
  }

  /** The key before `key` (see {@link next}). @example `events.prev(1700000000)` */
  prev(key: K): K | undefined {
    return this.readable("prev").prev(this.orderedKey(key)) as K | undefined;
  }

  /**
   * Folds over every object in the table's order (`foldr`: reverse). A write made by `fn` to
   * this table is allowed; objects it adds may or may not be visited.
   *
   * @example
   * ```ts
   * const total = prices.foldl((sum, price) => sum + price, 0);
   * ```
   */
  foldl<A>(fn: (acc: A, value: V, key: K) => A, initial: A): A {
    let acc = initial;
    this.readable("foldl").walk((k, v) => {
      acc = fn(acc, v as V, k as K);
    }, false);
    return acc;
  }

  /** {@link foldl} in reverse order. @example `t.foldr((keys, _v, k) => [...keys, k], [])` */
  foldr<A>(fn: (acc: A, value: V, key: K) => A, initial: A): A {
    let acc = initial;
    this.readable("foldr").walk((k, v) => {
      acc = fn(acc, v as V, k as K);
    }, true);
    return acc;
  }

  /**
   * The objects `[key, value]` that match `pattern`: a predicate `(value, key) => boolean`, or
   * a partial value whose given fields must be deeply equal (a whole value for non-objects).
   *
   * @example
   * ```ts
   * users.match({ role: "admin" }); // [["alice", { role: "admin", ... }]]
   * users.match((u) => u.age > 40);
   * ```
   */
  match(pattern: TablePattern<K, V>): Array<[K, V]> {
    return this.select(pattern, (value, key) => [key, value] as [K, V]);
  }

  /**
   * `projection(value, key)` of each object that matches `pattern` (see {@link match}).
   *
   * @example
   * ```ts
   * users.select((u) => u.age > 40, (u, name) => name); // ["bob"]
   * ```
   */
  select<R>(pattern: TablePattern<K, V>, projection: (value: V, key: K) => R): R[] {
    const out: R[] = [];
    const store = this.readable("select");
    store.walk((k, v) => {
      if (matchesPattern(pattern, v, k)) out.push(projection(v as V, k as K));
    }, false);
    return out;
  }

  /** How many objects match `pattern`. @example `users.selectCount({ role: "admin" })` */
  selectCount(pattern: TablePattern<K, V>): number {
    let n = 0;
    this.readable("selectCount").walk((k, v) => {
      if (matchesPattern(pattern, v, k)) n++;
    }, false);
    return n;
  }

  /** Every object `[key, value]`, in the table's order. @example `t.toArray()` */
  toArray(): Array<[K, V]> {
    const out: Array<[K, V]> = [];
    this.readable("toArray").walk((k, v) => {
      out.push([k as K, v as V]);
    }, false);
    return out;
  }

  /** What the table is and holds. @example `t.info().size` */
  info(): TableInfo {
    const s = this.state;
    const store = this.readable("info");
    return {
      id: s.id,
      name: s.name,
      kind: s.kind,
      access: s.access,
      owner: s.owner.pid,
      heir: s.heir,
      size: store.size,
    };
  }

  // ---- writes -----------------------------------------------------------------------------

  /**
   * Inserts one object, or many (`[[key, value], ...]`). `set`/`orderedSet` replace the value
   * of an existing key; `bag` adds unless a deeply equal object is there; `duplicateBag` adds.
   * A bad key throws `InvalidArgumentError` before anything is written.
   *
   * @example
   * ```ts
   * prices.insert("apple", 3);
   * prices.insert([["pear", 4], ["plum", 2]]);
   * ```
   */
  insert(key: K, value: V): void;
  insert(objects: ReadonlyArray<readonly [K, V]>): void;
  insert(keyOrObjects: K | ReadonlyArray<readonly [K, V]>, value?: V): void {
    const store = this.writable("insert");
    if (Array.isArray(keyOrObjects)) {
      const objects = checkObjects(keyOrObjects as ReadonlyArray<readonly [K, V]>);
      for (const [k, v] of objects) store.insert(k, v);
    } else {
      checkKey(keyOrObjects);
      store.insert(keyOrObjects as K, value);
    }
  }

  /**
   * Inserts unless the key is there (any of the keys, for many: then none is inserted); true
   * when inserted.
   *
   * @example
   * ```ts
   * if (!locks.insertNew("job:7", self.pid)) console.log("taken");
   * ```
   */
  insertNew(key: K, value: V): boolean;
  insertNew(objects: ReadonlyArray<readonly [K, V]>): boolean;
  insertNew(keyOrObjects: K | ReadonlyArray<readonly [K, V]>, value?: V): boolean {
    const store = this.writable("insertNew");
    if (!Array.isArray(keyOrObjects)) {
      checkKey(keyOrObjects);
      return store.insertNew(keyOrObjects as K, value);
    }
    const objects = checkObjects(keyOrObjects as ReadonlyArray<readonly [K, V]>);
    const keys = new Set<TableKey>();
    for (const [k] of objects) {
      if (store.has(k) || (keys.has(k) && !this.isBag())) return false;
      keys.add(k);
    }
    for (const [k, v] of objects) store.insert(k, v);
    return true;
  }

  /** Deletes every object with `key`; true when there was one. @example `cache.delete("k")` */
  delete(key: K): boolean {
    checkKey(key);
    return this.writable("delete").delete(key);
  }

  /** Deletes the objects deeply equal to `[key, value]`; true when there was one. */
  deleteObject(key: K, value: V): boolean {
    checkKey(key);
    return this.writable("deleteObject").deleteObject(key, value);
  }

  /** Empties the table. @example `cache.deleteAllObjects()` */
  deleteAllObjects(): void {
    this.writable("deleteAllObjects").clear();
  }

  /**
   * Deletes the objects that match `pattern` (see {@link match}); returns how many.
   *
   * @example
   * ```ts
   * sessions.selectDelete((s) => s.expiresAt < now);
   * ```
   */
  selectDelete(pattern: TablePattern<K, V>): number {
    const store = this.writable("selectDelete");
    const doomed: Array<[TableKey, unknown]> = [];
    store.walk((k, v) => {
      if (matchesPattern(pattern, v, k)) doomed.push([k, v]);
    }, false);
    for (const [k, v] of doomed) {
      if (this.isBag()) store.deleteObject(k, v);
      else store.delete(k);
    }
    return doomed.length;
  }

  /**
   * Adds to a counter atomically and returns its new value (or values, for a list of updates):
   * the value itself when `V` is a number, or a numeric `field` of a plain-object value. A
   * missing key takes `defaultValue` first, else throws `InvalidArgumentError`. Only for
   * `set`/`orderedSet`. See {@link CounterOp} for `threshold`/`setValue`.
   *
   * @example
   * ```ts
   * hits.updateCounter("/", 1, 0); // 1, then 2, ...
   * stats.updateCounter("api", { field: "errors", increment: 1 });
   * ```
   */
  updateCounter(
    this: Table<K, V, UniqueKind>,
    key: K,
    update: number | CounterOp<NumericField<V>>,
    defaultValue?: V,
  ): number;
  updateCounter(
    this: Table<K, V, UniqueKind>,
    key: K,
    updates: ReadonlyArray<CounterOp<NumericField<V>>>,
    defaultValue?: V,
  ): number[];
  updateCounter(
    key: K,
    update: number | CounterOp | readonly CounterOp[],
    defaultValue?: V,
  ): number | number[] {
    const store = this.uniqueStore("updateCounter");
    checkKey(key);
    const ops = Array.isArray(update)
      ? update.map((u, i) => checkCounterOp(u, `update[${i}]`))
      : [checkCounterOp(update, "update")];
    let current = store.lookup(key);
    if (current === undefined) {
      if (defaultValue === undefined)
        invalidArgument("key", "a key in the table, or a defaultValue", key);
      current = defaultValue;
    }
    const { value, results } = applyCounterOps(current, ops, "update");
    store.insert(key, value);
    return Array.isArray(update) ? results : (results[0] as number);
  }

  /**
   * Replaces fields of the plain-object value under `key` (writing a new object); false when
   * the key is absent. Only for `set`/`orderedSet`.
   *
   * @example
   * ```ts
   * users.updateElement("alice", { age: 43 });
   * ```
   */
  updateElement(this: Table<K, V, UniqueKind>, key: K, patch: Partial<V>): boolean;
  updateElement(key: K, patch: Partial<V>): boolean {
    const store = this.uniqueStore("updateElement");
    checkKey(key);
    const current = store.lookup(key);
    if (current === undefined) return false;
    store.insert(key, patchValue(current, patch, "updateElement"));
    return true;
  }

  // ---- ownership --------------------------------------------------------------------------

  /**
   * Makes `pid` the owner; it receives a {@link TransferMessage} with `data`. Only through the
   * owner's handle; `pid` must be alive and not the owner (else `InvalidArgumentError`).
   *
   * @example
   * ```ts
   * table.giveAway(worker, { reason: "handover" });
   * ```
   */
  giveAway(pid: Pid, data?: unknown): void {
    this.owned("giveAway");
    const to = isPid(pid) ? this.state.owner.runtime.lookup(pid) : undefined;
    if (to === undefined || !to.alive || to === this.state.owner) {
      invalidArgument("pid", "a live process other than the owner", pid);
    }
    this.state.giveTo(to, data);
  }

  /** Names (or, with `undefined`, clears) the heir; owner only. @example `t.setHeir(backup, "x")` */
  setHeir(heir: Pid | undefined, data?: unknown): void {
    this.owned("setHeir");
    if (heir !== undefined && !isPid(heir)) invalidArgument("heir", "a pid or undefined", heir);
    this.state.heir = heir;
    this.state.heirData = data;
  }

  /** Deletes the whole table (with write access). @example `cache.deleteTable()` */
  deleteTable(): void {
    this.writable("deleteTable");
    this.state.destroy();
  }

  // ---- checks -----------------------------------------------------------------------------

  private isBag(): boolean {
    return this.state.kind === "bag" || this.state.kind === "duplicateBag";
  }

  private actsAsOwner(): boolean {
    const holder = this.holder;
    return holder?.equals(this.state.owner.pid) === true;
  }

  private denied(operation: string): never {
    const s = this.state;
    throw new TableAccessError(s.id, s.name, s.access, operation, this.holder, s.owner.pid);
  }

  private readable(operation: string): Store<unknown> {
    const store = this.state.live();
    if (this.state.access === "private" && !this.actsAsOwner()) this.denied(operation);
    return store;
  }

  private writable(operation: string): Store<unknown> {
    const store = this.state.live();
    if (this.state.access !== "public" && !this.actsAsOwner()) this.denied(operation);
    return store;
  }

  private owned(operation: string): void {
    this.state.live();
    if (!this.actsAsOwner()) this.denied(operation);
  }

  private uniqueStore(operation: string): Store<unknown> {
    const store = this.writable(operation);
    if (this.isBag()) invalidArgument("table", "a set or orderedSet table", this.state.kind);
    return store;
  }

  private orderedKey(key: K): K {
    if (this.state.kind === "orderedSet") checkKey(key);
    return key;
  }
}

function checkObjects<K, V>(
  objects: ReadonlyArray<readonly [K, V]>,
): ReadonlyArray<readonly [K, V]> {
  for (let i = 0; i < objects.length; i++) {
    const object = objects[i];
    if (!Array.isArray(object) || object.length !== 2) {
      invalidArgument(`objects[${i}]`, "a [key, value] pair", object);
    }
    checkKey(object[0], `objects[${i}][0]`);
  }
  return objects;
}
