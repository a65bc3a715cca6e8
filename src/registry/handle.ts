/**
 * The registry handle, its owner process and the checks every registry function starts with.
 * Reads and writes are plain function calls on the handle's tables: one thread needs no message
 * round trip to keep them consistent, and the owner process exists so that the registry has a
 * lifetime (a supervisor can start and stop it; when it exits, the registry is gone).
 */
import { type Dest, type Naming, send } from "../kernel/api.js";
import { invalidArgument } from "../kernel/errors.js";
import { type ExitReason, NoProcError } from "../kernel/exit.js";
import { attachHook, ExitHook } from "../kernel/hooks.js";
import { isPid, type Pid } from "../kernel/pid.js";
import { type Actor, Process, type Self } from "../kernel/process.js";
import { currentRuntime, type Runtime } from "../kernel/runtime.js";
import { type RegistryOptions, registryOptions } from "./options.js";
import { type KeysKind, RegistryStore } from "./store.js";

/**
 * What a listener receives when a process registers a key (`"register"`) or unregisters it
 * (`"unregister"`). As in Elixir, a process that exits sends no `"unregister"`: a listener that
 * cares monitors the pid it was told of.
 *
 * @example
 * ```ts
 * const event = (await self.receive()) as RegistryEvent<string, number>;
 * if (event.type === "register") console.log(event.key, String(event.pid), event.value);
 * ```
 */
export type RegistryEvent<K = unknown, V = unknown> =
  | {
      readonly type: "register";
      readonly registry: Registry<K, V>;
      readonly key: K;
      readonly pid: Pid;
      readonly value: V;
    }
  | {
      readonly type: "unregister";
      readonly registry: Registry<K, V>;
      readonly key: K;
      readonly pid: Pid;
    };

declare const registryTypes: unique symbol;

/**
 * The local name a registry was started under, typed with its keys and values (nothing is
 * checked at run time); see `Registry.named`.
 */
export type NamedRegistry<K, V> = string & { readonly [registryTypes]?: [K, V] };

/** What the registry functions accept: a handle from `Registry.start`, or a registry's name. */
export type RegistryRef<K = unknown, V = unknown> = Registry<K, V> | NamedRegistry<K, V>;

const registries = new WeakMap<Process, Registry<unknown, unknown>>();

/** The owner process takes and drops any message: its only job is to live and to die. */
const ownerActor: Actor = { init() {}, handle() {} };

/**
 * A registry: keys mapped to processes and values, entries dropped when their process exits.
 * Made by `Registry.start`; used through the `Registry` functions. It is also a via-name
 * implementation: `{ via: registry, key }` (or `Registry.via(registry, key)`) names a process
 * for `send`, `GenServer.start`, `GenServer.call` and `Agent`.
 *
 * @example
 * ```ts
 * const registry = Registry.start<string, number>({ keys: "unique" });
 * registry.pid; // the owner process
 * registry.keysKind; // "unique"
 * ```
 */
export class Registry<K = unknown, V = unknown> implements Naming<K> {
  /** @internal */
  readonly store: RegistryStore<K, V>;
  /** @internal */
  readonly meta = new Map<unknown, unknown>();
  /** @internal */
  stopped = false;

  /** @internal */
  constructor(
    /** @internal */
    readonly runtime: Runtime,
    /** @internal */
    readonly owner: Process,
    keys: KeysKind,
    partitions: number,
    /** The processes told of registrations, from the `listeners` option. */
    readonly listeners: readonly Dest[],
  ) {
    this.store = new RegistryStore<K, V>(keys, partitions);
  }

  /** The registry's owner process: stop or kill it and the registry is gone. */
  get pid(): Pid {
    return this.owner.pid;
  }

  /** `"unique"` or `"duplicate"`, as started. */
  get keysKind(): KeysKind {
    return this.store.kind;
  }

  /** How many partitions the keys are hashed over. */
  get partitions(): number {
    return this.store.partitions;
  }

  /** Registers `pid` under a unique `key` with value `undefined` (the via-name protocol). */
  registerName(key: K, pid: Pid): void {
    checkLive(this);
    checkUnique(this, "via-names");
    if (!isPid(pid)) invalidArgument("pid", "a pid", pid);
    const process = this.runtime.lookup(pid);
    if (process === undefined || !process.alive) throw new NoProcError(pid);
    addEntry(this, process, key, undefined as V);
  }

  /**
   * Frees a unique `key`, whoever holds it. A key whose holder is exiting goes silently: the
   * release of a via-name by an exiting server is not an unregistration listeners hear of.
   */
  unregisterName(key: K): void {
    if (this.stopped) return;
    checkUnique(this, "via-names");
    const pid = this.store.whereis(key);
    if (pid === undefined) return;
    this.store.unregister(pid, key);
    if (this.runtime.lookup(pid) !== undefined) notify(this, { type: "unregister", key, pid });
  }

