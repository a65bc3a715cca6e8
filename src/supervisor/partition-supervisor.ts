/**
 * PartitionSupervisor: N copies of one child, each started with its partition index under a
 * one-for-one supervisor, and a key routed to "its" partition by a stable hash, so that work for
 * one key always reaches the same process (in order) while different keys spread over N.
 */
import { availableParallelism } from "node:os";
import { isAlive, type Naming, type Via, whereis } from "../kernel/api.js";
import { invalidArgument } from "../kernel/errors.js";
import { type ExitReason, NoProcError } from "../kernel/exit.js";
import { type OptionsInput, option, schema } from "../kernel/options.js";
import { isPid, type Pid } from "../kernel/pid.js";
import { isThenable, type Process, type Self } from "../kernel/process.js";
import { type ChildSpec, checkDynamicChildSpec, type StartFunction } from "./child-spec.js";
import type { ChildCounts, ChildInfo } from "./children.js";
import { intensityFields } from "./flags.js";
import { type KeyHash, partitionOf } from "./partition-hash.js";
import * as Supervisor from "./supervisor.js";

/**
 * The options of `PartitionSupervisor.start`.
 *
 * | option | type | default | |
 * |---|---|---|---|
 * | `child` | `(partition: number) => ChildSpec` | required | the spec of each partition's child |
 * | `partitions` | positive integer | `os.availableParallelism()` | how many children |
 * | `name` | non-empty string | none | a local name for the supervisor, usable in place of its handle |
 * | `keyHash` | `(key) => integer` | see `partitionOf` | routes a key to `\|hash\| % partitions` |
 * | `maxRestarts` | non-negative integer | `3` | restarts allowed within `maxSeconds` |
 * | `maxSeconds` | positive integer | `5` | the window of `maxRestarts`, in seconds |
 */
export const partitionSupervisorOptions = schema({
  child: option
    .func<(partition: number) => ChildSpec>()
    .doc("Builds the child spec of each partition from its index; its `id` is replaced."),
  partitions: option
    .positiveInteger(availableParallelism())
    .doc("How many partitions (children). Default: the number of cores."),
  name: option
    .custom("a non-empty string", (v): v is string => typeof v === "string" && v !== "")
    .optional()
    .doc("A local name for the supervisor; the functions take it in place of the handle."),
  keyHash: option
    .func<KeyHash>()
    .optional()
    .doc("Hashes a key to an integer; the key's partition is |hash| % partitions."),
  ...intensityFields,
});

/** Options of `PartitionSupervisor.start`; see {@link partitionSupervisorOptions}. @example `{ partitions: 8, child: (i) => spec(i) }` */
export type PartitionSupervisorOptions = OptionsInput<typeof partitionSupervisorOptions>;

/**
 * A running partition supervisor: its `pid`, its number of `partitions`, and a {@link Naming}
 * that routes a key to the child of the key's partition, so `{ via: sup, key }` can be given to
 * `send` and `GenServer.call`. It only routes: a process cannot register under it.
 *
 * @example
 * ```ts
 * const sup = await PartitionSupervisor.start({ partitions: 4, child: (i) => Supervisor.genServer("w", worker, i) });
 * await GenServer.call({ via: sup, key: "user:42" } as ServerRef<WorkerProtocol>, "get");
 * ```
 */
export class PartitionSupervisorRef implements Naming<unknown> {
  /** @internal */
  constructor(
    /** The one-for-one supervisor of the partitions. */
    readonly pid: Pid,
    /** How many partitions. */
    readonly partitions: number,
    /** @internal The current pid of each partition's child, updated by its start. */
    readonly current: ReadonlyArray<Pid | undefined>,
    /** @internal */
    readonly keyHash: KeyHash | undefined,
  ) {}

  /** Refuses: a partition supervisor routes to its children, nobody registers under it. */
  registerName(key: unknown): void {
    refuseRegistration(key);
  }

  /** Refuses, as {@link registerName}. */
  unregisterName(key: unknown): void {
    refuseRegistration(key);
  }

  /** The live child of `key`'s partition, or `undefined` while it is restarting. */
  whereisName(key: unknown): Pid | undefined {
    const pid = this.current[partitionOf(key, this.partitions, this.keyHash)];
    return pid !== undefined && isAlive(pid) ? pid : undefined;
  }
}

