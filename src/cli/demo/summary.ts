/**
 * The demo's summary: throughput, outcomes, latency, batches and lookups, the first failures,
 * and one check line: per-customer order held in the sink and every message was acknowledged
 * exactly once. The check is what decides the exit code.
 */
import type { PipelineStats } from "../../pipeline/index.js";
import type { Generated } from "./events.js";
import { count, counted, ms, seconds } from "./format.js";
import type { Ledger } from "./ledger.js";
import type { ShopContext } from "./pipeline.js";

/** What a run produced, for the summary. */
export interface Outcome {
  /** From start to the last acknowledgement, ms. */
  readonly elapsed: number;
  readonly stats: PipelineStats;
  readonly ledger: Ledger;
  readonly context: ShopContext;
  /** The generated input, if the demo made it. */
  readonly generated: Generated | undefined;
  readonly rate: number;
}

/** The summary's lines and whether every check passed. */
export function summarize(outcome: Outcome): { lines: string[]; passed: boolean } {
  const { stats, ledger, context, generated } = outcome;
  const { orders, activity } = context.sinks;
  const { directory, failures } = context;
  const done = stats.succeeded + stats.failed;
  const perSecond = (done * 1000) / outcome.elapsed;
  const latency = ledger.latency();
  const limit = outcome.rate > 0 ? `rate limit ${count(outcome.rate)} msg/s` : "no rate limit";
  const reasons = [...failures.byReason].map(([name, n]) => `${count(n)} ${name}`).join(", ");
  const avg = (events: number, batches: number) =>
    (batches === 0 ? 0 : events / batches).toFixed(1);
  const lines = [
    "",
    `done in ${seconds(outcome.elapsed)}`,
    `  messages   ${count(done).padStart(11)}  ${count(perSecond)} msg/s (${limit})`,
    `  succeeded  ${count(stats.succeeded).padStart(11)}`,
    `  failed     ${count(stats.failed).padStart(11)}${reasons === "" ? "" : `  (${reasons})`}${generated ? `; ${counted(generated.malformed, "malformed line")} generated` : ""}`,
    `  latency    p50 ${ms(latency.p50)}, p99 ${ms(latency.p99)}, max ${ms(latency.max)} (production to acknowledgement)`,
    `  batches    ${count(stats.batches).padStart(11)}  orders ${count(orders.batches)} (${avg(orders.events, orders.batches)} per batch), activity ${count(activity.batches)} (${avg(activity.events, activity.batches)} per batch)`,
    `  lookups    ${count(directory.lookups).padStart(11)} ${directory.lookups === 1 ? "round trip" : "round trips"} fetched ${counted(directory.misses, "customer")}; every other event was enriched from the cache`,
  ];
  if (failures.samples.length > 0) {
    lines.push(`  first failures:`);
    for (const { line, reason } of failures.samples) lines.push(`    line ${line}: ${reason}`);
  }

  const problems: string[] = [];
  const check = ledger.check();
  if (check.duplicates > 0)
    problems.push(`${counted(check.duplicates, "message")} acknowledged more than once`);
  if (check.missing > 0) problems.push(`${counted(check.missing, "message")} never acknowledged`);
  if (check.acknowledged !== check.produced) {
    problems.push(
      `${count(check.acknowledged)} acknowledgements for ${count(check.produced)} messages`,
    );
  }
  if (generated !== undefined && check.produced !== generated.events) {
    problems.push(
      `${count(check.produced)} messages produced from ${count(generated.events)} lines`,
    );
  }
  if (stats.succeeded + stats.failed !== check.produced || stats.inFlight !== 0) {
    problems.push(
      `pipeline counted ${count(stats.succeeded)} + ${count(stats.failed)} of ${count(check.produced)}, ${count(stats.inFlight)} in flight`,
    );
  }
  const written = orders.events + activity.events;
  if (written !== stats.succeeded) {
    problems.push(`the sink holds ${count(written)} events, ${count(stats.succeeded)} succeeded`);
  }
  if (failures.count !== stats.failed) {
    problems.push(`handleFailed saw ${count(failures.count)} of ${count(stats.failed)} failures`);
  }
  for (const broken of [...orders.breaks, ...activity.breaks].slice(0, 3)) {
    problems.push(
      `order broken in ${broken.file}: ${broken.customer} seq ${broken.got} after ${broken.after}`,
    );
  }
  const breaks = orders.breakCount + activity.breakCount;
  if (breaks > 3) problems.push(`${count(breaks - 3)} more order breaks`);

  if (problems.length === 0) {
    const customers = orders.customers + activity.customers;
    lines.push(
      `check: passed: per-customer order held in the sink (${counted(written, "event")}, ${counted(customers, "customer stream")}) and every message was acknowledged exactly once (${count(check.acknowledged)} of ${count(check.produced)})`,
    );
  } else {
    lines.push(`check: FAILED: ${problems.join("; ")}`);
  }
  return { lines, passed: problems.length === 0 };
}
