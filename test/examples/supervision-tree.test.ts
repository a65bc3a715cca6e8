// examples/supervision-tree.ts: restForOne at the root, oneForAll below, reverse-order stop; it
// runs here through its exported `main` in a fresh runtime, and as a program.
import assert from "node:assert/strict";
import { test } from "node:test";
import { runInRuntime } from "beamish/testing";
import { main } from "../../examples/supervision-tree.js";
import { runExample } from "./run-example.js";

test("supervision tree: who restarts after each crash, and the stop order", async () => {
  const lines: string[] = [];
  const { result, crashes } = await runInRuntime(async ({ crashes }) => ({
    result: await main((line) => lines.push(line)),
    crashes,
  }));
  assert.deepEqual(result, {
    started: ["config", "cache", "workers"],
    afterCacheCrash: ["cache", "workers"],
    afterWorkerCrash: ["w1", "w2"],
  });
  assert.deepEqual(lines.slice(-4), [
    "stopping the tree:",
    "  terminate w2 (shutdown)",
    "  terminate w1 (shutdown)",
    "  terminate cache (shutdown)",
  ]);
  assert.deepEqual(crashes, []);
});

test("examples/supervision-tree.ts runs as a program", () => {
  const run = runExample("supervision-tree.ts");
  assert.equal(run.stderr, "");
  assert.match(run.stdout, /cache killed -> restarted: cache, workers/);
  assert.match(run.stdout, /w1 killed -> restarted: w1, w2/);
});
