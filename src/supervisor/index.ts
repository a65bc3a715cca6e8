/**
 * Supervision: Supervisor, DynamicSupervisor, TaskSupervisor, PartitionSupervisor and Application.
 *
 * A supervisor starts its children in order, restarts them by its strategy when they exit
 * (`"oneForOne"`, `"oneForAll"`, `"restForOne"`; each child `"permanent"`, `"transient"` or
 * `"temporary"`), gives up past its restart intensity (`maxRestarts` in `maxSeconds`, exiting with
 * `{ shutdown: "reachedMaxRestartIntensity" }` so that its own supervisor decides), and stops its
 * children in reverse order, each within its shutdown time.
 *
 * @example
 * ```ts
 * import { Supervisor } from "beamish";
 * const sup = await Supervisor.start(
 *   [Supervisor.agent("counter", () => 0, { name: "counter" }), Supervisor.genServer("cache", cache, {})],
 *   { strategy: "oneForOne" },
 * );
 * await Supervisor.whichChildren(sup);
 * await Supervisor.stop(sup);
 * ```
 */
import { applicationOptions, start as applicationStart } from "./application.js";
import {
  countChildren as dynamicCountChildren,
  start as dynamicStart,
  startChild as dynamicStartChild,
  startLink as dynamicStartLink,
  stop as dynamicStop,
  dynamicSupervisorOptions,
  terminateChild as dynamicTerminateChild,
  whichChildren as dynamicWhichChildren,
} from "./dynamic-supervisor.js";
import { supervisorFlags, supervisorOptions } from "./flags.js";
import { agent, dynamicSupervisor, genServer, supervisor, task } from "./specs.js";
import {
  countChildren,
  deleteChild,
  restartChild,
  start,
  startChild,
  startLink,
  stop,
  terminateChild,
  whichChildren,
} from "./supervisor.js";

export {
  type ApplicationOptions,
  FAILED_EXIT_CODE,
  FORCED_EXIT_CODE,
  type ProcessLike,
  RootExitError,
} from "./application.js";
export {
  type ChildSpec,
  type ChildType,
  childSpecSchema,
  type DynamicChildSpec,
  type Restart,
  type Shutdown,
  type StartFunction,
} from "./child-spec.js";
export type { ChildCounts, ChildInfo } from "./children.js";
export type { DynamicSupervisorOptions } from "./dynamic-supervisor.js";
export {
  ChildExistsError,
  ChildNotFoundError,
  ChildRunningError,
  ChildStartError,
  MaxChildrenError,
} from "./errors.js";
export type { ModuleOptions, SupervisorOptions, SupervisorSpec } from "./flags.js";
export { hashKey, type KeyHash } from "./partition-hash.js";
export {
  PartitionSupervisor,
  type PartitionSupervisorDest,
  type PartitionSupervisorOptions,
  PartitionSupervisorRef,
} from "./partition-supervisor.js";
export type { Strategy } from "./strategy.js";
export type { SupervisorDefinition } from "./supervisor-server.js";
export {
  TaskSupervisor,
  type TaskSupervisorAsyncOptions,
  type TaskSupervisorOptions,
  type TaskSupervisorStartChildOptions,
} from "./task-supervisor.js";

/**
 * Elixir's `Supervisor`: `start`/`startLink` (inline children and options, or a definition whose
 * `init` returns them), `whichChildren`, `countChildren`, `startChild`, `terminateChild`,
 * `restartChild`, `deleteChild`, `stop`; and child spec builders `genServer`, `agent`, `task`,
 * `supervisor`, `dynamicSupervisor`. `options` and `flags` are the declared option schemas.
 *
 * @example
 * ```ts
 * const sup = await Supervisor.start([Supervisor.genServer("a", def, 0), Supervisor.task("t", run)], {
 *   strategy: "restForOne",
 * });
 * await Supervisor.terminateChild(sup, "a");
 * await Supervisor.restartChild(sup, "a");
 * ```
 */
export const Supervisor = Object.freeze({
  start,
  startLink,
  whichChildren,
  countChildren,
  startChild,
  terminateChild,
  restartChild,
  deleteChild,
  stop,
  genServer,
  agent,
  task,
  supervisor,
  dynamicSupervisor,
  options: supervisorOptions,
  flags: supervisorFlags,
});

/**
 * Elixir's `DynamicSupervisor`: children started on demand with `startChild`, restarted one for
 * one, at most `maxChildren`, each `start` given `extraArguments`. `options` is the declared
 * option schema.
 *
 * @example
 * ```ts
 * const sup = await DynamicSupervisor.start({ maxChildren: 10 });
 * const pid = await DynamicSupervisor.startChild(sup, Supervisor.agent("a", () => 0));
 * await DynamicSupervisor.terminateChild(sup, pid!);
 * ```
 */
export const DynamicSupervisor = Object.freeze({
  start: dynamicStart,
  startLink: dynamicStartLink,
  startChild: dynamicStartChild,
  terminateChild: dynamicTerminateChild,
  whichChildren: dynamicWhichChildren,
  countChildren: dynamicCountChildren,
  stop: dynamicStop,
  options: dynamicSupervisorOptions,
});

/** A running application: its root's `pid` and `stop()`. @example `const { pid } = await Application.start(children)` */
export type Application = import("./application.js").Application;

/**
 * Runs a supervision tree as the program: `Application.start(root, options)` starts the root (a
 * child spec, or a list of child specs for a root Supervisor), keeps Node running, and on the
 * first SIGTERM or SIGINT stops the tree gracefully then exits 0; a second signal exits 130.
 * `options` is the declared option schema.
 *
 * @example
 * ```ts
 * const app = await Application.start([Supervisor.genServer("web", web, 8080)]);
 * await app.stop(); // or let a signal stop it
 * ```
 */
export const Application = Object.freeze({ start: applicationStart, options: applicationOptions });
