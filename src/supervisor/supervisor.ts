/** The functions of the `Supervisor` namespace. */
import { GenServer, type ServerRef, StartError } from "../gen-server/index.js";
import type { Dest } from "../kernel/api.js";
import { InvalidArgumentError, invalidArgument } from "../kernel/errors.js";
import type { ExitReason } from "../kernel/exit.js";
import type { Pid } from "../kernel/pid.js";
import type { Self } from "../kernel/process.js";
import { type ChildSpec, checkChildSpec, checkChildSpecs } from "./child-spec.js";
import type { ChildCounts, ChildInfo } from "./children.js";
import { ChildStartError, settle } from "./errors.js";
import {
  type ModuleOptions,
  moduleOptions,
  type SupervisorOptions,
  supervisorOptions,
} from "./flags.js";
import {
  type SupervisorDefinition,
  type SupervisorInit,
  type SupervisorProtocol,
  supervisorServer,
} from "./supervisor-server.js";

/**
 * Starts a supervisor, unlinked. Two forms:
 * - `start(children, options)`: the children inline, the flags in `options` (`strategy`,
 *   default `"oneForOne"`; `maxRestarts`, default 3; `maxSeconds`, default 5; `name`).
 * - `start(definition, arg, options)`: `definition.init(arg)` returns the children and flags;
 *   `options` takes `name`.
 *
 * The children start in order, each from inside the supervisor; it resolves with the
 * supervisor's pid once all have started. If one fails, those already started are stopped in
 * reverse order and it rejects with a `ChildStartError` naming the child and the reason. Bad
 * input rejects with an `InvalidArgumentError` naming the field (``children[1].id``,
 * ``options.strategy``, ``init().maxRestarts``); an `init` that throws, with a `StartError`.
 *
 * @example
 * ```ts
 * const sup = await Supervisor.start(
 *   [Supervisor.agent("counter", () => 0), Supervisor.genServer("cache", cache, {})],
 *   { strategy: "oneForAll", maxRestarts: 5 },
 * );
 * ```
 */
export function start(children: readonly ChildSpec[], options?: SupervisorOptions): Promise<Pid>;
export function start<A>(
  definition: SupervisorDefinition<A>,
  arg: A,
  options?: ModuleOptions,
): Promise<Pid>;
export function start(first: unknown, second?: unknown, third?: unknown): Promise<Pid> {
  return launch(first, second, third, undefined);
}

/**
 * Like {@link start}, linked to `self`, the usual way for a supervisor to be the child of
 * another (see `Supervisor.supervisor` for its child spec). When `self` exits, the supervisor
 * stops its children in reverse order, then exits with the same reason.
 *
 * @example
 * ```ts
 * const spec: ChildSpec = { id: "workers", type: "supervisor", start: (sup) => Supervisor.startLink(sup, workers) };
 * ```
 */
export function startLink(
  self: Self,
  children: readonly ChildSpec[],
  options?: SupervisorOptions,
): Promise<Pid>;
export function startLink<A>(
  self: Self,
  definition: SupervisorDefinition<A>,
  arg: A,
  options?: ModuleOptions,
): Promise<Pid>;
export function startLink(
  self: Self,
  first: unknown,
  second?: unknown,
  third?: unknown,
): Promise<Pid> {
  return launch(first, second, third, self);
}

function launch(
  first: unknown,
  second: unknown,
  third: unknown,
  parent: Self | undefined,
): Promise<Pid> {
  let init: SupervisorInit;
  let name: ModuleOptions["name"];
  try {
    if (Array.isArray(first)) {
      const children = checkChildSpecs(first, "children");
      const { name: given, ...flags } = supervisorOptions.parse(second, "options");
      init = { ...flags, children };
      name = given;
    } else if (isDefinition(first)) {
      name = moduleOptions.parse(third, "options").name;
      init = { definition: first, arg: second };
    } else {
      invalidArgument("children", "an array of child specs or a definition { init }", first);
    }
  } catch (error) {
    return Promise.reject(error);
  }
  // A supervisor waits for its children's own start timeouts, never one of its own (as OTP's).
  const options = { name, timeout: Infinity, trapExit: true };
  const started =
    parent === undefined
      ? GenServer.start(supervisorServer, init, options)
      : GenServer.startLink(parent, supervisorServer, init, options);
  return started.catch(unwrapStartError);
}

