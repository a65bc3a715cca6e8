// examples/read-heavy-cache.ts: the same cache as a Table, an Agent and a GenServer gives the
// same answers with one load per key; it also runs as a program.
import assert from "node:assert/strict";
import { test } from "node:test";
import { runInRuntime } from "beamish/testing";
import { main } from "../../examples/read-heavy-cache.js";
import { runExample } from "./run-example.js";

test("read-heavy cache: Table, Agent and GenServer compute the same, loading each key once", async () => {
  const { result, crashes } = await runInRuntime(
    async ({ crashes }) => ({ result: await main(() => {}, 5_000, 200), crashes }),
    { clock: "real" },
  );
  const { table, agent, genserver } = result;
  assert.equal(agent.sum, table.sum);
  assert.equal(genserver.sum, table.sum);
  // The reads are skewed but cover most of the 200 keys; each key is loaded once per cache.
  assert.ok(table.loads > 100 && table.loads <= 200, `loads: ${table.loads}`);
  assert.equal(agent.loads, table.loads);
  assert.equal(genserver.loads, table.loads);
  assert.deepEqual(crashes, []);
});

test("examples/read-heavy-cache.ts runs as a program", () => {
  const run = runExample("read-heavy-cache.ts");
  assert.equal(run.stderr, "");
  assert.match(run.stdout, /table +100000 reads, \d+ loads/);
});
