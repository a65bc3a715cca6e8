/**
 * The ConsumerSupervisor as a consumer stage: a child per event, demand given back as children
 * exit, transient children restarted within the restart intensity, every child stopped at once
 * when it stops. The public face is consumer-supervisor.ts.
 */
import { reply, stop } from "../gen-server/directives.js";
import { UnknownRequestError } from "../gen-server/errors.js";
import { InvalidArgumentError } from "../kernel/errors.js";
import { ExitMessage, type ExitReason, isNormalExit } from "../kernel/exit.js";
import type { Pid } from "../kernel/pid.js";
import type { Self } from "../kernel/process.js";
import { currentRuntime } from "../kernel/runtime.js";
import type { NormalizedDynamicChildSpec } from "../supervisor/child-spec.js";
import type { ChildCounts } from "../supervisor/children.js";
import { RestartIntensity } from "../supervisor/intensity.js";
import { shutdownChild } from "../supervisor/shutdown.js";
import { startChildProcess } from "../supervisor/start-child.js";
import { ChildDemand } from "./child-demand.js";
import { consumer, type Definition } from "./definition.js";
import { ask, cancel } from "./gen-stage.js";
import type { ParsedSubscription } from "./options.js";
import type { StageFrom } from "./subscription.js";

/** @internal What `start` hands to the stage's `init`, validated. */
export interface ConsumerSupervisorConfig {
  readonly child: NormalizedDynamicChildSpec;
  readonly subscribeTo: readonly unknown[] | undefined;
  readonly maxRestarts: number;
  readonly maxSeconds: number;
}

/** One running child: the producer whose event started it (none for `startChild`) and its event. */
interface ChildRecord {
  readonly pid: Pid;
  readonly producer: ProducerRecord | undefined;
  readonly extra: readonly unknown[];
}

interface ProducerRecord {
  readonly from: StageFrom;
  readonly demand: ChildDemand;
  /** False once the subscription ended: its children's exits give no demand back. */
  active: boolean;
}

/** @internal */
export interface ConsumerSupervisorState {
  readonly child: NormalizedDynamicChildSpec;
  readonly children: Map<string, ChildRecord>;
  readonly producers: Map<number, ProducerRecord>;
  readonly intensity: RestartIntensity;
}

/**
 * One child of a ConsumerSupervisor as `whichChildren` reports it. A ConsumerSupervisor's
 * children have no id of their own: `id` is the template's (`undefined` when it has none).
 */
export interface ConsumerChildInfo {
  readonly id: string | undefined;
  readonly pid: Pid;
  readonly type: "worker" | "supervisor";
  readonly restart: "temporary" | "transient";
}

/** @internal `startChild` failed: the caller rejects with `error`. */
export class StartChildFailure {
  constructor(readonly error: unknown) {}
}

const key = (pid: Pid): string => `${pid.node}.${pid.id}`;

function report(self: Self, error: unknown): void {
  const runtime = currentRuntime();
  const process = runtime.lookup(self.pid);
  if (process !== undefined) runtime.reportCrash(process, error);
}

/** A child of `producer` is gone for good: give its demand back to the producer. */
function release(producer: ProducerRecord | undefined): void {
  if (producer === undefined || !producer.active) return;
  const more = producer.demand.exited();
  if (more > 0) ask(producer.from, more);
}

async function startOne(
  state: ConsumerSupervisorState,
  self: Self,
  extra: readonly unknown[],
  producer: ProducerRecord | undefined,
): Promise<Pid | undefined> {
  let pid: Pid | undefined;
  try {
    pid = await startChildProcess(state.child, self, extra);
  } catch (error) {
    report(self, error);
    return undefined;
  }
  if (pid !== undefined) state.children.set(key(pid), { pid, producer, extra });
  return pid;
}

async function childExited(
  state: ConsumerSupervisorState,
  record: ChildRecord,
  reason: ExitReason,
  self: Self,
): Promise<ConsumerSupervisorState | ReturnType<typeof stop>> {
  state.children.delete(key(record.pid));
  if (state.child.restart === "temporary" || isNormalExit(reason)) {
    release(record.producer);
    return state;
  }
  if (!state.intensity.add(currentRuntime().clock.now())) {
    return stop({ shutdown: "reachedMaxRestartIntensity" }, state);
  }
  // Restarted with the same event; a failed restart is reported and its demand given back.
  const pid = await startOne(state, self, record.extra, record.producer);
  if (pid === undefined) release(record.producer);
  return state;
}

