/**
 * The supervisor process: a GenServer trapping exits that starts its children in order, restarts
 * them by its strategy within its restart intensity, and stops them in reverse order.
 */
import { type GenServer, Ignore, reply, type Stop, stop } from "../gen-server/index.js";
import { send } from "../kernel/api.js";
import { ExitMessage, type ExitReason } from "../kernel/exit.js";
import { isPid, type Pid } from "../kernel/pid.js";
import type { Self } from "../kernel/process.js";
import { currentRuntime } from "../kernel/runtime.js";
import { checkChildSpecs, type NormalizedChildSpec, shouldRestart } from "./child-spec.js";
import {
  type Child,
  type ChildCounts,
  type ChildInfo,
  childInfo,
  countChildren,
  RESTARTING,
  stopChildren,
} from "./children.js";
import {
  ChildExistsError,
  ChildNotFoundError,
  ChildRunningError,
  failure,
  type Outcome,
  success,
} from "./errors.js";
import { type SupervisorFlags, type SupervisorSpec, supervisorSpecSchema } from "./flags.js";
import { RestartIntensity } from "./intensity.js";
import { startChildProcess } from "./start-child.js";
import { restartGroup } from "./strategy.js";

/**
 * A module-style supervisor: `init(arg, self)` returns (or resolves to) its children and flags,
 * or `ignore()` to not start at all (its start then rejects with a `StartError` whose reason is
 * `"ignore"`, which a parent supervisor reads as "not running").
 *
 * @example
 * ```ts
 * const app: SupervisorDefinition<{ port: number }> = {
 *   init: ({ port }) => ({
 *     children: [Supervisor.genServer("cache", cache, {}), Supervisor.genServer("web", web, port)],
 *     strategy: "restForOne",
 *   }),
 * };
 * await Supervisor.start(app, { port: 8080 });
 * ```
 */
export interface SupervisorDefinition<A = undefined> {
  init(arg: A, self: Self): SupervisorSpec | Ignore | PromiseLike<SupervisorSpec | Ignore>;
}

/** @internal The supervisor's calls. */
export interface SupervisorProtocol {
  calls: {
    whichChildren(): ChildInfo[];
    countChildren(): ChildCounts;
    startChild(spec: NormalizedChildSpec): Outcome<Pid | undefined>;
    terminateChild(id: string): Outcome<undefined>;
    restartChild(id: string): Outcome<Pid | undefined>;
    deleteChild(id: string): Outcome<undefined>;
  };
}

/** @internal What `init` gets: validated children and flags, or a definition to ask. */
export type SupervisorInit =
  | (SupervisorFlags & { readonly children: readonly NormalizedChildSpec[] })
  | { readonly definition: SupervisorDefinition<unknown>; readonly arg: unknown };

type SupervisorChild = Child<NormalizedChildSpec>;

/** Sent to itself after a failed restart, so that calls get a turn before the next attempt. */
class RetryRestart {
  constructor(readonly child: SupervisorChild) {}
}

const NO_ARGUMENTS: readonly unknown[] = [];

class State {
  children: SupervisorChild[];
  readonly intensity: RestartIntensity;
  readonly strategy: SupervisorFlags["strategy"];

  constructor(config: SupervisorFlags & { readonly children: readonly NormalizedChildSpec[] }) {
    this.children = config.children.map((spec) => ({ spec, pid: undefined }));
    this.intensity = new RestartIntensity(config.maxRestarts, config.maxSeconds);
    this.strategy = config.strategy;
  }

  find(id: string): SupervisorChild | undefined {
    return this.children.find((child) => child.spec.id === id);
  }

  findPid(pid: Pid): SupervisorChild | undefined {
    return this.children.find((child) => isPid(child.pid) && child.pid.equals(pid));
  }

  remove(child: SupervisorChild): void {
    const index = this.children.indexOf(child);
    if (index >= 0) this.children.splice(index, 1);
  }
}

type Next = State | Stop<State, never>;

/** @internal The GenServer definition every supervisor runs. */
export const supervisorServer: GenServer.Definition<SupervisorProtocol, State, SupervisorInit> = {
  init: async (start, self) => {
    let config: SupervisorFlags & { readonly children: readonly NormalizedChildSpec[] };
    if ("definition" in start) {
      const result = await start.definition.init(start.arg, self);
      if (result instanceof Ignore) return result;
      const spec = supervisorSpecSchema.parse(result, "init()");
      config = { ...spec, children: checkChildSpecs(spec.children, "init().children") };
    } else {
      config = start;
    }
    const state = new State(config);
    await startInitialChildren(state, self);
    return state;
  },
  handleCall: {
    whichChildren: (_, _from, state) =>
      reply(
        state.children.map((child) => childInfo(child, child.spec.id)),
        state,
      ),
    countChildren: (_, _from, state) => reply(countChildren(state.children), state),
    startChild: async (spec, _from, state, self) => reply(await addChild(state, spec, self), state),
    terminateChild: async (id, _from, state, self) =>
      reply(await terminateChild(state, id, self), state),
    restartChild: async (id, _from, state, self) =>
      reply(await restartChild(state, id, self), state),
    deleteChild: (id, _from, state) => reply(deleteChild(state, id), state),
  },
  handleInfo: (message, state, self) => {
    if (message instanceof ExitMessage) {
      const child = state.findPid(message.from);
      // An exit from a child already stopped or replaced, or from another linked process.
      if (child === undefined) return state;
      return childExited(state, child, message.reason, self);
    }
    if (message instanceof RetryRestart) {
      const child = message.child;
      if (child.pid !== RESTARTING || !state.children.includes(child)) return state;
      return restart(state, child, self);
    }
    return state;
  },
  terminate: (_reason, state, self) => stopChildren(state.children, self),
};