/** A partition supervisor as the functions take it: its handle, its local name or its pid. */
export type PartitionSupervisorDest = PartitionSupervisorRef | string | Pid;

const handles = new WeakMap<Process, PartitionSupervisorRef>();

const EXPECTED_SUPERVISOR = "a partition supervisor, its name or its pid";

function resolveSupervisor(sup: unknown): PartitionSupervisorRef {
  if (sup instanceof PartitionSupervisorRef) return sup;
  let pid: Pid | undefined;
  if (typeof sup === "string") pid = whereis(sup);
  else if (isPid(sup)) pid = sup;
  else invalidArgument("supervisor", EXPECTED_SUPERVISOR, sup);
  const process = pid?.process;
  if (process === undefined) throw new NoProcError(sup);
  const handle = handles.get(process);
  if (handle === undefined) invalidArgument("supervisor", EXPECTED_SUPERVISOR, sup);
  return handle;
}

function refuseRegistration(key: unknown): never {
  return invalidArgument(
    "name",
    "a name a process can register under (a partition supervisor only routes keys to its partitions)",
    key,
  );
}

/** Wraps a partition's start so that every (re)start records the child's pid for routing. */
function recordingStart(start: StartFunction, current: Array<Pid | undefined>, index: number) {
  const record = (pid: Pid): Pid => {
    if (isPid(pid)) current[index] = pid;
    return pid;
  };
  return (supervisor: Self): Pid | PromiseLike<Pid> => {
    const started = start(supervisor);
    return isThenable(started) ? Promise.resolve(started).then(record) : record(started);
  };
}

async function launch(options: unknown, parent: Self | undefined) {
  const opts = partitionSupervisorOptions.parse(options, "options");
  const current = new Array<Pid | undefined>(opts.partitions).fill(undefined);
  const children: ChildSpec[] = [];
  for (let i = 0; i < opts.partitions; i++) {
    const spec = checkDynamicChildSpec(opts.child(i), `options.child(${i})`);
    children.push({ ...spec, id: `partition-${i}`, start: recordingStart(spec.start, current, i) });
  }
  const flags = {
    strategy: "oneForOne" as const,
    maxRestarts: opts.maxRestarts,
    maxSeconds: opts.maxSeconds,
    name: opts.name,
  };
  const pid =
    parent === undefined
      ? await Supervisor.start(children, flags)
      : await Supervisor.startLink(parent, children, flags);
  const handle = new PartitionSupervisorRef(pid, opts.partitions, current, opts.keyHash);
  if (pid.process !== undefined) handles.set(pid.process, handle);
  return handle;
}

/**
 * Starts a partition supervisor, unlinked: `partitions` children (default: the number of cores),
 * child `i` from the spec `child(i)` under the id `partition-i`, restarted one for one within
 * `maxRestarts` in `maxSeconds` (a restarted child keeps its index). Resolves with its handle.
 * Rejects with `InvalidArgumentError` naming the field for bad options or a bad spec
 * (``options.child(2).start``), and with `ChildStartError` when a child fails to start.
 *
 * @example
 * ```ts
 * const sup = await PartitionSupervisor.start({
 *   partitions: 4,
 *   child: (i) => Supervisor.genServer("counter", counter, i),
 *   name: "counters",
 * });
 * ```
 */
export function start(options: PartitionSupervisorOptions): Promise<PartitionSupervisorRef> {
  return launch(options, undefined);
}

/**
 * Like {@link start}, linked to `self`.
 *
 * @example
 * ```ts
 * const sup = await PartitionSupervisor.startLink(self, { child: (i) => spec(i) });
 * ```
 */
export function startLink(
  self: Self,
  options: PartitionSupervisorOptions,
): Promise<PartitionSupervisorRef> {
  return launch(options, self);
}

/**
 * A child spec starting a partition supervisor inside a supervision tree (type `"supervisor"`).
 * Give it a `name` to reach it: the functions take the name in place of the handle, and keep
 * working after its supervisor restarts it.
 *
 * @example
 * ```ts
 * await Supervisor.start([PartitionSupervisor.spec("workers", { name: "workers", child })]);
 * PartitionSupervisor.whichPartition("workers", "user:42");
 * ```
 */
export function spec(id: string, options: PartitionSupervisorOptions): ChildSpec {
  return {
    id,
    type: "supervisor",
    start: (sup: Self) => launch(options, sup).then((handle) => handle.pid),
  };
}

