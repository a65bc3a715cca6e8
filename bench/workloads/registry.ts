// registry (BENCH.md): 100,000 register + 100,000 lookup, unique keys, 1 partition, from one
// process; against a plain Map doing the same (refuse a taken key, store pid and value, read).
import { type Pid, Registry } from "beamish";
import { rate, STEADY, workload } from "../workload.js";
import { inFreshRuntime, inProcess } from "./fresh-runtime.js";

const N = 100_000;
const keys = Array.from({ length: N }, (_, i) => `worker:${i}`);

export const registry = workload({
  name: "registry",
  ...STEADY,
  unit: "ops/s",
  params: { register: N, lookup: N, keys: "unique", partitions: 1 },
  impls: {
    beamish: () =>
      inFreshRuntime(() =>
        inProcess(async (self) => {
          const workers = Registry.start<string, number>({ keys: "unique" });
          let found = 0;
          const figure = await rate(2 * N, () => {
            for (let i = 0; i < N; i++) Registry.register(workers, self, keys[i] as string, i);
            for (let i = 0; i < N; i++) found += Registry.lookup(workers, keys[i] as string).length;
          });
          if (found !== N) throw new Error(`found ${found} of ${N}`);
          Registry.stop(workers);
          return figure;
        }),
      ),
    map: () =>
      inFreshRuntime(() =>
        inProcess(async (self) => {
          const workers = new Map<string, { pid: Pid; value: number }>();
          let found = 0;
          const figure = await rate(2 * N, () => {
            for (let i = 0; i < N; i++) {
              const key = keys[i] as string;
              if (workers.has(key)) throw new Error(`${key} is taken`);
              workers.set(key, { pid: self.pid, value: i });
            }
            for (let i = 0; i < N; i++) if (workers.get(keys[i] as string) !== undefined) found++;
          });
          if (found !== N) throw new Error(`found ${found} of ${N}`);
          return figure;
        }),
      ),
  },
});
