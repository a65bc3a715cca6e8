// examples/cpu-pool.ts: a proof-of-work search on every core; the impossible block is stopped by
// its timeout (its thread replaced) while the others are sealed with valid nonces.
import assert from "node:assert/strict";
import { test } from "node:test";
import { hash, main } from "../../examples/cpu-pool.js";
import { runExample } from "./run-example.js";

test("cpu pool: every block sealed with a valid nonce but the impossible one, which times out", async () => {
  const lines: string[] = [];
  const report = await main((line) => lines.push(line), 1000);
  assert.equal(report.sealed.length, 12);
  for (const { id, nonce } of report.sealed) {
    const data = `block ${id.slice(1)}`;
    assert.ok(hash(data, nonce) < 2 ** 18, `${id}: ${nonce}`);
    // The first such nonce: none below it qualifies.
    for (let n = 0; n < nonce; n++) assert.ok(hash(data, n) >= 2 ** 18);
  }
  assert.deepEqual(report.timedOut, ["impossible"]);
  assert.match(lines.join("\n"), /threads replaced after timeouts: 1/);
});

test("examples/cpu-pool.ts runs as a program", () => {
  const run = runExample("cpu-pool.ts");
  assert.match(run.stdout, /sealed 12 of 13 blocks on \d+ threads\ntimed out: impossible/);
});
