/**
 * Placement: child specs whose child runs on a worker thread of the cluster, so that a
 * Supervisor (or a PartitionSupervisor, one partition per thread) supervises thread-hosted
 * children as local ones. When the thread dies the child exits `"noconnection"`; the supervisor
 * restarts it on the thread that replaced the dead one.
 */

import { invalidArgument } from "../kernel/errors.js";
import type { Self } from "../kernel/process.js";
import type { ChildSpec, Restart, Shutdown } from "../supervisor/child-spec.js";
import { nodeFor } from "./cluster.js";
import { moduleUrl } from "./load.js";
import { spawnLinkOn, startLinkOn } from "./spawn.js";

/** Where a child runs: a worker slot (its index modulo the number of threads) or `"any"` (round robin). */
export type Placement = number | "any";

/** Options of {@link threadChild}. */
export interface ThreadChildOptions {
  /** Names the child within its supervisor. */
  readonly id: string;
  /** The worker slot, or `"any"` (default). */
  readonly placement?: Placement;
  /** The module (absolute path or file URL) and its export. */
  readonly module: string | URL;
  readonly export: string;
  /** `"process"` (default): the export is a body `(self, ...args)`; `"genServer"`: a definition started with `args[0]`. */
  readonly kind?: "process" | "genServer";
  readonly args?: unknown[];
  readonly restart?: Restart;
  readonly shutdown?: Shutdown;
}

/**
 * A child spec whose child runs on a worker thread, linked to its supervisor across threads.
 *
 * @example
 * ```ts
 * await Cluster.start({ threads: 2 });
 * const sup = await Supervisor.start([
 *   threadChild({ id: "cruncher", placement: 0, module: jobsUrl, export: "cruncher" }),
 *   threadChild({ id: "cache", placement: 1, kind: "genServer", module: cacheUrl, export: "cache", args: [{}] }),
 * ]);
 * ```
 */
export function threadChild(options: ThreadChildOptions): ChildSpec {
  const placement = options.placement ?? "any";
  if (placement !== "any" && !(Number.isInteger(placement) && placement >= 0)) {
    invalidArgument("placement", 'a worker slot (a non-negative integer) or "any"', placement);
  }
  const kind = options.kind ?? "process";
  if (kind !== "process" && kind !== "genServer") {
    invalidArgument("kind", '"process" or "genServer"', kind);
  }
  const url = moduleUrl(options.module, options.export);
  const args = options.args ?? [];
  const exportName = options.export;
  const spec: ChildSpec = {
    id: options.id,
    start: async (supervisor: Self) => {
      const node = await nodeFor(placement);
      return kind === "genServer"
        ? startLinkOn(supervisor, node, url, exportName, args[0])
        : spawnLinkOn(supervisor, node, url, exportName, args);
    },
  };
  return {
    ...spec,
    ...(options.restart === undefined ? {} : { restart: options.restart }),
    ...(options.shutdown === undefined ? {} : { shutdown: options.shutdown }),
  };
}

/**
 * The `child` option of `PartitionSupervisor.start` that spreads the partitions over the worker
 * threads: partition `i` runs on slot `i` (modulo the number of threads), started from the
 * export with `args(i)` (default `[i]`). With `PartitionSupervisor`'s default of one partition
 * per core and `Cluster.start()`'s default of one thread per core, every core gets one.
 *
 * @example
 * ```ts
 * await Cluster.start();
 * const sup = await PartitionSupervisor.start({
 *   child: onThreads({ kind: "genServer", module: shardUrl, export: "shard" }),
 * });
 * ```
 */
export function onThreads(
  options: Omit<ThreadChildOptions, "id" | "placement" | "args"> & {
    readonly args?: (partition: number) => unknown[];
  },
): (partition: number) => ChildSpec {
  const { args, ...rest } = options;
  return (partition) =>
    threadChild({
      ...rest,
      id: "partition",
      placement: partition,
      args: args?.(partition) ?? [partition],
    });
}
