// cache-read (BENCH.md): 1,000,000 reads of random keys among 10,000 from a read-heavy cache,
// as a Table lookup, an Agent.get, a GenServer call, and a plain Map (the limit). The random
// keys are drawn once, outside the timed part.
import { Agent, GenServer, reply, Table } from "beamish";
import { workload } from "../workload.js";
import { inFreshRuntime, inProcess } from "./fresh-runtime.js";

const READS = 1_000_000;
const KEYS = 10_000;

const keys = new Array<number>(READS);
for (let i = 0; i < READS; i++) keys[i] = Math.floor(Math.random() * KEYS);

function fill(set: (key: number, value: number) => unknown): void {
  for (let k = 0; k < KEYS; k++) set(k, k * 2);
}

/** The sum of the values read must be this; it also keeps the reads from being optimised away. */
const expected = keys.reduce((sum, k) => sum + k * 2, 0);

function check(sum: number): void {
  if (sum !== expected) throw new Error(`read ${sum}, expected ${expected}`);
}

/** Times the loop only: reads per second. */
async function timed(loop: () => number | Promise<number>): Promise<number> {
  const start = performance.now();
  const sum = await loop();
  const seconds = (performance.now() - start) / 1000;
  check(sum);
  return READS / seconds;
}

interface Cache {
  calls: { get(key: number): number | undefined };
}

const cacheServer: GenServer.Definition<Cache, Map<number, number>, undefined> = {
  init: () => {
    const map = new Map<number, number>();
    fill((k, v) => map.set(k, v));
    return map;
  },
  handleCall: { get: (key, _from, map) => reply(map.get(key), map) },
};

export const cacheRead = workload({
  name: "cache-read",
  unit: "ops/s",
  params: { reads: READS, keys: KEYS },
  // A million map reads take tens of ms: more warm-up lets the JIT finish, more samples steady
  // the median on a shared machine.
  repetitions: 9,
  warmup: 3,
  impls: {
    table: () =>
      inFreshRuntime(() =>
        inProcess(async (self) => {
          const table = Table.create<number, number>(self, { name: "cache" });
          fill((k, v) => table.insert(k, v));
          // A reader's handle, as another process would get it.
          const reader = Table.whereis<number, number>("cache") as Table<number, number>;
          return timed(() => {
            let sum = 0;
            for (let i = 0; i < READS; i++) sum += reader.lookup(keys[i] as number) as number;
            return sum;
          });
        }),
      ),
    agent: () =>
      inFreshRuntime(async () => {
        const agent = await Agent.start(() => {
          const map = new Map<number, number>();
          fill((k, v) => map.set(k, v));
          return map;
        });
        return inProcess(() =>
          timed(async () => {
            let sum = 0;
            for (let i = 0; i < READS; i++) {
              const key = keys[i] as number;
              sum += (await Agent.get(agent, (m) => m.get(key))) as number;
            }
            return sum;
          }),
        );
      }),
    genserver: () =>
      inFreshRuntime(async () => {
        const server = await GenServer.start(cacheServer, undefined);
        return inProcess(() =>
          timed(async () => {
            let sum = 0;
            for (let i = 0; i < READS; i++) {
              sum += (await GenServer.call(server, "get", keys[i] as number)) as number;
            }
            return sum;
          }),
        );
      }),
    "map-get": async () => {
      const map = new Map<number, number>();
      fill((k, v) => map.set(k, v));
      return timed(() => {
        let sum = 0;
        for (let i = 0; i < READS; i++) sum += map.get(keys[i] as number) as number;
        return sum;
      });
    },
  },
  ratios: [
    ["table", "genserver"],
    ["table", "agent"],
    ["table", "map-get"],
  ],
});
