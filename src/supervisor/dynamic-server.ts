/**
 * The DynamicSupervisor process: a GenServer trapping exits that starts children on demand,
 * restarts them one for one within its restart intensity, and stops them in reverse start order.
 */
import { type GenServer, reply, type Stop, stop } from "../gen-server/index.js";
import { send } from "../kernel/api.js";
import { ExitMessage, type ExitReason } from "../kernel/exit.js";
import type { Pid } from "../kernel/pid.js";
import type { Self } from "../kernel/process.js";
import { currentRuntime } from "../kernel/runtime.js";
import { type NormalizedDynamicChildSpec, shouldRestart } from "./child-spec.js";
import {
  type Child,
  type ChildCounts,
  type ChildInfo,
  childInfo,
  countChildren,
  RESTARTING,
  stopChildren,
} from "./children.js";
import { ChildNotFoundError, failure, MaxChildrenError, type Outcome, success } from "./errors.js";
import { RestartIntensity } from "./intensity.js";
import { startChildProcess } from "./start-child.js";
import { reportStartFailure } from "./supervisor-server.js";

/** @internal The dynamic supervisor's calls. */
export interface DynamicProtocol {
  calls: {
    whichChildren(): ChildInfo<string | undefined>[];
    countChildren(): ChildCounts;
    startChild(spec: NormalizedDynamicChildSpec): Outcome<Pid | undefined>;
    terminateChild(pid: Pid): Outcome<undefined>;
  };
}

/** @internal Validated options. */
export interface DynamicInit {
  readonly maxRestarts: number;
  readonly maxSeconds: number;
  readonly maxChildren: number;
  readonly extraArguments: readonly unknown[];
}

/** A pid as a map key: its number on this node, a string for other nodes. */
function keyOf(pid: Pid): number | string {
  return pid.node === 0 ? pid.id : `${pid.node}.${pid.id}`;
}

/** Sent to itself after a failed restart, so that calls get a turn before the next attempt. */
class RetryRestart {
  constructor(readonly key: number | string) {}
}

class DynamicState {
  /** In start order (a restarted child moves to the end, as it started last). */
  readonly children = new Map<number | string, Child>();
  readonly intensity: RestartIntensity;

  constructor(readonly config: DynamicInit) {
    this.intensity = new RestartIntensity(config.maxRestarts, config.maxSeconds);
  }
}

type Next = DynamicState | Stop<DynamicState, never>;

/** @internal The GenServer definition every DynamicSupervisor runs. */
export const dynamicServer: GenServer.Definition<DynamicProtocol, DynamicState, DynamicInit> = {
  init: (config) => new DynamicState(config),
  handleCall: {
    whichChildren: (_, _from, state) =>
      reply(
        [...state.children.values()].map((child) => childInfo(child, child.spec.id)),
        state,
      ),
    countChildren: (_, _from, state) => reply(countChildren(state.children.values()), state),
    startChild: async (spec, _from, state, self) => reply(await addChild(state, spec, self), state),
    terminateChild: async (pid, _from, state, self) => {
      const key = keyOf(pid);
      const child = state.children.get(key);
      if (child === undefined) return reply(failure(new ChildNotFoundError(pid)), state);
      state.children.delete(key);
      await stopChildren([child], self);
      return reply(success(undefined), state);
    },
  },
  handleInfo: (message, state, self) => {
    if (message instanceof ExitMessage) {
      const key = keyOf(message.from);
      const child = state.children.get(key);
      if (child === undefined || child.pid === RESTARTING) return state;
      return childExited(state, key, child, message.reason, self);
    }
    if (message instanceof RetryRestart) {
      const child = state.children.get(message.key);
      if (child === undefined || child.pid !== RESTARTING) return state;
      return restart(state, message.key, child, self);
    }
    return state;
  },
  terminate: (_reason, state, self) => stopChildren([...state.children.values()], self),
};

async function addChild(
  state: DynamicState,
  spec: NormalizedDynamicChildSpec,
  self: Self,
): Promise<Outcome<Pid | undefined>> {
  const { maxChildren, extraArguments } = state.config;
  if (state.children.size >= maxChildren) return failure(new MaxChildrenError(maxChildren));
  let pid: Pid | undefined;
  try {
    pid = await startChildProcess(spec, self, extraArguments);
  } catch (error) {
    return failure(error);
  }
  if (pid !== undefined) state.children.set(keyOf(pid), { spec, pid });
  return success(pid);
}

function childExited(
  state: DynamicState,
  key: number | string,
  child: Child,
  reason: ExitReason,
  self: Self,
): Next | Promise<Next> {
  if (!shouldRestart(child.spec.restart, reason)) {
    state.children.delete(key);
    return state;
  }
  return restart(state, key, child, self);
}

/** Counts the restart (giving up past the intensity) and starts the child again. */
async function restart(
  state: DynamicState,
  key: number | string,
  child: Child,
  self: Self,
): Promise<Next> {
  if (!state.intensity.add(currentRuntime().clock.now())) {
    state.children.delete(key);
    return stop({ shutdown: "reachedMaxRestartIntensity" }, state);
  }
  let pid: Pid | undefined;
  try {
    pid = await startChildProcess(child.spec, self, state.config.extraArguments);
  } catch (error) {
    reportStartFailure(self, error);
    child.pid = RESTARTING;
    send(self.pid, new RetryRestart(key));
    return state;
  }
  state.children.delete(key);
  if (pid !== undefined) state.children.set(keyOf(pid), { spec: child.spec, pid });
  return state;
}
