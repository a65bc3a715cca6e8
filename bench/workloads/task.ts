// task-async-await, async-stream and async-stream-io (BENCH.md): beamish tasks against what a
// user would write instead (async functions and Promise.all, p-map at the same concurrency).
import { availableParallelism } from "node:os";
import { Task } from "beamish";
import pMap from "p-map";
import { elapsed, rate, STEADY, workload } from "../workload.js";
import { inFreshRuntime, inProcess } from "./fresh-runtime.js";

const TASKS = 100_000;
const ITEMS = 1_000_000;
const IO_ITEMS = 10_000;
const IO_CONCURRENCY = 100;
const CORES = availableParallelism();

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
/** The sum of `double(i)` over `range(n)`, to check that every item was mapped once. */
const doubledSum = (n: number): number => n * (n - 1);

const double = (i: number): number => i * 2;
const wait1 = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 1));

function check(label: string, got: number, expected: number): void {
  if (got !== expected) throw new Error(`${label}: got ${got}, expected ${expected}`);
}

export const taskAsyncAwait = workload({
  name: "task-async-await",
  ...STEADY,
  unit: "ops/s",
  params: { n: TASKS },
  impls: {
    beamish: () =>
      inFreshRuntime(() =>
        inProcess((self) =>
          rate(TASKS, async () => {
            const tasks = new Array<Task<number>>(TASKS);
            for (let i = 0; i < TASKS; i++) tasks[i] = Task.async(self, () => double(i));
            let sum = 0;
            for (const task of tasks) sum += await Task.await(task);
            check("task-async-await", sum, doubledSum(TASKS));
          }),
        ),
      ),
    "promise-all": () =>
      rate(TASKS, async () => {
        const work = async (i: number): Promise<number> => double(i);
        const promises = new Array<Promise<number>>(TASKS);
        for (let i = 0; i < TASKS; i++) promises[i] = work(i);
        let sum = 0;
        for (const value of await Promise.all(promises)) sum += value;
        check("promise-all", sum, doubledSum(TASKS));
      }),
  },
});

const items = range(ITEMS);

export const asyncStreamRate = workload({
  name: "async-stream",
  ...STEADY,
  unit: "ops/s",
  params: { n: ITEMS, maxConcurrency: CORES },
  impls: {
    beamish: () =>
      inFreshRuntime(() =>
        inProcess((self) =>
          rate(ITEMS, async () => {
            let sum = 0;
            for await (const result of Task.asyncStream(self, items, double, {
              maxConcurrency: CORES,
            })) {
              if (result.status === "ok") sum += result.value;
            }
            check("async-stream", sum, doubledSum(ITEMS));
          }),
        ),
      ),
    "p-map": () =>
      rate(ITEMS, async () => {
        let sum = 0;
        for (const value of await pMap(items, double, { concurrency: CORES })) sum += value;
        check("p-map", sum, doubledSum(ITEMS));
      }),
  },
});

const ioItems = range(IO_ITEMS);
const SETTIMEOUT_WAITS = 100;

export const asyncStreamIo = workload({
  name: "async-stream-io",
  ...STEADY,
  unit: "ms",
  params: { n: IO_ITEMS, waitMs: 1, maxConcurrency: IO_CONCURRENCY },
  impls: {
    beamish: () =>
      inFreshRuntime(() =>
        inProcess((self) =>
          elapsed(async () => {
            let count = 0;
            for await (const result of Task.asyncStream(self, ioItems, wait1, {
              maxConcurrency: IO_CONCURRENCY,
            })) {
              if (result.status === "ok") count++;
            }
            check("async-stream-io", count, IO_ITEMS);
          }),
        ),
      ),
    "p-map": async () =>
      elapsed(async () => {
        const results = await pMap(ioItems, wait1, { concurrency: IO_CONCURRENCY });
        check("p-map", results.length, IO_ITEMS);
      }),
    // Not a peer: the actual length of one `setTimeout(1)` wait on this machine (the mean of
    // sequential waits), so that the target, 100 times that plus 10%, can be checked.
    "settimeout-1ms": async () => {
      const ms = await elapsed(async () => {
        for (let i = 0; i < SETTIMEOUT_WAITS; i++) await wait1();
      });
      return ms / SETTIMEOUT_WAITS;
    },
  },
  ratios: [["beamish", "p-map"]],
});