function isDefinition(value: unknown): value is SupervisorDefinition<unknown> {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as { init?: unknown }).init === "function"
  );
}

/** A child that failed or bad input is the supervisor's own failure: report it as such. */
function unwrapStartError(error: unknown): never {
  if (
    error instanceof StartError &&
    (error.reason instanceof ChildStartError || error.reason instanceof InvalidArgumentError)
  ) {
    throw error.reason;
  }
  throw error;
}

function server(supervisor: Dest): ServerRef<SupervisorProtocol> {
  return supervisor as ServerRef<SupervisorProtocol>;
}

// Supervisor calls wait as long as the supervisor needs, as OTP's (a start may take a while).
const forever = { timeout: Infinity };

/**
 * The children, in start order, with their pids.
 *
 * @example
 * ```ts
 * const [first] = await Supervisor.whichChildren(sup); // { id, pid, type, restart }
 * ```
 */
export function whichChildren(supervisor: Dest): Promise<ChildInfo[]> {
  return GenServer.call(server(supervisor), "whichChildren", undefined, forever);
}

/**
 * How many children: `{ specs, active, supervisors, workers }`.
 *
 * @example
 * ```ts
 * const { active } = await Supervisor.countChildren(sup);
 * ```
 */
export function countChildren(supervisor: Dest): Promise<ChildCounts> {
  return GenServer.call(server(supervisor), "countChildren", undefined, forever);
}

/**
 * Adds a child after the others and starts it; resolves with its pid (`undefined` if its start
 * ignored it). Rejects with `ChildExistsError` when the id is taken, `ChildStartError` when it
 * fails to start (it is then not added), `InvalidArgumentError` for a bad spec.
 *
 * @example
 * ```ts
 * const pid = await Supervisor.startChild(sup, Supervisor.agent("extra", () => []));
 * ```
 */
export function startChild(supervisor: Dest, spec: ChildSpec): Promise<Pid | undefined> {
  try {
    const checked = checkChildSpec(spec, "spec");
    return settle(GenServer.call(server(supervisor), "startChild", checked, forever));
  } catch (error) {
    return Promise.reject(error);
  }
}

/**
 * Stops the child `id` within its shutdown time and keeps its spec (a temporary child's spec is
 * dropped), so that `restartChild` can start it again. Rejects with `ChildNotFoundError`.
 *
 * @example
 * ```ts
 * await Supervisor.terminateChild(sup, "cache");
 * ```
 */
export function terminateChild(supervisor: Dest, id: string): Promise<void> {
  return settle(GenServer.call(server(supervisor), "terminateChild", id, forever));
}

/**
 * Starts again the stopped child `id`; resolves with its new pid. Rejects with
 * `ChildNotFoundError`, `ChildRunningError` when it runs, `ChildStartError` when it fails.
 *
 * @example
 * ```ts
 * await Supervisor.terminateChild(sup, "cache");
 * await Supervisor.restartChild(sup, "cache");
 * ```
 */
export function restartChild(supervisor: Dest, id: string): Promise<Pid | undefined> {
  return settle(GenServer.call(server(supervisor), "restartChild", id, forever));
}

/**
 * Forgets the spec of the stopped child `id`. Rejects with `ChildNotFoundError`, or
 * `ChildRunningError` when it runs (terminate it first).
 *
 * @example
 * ```ts
 * await Supervisor.terminateChild(sup, "cache");
 * await Supervisor.deleteChild(sup, "cache");
 * ```
 */
export function deleteChild(supervisor: Dest, id: string): Promise<void> {
  return settle(GenServer.call(server(supervisor), "deleteChild", id, forever));
}

/**
 * Stops the supervisor: its children stop in reverse order, each within its shutdown time, then
 * it exits with `reason` (default `"normal"`). Resolves once it is gone; rejects with
 * `NoProcError` when it is not alive, `StopTimeoutError` after `timeout` ms (default `Infinity`).
 *
 * @example
 * ```ts
 * await Supervisor.stop(sup);
 * ```
 */
export function stop(
  supervisor: Dest,
  reason: ExitReason = "normal",
  timeout = Infinity,
): Promise<void> {
  return GenServer.stop(server(supervisor), reason, timeout);
}
