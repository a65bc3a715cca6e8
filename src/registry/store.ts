/**
 * @internal The registry's tables, with no process in sight: entries by key in N partition maps,
 * and by pid in one record per registered process. The shell (registry.ts) validates arguments,
 * attaches each new record to its process as an exit hook, and sends listener events; everything
 * here is plain data and is unit-tested directly.
 */
import { detachHook, ExitHook } from "../kernel/hooks.js";
import type { Pid } from "../kernel/pid.js";
import { AlreadyRegisteredError } from "./errors.js";
import { KeyHasher } from "./hash.js";

/** Whether a key is held by one process at most (`"unique"`) or by any number (`"duplicate"`). */
export type KeysKind = "unique" | "duplicate";

/** One registration: `pid` under `key` with `value`. */
export class Entry<K, V> {
  /** The next entry of the same process under the same key (duplicate keys only). */
  sameKeyNext: Entry<K, V> | null = null;

  constructor(
    readonly key: K,
    readonly pid: Pid,
    public value: V,
  ) {}
}

/**
 * The registrations of one process, and the hook that drops them when it exits: one per process
 * and registry, however many keys it holds.
 */
export class PidRecord<K, V> extends ExitHook {
  /** The first entry of this process under each of its keys, in the order first registered. */
  readonly byKey = new Map<K, Entry<K, V>>();

  constructor(
    readonly store: RegistryStore<K, V>,
    readonly pid: Pid,
  ) {
    super();
  }

  onExit(): void {
    this.store.removeRecord(this);
  }
}

/** @internal See the module comment. */
export class RegistryStore<K, V> {
  readonly #unique: Array<Map<K, Entry<K, V>>> | null;
  readonly #duplicate: Array<Map<K, Set<Entry<K, V>>>> | null;
  readonly #records = new Map<number, PidRecord<K, V>>();
  readonly #hasher = new KeyHasher();
  #size = 0;

  constructor(
    readonly kind: KeysKind,
    readonly partitions: number,
  ) {
    const maps = <M>(): M[] => Array.from({ length: partitions }, () => new Map() as M);
    this.#unique = kind === "unique" ? maps() : null;
    this.#duplicate = kind === "duplicate" ? maps() : null;
  }

  /** How many entries there are, over all keys and processes. */
  get size(): number {
    return this.#size;
  }

  /** The partition `key` lives in. */
  partitionOf(key: K): number {
    return this.#hasher.partition(key, this.partitions);
  }

