// threads-call: GenServer call throughput across threads. 64 caller processes on the main thread
// each make sequential `ping` calls to one GenServer; `beamish` runs the server on a worker
// thread (calls and replies cross threads, batched per tick), `same-thread` runs it on the main
// thread: the ratio is the price of the crossing.
import { GenServer, reply, spawn } from "beamish";
import { Cluster, startOn } from "beamish/threads";
import { rate, workload } from "../workload.js";
import { inFreshRuntime } from "./fresh-runtime.js";

const N = 200_000;
const CALLERS = 64;

interface Ping {
  calls: { ping(): "pong" };
}

/** The server, loaded by path in the worker thread. */
export const pingServer: GenServer.Definition<Ping, number, number> = {
  init: (n) => n,
  handleCall: { ping: (_, _from, n) => reply("pong", n) },
};

function callers(server: GenServer.Server<Ping>): Promise<number> {
  return rate(N, async () => {
    const per = N / CALLERS;
    const done: Array<Promise<void>> = [];
    for (let c = 0; c < CALLERS; c++) {
      done.push(
        new Promise<void>((resolve, reject) => {
          spawn(async () => {
            try {
              for (let i = 0; i < per; i++) {
                if ((await GenServer.call(server, "ping")) !== "pong") throw new Error("bad reply");
              }
              resolve();
            } catch (error) {
              reject(error);
            }
          });
        }),
      );
    }
    await Promise.all(done);
  });
}

export const threadsCall = workload({
  name: "threads-call",
  unit: "ops/s",
  params: { n: N, callers: CALLERS },
  impls: {
    beamish: () =>
      inFreshRuntime(async () => {
        const [node] = await Cluster.start({ threads: 1 });
        try {
          const server = await startOn<Ping>(node as number, import.meta.url, "pingServer", 0);
          return await callers(server);
        } finally {
          await Cluster.stop();
        }
      }),
    "same-thread": () => inFreshRuntime(async () => callers(await GenServer.start(pingServer, 0))),
  },
  repetitions: 5,
  warmup: 1,
});
