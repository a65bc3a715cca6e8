/**
 * `npm run demo`: a tour of what beamish has so far, each part one of the examples. The pipeline
 * demo replaces it once pipelines land.
 */
import { main as choosing } from "./choosing-task-agent-genserver.js";
import { main as backPressure } from "./stage-back-pressure.js";
import { main as rateLimit } from "./stage-rate-limit.js";
import { main as tree } from "./supervision-tree.js";
import { main as timeouts } from "./task-timeouts.js";

const parts: Array<[string, () => Promise<unknown>]> = [
  ["Choosing between Task, Agent and GenServer: a profile endpoint", choosing],
  ["Timeouts for long-running tasks", timeouts],
  ["A supervision tree restarting what crashed", tree],
  ["GenStage back-pressure: a fast producer, a slow consumer", backPressure],
  ["GenStage rate limiting: demand released on an interval", rateLimit],
];

for (const [title, run] of parts) {
  console.log(`\n== ${title} ==`);
  await run();
}
