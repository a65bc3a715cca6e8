/**
 * Registry: keys mapped to processes, as Elixir's `Registry`. Keys are unique (one process per
 * key: naming) or duplicate (any number: pub/sub, grouping); entries vanish when their process
 * exits; reads are synchronous calls, with no message round trip; a registry with unique keys is
 * also a via-name implementation for GenServer and Agent.
 *
 * @example
 * ```ts
 * import { GenServer, Registry } from "beamish";
 *
 * const registry = Registry.start<string>({ keys: "unique" });
 * await GenServer.start(counterDefinition, 0, { name: Registry.via(registry, "counter:1") });
 * Registry.lookup(registry, "counter:1"); // [[pid, undefined]]
 * ```
 */
import {
  count,
  countMatch,
  countSelect,
  deleteMeta,
  dispatch,
  keys,
  lookup,
  match,
  meta,
  named,
  putMeta,
  register,
  select,
  start,
  startLink,
  stop,
  unregister,
  updateValue,
  values,
  via,
} from "./functions.js";

export { AlreadyRegisteredError } from "./errors.js";
export type { RegistryEntry } from "./functions.js";
export type { NamedRegistry, RegistryEvent, RegistryRef } from "./handle.js";
export { type RegistryOptions, registryOptions } from "./options.js";
export type { ValuePattern } from "./pattern.js";
export type { KeysKind } from "./store.js";

/**
 * A registry handle, as `Registry.start` returns it: keys of type `K`, values of type `V`.
 *
 * @example
 * ```ts
 * const registry: Registry<string, number> = Registry.start({ keys: "unique" });
 * ```
 */
export type Registry<K = unknown, V = unknown> = import("./handle.js").Registry<K, V>;

/**
 * The Registry functions: `start`, `startLink`, `stop`, `register`, `unregister`, `lookup`,
 * `match`, `count`, `countMatch`, `select`, `countSelect`, `keys`, `values`, `dispatch`,
 * `updateValue`, `meta`, `putMeta`, `deleteMeta`, `via`, `named`.
 *
 * @example
 * ```ts
 * const topics = Registry.start({ keys: "duplicate" });
 * spawn(async (self) => {
 *   Registry.register(topics, self, "news", null);
 *   console.log(await self.receive());
 * });
 * Registry.dispatch(topics, "news", (entries) => entries.forEach(([pid]) => send(pid, "hi")));
 * ```
 */
export const Registry = Object.freeze({
  start,
  startLink,
  stop,
  register,
  unregister,
  lookup,
  match,
  count,
  countMatch,
  select,
  countSelect,
  keys,
  values,
  dispatch,
  updateValue,
  meta,
  putMeta,
  deleteMeta,
  via,
  named,
});
