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
export interface Entry<K, V> {
  readonly key: K;
  readonly pid: Pid;
  value: V;
  /**
   * Unique keys: the neighbours in the process's list of entries. Duplicate keys: `next` is the
   * next entry of the same process under the same key; `prev` is unused. One pair of fields
   * serves both, since every surviving entry is copied by each young-generation GC.
   */
  prev: Entry<K, V> | null;
  next: Entry<K, V> | null;
}

/**
 * A new entry, as an object literal rather than a class instance: V8 tracks a literal's
 * allocation site and, seeing its objects survive (entries live as long as their process),
 * allocates them straight in the old generation instead of copying each one through the young
 * one. With 100,000 registrations that halved the time spent in the garbage collector.
 */
function newEntry<K, V>(key: K, pid: Pid, value: V): Entry<K, V> {
  return { key, pid, value, prev: null, next: null };
}

/**
 * The registrations of one process, and the hook that drops them when it exits: one per process
 * and registry, however many keys it holds. Under unique keys the entries are an intrusive list
 * (a register costs no map operation beyond the key's own); under duplicate keys a map finds the
 * chain of one key's entries.
 */
export class PidRecord<K, V> extends ExitHook {
  /** Duplicate keys: the first entry of this process under each key, in the order registered. */
  readonly byKey: Map<K, Entry<K, V>> | null;
  /** Unique keys: this process's entries, oldest first. */
  first: Entry<K, V> | null = null;
  last: Entry<K, V> | null = null;

  constructor(
    readonly store: RegistryStore<K, V>,
    readonly pid: Pid,
    unique: boolean,
  ) {
    super();
    this.byKey = unique ? null : new Map();
  }

  /** True when the process holds no key here. */
  get empty(): boolean {
    return this.byKey === null ? this.first === null : this.byKey.size === 0;
  }

  append(entry: Entry<K, V>): void {
    entry.prev = this.last;
    if (this.last === null) this.first = entry;
    else this.last.next = entry;
    this.last = entry;
  }

  unlink(entry: Entry<K, V>): void {
    if (entry.prev === null) this.first = entry.next;
    else entry.prev.next = entry.next;
    if (entry.next === null) this.last = entry.prev;
    else entry.next.prev = entry.prev;
    entry.prev = null;
    entry.next = null;
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
  /** The record used last: a process registering key after key skips the records map. */
  #lastRecord: PidRecord<K, V> | null = null;
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
    return this.partitions === 1 ? 0 : this.#hasher.partition(key, this.partitions);
  }

  /**
   * Adds an entry. Under unique keys a key held by any process (the caller too) throws
   * {@link AlreadyRegisteredError}. Returns the process's record when this entry created it, so
   * that the caller attaches it to the process; `null` when the record was there already.
   */
  register(pid: Pid, key: K, value: V): PidRecord<K, V> | null {
    const entry = newEntry(key, pid, value);
    const unique = this.#unique;
    if (unique !== null) {
      const map = unique[this.partitionOf(key)] as Map<K, Entry<K, V>>;
      const holder = map.get(key);
      if (holder !== undefined) throw new AlreadyRegisteredError(key, holder.pid);
      map.set(key, entry);
    } else {
      const map = (this.#duplicate as Array<Map<K, Set<Entry<K, V>>>>)[
        this.partitionOf(key)
      ] as Map<K, Set<Entry<K, V>>>;
      const set = map.get(key);
      if (set === undefined) map.set(key, new Set([entry]));
      else set.add(entry);
    }
    this.#size++;
    let record = this.#recordOf(pid);
    let created: PidRecord<K, V> | null = null;
    if (record === undefined) {
      record = new PidRecord(this, pid, unique !== null);
      this.#records.set(pid.id, record);
      created = record;
    }
    this.#lastRecord = record;
    const byKey = record.byKey;
    if (byKey === null) {
      record.append(entry);
      return created;
    }
    const first = byKey.get(key);
    if (first === undefined) {
      byKey.set(key, entry);
    } else {
      let last = first;
      while (last.next !== null) last = last.next;
      last.next = entry;
    }
    return created;
  }

