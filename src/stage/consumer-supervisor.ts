/**
 * ConsumerSupervisor: a consumer stage that starts a child per event, as GenStage's. Its
 * `maxDemand` bounds the children alive at once: it asks its producer for more events only as
 * children exit.
 */
import type { StartOptions } from "../gen-server/start.js";
import type { Dest } from "../kernel/api.js";
import { InvalidArgumentError, invalidArgument } from "../kernel/errors.js";
import type { ExitReason } from "../kernel/exit.js";
import { type OptionsInput, option, schema } from "../kernel/options.js";
import { isPid, type Pid, type Ref } from "../kernel/pid.js";
import type { Self } from "../kernel/process.js";
import { type ChildType, checkDynamicChildSpec, type Shutdown } from "../supervisor/child-spec.js";
import type { ChildCounts } from "../supervisor/children.js";
import {
  type ConsumerChildInfo,
  type ConsumerSupervisorConfig,
  consumerSupervisorStage,
  StartChildFailure,
} from "./consumer-supervisor-server.js";
import {
  type CallOptions,
  call,
  start as startStage,
  startLink as startStageLink,
  stop as stopStage,
  syncSubscribe,
} from "./gen-stage.js";
import type { SubscriptionOptions } from "./options.js";

export type { ConsumerChildInfo } from "./consumer-supervisor-server.js";

/**
 * The template of a ConsumerSupervisor's children: `start(supervisor, event)` starts the child
 * for one event, linked to the supervisor (`Task`-like workers: `supervisor.spawnLink(...)`,
 * `GenServer.startLink(supervisor, ...)`). `restart` is `"temporary"` (the default: never
 * restarted) or `"transient"` (restarted with the same event after an abnormal exit);
 * `"permanent"` is refused, as in Elixir: a child per event is meant to end.
 *
 * @example
 * ```ts
 * const child: ConsumerChildSpec<Job> = {
 *   start: (sup, job) => sup.spawnLink(() => runJob(job)),
 *   restart: "transient",
 *   shutdown: 1000,
 * };
 * ```
 */
export interface ConsumerChildSpec<E> {
  /** Names the template in `whichChildren`; optional. */
  readonly id?: string | undefined;
  readonly start: (supervisor: Self, event: E) => Pid | PromiseLike<Pid>;
  readonly restart?: "temporary" | "transient" | undefined;
  /** ms to wait after `"shutdown"` before killing, `"brutalKill"` or `"infinity"`; default 5000. */
  readonly shutdown?: Shutdown | undefined;
  readonly type?: ChildType | undefined;
}

const isObject = (v: unknown): v is object => typeof v === "object" && v !== null;

/**
 * The options of {@link ConsumerSupervisor.start}.
 *
 * | option | type | default | |
 * |---|---|---|---|
 * | `child` | {@link ConsumerChildSpec} | required | how to start the child of one event |
 * | `subscribeTo` | array of pids, names or subscription options | none | producers to subscribe to at start; their `maxDemand` (default 1000) bounds the children alive per producer, and demand is asked again once `minDemand` (default half) children exited |
 * | `maxRestarts` | non-negative integer | `3` | restarts of transient children allowed within `maxSeconds` |
 * | `maxSeconds` | positive integer | `5` | the window of `maxRestarts` |
 */
export const consumerSupervisorOptions = schema({
  child: option
    .custom<object>("a child spec { start, restart, shutdown, type }", isObject)
    .doc("How to start the child of one event: `start(supervisor, event)`."),
  subscribeTo: option
    .custom<readonly unknown[]>("an array of subscriptions", (v): v is readonly unknown[] =>
      Array.isArray(v),
    )
    .optional()
    .doc("Producers to subscribe to at start (demand is always manual: asked as children exit)."),
  maxRestarts: option.nonNegativeInteger(3).doc("Restarts allowed within maxSeconds."),
  maxSeconds: option.positiveInteger(5).doc("The window of maxRestarts, in seconds."),
});

