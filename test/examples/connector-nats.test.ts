// examples/connector-nats.ts against the NATS JetStream of CI (127.0.0.1:4222): through its
// exported `main` inside a fresh runtime on the real clock, and as a program.
import assert from "node:assert/strict";
import { test } from "node:test";
import { runInRuntime } from "beamish/testing";
import { main } from "../../examples/connector-nats.js";
import { runExample } from "./run-example.js";

const quiet = () => {};

test("orders from JetStream: charged once, refused charges retried, the hopeless terminated, the slow one kept", async () => {
  const { result, crashes } = await runInRuntime(
    async ({ crashes }) => ({ result: await main(quiet), crashes }),
    { clock: "real" },
  );
  assert.deepEqual(result, {
    written: 198,
    duplicates: 0,
    // orders 0, 25, ..., 175 refused once (8), each nak'ed and charged on its second delivery
    retried: 8,
    // kept in progress past ack_wait: never delivered again
    slowDeliveries: 1,
    left: 0,
    acked: 198,
    naked: 8,
    // orders 13 and 113, and the payload that is not JSON
    terminated: 3,
  });
  assert.deepEqual(crashes, []);
});

test("the example runs as a program", () => {
  const { stdout } = runExample("connector-nats.ts");
  assert.match(
    stdout,
    /198 orders written, 8 charges retried, 3 terminated; order 42 delivered 1 time/,
  );
  assert.match(stdout, /failed: card expired/);
  assert.match(
    stdout,
    /failed: the message 201 of subject example_orders_\w+\.created could not be decoded/,
  );
});