  /**
   * Adds an entry. Under unique keys a key held by any process (the caller too) throws
   * {@link AlreadyRegisteredError}. Returns the process's record when this entry created it, so
   * that the caller attaches it to the process; `null` when the record was there already.
   */
  register(pid: Pid, key: K, value: V): PidRecord<K, V> | null {
    const part = this.partitionOf(key);
    const entry = new Entry(key, pid, value);
    if (this.#unique !== null) {
      const map = this.#unique[part] as Map<K, Entry<K, V>>;
      const holder = map.get(key);
      if (holder !== undefined) throw new AlreadyRegisteredError(key, holder.pid);
      map.set(key, entry);
    } else {
      const map = (this.#duplicate as Array<Map<K, Set<Entry<K, V>>>>)[part] as Map<
        K,
        Set<Entry<K, V>>
      >;
      const set = map.get(key);
      if (set === undefined) map.set(key, new Set([entry]));
      else set.add(entry);
    }
    this.#size++;
    let record = this.#records.get(pid.id);
    let created: PidRecord<K, V> | null = null;
    if (record === undefined) {
      record = new PidRecord(this, pid);
      this.#records.set(pid.id, record);
      created = record;
    }
    const first = record.byKey.get(key);
    if (first === undefined) {
      record.byKey.set(key, entry);
    } else {
      let last = first;
      while (last.sameKeyNext !== null) last = last.sameKeyNext;
      last.sameKeyNext = entry;
    }
    return created;
  }

  /** Removes every entry of `pid` under `key`; returns how many there were. */
  unregister(pid: Pid, key: K): number {
    const record = this.#records.get(pid.id);
    if (record === undefined) return 0;
    const first = record.byKey.get(key);
    if (first === undefined) return 0;
    record.byKey.delete(key);
    const removed = this.#removeChain(first);
    if (record.byKey.size === 0) this.#dropRecord(record);
    return removed;
  }

  /** Drops every entry of an exited process (its hook has already been detached). */
  removeRecord(record: PidRecord<K, V>): void {
    if (this.#records.get(record.pid.id) !== record) return;
    for (const first of record.byKey.values()) this.#removeChain(first);
    record.byKey.clear();
    this.#records.delete(record.pid.id);
  }

  /** Drops everything and detaches every record from its process. */
  clear(): void {
    for (const record of this.#records.values()) detachHook(record);
    this.#records.clear();
    for (const map of this.#unique ?? this.#duplicate ?? []) map.clear();
    this.#size = 0;
  }

  /** The entries under `key`, oldest first. */
  lookup(key: K): Array<[Pid, V]> {
    const part = this.partitionOf(key);
    if (this.#unique !== null) {
      const entry = (this.#unique[part] as Map<K, Entry<K, V>>).get(key);
      return entry === undefined ? [] : [[entry.pid, entry.value]];
    }
    const set = (this.#duplicate as Array<Map<K, Set<Entry<K, V>>>>)[part]?.get(key);
    const out: Array<[Pid, V]> = [];
    if (set !== undefined) for (const entry of set) out.push([entry.pid, entry.value]);
    return out;
  }

  /** The pid holding a unique `key`, or `undefined`. */
  whereis(key: K): Pid | undefined {
    return (this.#unique?.[this.partitionOf(key)] as Map<K, Entry<K, V>> | undefined)?.get(key)
      ?.pid;
  }

  /** Calls `fn` for each entry under `key`, oldest first. */
  forEachUnder(key: K, fn: (entry: Entry<K, V>) => void): void {
    const part = this.partitionOf(key);
    if (this.#unique !== null) {
      const entry = (this.#unique[part] as Map<K, Entry<K, V>>).get(key);
      if (entry !== undefined) fn(entry);
      return;
    }
    const set = (this.#duplicate as Array<Map<K, Set<Entry<K, V>>>>)[part]?.get(key);
    if (set !== undefined) for (const entry of set) fn(entry);
  }

  /** Calls `fn` for every entry: partition by partition, each in insertion order. */
  forEach(fn: (entry: Entry<K, V>) => void): void {
    if (this.#unique !== null) {
      for (const map of this.#unique) for (const entry of map.values()) fn(entry);
      return;
    }
    for (const map of this.#duplicate as Array<Map<K, Set<Entry<K, V>>>>) {
      for (const set of map.values()) for (const entry of set) fn(entry);
    }
  }

  /** The keys `pid` holds, in the order first registered; repeated per duplicate entry. */
  keys(pid: Pid): K[] {
    const record = this.#records.get(pid.id);
    if (record === undefined) return [];
    const out: K[] = [];
    for (const [key, first] of record.byKey) {
      for (let e: Entry<K, V> | null = first; e !== null; e = e.sameKeyNext) out.push(key);
    }
    return out;
  }

  /** The values `pid` registered under `key`, oldest first. */
  values(key: K, pid: Pid): V[] {
    const out: V[] = [];
    let e = this.#records.get(pid.id)?.byKey.get(key) ?? null;
    for (; e !== null; e = e.sameKeyNext) out.push(e.value);
    return out;
  }

  /** The entry of `pid` under a unique `key`, or `undefined`. */
  ownEntry(pid: Pid, key: K): Entry<K, V> | undefined {
    return this.#records.get(pid.id)?.byKey.get(key);
  }

  /** How many processes hold at least one key. */
  get processCount(): number {
    return this.#records.size;
  }

  #removeChain(first: Entry<K, V>): number {
    const part = this.partitionOf(first.key);
    let removed = 0;
    if (this.#unique !== null) {
      const map = this.#unique[part] as Map<K, Entry<K, V>>;
      if (map.get(first.key) === first) map.delete(first.key);
      removed = 1;
    } else {
      const map = (this.#duplicate as Array<Map<K, Set<Entry<K, V>>>>)[part] as Map<
        K,
        Set<Entry<K, V>>
      >;
      const set = map.get(first.key);
      for (let e: Entry<K, V> | null = first; e !== null; e = e.sameKeyNext) {
        set?.delete(e);
        removed++;
      }
      if (set !== undefined && set.size === 0) map.delete(first.key);
    }
    this.#size -= removed;
    return removed;
  }

  #dropRecord(record: PidRecord<K, V>): void {
    detachHook(record);
    this.#records.delete(record.pid.id);
  }
}
