/**
 * Starting processes on other nodes, named by module and export as Erlang names them by module
 * and function: `spawnOn` for a process body, `startOn` for a GenServer definition. The kind is
 * chosen by the function called, never guessed from the export.
 */
import * as GenServer from "../gen-server/gen-server.js";
import type { Server } from "../gen-server/protocol.js";
import { spawn } from "../kernel/api.js";
import { invalidArgument } from "../kernel/errors.js";
import { NoProcError } from "../kernel/exit.js";
import type { Pid } from "../kernel/pid.js";
import type { Process, Self } from "../kernel/process.js";
import { currentRuntime, type Runtime } from "../kernel/runtime.js";
import { NoClusterError, SpawnError, type SpawnRequest } from "./errors.js";
import { loadExport, moduleUrl } from "./load.js";
import { NodeTransport } from "./node.js";

/** Options of {@link spawnOn} and {@link startOn}. */
export interface SpawnOnOptions {
  /** Registers the new process under this local name on its node. */
  readonly name?: string;
}

/** @internal Starts what another node asked for, on this node. */
export function spawnHandler(runtime: Runtime) {
  return async (request: SpawnRequest, linkTo: Pid | undefined): Promise<Pid> => {
    const value = await loadExport(request.module, request.exportName);
    const options = request.name === undefined ? undefined : { name: request.name };
    const parent = linkTo === undefined ? undefined : (runtime.lookup(linkTo) as Process);
    if (linkTo !== undefined && parent === undefined) throw new NoProcError(linkTo);
    if (request.kind === "process") {
      if (typeof value !== "function") {
        throw new SpawnError(request, `the export is not a function (got ${typeName(value)})`);
      }
      const args = request.args;
      const body = (self: Self) => (value as (...a: unknown[]) => unknown)(self, ...args);
      return parent === undefined ? spawn(body, options) : parent.spawnLink(body, options);
    }
    if (
      typeof value !== "object" ||
      value === null ||
      typeof (value as { init?: unknown }).init !== "function"
    ) {
      throw new SpawnError(
        request,
        `the export is not a GenServer definition (an object with init; got ${typeName(value)})`,
      );
    }
    const definition = value as GenServer.Definition<unknown, unknown, unknown>;
    const arg = request.args[0];
    return parent === undefined
      ? GenServer.start(definition, arg, options)
      : GenServer.startLink(parent, definition, arg, options);
  };
}

function typeName(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "object") return (value as object).constructor?.name ?? "object";
  return typeof value;
}

/** @internal The transport of the current runtime, or a {@link NoClusterError}. */
export function transportOf(what: string): NodeTransport {
  const transport = currentRuntime().transport;
  if (!(transport instanceof NodeTransport)) throw new NoClusterError(what);
  return transport;
}

function request(
  kind: SpawnRequest["kind"],
  module: string | URL,
  exportName: string,
  args: unknown[],
  options: SpawnOnOptions | undefined,
): SpawnRequest {
  if (!Array.isArray(args)) invalidArgument("args", "an array of arguments", args);
  const name = options?.name;
  if (name !== undefined && (typeof name !== "string" || name === "")) {
    invalidArgument("options.name", "a non-empty string", name);
  }
  return { module: moduleUrl(module, exportName), exportName, kind, args, name };
}

function checkNode(node: unknown): number {
  if (!Number.isInteger(node) || (node as number) < 0) {
    invalidArgument("node", "a node number (see Cluster.nodes())", node);
  }
  return node as number;
}

function start(
  what: string,
  node: number,
  make: () => SpawnRequest,
  linkTo: Self | undefined,
): Promise<Pid> {
  try {
    checkNode(node);
    const transport = transportOf(what);
    const req = make();
    if (node === transport.node) {
      return spawnHandler(transport.runtime)(req, linkTo?.pid);
    }
    return transport.spawn(node, req, linkTo?.pid);
  } catch (error) {
    return Promise.reject(error);
  }
}

/**
 * Starts a process on `node` running the export `exportName` of `module` (an absolute path or a
 * file URL, `.ts` included) as its body: it is called `(self, ...args)`, as a `spawn` body is.
 * Resolves with the pid, which is sent to, linked, monitored and exited like a local one.
 * Rejects with `SpawnError` when the module or export is missing or not a function, and with
 * `NotCloneableError` when `args` cannot cross threads.
 *
 * @example
 * ```ts
 * const [node] = Cluster.nodes();
 * const pid = await spawnOn(node, new URL("./jobs.ts", import.meta.url), "crunch", [1000]);
 * ```
 */
export function spawnOn(
  node: number,
  module: string | URL,
  exportName: string,
  args: unknown[] = [],
  options?: SpawnOnOptions,
): Promise<Pid> {
  return start(
    "spawnOn",
    node,
    () => request("process", module, exportName, args, options),
    undefined,
  );
}

/**
 * {@link spawnOn}, linked to `self` from the start (as `self.spawnLink`).
 *
 * @example
 * ```ts
 * spawn(async (self) => {
 *   const worker = await spawnLinkOn(self, node, jobsUrl, "crunch", [1000]);
 * });
 * ```
 */
export function spawnLinkOn(
  self: Self,
  node: number,
  module: string | URL,
  exportName: string,
  args: unknown[] = [],
  options?: SpawnOnOptions,
): Promise<Pid> {
  return start(
    "spawnLinkOn",
    node,
    () => request("process", module, exportName, args, options),
    self,
  );
}

/**
 * Starts a GenServer on `node` from the definition exported as `exportName` by `module`, with
 * `arg` for its `init`; resolves once `init` has run, with the server's pid (typed by the
 * protocol `P` you name). `GenServer.call` and `cast` work on it as on a local server.
 *
 * @example
 * ```ts
 * const counter = await startOn<CounterProtocol>(node, countersUrl, "counter", 0);
 * await GenServer.call(counter, "add", 5);
 * ```
 */
export function startOn<P = unknown>(
  node: number,
  module: string | URL,
  exportName: string,
  arg?: unknown,
  options?: SpawnOnOptions,
): Promise<Server<P>> {
  return start(
    "startOn",
    node,
    () => request("genServer", module, exportName, [arg], options),
    undefined,
  ) as Promise<Server<P>>;
}

/**
 * {@link startOn}, linked to `self` (its parent), as `GenServer.startLink`; a supervisor's
 * start function uses it.
 *
 * @example
 * ```ts
 * const start = (sup: Self) => startLinkOn(sup, node, countersUrl, "counter", 0);
 * ```
 */
export function startLinkOn<P = unknown>(
  self: Self,
  node: number,
  module: string | URL,
  exportName: string,
  arg?: unknown,
  options?: SpawnOnOptions,
): Promise<Server<P>> {
  return start(
    "startLinkOn",
    node,
    () => request("genServer", module, exportName, [arg], options),
    self,
  ) as Promise<Server<P>>;
}
