/**
 * `npm run demo`: runs the foundation's examples in turn. The pipeline demo replaces it once
 * pipelines land.
 */
import { main as choosing } from "./choosing-task-agent-genserver.js";
import { main as timeouts } from "./task-timeouts.js";

console.log("== Choosing between Task, Agent and GenServer: a profile endpoint ==");
await choosing();
console.log("\n== Timeouts for long-running tasks ==");
await timeouts();