/**
 * The partition of `key`, in `0 .. partitions - 1`; the same for the same key on every call and
 * every run. Integers route by `|key| % partitions`, as Elixir's; strings, other numbers,
 * booleans, `null`, `undefined` and arrays of these by a 32-bit FNV-1a hash (see `hashKey`);
 * other keys need the `keyHash` option.
 *
 * @example
 * ```ts
 * PartitionSupervisor.partitionFor(sup, 10); // 2 with 4 partitions
 * ```
 */
export function partitionFor(supervisor: PartitionSupervisorDest, key: unknown): number {
  const handle = resolveSupervisor(supervisor);
  return partitionOf(key, handle.partitions, handle.keyHash);
}

/**
 * The pid of the child that owns `key` now (after a restart, the new one), or `undefined` while
 * it is restarting.
 *
 * @example
 * ```ts
 * send(PartitionSupervisor.whichPartition(sup, "user:42")!, event);
 * ```
 */
export function whichPartition(supervisor: PartitionSupervisorDest, key: unknown): Pid | undefined {
  return resolveSupervisor(supervisor).whereisName(key);
}

/**
 * A via-name for "the partition owning `key`", to give to `send`, `GenServer.call` and
 * `GenServer.cast`. Built from a name, it looks the supervisor up on each use, so it survives a
 * restart of the supervisor itself.
 *
 * @example
 * ```ts
 * await GenServer.call(PartitionSupervisor.via("workers", userId) as ServerRef<Worker>, "get");
 * ```
 */
export function via(supervisor: PartitionSupervisorDest, key: unknown): Via {
  if (typeof supervisor === "string") return { via: byName(supervisor), key };
  return { via: resolveSupervisor(supervisor), key };
}

const namings = new Map<string, Naming<unknown>>();

function byName(name: string): Naming<unknown> {
  let naming = namings.get(name);
  if (naming === undefined) {
    naming = {
      registerName: refuseRegistration,
      unregisterName: refuseRegistration,
      whereisName: (key) => {
        const pid = whereis(name);
        return pid === undefined ? undefined : resolveSupervisor(pid).whereisName(key);
      },
    };
    namings.set(name, naming);
  }
  return naming;
}

/**
 * The partitions' children, in partition order: `{ id: "partition-i", pid, type, restart }`.
 *
 * @example
 * ```ts
 * const pids = (await PartitionSupervisor.whichChildren(sup)).map((c) => c.pid);
 * ```
 */
export async function whichChildren(supervisor: PartitionSupervisorDest): Promise<ChildInfo[]> {
  return Supervisor.whichChildren(resolveSupervisor(supervisor).pid);
}

/**
 * How many children: `{ specs, active, supervisors, workers }`.
 *
 * @example
 * ```ts
 * (await PartitionSupervisor.countChildren(sup)).active; // 4
 * ```
 */
export async function countChildren(supervisor: PartitionSupervisorDest): Promise<ChildCounts> {
  return Supervisor.countChildren(resolveSupervisor(supervisor).pid);
}

/**
 * Stops the partitions in reverse order, each within its shutdown time, then the supervisor with
 * `reason` (default `"normal"`).
 *
 * @example
 * ```ts
 * await PartitionSupervisor.stop(sup);
 * ```
 */
export async function stop(
  supervisor: PartitionSupervisorDest,
  reason: ExitReason = "normal",
): Promise<void> {
  return Supervisor.stop(resolveSupervisor(supervisor).pid, reason);
}

/**
 * Elixir's `PartitionSupervisor`: `start`/`startLink` N children, each built with its partition
 * index; `partitionFor` and `whichPartition` route a key; the handle (or `via(name, key)`) is a
 * via-name for the partition owning a key; `whichChildren`, `countChildren`, `stop`; `spec` for
 * a supervision tree; `options` is the declared option schema.
 *
 * @example
 * ```ts
 * const sup = await PartitionSupervisor.start({ partitions: 4, child: (i) => Supervisor.genServer("w", worker, i) });
 * PartitionSupervisor.partitionFor(sup, "user:42"); // 0..3, stable
 * await GenServer.call({ via: sup, key: "user:42" } as ServerRef<Worker>, "get");
 * ```
 */
export const PartitionSupervisor = Object.freeze({
  start,
  startLink,
  spec,
  partitionFor,
  whichPartition,
  via,
  whichChildren,
  countChildren,
  stop,
  options: partitionSupervisorOptions,
});
