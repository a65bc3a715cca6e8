/**
 * The functions of the `Registry` namespace. Every read is a synchronous call on the registry's
 * tables; every write names the registering process by its `self`.
 */
import type { NamedServer } from "../gen-server/protocol.js";
import type { Via } from "../kernel/api.js";
import { invalidArgument } from "../kernel/errors.js";
import { type ExitReason, NoProcError } from "../kernel/exit.js";
import { checkFunction } from "../kernel/options.js";
import { matches as matchesPattern } from "../kernel/pattern.js";
import { isPid, type Pid } from "../kernel/pid.js";
import type { Self } from "../kernel/process.js";
import {
  addEntry,
  checkSelf,
  checkUnique,
  type NamedRegistry,
  notify,
  type Registry,
  type RegistryRef,
  startRegistry,
  stopRegistry,
  use,
} from "./handle.js";
import type { RegistryOptions } from "./options.js";
import type { ValuePattern } from "./pattern.js";

/** One entry as `select` returns it. */
export interface RegistryEntry<K, V> {
  readonly key: K;
  readonly pid: Pid;
  readonly value: V;
}

/**
 * Starts a registry and returns its handle at once. Its owner process holds its lifetime: stop
 * or kill it and the registry is gone. Options (see `registryOptions`): `keys` (`"unique"` or
 * `"duplicate"`, required), `name`, `partitions` (default 1), `listeners` (default none).
 *
 * @example
 * ```ts
 * const registry = Registry.start<string, { role: string }>({ keys: "unique", name: "users" });
 * ```
 */
export function start<K = unknown, V = unknown>(options: RegistryOptions): Registry<K, V> {
  return startRegistry<K, V>(options, undefined, "options");
}

/**
 * Like {@link start}, and links the registry's owner to `self`, as a supervisor starts a child:
 * when `self` exits abnormally, the registry goes too.
 *
 * @example
 * ```ts
 * spawn((self) => {
 *   const registry = Registry.startLink(self, { keys: "duplicate" });
 * });
 * ```
 */
export function startLink<K = unknown, V = unknown>(
  self: Self,
  options: RegistryOptions,
): Registry<K, V> {
  return startRegistry<K, V>(options, self, "options");
}

/**
 * Stops a registry: its owner exits with `reason` (default `"normal"`) and every entry goes.
 * Stopping a stopped registry does nothing.
 *
 * @example
 * ```ts
 * Registry.stop(registry);
 * Registry.lookup(registry, "a"); // throws NoProcError: the registry has stopped
 * ```
 */
export function stop(registry: RegistryRef, reason: ExitReason = "normal"): void {
  stopRegistry(registry, reason);
}

/**
 * Registers the process `self` under `key` with `value`. Under unique keys a key already held
 * (by another process or by `self`) throws `AlreadyRegisteredError` with the holder's pid; under
 * duplicate keys a process may register one key several times. The entry goes when the process
 * exits, or with {@link unregister}. `self` must be the handle of a live process.
 *
 * @example
 * ```ts
 * spawn(async (self) => {
 *   Registry.register(registry, self, "user:42", { since: Date.now() });
 *   await self.receive();
 * });
 * ```
 */
export function register<K, V>(registry: RegistryRef<K, V>, self: Self, key: K, value: V): void {
  const r = use(registry);
  addEntry(r, checkSelf(r.runtime, self, "self"), key, value);
}

/**
 * Removes every entry of `self` under `key` (nothing happens when there is none).
 *
 * @example
 * ```ts
 * Registry.unregister(registry, self, "user:42");
 * ```
 */
export function unregister<K, V>(registry: RegistryRef<K, V>, self: Self, key: K): void {
  const r = use(registry);
  const pid = checkSelf(r.runtime, self, "self").pid;
  if (r.store.unregister(pid, key) > 0) notify(r, { type: "unregister", key, pid });
}

/**
 * The `[pid, value]` pairs registered under `key`, oldest first: at most one under unique keys.
 * A synchronous read of the registry's table, no message involved.
 *
 * @example
 * ```ts
 * const [entry] = Registry.lookup(registry, "user:42");
 * if (entry !== undefined) send(entry[0], "hello");
 * ```
 */
export function lookup<K, V>(registry: RegistryRef<K, V>, key: K): Array<[Pid, V]> {
  return use(registry).store.lookup(key);
}

