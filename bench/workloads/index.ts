import type { Workload } from "../workload.js";

// Each canonical workload of BENCH.md and the module defining it (loaded on demand, so a worker
// process imports only what it runs).
const modules: Record<string, () => Promise<Record<string, Workload>>> = {
  "spawn-idle": () => import("./spawn.js"),
  "spawn-idle-memory": () => import("./spawn.js"),
  "genserver-call": () => import("./gen-server.js"),
  "genserver-cast": () => import("./gen-server.js"),
  "task-async-await": () => import("./task.js"),
  "async-stream": () => import("./task.js"),
  "async-stream-io": () => import("./task.js"),
  "cache-read": () => import("./cache.js"),
  registry: () => import("./registry.js"),
  "dynamic-supervisor-start": () => import("./supervisor.js"),
  "restart-latency": () => import("./supervisor.js"),
  "stage-chain": () => import("./stage.js"),
  "stage-chain-3": () => import("./stage.js"),
  "stage-fanout": () => import("./stage.js"),
  "pipeline-batched": () => import("./pipeline.js"),
  "pipeline-unbatched": () => import("./pipeline.js"),
};

/** Names of every workload, in the order `npm run bench` runs them. */
export function workloadNames(): string[] {
  return Object.keys(modules);
}

/** Loads one workload by name. */
export async function loadWorkload(name: string): Promise<Workload> {
  const load = modules[name];
  if (load === undefined) throw new Error(`unknown workload ${JSON.stringify(name)}`);
  const found = Object.values(await load()).find((w) => w.name === name);
  if (found === undefined) throw new Error(`module for ${name} does not define it`);
  return found;
}
