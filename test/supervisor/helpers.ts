import {
  type ChildSpec,
  type DownMessage,
  type GenServer,
  isDownMessage,
  type Pid,
  reply,
  type Self,
  Supervisor,
} from "beamish";
import { assertReceive } from "beamish/testing";

export interface Worker {
  calls: { ping(): string };
}

interface WorkerState {
  readonly name: string;
  readonly log: string[];
}

const workerDefinition: GenServer.Definition<Worker, WorkerState, WorkerState> = {
  init: (state) => {
    state.log.push(`start ${state.name}`);
    return state;
  },
  handleCall: { ping: (_, _from, state) => reply(`pong ${state.name}`, state) },
  terminate: (_reason, state) => {
    state.log.push(`stop ${state.name}`);
  },
};

/** A GenServer child that traps exits and logs `start NAME` / `stop NAME` (its terminate). */
export function worker(log: string[], id: string, overrides: Partial<ChildSpec> = {}): ChildSpec {
  return {
    ...Supervisor.genServer(id, workerDefinition, { name: id, log }, { trapExit: true }),
    ...overrides,
  };
}

/** A child that traps exits and ignores them, so that only a kill stops it. */
export function stubborn(log: string[], id: string, shutdown: ChildSpec["shutdown"]): ChildSpec {
  return {
    id,
    shutdown,
    start: (sup: Self) => {
      log.push(`start ${id}`);
      return sup.spawnLink(
        async (self) => {
          for (;;) await self.receive();
        },
        { trapExit: true },
      );
    },
  };
}

/** The pids of the children, by id. */
export async function pids(sup: Pid | string): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const child of await Supervisor.whichChildren(sup)) out[child.id] = child.pid;
  return out;
}

/** Waits for the DOWN of `ref` and returns its reason. */
export async function downReason(self: Self, pid: Pid): Promise<unknown> {
  const down = await assertReceive<DownMessage>(
    self,
    (m) => isDownMessage(m) && m.pid.equals(pid),
    { timeout: 60_000 },
  );
  return down.reason;
}