/**
 * The `[pid, value]` pairs under `key` whose value matches `pattern`: a predicate, or an object
 * whose listed keys must match (see `ValuePattern`).
 *
 * @example
 * ```ts
 * Registry.match(registry, "room:1", { role: "admin" });
 * Registry.match(registry, "room:1", (v) => (v as { age: number }).age >= 18);
 * ```
 */
export function match<K, V>(
  registry: RegistryRef<K, V>,
  key: K,
  pattern: ValuePattern,
): Array<[Pid, V]> {
  const out: Array<[Pid, V]> = [];
  use(registry).store.forEachUnder(key, (e) => {
    if (matchesPattern(pattern, e.value)) out.push([e.pid, e.value]);
  });
  return out;
}

/**
 * How many entries the registry holds, over all keys and processes.
 *
 * @example
 * ```ts
 * Registry.count(registry); // 3
 * ```
 */
export function count(registry: RegistryRef): number {
  return use(registry).store.size;
}

/**
 * How many entries under `key` have a value matching `pattern` (see {@link match}).
 *
 * @example
 * ```ts
 * Registry.countMatch(registry, "room:1", { role: "admin" }); // 1
 * ```
 */
export function countMatch<K, V>(
  registry: RegistryRef<K, V>,
  key: K,
  pattern: ValuePattern,
): number {
  let n = 0;
  use(registry).store.forEachUnder(key, (e) => {
    if (matchesPattern(pattern, e.value)) n++;
  });
  return n;
}

/**
 * Every entry `{ key, pid, value }` that `predicate` accepts (all of them without one).
 *
 * @example
 * ```ts
 * Registry.select(registry, ({ key }) => String(key).startsWith("user:"));
 * ```
 */
export function select<K, V>(
  registry: RegistryRef<K, V>,
  predicate: (entry: RegistryEntry<K, V>) => boolean = () => true,
): Array<RegistryEntry<K, V>> {
  const r = use(registry);
  checkFunction(predicate, "predicate");
  const out: Array<RegistryEntry<K, V>> = [];
  r.store.forEach((e) => {
    const entry = { key: e.key, pid: e.pid, value: e.value };
    if (predicate(entry)) out.push(entry);
  });
  return out;
}

/**
 * How many entries `predicate` accepts.
 *
 * @example
 * ```ts
 * Registry.countSelect(registry, ({ value }) => value === "idle");
 * ```
 */
export function countSelect<K, V>(
  registry: RegistryRef<K, V>,
  predicate: (entry: RegistryEntry<K, V>) => boolean,
): number {
  const r = use(registry);
  checkFunction(predicate, "predicate");
  let n = 0;
  r.store.forEach((e) => {
    if (predicate({ key: e.key, pid: e.pid, value: e.value })) n++;
  });
  return n;
}

/**
 * The keys `pid` holds, in the order it registered them; under duplicate keys a key registered
 * twice is listed twice.
 *
 * @example
 * ```ts
 * Registry.keys(registry, self.pid); // ["user:42"]
 * ```
 */
export function keys<K>(registry: RegistryRef<K, unknown>, pid: Pid): K[] {
  const r = use(registry);
  if (!isPid(pid)) invalidArgument("pid", "a pid", pid);
  return r.store.keys(pid);
}

/**
 * The values `pid` registered under `key`, oldest first.
 *
 * @example
 * ```ts
 * Registry.values(registry, "room:1", self.pid); // [{ role: "admin" }]
 * ```
 */
export function values<K, V>(registry: RegistryRef<K, V>, key: K, pid: Pid): V[] {
  const r = use(registry);
  if (!isPid(pid)) invalidArgument("pid", "a pid", pid);
  return r.store.values(key, pid);
}

/**
 * Calls `fn` with the `[pid, value]` pairs under `key`, in the caller, if there is at least one:
 * the pub/sub idiom of Elixir's Registry. An error thrown by `fn` reaches the caller.
 *
 * @example
 * ```ts
 * Registry.dispatch(registry, "topic:news", (entries) => {
 *   for (const [pid] of entries) send(pid, { news: "hello" });
 * });
 * ```
 */
export function dispatch<K, V>(
  registry: RegistryRef<K, V>,
  key: K,
  fn: (entries: Array<[Pid, V]>) => void,
): void {
  const r = use(registry);
  checkFunction(fn, "fn");
  const entries = r.store.lookup(key);
  if (entries.length > 0) fn(entries);
}

