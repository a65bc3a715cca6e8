// The GenStage examples (examples/stage-*.ts): each runs here through its exported `main`, inside
// a fresh runtime on the real clock (their workers wait a few ms), and as a program.
import assert from "node:assert/strict";
import { test } from "node:test";
import { runInRuntime } from "beamish/testing";
import { main as consumerGroups } from "../../examples/stage-consumer-groups.js";
import { main as orderedPerKey } from "../../examples/stage-ordered-per-key.js";
import { runExample } from "./run-example.js";

const quiet = () => {};

test("consumer groups: two kinds of job, each group at its own concurrency, on one producer", async () => {
  const { result, crashes } = await runInRuntime(
    async ({ crashes }) => ({ result: await consumerGroups(quiet), crashes }),
    { clock: "real" },
  );
  assert.deepEqual(result, {
    handled: { thumbnail: 10, email: 20 },
    eachJobOnceByItsKind: true,
    withinConcurrency: true,
  });
  assert.deepEqual(crashes, []);
});

test("ordered per key: 4 partitions at different paces, each account's movements in order", async () => {
  const { result, crashes } = await runInRuntime(
    async ({ crashes }) => ({ result: await orderedPerKey(quiet), crashes }),
    { clock: "real" },
  );
  assert.deepEqual(result, {
    movements: 160,
    partitionsUsed: 4,
    outOfOrder: 0,
    sameAsSequential: true,
    balances: {
      "acct-1": 291,
      "acct-2": 146,
      "acct-3": 119,
      "acct-4": 119,
      "acct-5": 421,
      "acct-6": 63,
      "acct-7": 74,
      "acct-8": 475,
    },
    refused: 27,
  });
  assert.deepEqual(crashes, []);
});

for (const [file, output] of [
  ["stage-consumer-groups.ts", /thumbnail: 10 jobs, at most [12] at once \(concurrency 2\)/],
  ["stage-ordered-per-key.ts", /27 withdrawals refused/],
] as const) {
  test(`examples/${file} runs as a program`, () => {
    const run = runExample(file);
    assert.match(run.stdout, output);
  });
}
