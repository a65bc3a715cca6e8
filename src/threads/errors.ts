import { fileURLToPath } from "node:url";
import { BeamishError } from "../kernel/errors.js";

declare module "../kernel/errors.js" {
  interface BeamishErrorCodes {
    ERR_SPAWN_ON: SpawnError;
    ERR_NO_CLUSTER: NoClusterError;
    ERR_NOT_CLONEABLE: NotCloneableError;
  }
}

/** A module's path when it is a file URL, as messages show it. */
export function describeModule(module: string): string {
  try {
    return fileURLToPath(module);
  } catch {
    return module;
  }
}

/** `path#export`, as errors name a function run on a thread. */
export function describeFunction(module: string, exportName: string): string {
  return `${describeModule(module)}#${exportName}`;
}

/**
 * What was crossing threads: a `"message"` (send, a GenServer call or cast and its reply), an
 * `"argument"` (of spawnOn, of a pool task) or a `"result"` (a pool task's value).
 */
export type CloneSite = "message" | "argument" | "result";

/**
 * A value cannot cross to another thread (structured clone refuses it): a function, a symbol, a
 * socket or another object holding a native handle or a function. `valueType` says what it is
 * (`a function`, `a Socket instance`), `path` where it sits (`message.job.onDone`, `args[1]`,
 * `result`), `where` what was being sent; for a pool task, `module` and `exportName` name the
 * function. Nothing was sent, and the sender lives on: `send` throws it, a call or a pool task
 * rejects with it.
 *
 * @example
 * ```ts
 * try {
 *   await pool.run(url, "hash", { onDone: () => {} });
 * } catch (e) {
 *   if (isBeamishError(e, "ERR_NOT_CLONEABLE")) console.log(e.where, e.path, e.valueType);
 *   // argument args[0].onDone a function
 * }
 * ```
 */
export class NotCloneableError extends BeamishError {
  readonly code = "ERR_NOT_CLONEABLE";
  readonly where: CloneSite;
  readonly module: string | undefined;
  readonly exportName: string | undefined;
  constructor(
    readonly path: string,
    readonly valueType: string,
    options: {
      /** What more to say: which part of an object holds the culprit. */
      readonly detail?: string;
      /** The pool task whose argument or result it is. */
      readonly module?: string;
      readonly exportName?: string;
      readonly cause?: unknown;
    } = {},
  ) {
    const where = siteOf(path);
    const task =
      options.module === undefined
        ? ""
        : `, ${where === "result" ? "the result of" : "an argument of"} ${describeFunction(options.module, options.exportName ?? "default")}`;
    super(
      `cannot send ${valueType} to another thread (at \`${path}\`${task})${options.detail ?? ""}`,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.where = where;
    this.module = options.module;
    this.exportName = options.exportName;
  }
}

function siteOf(path: string): CloneSite {
  if (path.startsWith("args")) return "argument";
  if (path.startsWith("result")) return "result";
  return "message";
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