function counts(state: ConsumerSupervisorState): ChildCounts {
  const n = state.children.size;
  const supervisors = state.child.type === "supervisor" ? n : 0;
  return { specs: n, active: n, supervisors, workers: n - supervisors };
}

/** @internal The consumer stage behind a ConsumerSupervisor. */
export const consumerSupervisorStage: Definition<
  unknown,
  never,
  ConsumerSupervisorState,
  ConsumerSupervisorConfig
> = {
  init(config) {
    const state: ConsumerSupervisorState = {
      child: config.child,
      children: new Map(),
      producers: new Map(),
      intensity: new RestartIntensity(config.maxRestarts, config.maxSeconds),
    };
    return consumer(
      state,
      config.subscribeTo === undefined ? undefined : { subscribeTo: config.subscribeTo },
    );
  },

  handleSubscribe(_kind, options, from, state) {
    const demand = (options as ParsedSubscription).demand;
    if (demand !== "manual") {
      // An automatic subscription would ask as events are handled, not as children exit: the
      // bound on live children would not hold.
      cancel(
        from,
        new InvalidArgumentError({
          path: "demand",
          expected: '"manual" (a ConsumerSupervisor asks as its children exit)',
          got: demand,
        }),
      );
      return state;
    }
    const { maxDemand, minDemand } = options as ParsedSubscription;
    const record: ProducerRecord = {
      from,
      demand: new ChildDemand(maxDemand, minDemand),
      active: true,
    };
    state.producers.set(from.ref.id, record);
    ask(from, record.demand.initial());
    return state;
  },

  handleCancel(_cancel, from, state) {
    const record = state.producers.get(from.ref.id);
    if (record !== undefined) {
      record.active = false;
      state.producers.delete(from.ref.id);
    }
    return state;
  },

  async handleEvents(events, from, state, self) {
    const producer = state.producers.get(from.ref.id);
    // Events of a subscription refused in handleSubscribe (automatic demand), before its cancel.
    if (producer === undefined) return state;
    producer.demand.started(events.length);
    for (const event of events) {
      const pid = await startOne(state, self, [event], producer);
      // Not started (failed, or ignored): its demand comes back at once.
      if (pid === undefined) release(producer);
    }
    return state;
  },

  handleInfo(message, state, self) {
    if (!(message instanceof ExitMessage)) return state;
    const record = state.children.get(key(message.from));
    if (record === undefined || !record.pid.equals(message.from)) return state;
    return childExited(state, record, message.reason, self);
  },

  async handleCall(request, arg, _from, state, self) {
    switch (request) {
      case "whichChildren": {
        const { id, type, restart } = state.child;
        const infos: ConsumerChildInfo[] = [...state.children.values()].map((c) => ({
          id,
          pid: c.pid,
          type,
          restart: restart as "temporary" | "transient",
        }));
        return reply(infos, state);
      }
      case "countChildren":
        return reply(counts(state), state);
      case "startChild": {
        const extra = arg as readonly unknown[];
        let pid: Pid | undefined;
        try {
          pid = await startChildProcess(state.child, self, extra);
        } catch (error) {
          return reply(new StartChildFailure(error), state);
        }
        if (pid !== undefined) state.children.set(key(pid), { pid, producer: undefined, extra });
        return reply(pid, state);
      }
      case "terminateChild": {
        const pid = arg as Pid;
        const record = state.children.get(key(pid));
        if (record === undefined) return reply(false, state);
        state.children.delete(key(pid));
        await shutdownChild(self, pid, state.child.shutdown);
        release(record.producer);
        return reply(true, state);
      }
    }
    throw new UnknownRequestError("handleCall", request);
  },

  async terminate(_reason, state, self) {
    // All at once, as GenStage's ConsumerSupervisor: its children were started independently.
    const shutdown = state.child.shutdown;
    const pids = [...state.children.values()].map((c) => c.pid);
    state.children.clear();
    await Promise.all(pids.map((pid) => shutdownChild(self, pid, shutdown)));
  },
};