/** The options of a ConsumerSupervisor whose events are `E`; see {@link consumerSupervisorOptions}. */
export type ConsumerSupervisorOptions<E> = Omit<
  OptionsInput<typeof consumerSupervisorOptions>,
  "child" | "subscribeTo"
> & {
  readonly child: ConsumerChildSpec<E>;
  readonly subscribeTo?: ReadonlyArray<Dest | SubscriptionOptions<E>> | undefined;
};

const isDest = (v: unknown): boolean =>
  isPid(v) || typeof v === "string" || (isObject(v) && "via" in v && "key" in v);

/** A subscription of a ConsumerSupervisor: always manual, since it asks as children exit. */
function manual(entry: unknown): unknown {
  if (isDest(entry)) return { to: entry, demand: "manual" };
  return isObject(entry) ? { ...entry, demand: "manual" } : entry;
}

function configure(options: unknown): ConsumerSupervisorConfig {
  const parsed = consumerSupervisorOptions.parse(options, "options");
  const raw = parsed.child as { restart?: unknown };
  if (raw.restart === "permanent") {
    invalidArgument(
      "options.child.restart",
      '"temporary" or "transient" (a ConsumerSupervisor starts a child per event)',
      raw.restart,
    );
  }
  const child = checkDynamicChildSpec(
    { ...parsed.child, restart: raw.restart ?? "temporary" },
    "options.child",
  );
  return {
    child,
    subscribeTo: parsed.subscribeTo?.map(manual),
    maxRestarts: parsed.maxRestarts,
    maxSeconds: parsed.maxSeconds,
  };
}

/**
 * Starts a ConsumerSupervisor (trapping exits, so that a crashing child does not take it down)
 * and makes the subscriptions of `subscribeTo` before resolving. Rejects with
 * `InvalidArgumentError` for bad options, and as `GenStage.start` does otherwise. `startOptions`:
 * `name`, `timeout`.
 *
 * @example
 * ```ts
 * const sup = await ConsumerSupervisor.start({
 *   child: { start: (sup, url: string) => sup.spawnLink(() => fetch(url)) },
 *   subscribeTo: [{ to: urls, maxDemand: 50 }],
 * });
 * ```
 */
export function start<E>(
  options: ConsumerSupervisorOptions<E>,
  startOptions?: Omit<StartOptions, "trapExit">,
): Promise<Pid> {
  return startWith(options, startOptions, undefined);
}

/**
 * Like {@link start}, linked to `self`, as a supervisor starts its children.
 *
 * @example
 * ```ts
 * Supervisor.start([{ id: "workers", start: (sup) => ConsumerSupervisor.startLink(sup, options), type: "supervisor" }]);
 * ```
 */
export function startLink<E>(
  self: Self,
  options: ConsumerSupervisorOptions<E>,
  startOptions?: Omit<StartOptions, "trapExit">,
): Promise<Pid> {
  return startWith(options, startOptions, self);
}

function startWith(
  options: unknown,
  startOptions: unknown,
  parent: Self | undefined,
): Promise<Pid> {
  let config: ConsumerSupervisorConfig;
  try {
    config = configure(options);
  } catch (error) {
    return Promise.reject(error);
  }
  const withTrap = { ...(isObject(startOptions) ? startOptions : {}), trapExit: true };
  return parent === undefined
    ? startStage(consumerSupervisorStage, config, withTrap)
    : startStageLink(parent, consumerSupervisorStage, config, withTrap);
}

/**
 * Subscribes the ConsumerSupervisor `supervisor` to a producer, as `GenStage.syncSubscribe`,
 * with manual demand (the supervisor asks as its children exit). Use it rather than
 * `GenStage.syncSubscribe`: a subscription with automatic demand is cancelled with an
 * `InvalidArgumentError`.
 *
 * @example
 * ```ts
 * await ConsumerSupervisor.subscribe(sup, { to: producer, maxDemand: 10 });
 * ```
 */
