// examples/connector-redis.ts against the Redis of CI (127.0.0.1:6379): through its exported
// `main` inside a fresh runtime on the real clock, and as a program.
import assert from "node:assert/strict";
import { test } from "node:test";
import { runInRuntime } from "beamish/testing";
import { main } from "../../examples/connector-redis.js";
import { runExample } from "./run-example.js";

const quiet = () => {};

test("orders from Redis: charged once, refused charges retried, the hopeless dead-lettered", async () => {
  const { result, crashes } = await runInRuntime(
    async ({ crashes }) => ({ result: await main(quiet), crashes }),
    { clock: "real" },
  );
  assert.deepEqual(result, {
    written: 198,
    duplicates: 0,
    // orders 0, 25, ..., 175 refused once (8), each claimed again and charged the second time
    retried: 8,
    // orders 13 and 113, and the body that is not JSON
    deadLettered: 3,
    pending: 0,
    acked: 198,
    claimed: 8,
  });
  assert.deepEqual(crashes, []);
});

test("the example runs as a program", () => {
  const { stdout } = runExample("connector-redis.ts");
  assert.match(stdout, /198 orders written, 8 charges retried, 3 dead-lettered/);
  assert.match(stdout, /failed: card expired/);
  assert.match(stdout, /failed: example-orders:\w+ entry \d+-\d+ could not be decoded/);
});