  /** Removes every entry of `pid` under `key`; returns how many there were. */
  unregister(pid: Pid, key: K): number {
    const record = this.#recordOf(pid);
    if (record === undefined) return 0;
    let removed: number;
    if (record.byKey === null) {
      const entry = this.ownEntry(pid, key);
      if (entry === undefined) return 0;
      record.unlink(entry);
      removed = this.#removeChain(entry);
    } else {
      const first = record.byKey.get(key);
      if (first === undefined) return 0;
      record.byKey.delete(key);
      removed = this.#removeChain(first);
    }
    if (record.empty) this.#dropRecord(record);
    return removed;
  }

  /** Drops every entry of an exited process (its hook has already been detached). */
  removeRecord(record: PidRecord<K, V>): void {
    if (this.#records.get(record.pid.id) !== record) return;
    if (record.byKey === null) {
      for (let e = record.first; e !== null; e = e.next) this.#removeChain(e);
      record.first = null;
      record.last = null;
    } else {
      for (const first of record.byKey.values()) this.#removeChain(first);
      record.byKey.clear();
    }
    this.#forget(record);
  }

  /** Drops everything and detaches every record from its process. */
  clear(): void {
    for (const record of this.#records.values()) detachHook(record);
    this.#records.clear();
    this.#lastRecord = null;
    for (const map of this.#unique ?? this.#duplicate ?? []) map.clear();
    this.#size = 0;
  }

  /** The entries under `key`, oldest first. */
  lookup(key: K): Array<[Pid, V]> {
    if (this.#unique !== null) {
      const entry = (this.#unique[this.partitionOf(key)] as Map<K, Entry<K, V>>).get(key);
      return entry === undefined ? [] : [[entry.pid, entry.value]];
    }
    const set = (this.#duplicate as Array<Map<K, Set<Entry<K, V>>>>)[this.partitionOf(key)]?.get(
      key,
    );
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
    const record = this.#recordOf(pid);
    if (record === undefined) return [];
    const out: K[] = [];
    if (record.byKey === null) {
      for (let e = record.first; e !== null; e = e.next) out.push(e.key);
      return out;
    }
    for (const [key, first] of record.byKey) {
      for (let e: Entry<K, V> | null = first; e !== null; e = e.next) out.push(key);
    }
    return out;
  }

  /** The values `pid` registered under `key`, oldest first. */
  values(key: K, pid: Pid): V[] {
    const out: V[] = [];
    if (this.#unique !== null) {
      const entry = this.ownEntry(pid, key);
      if (entry !== undefined) out.push(entry.value);
      return out;
    }
    let e = this.#recordOf(pid)?.byKey?.get(key) ?? null;
    for (; e !== null; e = e.next) out.push(e.value);
    return out;
  }

  /** The entry of `pid` under a unique `key`, or `undefined`. */
  ownEntry(pid: Pid, key: K): Entry<K, V> | undefined {
    if (this.#unique === null) return this.#recordOf(pid)?.byKey?.get(key);
    const entry = (this.#unique[this.partitionOf(key)] as Map<K, Entry<K, V>>).get(key);
    return entry !== undefined && entry.pid.id === pid.id ? entry : undefined;
  }

  /** How many processes hold at least one key. */
  get processCount(): number {
    return this.#records.size;
  }

  #recordOf(pid: Pid): PidRecord<K, V> | undefined {
    const last = this.#lastRecord;
    if (last !== null && last.pid.id === pid.id) return last;
    return this.#records.get(pid.id);
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
      for (let e: Entry<K, V> | null = first; e !== null; e = e.next) {
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
    this.#forget(record);
  }

  #forget(record: PidRecord<K, V>): void {
    this.#records.delete(record.pid.id);
    if (this.#lastRecord === record) this.#lastRecord = null;
  }
}
