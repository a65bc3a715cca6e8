import { Runtime, setCurrentRuntime, spawn } from "beamish";
import { settleRuntime } from "beamish/testing";
import { workload } from "../workload.js";

const N = 100_000;

/** Spawns N processes that block in receive, in a fresh runtime; returns the time taken in s. */
async function spawnIdle(): Promise<{ seconds: number; runtime: Runtime }> {
  const runtime = new Runtime();
  const previous = setCurrentRuntime(runtime);
  const start = performance.now();
  for (let i = 0; i < N; i++) spawn((self) => self.receive());
  await settleRuntime(runtime);
  const seconds = (performance.now() - start) / 1000;
  setCurrentRuntime(previous);
  return { seconds, runtime };
}

async function teardown(runtime: Runtime): Promise<void> {
  runtime.killAll();
  await settleRuntime(runtime);
}

export const spawnIdleRate = workload({
  name: "spawn-idle",
  unit: "ops/s",
  params: { processes: N },
  impls: {
    async beamish() {
      const { seconds, runtime } = await spawnIdle();
      await teardown(runtime);
      return N / seconds;
    },
  },
});

export const spawnIdleMemory = workload({
  name: "spawn-idle-memory",
  unit: "bytes/process",
  params: { processes: N },
  impls: {
    async beamish() {
      const gc = (globalThis as { gc?: () => void }).gc;
      gc?.();
      const before = process.memoryUsage().heapUsed;
      const { runtime } = await spawnIdle();
      gc?.();
      const bytes = (process.memoryUsage().heapUsed - before) / N;
      await teardown(runtime);
      return bytes;
    },
  },
});
