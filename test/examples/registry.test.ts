// examples/registry-dynamic-workers.ts: rooms started under a DynamicSupervisor with via-names
// in a Registry, found by id, restarted under the same id, freed on stop; it also runs as a program.
import assert from "node:assert/strict";
import { test } from "node:test";
import { runInRuntime } from "beamish/testing";
import { main } from "../../examples/registry-dynamic-workers.js";
import { runExample } from "./run-example.js";

test("registry naming dynamic workers: found by id, restarted under it, freed on stop", async () => {
  const { result, crashes } = await runInRuntime(async ({ crashes }) => ({
    result: await main(() => {}),
    crashes,
  }));
  assert.deepEqual(result, {
    opened: ["lobby", "rust", "elixir"],
    posts: [1, 2],
    history: ["hello", "anyone here?"],
    restartedUnderSameId: true,
    historyAfterRestart: [],
    idFreedOnStop: true,
    reopened: true,
    rooms: 3,
  });
  // The one crash is the room that was told to crash.
  assert.equal(crashes.length, 1);
  assert.match(String(crashes[0]?.error), /room crashed/);
});

test("examples/registry-dynamic-workers.ts runs as a program", () => {
  const run = runExample("registry-dynamic-workers.ts", { crashes: "expected" });
  assert.match(run.stdout, /lobby restarted: <0\.\d+\.0> -> <0\.\d+\.0>/);
});
