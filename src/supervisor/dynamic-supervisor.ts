/** The functions of the `DynamicSupervisor` namespace. */
import { GenServer, type ServerRef } from "../gen-server/index.js";
import type { Dest } from "../kernel/api.js";
import { InvalidArgumentError } from "../kernel/errors.js";
import type { ExitReason } from "../kernel/exit.js";
import { type OptionsInput, option, schema } from "../kernel/options.js";
import { isPid, type Pid } from "../kernel/pid.js";
import type { Self } from "../kernel/process.js";
import { checkDynamicChildSpec, type DynamicChildSpec } from "./child-spec.js";
import type { ChildCounts, ChildInfo } from "./children.js";
import { type DynamicProtocol, dynamicServer } from "./dynamic-server.js";
import { settle } from "./errors.js";
import { intensityFields, nameField } from "./flags.js";

const isMaxChildren = (v: unknown): v is number =>
  v === Infinity || (Number.isInteger(v) && (v as number) >= 0);

/**
 * The options of `DynamicSupervisor.start`.
 *
 * | option | type | default | |
 * |---|---|---|---|
 * | `strategy` | `"oneForOne"` | `"oneForOne"` | the only strategy of a dynamic supervisor |
 * | `maxRestarts` | non-negative integer | `3` | restarts allowed within `maxSeconds` |
 * | `maxSeconds` | positive integer | `5` | the window of `maxRestarts`, in seconds |
 * | `maxChildren` | non-negative integer or `Infinity` | `Infinity` | `startChild` past it rejects |
 * | `extraArguments` | array | `[]` | passed to every child's `start` after the supervisor |
 * | `name` | string or `{ via, key }` | none | registers the supervisor |
 */
export const dynamicSupervisorOptions = schema({
  strategy: option
    .oneOf(["oneForOne"], "oneForOne")
    .doc("The only strategy of a dynamic supervisor."),
  ...intensityFields,
  maxChildren: option
    .custom("a non-negative integer or Infinity", isMaxChildren, Infinity)
    .doc("How many children at most; `startChild` past it rejects with MaxChildrenError."),
  extraArguments: option
    .custom(
      "an array",
      (v: unknown): v is readonly unknown[] => Array.isArray(v),
      Object.freeze([]) as readonly unknown[],
    )
    .doc("Passed to every child's `start` after the supervisor."),
  ...nameField,
});

/** Options of `DynamicSupervisor.start`; see {@link dynamicSupervisorOptions}. @example `{ maxChildren: 100 }` */
export type DynamicSupervisorOptions = OptionsInput<typeof dynamicSupervisorOptions>;

function launch(options: unknown, parent: Self | undefined): Promise<Pid> {
  let opts: ReturnType<typeof dynamicSupervisorOptions.parse>;
  try {
    opts = dynamicSupervisorOptions.parse(options, "options");
  } catch (error) {
    return Promise.reject(error);
  }
  const { name, maxRestarts, maxSeconds, maxChildren, extraArguments } = opts;
  const init = { maxRestarts, maxSeconds, maxChildren, extraArguments };
  const startOptions = { name, timeout: Infinity, trapExit: true };
  return parent === undefined
    ? GenServer.start(dynamicServer, init, startOptions)
    : GenServer.startLink(parent, dynamicServer, init, startOptions);
}

/**
 * Starts a dynamic supervisor, unlinked, with no children: add them with {@link startChild}.
 * Its children are restarted one for one, within the same restart intensity as a Supervisor's
 * (past it, it exits with `{ shutdown: "reachedMaxRestartIntensity" }`). When it stops, its
 * children stop one at a time in reverse start order, each within its shutdown time (OTP stops
 * them concurrently; one at a time keeps the order a user can rely on).
 *
 * @example
 * ```ts
 * const jobs = await DynamicSupervisor.start({ maxChildren: 100 });
 * const pid = await DynamicSupervisor.startChild(jobs, Supervisor.task("job", () => work()));
 * ```
 */
export function start(options?: DynamicSupervisorOptions): Promise<Pid> {
  return launch(options, undefined);
}

/**
 * Like {@link start}, linked to `self`: see `Supervisor.dynamicSupervisor` for its child spec.
 *
 * @example
 * ```ts
 * const spec = { id: "jobs", type: "supervisor", start: (sup) => DynamicSupervisor.startLink(sup) } as const;
 * ```
 */
export function startLink(self: Self, options?: DynamicSupervisorOptions): Promise<Pid> {
  return launch(options, self);
}

function server(supervisor: Dest): ServerRef<DynamicProtocol> {
  return supervisor as ServerRef<DynamicProtocol>;
}

const forever = { timeout: Infinity };

/**
 * Starts a child from `spec` (its `id` is optional and only reported), calling
 * `spec.start(supervisor, ...extraArguments)`; resolves with its pid, or `undefined` if its
 * start ignored it. Rejects with `MaxChildrenError` when the supervisor is full,
 * `ChildStartError` when the start fails, `InvalidArgumentError` for a bad spec.
 *
 * @example
 * ```ts
 * const pid = await DynamicSupervisor.startChild(sup, {
 *   start: (sup) => GenServer.startLink(sup, session, userId),
 *   restart: "transient",
 * });
 * ```
 */
export function startChild(supervisor: Dest, spec: DynamicChildSpec): Promise<Pid | undefined> {
  try {
    const checked = checkDynamicChildSpec(spec, "spec");
    return settle(GenServer.call(server(supervisor), "startChild", checked, forever));
  } catch (error) {
    return Promise.reject(error);
  }
}

/**
 * Stops the child `pid` within its shutdown time and forgets it. Rejects with
 * `ChildNotFoundError` when `pid` is not its child.
 *
 * @example
 * ```ts
 * await DynamicSupervisor.terminateChild(sup, pid);
 * ```
 */
export function terminateChild(supervisor: Dest, pid: Pid): Promise<void> {
  if (!isPid(pid)) {
    return Promise.reject(new InvalidArgumentError({ path: "pid", expected: "a pid", got: pid }));
  }
  return settle(GenServer.call(server(supervisor), "terminateChild", pid, forever));
}

/**
 * The children in start order: `{ id, pid, type, restart }`, `id` being the spec's, if any.
 *
 * @example
 * ```ts
 * const pids = (await DynamicSupervisor.whichChildren(sup)).map((c) => c.pid);
 * ```
 */
export function whichChildren(supervisor: Dest): Promise<ChildInfo<string | undefined>[]> {
  return GenServer.call(server(supervisor), "whichChildren", undefined, forever);
}

/**
 * How many children: `{ specs, active, supervisors, workers }`.
 *
 * @example
 * ```ts
 * const { active } = await DynamicSupervisor.countChildren(sup);
 * ```
 */
export function countChildren(supervisor: Dest): Promise<ChildCounts> {
  return GenServer.call(server(supervisor), "countChildren", undefined, forever);
}

/**
 * Stops the supervisor: its children stop in reverse start order, then it exits with `reason`
 * (default `"normal"`). Rejects as `GenServer.stop`.
 *
 * @example
 * ```ts
 * await DynamicSupervisor.stop(sup);
 * ```
 */
export function stop(
  supervisor: Dest,
  reason: ExitReason = "normal",
  timeout = Infinity,
): Promise<void> {
  return GenServer.stop(server(supervisor), reason, timeout);
}
