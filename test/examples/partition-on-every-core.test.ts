// examples/partition-on-every-core.ts: a partition per worker thread, each account's payments
// applied in order on its partition's thread; it also runs as a program.
import assert from "node:assert/strict";
import { test } from "node:test";
import { main } from "../../examples/partition-on-every-core.js";
import { runExample } from "./run-example.js";

test("partitions on every core: each on its own thread, every payment applied once and in order", async () => {
  const stats = await main(() => {}, 20, 2);
  assert.equal(stats.length, 2);
  assert.deepEqual(
    stats.map((s) => s.thread),
    [1, 2],
  );
  assert.equal(
    stats.reduce((n, s) => n + s.applied, 0),
    20 * 32,
  );
  for (const s of stats) {
    assert.equal(s.outOfOrder, 0);
    assert.equal(s.badSignatures, 0);
  }
  const balances = Object.assign({}, ...stats.map((s) => s.balances));
  assert.equal(Object.keys(balances).length, 32);
});

test("examples/partition-on-every-core.ts runs as a program", () => {
  const run = runExample("partition-on-every-core.ts");
  assert.match(run.stdout, /partition 0 on node 1: \d+ payments, 0 out of order/);
  assert.match(run.stdout, /1600 payments on \d+ threads/);
});
