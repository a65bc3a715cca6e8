/**
 * `npm run demo`: the pipeline demo, the same as `npx beamish demo` (options after `--`:
 * `npm run demo -- --events 100000 --rate 0`, `npm run demo -- --help`).
 *
 * A million generated web-shop events go through a Pipeline: `Pipeline.fromNdjson` under a
 * rate limit, processors partitioned by customer that validate and enrich each event (a cached
 * customer lookup), two batchers batching per customer, and an append-only NDJSON sink. The
 * pipeline itself is in src/cli/demo/pipeline.ts, where the `beamish` command finds it.
 */
import { runCli } from "../src/cli/cli.js";

process.exitCode = await runCli(["demo", ...process.argv.slice(2)], {
  out: process.stdout,
  err: process.stderr,
});
