import type { Workload } from "../workload.js";

// Each canonical workload of BENCH.md and the module defining it (loaded on demand, so a worker
// process imports only what it runs).
const modules: Record<string, string> = {
  "spawn-idle": "spawn",
  "spawn-idle-memory": "spawn",
  "genserver-call": "gen-server",
  "genserver-cast": "gen-server",
  "task-async-await": "task",
  "async-stream": "task",
  "async-stream-io": "task",
  "cache-read": "cache",
  registry: "registry",
  "dynamic-supervisor-start": "supervisor",
  "restart-latency": "supervisor",
  "stage-chain": "stage",
  "stage-chain-3": "stage",
  "stage-fanout": "stage",
  "pipeline-batched": "pipeline",
  "pipeline-unbatched": "pipeline",
  "broker-rabbitmq": "broker-rabbitmq",
  "broker-nats": "broker-nats",
  "broker-redis": "broker-redis",
  "threads-call": "threads-call",
  "threads-cpu": "threads-cpu",
};

/** Names of every workload, in the order `npm run bench` runs them. */
export function workloadNames(): string[] {
  return Object.keys(modules);
}

/** Loads one workload by name. */
export async function loadWorkload(name: string): Promise<Workload> {
  const file = modules[name];
  if (file === undefined) throw new Error(`unknown workload ${JSON.stringify(name)}`);
  // A computed specifier: a connector's workload module may be added after its name.
  const module = (await import(`./${file}.js`)) as Record<string, Workload>;
  const found = Object.values(module).find((w) => w.name === name);
  if (found === undefined) throw new Error(`module for ${name} does not define it`);
  return found;
}