/**
 * Replaces the value `self` holds under a unique `key` with `fn(old)` and returns
 * `[newValue, oldValue]`, or `undefined` when `self` does not hold `key`. Only for registries
 * with unique keys.
 *
 * @example
 * ```ts
 * Registry.register(registry, self, "counter", 1);
 * Registry.updateValue(registry, self, "counter", (n) => n + 1); // [2, 1]
 * ```
 */
export function updateValue<K, V>(
  registry: RegistryRef<K, V>,
  self: Self,
  key: K,
  fn: (value: V) => V,
): readonly [newValue: V, oldValue: V] | undefined {
  const r = use(registry);
  checkUnique(r as Registry<unknown, unknown>, "updateValue");
  const pid = checkSelf(r.runtime, self, "self").pid;
  checkFunction(fn, "fn");
  const entry = r.store.ownEntry(pid, key);
  if (entry === undefined) return undefined;
  const old = entry.value;
  entry.value = fn(old);
  return [entry.value, old];
}

/**
 * The registry's metadata under `key`, or `undefined`: data about the registry itself, shared
 * by whoever uses it.
 *
 * @example
 * ```ts
 * Registry.putMeta(registry, "region", "eu");
 * Registry.meta(registry, "region"); // "eu"
 * ```
 */
export function meta(registry: RegistryRef, key: unknown): unknown {
  return use(registry).meta.get(key);
}

/**
 * Sets the registry's metadata under `key`; see {@link meta}.
 *
 * @example
 * ```ts
 * Registry.putMeta(registry, "region", "eu");
 * ```
 */
export function putMeta(registry: RegistryRef, key: unknown, value: unknown): void {
  use(registry).meta.set(key, value);
}

/**
 * Removes the registry's metadata under `key`; returns whether it was there.
 *
 * @example
 * ```ts
 * Registry.deleteMeta(registry, "region"); // true
 * ```
 */
export function deleteMeta(registry: RegistryRef, key: unknown): boolean {
  return use(registry).meta.delete(key);
}

/**
 * A via-name `{ via: registry, key }` for `send`, `GenServer.start`/`call`/`cast` and `Agent`,
 * typed with the server's protocol `P`. The registry must have unique keys. Given a registry's
 * name rather than its handle, the name is looked up on each use, so it keeps working after the
 * registry is restarted.
 *
 * @example
 * ```ts
 * const name = Registry.via<Counter>(registry, "counter:1");
 * await GenServer.start(counterDefinition, 0, { name });
 * await GenServer.call(name, "add", 5);
 * ```
 */
export function via<P = unknown, K = unknown>(
  registry: RegistryRef<K, unknown>,
  key: NoInfer<K>,
): NamedServer<P> & Via<K> {
  const naming = typeof registry === "string" ? namingByName<K>(registry) : use(registry);
  if (typeof registry !== "string") checkUnique(naming as Registry<unknown, unknown>, "via-names");
  return { via: naming, key } as NamedServer<P> & Via<K>;
}

/**
 * Types a registry's local name with its keys and values (nothing is checked at run time), for
 * the registry functions to take instead of the handle.
 *
 * @example
 * ```ts
 * Registry.start({ keys: "unique", name: "users" });
 * const users = Registry.named<string, number>("users");
 * Registry.lookup(users, "alice");
 * ```
 */
export function named<K = unknown, V = unknown>(name: string): NamedRegistry<K, V> {
  if (typeof name !== "string" || name.length === 0) {
    invalidArgument("name", "a non-empty string", name);
  }
  return name as NamedRegistry<K, V>;
}

/** A via-naming that finds the registry by name on each use, so it outlives a restart. */
function namingByName<K>(name: string): Via<K>["via"] {
  if (name.length === 0) invalidArgument("registry", "a non-empty registry name", name);
  return {
    registerName: (key, pid) => use<K, unknown>(name).registerName(key, pid),
    unregisterName: (key) => {
      try {
        use<K, unknown>(name).unregisterName(key);
      } catch (error) {
        // The registry is gone, and with it the name.
        if (!(error instanceof NoProcError)) throw error;
      }
    },
    whereisName: (key) => {
      try {
        return use<K, unknown>(name).whereisName(key);
      } catch (error) {
        if (error instanceof NoProcError) return undefined;
        throw error;
      }
    },
  };
}
