// Runs one implementation of one workload in this fresh process and prints its samples as JSON.
import { loadWorkload } from "./workloads/index.js";

const [name, impl] = process.argv.slice(2);
const workload = await loadWorkload(name ?? "");
const run = workload.impls[impl ?? ""];
if (run === undefined) throw new Error(`workload ${name} has no implementation ${impl}`);
const warmup = workload.warmup ?? 1;
const repetitions = Math.max(5, workload.repetitions ?? 5);
for (let i = 0; i < warmup; i++) await run();
const samples: number[] = [];
// No forced gc() between repetitions: a full collection with nothing of the last repetition left
// alive frees the hidden classes its objects had and deoptimizes every function built on them
// (`--trace-deopt`: "weak objects"), so each repetition would re-learn its hot path in the
// interpreter, which a long-running service does not. Each repetition starts in the state the
// last one left, for every implementation alike.
for (let i = 0; i < repetitions; i++) samples.push(await run());
process.stdout.write(`${JSON.stringify({ samples })}\n`);
// Processes blocked forever (spawn-idle) must not keep this run alive.
process.exit(0);