export function subscribe<E>(
  supervisor: Dest,
  options: SubscriptionOptions<E>,
  callOptions?: CallOptions,
): Promise<Ref> {
  return syncSubscribe(supervisor, manual(options) as SubscriptionOptions<E>, callOptions);
}

/**
 * The children alive, in start order.
 *
 * @example
 * ```ts
 * for (const { pid } of await ConsumerSupervisor.whichChildren(sup)) console.log(String(pid));
 * ```
 */
export function whichChildren(supervisor: Dest): Promise<ConsumerChildInfo[]> {
  return call<ConsumerChildInfo[]>(supervisor, "whichChildren", undefined, { timeout: Infinity });
}

/**
 * How many children are alive (`specs` and `active` alike: one spec per child), and how many are
 * `supervisors` and `workers`.
 *
 * @example
 * ```ts
 * const { active } = await ConsumerSupervisor.countChildren(sup);
 * ```
 */
export function countChildren(supervisor: Dest): Promise<ChildCounts> {
  return call<ChildCounts>(supervisor, "countChildren", undefined, { timeout: Infinity });
}

/**
 * Starts a child outside any producer's demand, with `start(supervisor, ...extra)`; resolves
 * with its pid (`undefined` when its start was ignored). Rejects with the `ChildStartError` of a
 * failed start.
 *
 * @example
 * ```ts
 * await ConsumerSupervisor.startChild(sup, { id: 42 });
 * ```
 */
export async function startChild(supervisor: Dest, ...extra: unknown[]): Promise<Pid | undefined> {
  const outcome = await call<Pid | undefined | StartChildFailure>(supervisor, "startChild", extra, {
    timeout: Infinity,
  });
  if (outcome instanceof StartChildFailure) throw outcome.error;
  return outcome;
}

/**
 * Stops the child `pid` within the template's shutdown time; resolves with false when it is not
 * a child. A child of a producer's event gives its demand back, as if it had exited.
 *
 * @example
 * ```ts
 * await ConsumerSupervisor.terminateChild(sup, pid); // true
 * ```
 */
export function terminateChild(supervisor: Dest, pid: Pid): Promise<boolean> {
  if (!isPid(pid)) {
    return Promise.reject(new InvalidArgumentError({ path: "pid", expected: "a pid", got: pid }));
  }
  return call<boolean>(supervisor, "terminateChild", pid, { timeout: Infinity });
}

/**
 * Stops the supervisor: its subscriptions end, and all its children are stopped at once, each
 * within the template's shutdown time.
 *
 * @example
 * ```ts
 * await ConsumerSupervisor.stop(sup);
 * ```
 */
export function stop(supervisor: Dest, reason: ExitReason = "normal"): Promise<void> {
  return stopStage(supervisor, reason);
}

/**
 * Elixir's `ConsumerSupervisor`: a consumer stage starting a child per event (`child.start(sup,
 * event)`), at most `maxDemand` alive per producer, asking for more as they exit; temporary or
 * transient children, the latter restarted with the same event within `maxRestarts` in
 * `maxSeconds` (past it the supervisor exits `{ shutdown: "reachedMaxRestartIntensity" }`; a
 * restart that fails to start is reported and its event given up). A crashing child never takes
 * it down. `options` is the declared option schema.
 *
 * @example Fetch each URL in its own process, 10 at a time
 * ```ts
 * const sup = await ConsumerSupervisor.start({
 *   child: { start: (sup, url: string) => sup.spawnLink(async () => save(await fetch(url))) },
 *   subscribeTo: [{ to: urls, maxDemand: 10, minDemand: 0 }],
 * });
 * ```
 */
export const ConsumerSupervisor = Object.freeze({
  start,
  startLink,
  subscribe,
  whichChildren,
  countChildren,
  startChild,
  terminateChild,
  stop,
  options: consumerSupervisorOptions,
});
