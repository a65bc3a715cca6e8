import { type ProcessBody, Runtime, setCurrentRuntime, spawn } from "beamish";
import { settleRuntime } from "beamish/testing";
import { STEADY, workload } from "../workload.js";

const N = 100_000;

/** A body that is its receive: the process ends with the message it takes. */
const receiveBody: ProcessBody = (self) => self.receive();
/** An async body awaiting its receive: a promise of its own, which the process reacts to. */
const asyncBody: ProcessBody = async (self) => {
  await self.receive();
};

/** Spawns N processes that block in receive, in a fresh runtime; returns the time taken in s. */
async function spawnIdle(
  body: ProcessBody = receiveBody,
): Promise<{ seconds: number; runtime: Runtime }> {
  const runtime = new Runtime();
  const previous = setCurrentRuntime(runtime);
  const start = performance.now();
  for (let i = 0; i < N; i++) spawn(body);
  await settleRuntime(runtime);
  const seconds = (performance.now() - start) / 1000;
  setCurrentRuntime(previous);
  return { seconds, runtime };
}

async function teardown(runtime: Runtime): Promise<void> {
  runtime.killAll();
  await settleRuntime(runtime);
}

/**
 * The least any process blocked on a native promise can be, measured beside beamish as the
 * limit: an object holding its pending promise's resolvers and a link to the next (a process
 * table), and an id object pointing back (a pid). No scheduler, mailbox, links or exit.
 */
class Parked {
  readonly pid: { readonly node: number; readonly id: number; readonly parked: Parked };
  resolve: ((message: unknown) => void) | null = null;
  reject: ((error: unknown) => void) | null = null;
  constructor(
    id: number,
    readonly next: Parked | null,
  ) {
    this.pid = { node: 0, id, parked: this };
  }
}

let captured: Parked | null = null;
const park = (resolve: (message: unknown) => void, reject: (error: unknown) => void): void => {
  (captured as Parked).resolve = resolve;
  (captured as Parked).reject = reject;
};

/** Parks N promise floors and yields to the event loop once, as spawnIdle settles. */
async function floorIdle(): Promise<{ seconds: number; table: Parked | null }> {
  const start = performance.now();
  let table: Parked | null = null;
  for (let i = 0; i < N; i++) {
    table = new Parked(i, table);
    captured = table;
    void new Promise(park);
  }
  captured = null;
  await new Promise((resolve) => setImmediate(resolve));
  return { seconds: (performance.now() - start) / 1000, table };
}

/** The heap that what `park` keeps alive takes, per process, between two full collections. */
async function heapPerProcess<R>(park: () => Promise<R>): Promise<{ bytes: number; kept: R }> {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const before = process.memoryUsage().heapUsed;
  const kept = await park();
  gc?.();
  return { bytes: (process.memoryUsage().heapUsed - before) / N, kept };
}

export const spawnIdleRate = workload({
  name: "spawn-idle",
  ...STEADY,
  unit: "ops/s",
  params: { processes: N },
  ratios: [
    ["beamish", "promise-floor"],
    ["beamish-async-body", "promise-floor"],
  ],
  impls: {
    async beamish() {
      const { seconds, runtime } = await spawnIdle();
      await teardown(runtime);
      return N / seconds;
    },
    "beamish-async-body": async () => {
      const { seconds, runtime } = await spawnIdle(asyncBody);
      await teardown(runtime);
      return N / seconds;
    },
    "promise-floor": async () => N / (await floorIdle()).seconds,
  },
});

export const spawnIdleMemory = workload({
  name: "spawn-idle-memory",
  unit: "bytes/process",
  params: { processes: N },
  impls: {
    async beamish() {
      const { bytes, kept } = await heapPerProcess(() => spawnIdle());
      await teardown(kept.runtime);
      return bytes;
    },
    "promise-floor": async () => {
      const { bytes, kept } = await heapPerProcess(floorIdle);
      if (kept.table?.pid.id !== N - 1) throw new Error("the floor lost its table");
      return bytes;
    },
  },
});