  /** The pid holding a unique `key`, or `undefined` (also once the registry has stopped). */
  whereisName(key: K): Pid | undefined {
    if (this.stopped) return undefined;
    checkUnique(this, "via-names");
    return this.store.whereis(key);
  }

  toString(): string {
    return `#Registry<${this.owner.pid.node}.${this.owner.pid.id}>`;
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toString();
  }
}

/** Tears the registry down when its owner exits, and only then. */
class OwnerExit extends ExitHook {
  constructor(private readonly registry: Registry<unknown, unknown>) {
    super();
  }

  onExit(): void {
    this.registry.stopped = true;
    this.registry.store.clear();
    this.registry.meta.clear();
  }
}

/** @internal Starts a registry, linked to `parent` when given. */
export function startRegistry<K, V>(
  options: RegistryOptions,
  parent: Self | undefined,
  path: string,
): Registry<K, V> {
  const opts = registryOptions.parse(options, path);
  const runtime = currentRuntime();
  if (parent !== undefined) checkSelf(runtime, parent, "self");
  const owner = runtime.spawnProcess(null, ownerActor, { name: opts.name });
  const registry = new Registry<K, V>(runtime, owner, opts.keys, opts.partitions, opts.listeners);
  registries.set(owner, registry as Registry<unknown, unknown>);
  attachHook(owner, new OwnerExit(registry as Registry<unknown, unknown>));
  if (parent !== undefined) {
    owner.parent = parent.pid;
    parent.link(owner.pid);
  }
  return registry;
}

/** @internal Stops a registry's owner with `reason`; a stopped registry stays stopped. */
export function stopRegistry(ref: RegistryRef<unknown, unknown>, reason: ExitReason): void {
  const registry = ref instanceof Registry ? ref : use(ref);
  registry.owner.exit(reason);
}

/**
 * @internal The live registry behind a handle or name. A stopped registry is a `NoProcError`
 * (its owner is gone); anything else that is not a registry is an `InvalidArgumentError`.
 */
export function use<K, V>(ref: RegistryRef<K, V>): Registry<K, V> {
  if (ref instanceof Registry) {
    if (ref.stopped) throw new NoProcError(ref.pid, "the registry has stopped");
    return ref;
  }
  if (typeof ref === "string") {
    const owner = currentRuntime().whereis(ref);
    if (owner === undefined) throw new NoProcError(ref);
    const registry = registries.get(owner);
    if (registry !== undefined && !registry.stopped) return registry as Registry<K, V>;
  }
  return invalidArgument("registry", "a Registry from Registry.start or the name of one", ref);
}

function checkLive(registry: Registry<unknown, unknown>): void {
  if (registry.stopped) throw new NoProcError(registry.pid, "the registry has stopped");
}

/** @internal Throws unless the registry has unique keys, which `what` needs. */
export function checkUnique(registry: Registry<unknown, unknown>, what: string): void {
  if (registry.store.kind !== "unique") {
    invalidArgument("registry.keys", `"unique" (${what} need unique keys)`, registry.store.kind);
  }
}

/**
 * @internal The process behind `self`: the handle given to a live process of `runtime`. There
 * is no implicit current process, so a registration names its process explicitly, and only a
 * live one may hold keys (a dead one would never be cleaned up).
 */
export function checkSelf(runtime: Runtime, self: unknown, path: string): Process {
  if (!(self instanceof Process)) return invalidArgument(path, "the Self of a live process", self);
  if (self.runtime !== runtime) {
    invalidArgument(path, "the Self of a process in the registry's runtime", self);
  }
  if (!self.alive) {
    invalidArgument(path, "the Self of a live process, not of one that has exited", self);
  }
  return self;
}

/** @internal Adds an entry, hooks a new record to its process and tells the listeners. */
export function addEntry<K, V>(registry: Registry<K, V>, process: Process, key: K, value: V): void {
  const created = registry.store.register(process.pid, key, value);
  if (created !== null) attachHook(process, created);
  if (registry.listeners.length > 0) {
    notify(registry, { type: "register", key, pid: process.pid, value });
  }
}

type EventBody<K, V> =
  | { readonly type: "register"; readonly key: K; readonly pid: Pid; readonly value: V }
  | { readonly type: "unregister"; readonly key: K; readonly pid: Pid };

/** @internal Sends an event to every listener; a listener name nobody holds is skipped. */
export function notify<K, V>(registry: Registry<K, V>, body: EventBody<K, V>): void {
  if (registry.listeners.length === 0) return;
  const event = { ...body, registry } as RegistryEvent<K, V>;
  for (const listener of registry.listeners) {
    try {
      send(listener, event);
    } catch {
      // As a timer's message to a name nobody holds: dropped, never a crash of the registrant.
    }
  }
}
