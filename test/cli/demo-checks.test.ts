/**
 * The demo's checks are not vacuous: the sink notices a customer's events out of order, and the
 * ledger notices a message acknowledged twice or never. Then the summary turns either into a
 * failed check (exit code 1).
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { GenStage } from "beamish";
import { Message, noopAcknowledger, type ProducerDefinition } from "beamish/pipeline";
import { CustomerDirectory } from "../../src/cli/demo/customers.js";
import { Ledger } from "../../src/cli/demo/ledger.js";
import { Failures } from "../../src/cli/demo/pipeline.js";
import { NdjsonSink } from "../../src/cli/demo/sink.js";
import { summarize } from "../../src/cli/demo/summary.js";

const dir = mkdtempSync(join(tmpdir(), "beamish-demo-checks-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const line = (n: number) =>
  new Message(undefined, noopAcknowledger, undefined, undefined, { line: n });

/** A producer handing out the given messages on the first demand. */
function producerOf(messages: Message[]): ProducerDefinition<unknown, number> {
  return {
    init: () => 0,
    handleDemand: (_demand, state) => GenStage.emit(messages, state + 1),
  };
}

describe("NdjsonSink", () => {
  test("appends one line per batch and counts a seq that does not grow as an order break", async () => {
    const sink = new NdjsonSink(join(dir, "orders.ndjson"));
    await sink.write(
      "ann",
      [
        { customer: "ann", seq: 1 },
        { customer: "ann", seq: 3 },
      ],
      "size",
    );
    await sink.write("bob", [{ customer: "bob", seq: 1 }], "timeout");
    assert.equal(sink.breakCount, 0);
    await sink.write("ann", [{ customer: "ann", seq: 2 }], "timeout");
    await sink.close();
    assert.equal(sink.breakCount, 1);
    assert.deepEqual(sink.breaks, [{ file: sink.path, customer: "ann", after: 3, got: 2 }]);
    assert.deepEqual([sink.batches, sink.events, sink.customers], [3, 4, 2]);
    const lines = readFileSync(sink.path, "utf8")
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l));
    assert.deepEqual(
      lines.map((l) => [l.batch, l.customer, l.trigger, l.events.length]),
      [
        [1, "ann", "size", 2],
        [2, "bob", "timeout", 1],
        [3, "ann", "timeout", 1],
      ],
    );
  });
});

describe("Ledger", () => {
  test("counts what the producer emitted and finds duplicates and missing acknowledgements", async () => {
    const ledger = new Ledger();
    const messages = [line(1), line(2), line(3)];
    const producer = ledger.stamp(producerOf(messages));
    const state = await producer.init(
      { pipeline: "p", index: 0, concurrency: 1 },
      undefined as never,
    );
    await producer.handleDemand(3, state, undefined as never);
    ledger.acked([messages[0] as Message], [messages[1] as Message]);
    ledger.acked([messages[0] as Message], []);
    assert.deepEqual(ledger.check(), { produced: 3, acknowledged: 3, duplicates: 1, missing: 1 });
    const latency = ledger.latency();
    assert.ok(latency.p50 >= 0 && latency.p99 >= latency.p50 && latency.max >= latency.p99);
  });

  test("grows past its first size, for files of any length", async () => {
    const ledger = new Ledger();
    const messages = Array.from({ length: 100_000 }, (_, i) => line(i + 1));
    const producer = ledger.stamp(producerOf(messages));
    await producer.handleDemand(messages.length, 0, undefined as never);
    ledger.acked(messages, []);
    assert.deepEqual(ledger.check(), {
      produced: 100_000,
      acknowledged: 100_000,
      duplicates: 0,
      missing: 0,
    });
  });
});

describe("summarize", () => {
  test("a broken order or a duplicate acknowledgement fails the check", async () => {
    const ledger = new Ledger();
    const messages = [line(1), line(2)];
    await ledger.stamp(producerOf(messages)).handleDemand(2, 0, undefined as never);
    ledger.acked(messages, []);
    ledger.acked([messages[1] as Message], []);
    const orders = new NdjsonSink(join(dir, "s-orders.ndjson"));
    const activity = new NdjsonSink(join(dir, "s-activity.ndjson"));
    await activity.write(
      "ann",
      [
        { customer: "ann", seq: 2 },
        { customer: "ann", seq: 1 },
      ],
      "size",
    );
    await Promise.all([orders.close(), activity.close()]);
    const { lines, passed } = summarize({
      elapsed: 1000,
      stats: {
        received: 2,
        succeeded: 2,
        failed: 0,
        inFlight: 0,
        batches: 1,
        producers: [],
        processors: [],
        batchers: {},
      },
      ledger,
      context: {
        directory: new CustomerDirectory(0),
        sinks: { orders, activity },
        failures: new Failures(3),
      },
      generated: undefined,
      rate: 0,
    });
    assert.equal(passed, false);
    const check = lines.at(-1) as string;
    assert.match(check, /^check: FAILED: /);
    assert.match(check, /1 message acknowledged more than once/);
    assert.match(check, /3 acknowledgements for 2 messages/);
    assert.match(check, /order broken in .*s-activity\.ndjson: ann seq 1 after 2/);
  });
});
