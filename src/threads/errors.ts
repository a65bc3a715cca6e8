import { BeamishError } from "../kernel/errors.js";

declare module "../kernel/errors.js" {
  interface BeamishErrorCodes {
    ERR_SPAWN_ON: SpawnError;
    ERR_NO_CLUSTER: NoClusterError;
  }
}

/** What a node is asked to start: a module's export, as a process body or a GenServer. */
export interface SpawnRequest {
  /** The module's file URL. */
  readonly module: string;
  readonly exportName: string;
  /** `"process"`: the export is a body `(self, ...args)`; `"genServer"`: a GenServer definition. */
  readonly kind: "process" | "genServer";
  readonly args: unknown[];
  readonly name?: string | undefined;
}

/**
 * Starting a process on another node failed: the module could not be loaded, the export is
 * missing or of the wrong kind, the node is down, or `init` failed. `module` and `exportName`
 * name what was asked; `reason` says why.
 *
 * @example
 * ```ts
 * try { await spawnOn(node, "/app/jobs.ts", "nope"); }
 * catch (e) { if (isBeamishError(e, "ERR_SPAWN_ON")) console.log(e.module, e.exportName, e.reason); }
 * ```
 */
export class SpawnError extends BeamishError {
  readonly code = "ERR_SPAWN_ON";
  readonly module: string;
  readonly exportName: string;
  constructor(
    request: Pick<SpawnRequest, "module" | "exportName">,
    readonly reason: string,
  ) {
    super(`cannot start ${request.exportName} of ${request.module}: ${reason}`);
    this.module = request.module;
    this.exportName = request.exportName;
  }
}

/**
 * A cross-thread operation was asked for on a thread that belongs to no cluster: start one with
 * `Cluster.start()` first.
 *
 * @example
 * ```ts
 * await spawnOn(1, url, "job"); // NoClusterError before Cluster.start()
 * ```
 */
export class NoClusterError extends BeamishError {
  readonly code = "ERR_NO_CLUSTER";
  constructor(what: string) {
    super(`${what}: no cluster is running on this thread (call Cluster.start() first)`);
  }
}
