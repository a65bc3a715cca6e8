// examples/task-supervisor-pool.ts and examples/partitioned-work.ts: each runs here through its
// exported `main` in a fresh runtime on the real clock (their jobs wait a few ms), and as a program.
import assert from "node:assert/strict";
import { test } from "node:test";
import { runInRuntime } from "beamish/testing";
import { main as partitioned } from "../../examples/partitioned-work.js";
import { main as pool } from "../../examples/task-supervisor-pool.js";
import { runExample } from "./run-example.js";

const quiet = () => {};

test("Task.Supervisor pool: bounded concurrency, a crashing job reported, pool and caller alive", async () => {
  const { result, crashes } = await runInRuntime(
    async ({ crashes }) => ({ result: await pool(quiet), crashes }),
    { clock: "real" },
  );
  const { peakConcurrency, ...rest } = result;
  assert.ok(peakConcurrency >= 1 && peakConcurrency <= 3, `peak ${peakConcurrency}`);
  assert.deepEqual(rest, {
    done: ["cat.jpg", "dog.png", "tree.gif", "sea.jpg", "sky.webp", "road.jpg"].map(
      (f) => `${f}.thumb`,
    ),
    failed: [{ file: "corrupt.png", reason: "cannot decode corrupt.png" }],
    single: { status: "exit", reason: "cannot decode corrupt-too.png" },
    callerAlive: true,
    poolAlive: true,
    tasksLeft: 0,
  });
  // The two crashes are the two corrupt jobs, reported, not swallowed.
  assert.deepEqual(
    crashes.map((c) => (c.error as Error).message),
    ["cannot decode corrupt.png", "cannot decode corrupt-too.png"],
  );
});

test("partitioned work: each account on one ledger, in order, and a crashed ledger keeps its index", async () => {
  const { result, crashes } = await runInRuntime(async ({ crashes }) => ({
    result: await partitioned(quiet),
    crashes,
  }));
  assert.deepEqual(result, {
    // the accounts spread over the 4 ledgers by the stable hash of their ids
    ledgers: [
      { partition: 0, accounts: ["bob"], outOfOrder: 0 },
      { partition: 1, accounts: ["erin"], outOfOrder: 0 },
      { partition: 2, accounts: ["carol", "heidi"], outOfOrder: 0 },
      { partition: 3, accounts: ["alice", "dave", "frank", "grace"], outOfOrder: 0 },
    ],
    routedAsComputed: true,
    balances: {
      alice: 10,
      bob: 20,
      carol: 30,
      dave: 40,
      erin: 50,
      frank: 60,
      grace: 70,
      heidi: 80,
    },
    // the restarted ledger starts empty: carol's one new payment of 3
    afterCrash: { partition: 2, samePartition: true, newPid: true, balance: 3 },
  });
  assert.deepEqual(crashes, []);
});

for (const [file, expected] of [
  ["task-supervisor-pool.ts", /pool: made 6 thumbnails, 1 failed/],
  ["partitioned-work.ts", /partition 2 now runs as <0\.\d+\.0>/],
] as const) {
  test(`examples/${file} runs as a program`, () => {
    // The pool's failing job crashes its task on purpose, and is reported.
    const run = runExample(file, { crashes: "expected" });
    assert.match(run.stdout, expected);
  });
}
