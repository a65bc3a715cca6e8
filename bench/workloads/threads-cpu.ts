// threads-cpu (BENCH.md): a CPU-bound function (an integer hash, a few ms per item) over many
// items on every core through beamish's CPU pool, against the same function in a loop on the
// main thread (what one thread can do) and against Piscina with as many threads (what a user
// would pick instead). Every implementation runs the same plain JavaScript module; each creates
// its pool once per process, so the warm-up repetitions absorb thread start-up.
import { availableParallelism } from "node:os";
import { CpuPool } from "beamish/threads";
import { Piscina } from "piscina";
import { rate, workload } from "../workload.js";
import { work } from "./threads-cpu-worker.mjs";

const ITEMS = 400;
const THREADS = availableParallelism();
const workerModule = new URL("./threads-cpu-worker.mjs", import.meta.url);

const items = Array.from({ length: ITEMS }, (_, i) => i);

let expected: number | undefined;
/** The sum of every item's hash, computed once per process outside the timed runs. */
function expectedSum(): number {
  if (expected === undefined) {
    expected = 0;
    for (const i of items) expected += work(i);
  }
  return expected;
}

function check(label: string, got: number): void {
  const want = expectedSum();
  if (got !== want) throw new Error(`${label}: got ${got}, expected ${want}`);
}

let pool: Promise<CpuPool> | undefined;
let piscina: Piscina | undefined;

export const threadsCpu = workload({
  name: "threads-cpu",
  // How fast a thread runs the hash depends on how V8 tiered it: a thread whose first calls left
  // it in the loop's on-stack-replacement code runs 7-8% slower until its first full garbage
  // collection throws that code away (a forced gc() flips it at once). Piscina's threads, which
  // allocate more per task, reach one after about 900 calls; beamish's after 1,600-1,800, and
  // the main thread may never. Ten warm-up repetitions (2,000 calls per thread) measure every
  // implementation past that, as a long-running service runs, and six fresh processes per
  // implementation keep one process's tiering from deciding the ratio.
  rounds: 6,
  warmup: 10,
  unit: "ops/s",
  params: { n: ITEMS, threads: THREADS, roundsPerItem: 400_000 },
  impls: {
    beamish: async () => {
      expectedSum();
      pool ??= CpuPool.start({ threads: THREADS });
      const cpu = await pool;
      return rate(ITEMS, async () => {
        let sum = 0;
        // Each thread holds its next item (tasksPerThread 2), so it never waits for the main
        // thread; results come in input order, and a window of four items per thread lets a
        // thread run ahead of a slower sibling instead of idling (Piscina is given all 400).
        for await (const r of cpu.asyncStream<number, number>(items, workerModule, "work", {
          maxConcurrency: THREADS * 4,
        })) {
          if (r.status !== "ok") throw r.reason;
          sum += r.value;
        }
        check("beamish", sum);
      });
    },
    "single-thread": async () => {
      expectedSum();
      return rate(ITEMS, () => {
        let sum = 0;
        for (const i of items) sum += work(i);
        check("single-thread", sum);
      });
    },
    piscina: async () => {
      expectedSum();
      piscina ??= new Piscina({
        filename: workerModule.href,
        name: "work",
        minThreads: THREADS,
        maxThreads: THREADS,
        // Not the bench's `--import tsx`: in Piscina's threads it loads the module through
        // tsx's require hook, as minified CommonJS that ran the hash 3-4% faster than the very
        // same file as loaded by the main thread and beamish's threads (plain ESM).
        execArgv: [],
      });
      const p = piscina;
      return rate(ITEMS, async () => {
        const values = (await Promise.all(items.map((i) => p.run(i)))) as number[];
        let sum = 0;
        for (const v of values) sum += v;
        check("piscina", sum);
      });
    },
  },
});
