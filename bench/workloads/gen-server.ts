// genserver-call and genserver-cast (BENCH.md): one process talking to one GenServer, against
// the same work with no framework at all (the limit).
import { GenServer, reply } from "beamish";
import { rate, workload } from "../workload.js";
import { inFreshRuntime, inProcess } from "./fresh-runtime.js";

const N = 1_000_000;

interface Ping {
  calls: { ping(): "pong" };
}

const pingServer: GenServer.Definition<Ping, number, number> = {
  init: (n) => n,
  handleCall: { ping: (_, _from, n) => reply("pong", n) },
};

interface Counter {
  calls: { count(): number };
  casts: { inc(): void };
}

const counterServer: GenServer.Definition<Counter, number, number> = {
  init: (n) => n,
  handleCall: { count: (_, _from, n) => reply(n, n) },
  handleCast: { inc: (_, n) => n + 1 },
};

/** The limit of a call: awaiting an async function that returns the value. */
async function ping(): Promise<"pong"> {
  return "pong";
}

/** The limit of a cast: a plain method call on an object. */
class PlainCounter {
  private n = 0;
  inc(): void {
    this.n++;
  }
  count(): number {
    return this.n;
  }
}

export const genserverCall = workload({
  name: "genserver-call",
  unit: "ops/s",
  params: { n: N },
  impls: {
    beamish: () =>
      inFreshRuntime(async () => {
        const server = await GenServer.start(pingServer, 0);
        return inProcess(() =>
          rate(N, async () => {
            for (let i = 0; i < N; i++) {
              if ((await GenServer.call(server, "ping")) !== "pong") throw new Error("bad reply");
            }
          }),
        );
      }),
    "direct-await": () =>
      rate(N, async () => {
        for (let i = 0; i < N; i++) {
          if ((await ping()) !== "pong") throw new Error("bad reply");
        }
      }),
  },
});

export const genserverCast = workload({
  name: "genserver-cast",
  unit: "ops/s",
  params: { n: N },
  impls: {
    beamish: () =>
      inFreshRuntime(async () => {
        const server = await GenServer.start(counterServer, 0);
        return inProcess(() =>
          rate(N, async () => {
            for (let i = 0; i < N; i++) GenServer.cast(server, "inc");
            const count = await GenServer.call(server, "count", undefined, { timeout: Infinity });
            if (count !== N) throw new Error(`counted ${count} casts, expected ${N}`);
          }),
        );
      }),
    "direct-call": () =>
      rate(N, () => {
        const counter = new PlainCounter();
        for (let i = 0; i < N; i++) counter.inc();
        if (counter.count() !== N) throw new Error("miscounted");
      }),
  },
});
