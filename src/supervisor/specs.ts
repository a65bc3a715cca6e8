/**
 * Child spec builders for the usual children, so that a supervision tree reads as a list. Each
 * returns a plain {@link ChildSpec}: override a field by spreading,
 * `{ ...Supervisor.task("warmup", warm), restart: "transient" }`.
 */
import { Agent } from "../agent/index.js";
import { GenServer, type StartOptions } from "../gen-server/index.js";
import type { Self } from "../kernel/process.js";
import { Task, type TaskFunction } from "../task/index.js";
import type { ChildSpec } from "./child-spec.js";
import { type DynamicSupervisorOptions, startLink as startDynamic } from "./dynamic-supervisor.js";
import type { ModuleOptions, SupervisorOptions } from "./flags.js";
import { startLink } from "./supervisor.js";
import type { SupervisorDefinition } from "./supervisor-server.js";

/**
 * A GenServer child: `GenServer.startLink(supervisor, definition, arg, options)`. Permanent
 * worker, shutdown 5000 ms; pass `{ trapExit: true }` in `options` for `terminate` to run on
 * shutdown.
 *
 * @example
 * ```ts
 * Supervisor.genServer("counter", counterDefinition, 0, { name: "counter", trapExit: true });
 * ```
 */
export function genServer<P, S, A>(
  id: string,
  definition: GenServer.Definition<P, S, A>,
  arg: A,
  options?: StartOptions,
): ChildSpec {
  return { id, start: (sup: Self) => GenServer.startLink(sup, definition, arg, options) };
}

/**
 * An Agent child: `Agent.startLink(supervisor, fn, options)`. Permanent worker.
 *
 * @example
 * ```ts
 * Supervisor.agent("sessions", () => new Map(), { name: "sessions" });
 * ```
 */
export function agent<S>(
  id: string,
  fn: () => S | PromiseLike<S>,
  options?: StartOptions,
): ChildSpec {
  return { id, start: (sup: Self) => Agent.startLink(sup, fn, options) };
}

/**
 * A Task child: `Task.startLink(supervisor, fn)`, temporary as Elixir's (a task that finishes
 * or crashes is not restarted; spread `restart: "transient"` to retry it until it succeeds).
 *
 * @example
 * ```ts
 * Supervisor.task("warmup", async () => { await warmCache(); });
 * ```
 */
export function task(id: string, fn: TaskFunction<unknown>): ChildSpec {
  return { id, restart: "temporary", start: (sup: Self) => Task.startLink(sup, fn) };
}

/**
 * A Supervisor child: `Supervisor.startLink(supervisor, ...)`, of type `"supervisor"` (shutdown
 * `"infinity"`: it gets all the time its own children need). Inline children and options, or a
 * definition and its argument.
 *
 * @example
 * ```ts
 * Supervisor.supervisor("workers", [a, b], { strategy: "oneForAll" });
 * Supervisor.supervisor("web", webDefinition, { port: 8080 });
 * ```
 */
export function supervisor(
  id: string,
  children: readonly ChildSpec[],
  options?: SupervisorOptions,
): ChildSpec;
export function supervisor<A>(
  id: string,
  definition: SupervisorDefinition<A>,
  arg: A,
  options?: ModuleOptions,
): ChildSpec;
export function supervisor(
  id: string,
  first: unknown,
  second?: unknown,
  third?: unknown,
): ChildSpec {
  const start = (sup: Self) =>
    Array.isArray(first)
      ? startLink(sup, first as readonly ChildSpec[], second as SupervisorOptions | undefined)
      : startLink(
          sup,
          first as SupervisorDefinition<unknown>,
          second,
          third as ModuleOptions | undefined,
        );
  return { id, type: "supervisor", start };
}

/**
 * A DynamicSupervisor child: `DynamicSupervisor.startLink(supervisor, options)`, of type
 * `"supervisor"`. Give it a `name` to reach it for `startChild`.
 *
 * @example
 * ```ts
 * Supervisor.dynamicSupervisor("jobs", { name: "jobs", maxChildren: 50 });
 * ```
 */
export function dynamicSupervisor(id: string, options?: DynamicSupervisorOptions): ChildSpec {
  return { id, type: "supervisor", start: (sup: Self) => startDynamic(sup, options) };
}
