// examples/connector-rabbitmq.ts against the RabbitMQ of CI (127.0.0.1:5672): through its
// exported `main` inside a fresh runtime on the real clock, and as a program.
import assert from "node:assert/strict";
import { test } from "node:test";
import { runInRuntime } from "beamish/testing";
import { main } from "../../examples/connector-rabbitmq.js";
import { runExample } from "./run-example.js";

const quiet = () => {};

test("orders from RabbitMQ: charged once, refused charges retried, the hopeless dead-lettered", async () => {
  const { result, crashes } = await runInRuntime(
    async ({ crashes }) => ({ result: await main(quiet), crashes }),
    { clock: "real" },
  );
  assert.deepEqual(result, {
    written: 198,
    duplicates: 0,
    // orders 0, 25, ..., 175 refused once (8), each requeued and charged on its second delivery
    retried: 8,
    // orders 13 and 113, and the body that is not JSON
    deadLettered: 3,
    left: 0,
    acked: 198,
    requeued: 8,
    rejected: 3,
  });
  assert.deepEqual(crashes, []);
});

test("the example runs as a program", () => {
  const { stdout } = runExample("connector-rabbitmq.ts");
  assert.match(stdout, /198 orders written, 8 charges retried, 3 dead-lettered/);
  assert.match(stdout, /failed: card expired/);
  assert.match(stdout, /failed: a message of queue example-orders-\w+ could not be decoded/);
});
