// Supervision workloads (issue 3): starting many dynamic children, and how long a crashed child
// takes to be running again. Peers are what a user writes by hand instead.
import {
  DynamicSupervisor,
  exit,
  isDownMessage,
  type Pid,
  type Self,
  Supervisor,
  send,
  spawn,
} from "beamish";
import { elapsed, rate, workload } from "../workload.js";
import { inFreshRuntime, inProcess } from "./fresh-runtime.js";

const CHILDREN = 100_000;
const RESTARTS = 2_000;

const idle = (self: Self) => self.receive();

/** A child that announces each start to `observer`, so a restart can be timed. */
function announcing(observer: Pid) {
  return {
    id: "worker",
    start: (sup: Self) => {
      const pid = sup.spawnLink(idle);
      sendStart(observer, pid);
      return pid;
    },
  };
}

function sendStart(observer: Pid, pid: Pid): void {
  send(observer, { started: pid });
}

export const dynamicStart = workload({
  name: "dynamic-supervisor-start",
  unit: "ops/s",
  params: { children: CHILDREN },
  impls: {
    beamish: () =>
      inFreshRuntime(async () => {
        const sup = await DynamicSupervisor.start();
        const spec = { start: (s: Self) => s.spawnLink(idle) };
        return rate(CHILDREN, async () => {
          for (let i = 0; i < CHILDREN; i++) await DynamicSupervisor.startChild(sup, spec);
        });
      }),
    // The limit: the same processes spawned and linked by hand, with nobody to restart them.
    "spawn-link": () =>
      inFreshRuntime(() =>
        inProcess((self) =>
          rate(CHILDREN, () => {
            for (let i = 0; i < CHILDREN; i++) self.spawnLink(idle);
          }),
        ),
      ),
  },
});

/** Kills the announced child RESTARTS times, each time waiting for its replacement; mean ms. */
async function meanRestartMs(self: Self): Promise<number> {
  let child = ((await self.receive()) as { started: Pid }).started;
  const ms = await elapsed(async () => {
    for (let i = 0; i < RESTARTS; i++) {
      exit(child, "kill");
      child = ((await self.receive()) as { started: Pid }).started;
    }
  });
  return ms / RESTARTS;
}

export const restartLatency = workload({
  name: "restart-latency",
  unit: "ms",
  params: { restarts: RESTARTS },
  impls: {
    beamish: () =>
      inFreshRuntime(() =>
        inProcess(async (self) => {
          await Supervisor.start([announcing(self.pid)], {
            maxRestarts: RESTARTS * 2,
            maxSeconds: 1,
          });
          return meanRestartMs(self);
        }),
      ),
    // By hand: a process that monitors its worker and spawns a new one when it dies.
    "monitor-respawn": () =>
      inFreshRuntime(() =>
        inProcess(async (self) => {
          const observer = self.pid;
          spawn(async (keeper) => {
            for (;;) {
              const pid = spawn(idle);
              keeper.monitor(pid);
              sendStart(observer, pid);
              await keeper.receive({ match: isDownMessage });
            }
          });
          return meanRestartMs(self);
        }),
      ),
  },
});