/** Starts the children in order; on a failure stops the started ones, last first, and rethrows. */
async function startInitialChildren(state: State, self: Self): Promise<void> {
  const kept: SupervisorChild[] = [];
  for (const child of state.children) {
    let pid: Pid | undefined;
    try {
      pid = await startChildProcess(child.spec, self, NO_ARGUMENTS);
    } catch (error) {
      await stopChildren(kept, self);
      throw error;
    }
    // An ignored temporary child will never run: OTP drops its spec.
    if (pid === undefined && child.spec.restart === "temporary") continue;
    child.pid = pid;
    kept.push(child);
  }
  state.children = kept;
}

function childExited(
  state: State,
  child: SupervisorChild,
  reason: ExitReason,
  self: Self,
): Next | Promise<Next> {
  child.pid = undefined;
  if (child.spec.restart === "temporary") {
    state.remove(child);
    return state;
  }
  if (!shouldRestart(child.spec.restart, reason)) return state;
  return restart(state, child, self);
}

/**
 * Restarts `child` and, by the strategy, its siblings: counts the restart (giving up past the
 * intensity), stops the others of the group last first, drops the temporary ones among them (as
 * OTP, they are not restarted), then starts the group in order. A start that fails leaves that
 * child `"restarting"` and tries again on a later turn, each attempt counting as a restart.
 */
async function restart(state: State, child: SupervisorChild, self: Self): Promise<Next> {
  if (!state.intensity.add(currentRuntime().clock.now())) {
    return stop({ shutdown: "reachedMaxRestartIntensity" }, state);
  }
  const index = state.children.indexOf(child);
  const group = restartGroup(state.strategy, state.children.length, index).map(
    (i) => state.children[i] as SupervisorChild,
  );
  await stopChildren(
    group.filter((c) => c !== child),
    self,
  );
  for (const c of group) {
    if (c === child || c.spec.restart !== "temporary") continue;
    state.remove(c);
  }
  for (const c of group) {
    if (!state.children.includes(c)) continue;
    try {
      c.pid = await startChildProcess(c.spec, self, NO_ARGUMENTS);
    } catch (error) {
      reportStartFailure(self, error);
      c.pid = RESTARTING;
      send(self.pid, new RetryRestart(c));
      return state;
    }
  }
  return state;
}

/** @internal A failed restart is not the caller's to see: report it, as OTP logs a supervisor report. */
export function reportStartFailure(self: Self, error: unknown): void {
  const runtime = currentRuntime();
  const process = runtime.lookup(self.pid);
  if (process !== undefined) runtime.reportCrash(process, error);
}

async function addChild(
  state: State,
  spec: NormalizedChildSpec,
  self: Self,
): Promise<Outcome<Pid | undefined>> {
  const existing = state.find(spec.id);
  if (existing !== undefined) {
    return failure(new ChildExistsError(spec.id, isPid(existing.pid) ? existing.pid : undefined));
  }
  let pid: Pid | undefined;
  try {
    pid = await startChildProcess(spec, self, NO_ARGUMENTS);
  } catch (error) {
    return failure(error);
  }
  if (!(pid === undefined && spec.restart === "temporary")) state.children.push({ spec, pid });
  return success(pid);
}

async function terminateChild(state: State, id: string, self: Self): Promise<Outcome<undefined>> {
  const child = state.find(id);
  if (child === undefined) return failure(new ChildNotFoundError(id));
  await stopChildren([child], self);
  if (child.spec.restart === "temporary") state.remove(child);
  return success(undefined);
}

async function restartChild(
  state: State,
  id: string,
  self: Self,
): Promise<Outcome<Pid | undefined>> {
  const child = state.find(id);
  if (child === undefined) return failure(new ChildNotFoundError(id));
  if (child.pid !== undefined) return failure(new ChildRunningError(id));
  try {
    child.pid = await startChildProcess(child.spec, self, NO_ARGUMENTS);
  } catch (error) {
    return failure(error);
  }
  return success(child.pid);
}

function deleteChild(state: State, id: string): Outcome<undefined> {
  const child = state.find(id);
  if (child === undefined) return failure(new ChildNotFoundError(id));
  if (child.pid !== undefined) return failure(new ChildRunningError(id));
  state.remove(child);
  return success(undefined);
}
