/**
 * Telemetry: what a pipeline publishes on the channels of `pipelineChannels` (Node's
 * `diagnostics_channel`), with the fields documented in src/pipeline/telemetry.ts.
 */
import assert from "node:assert/strict";
import diagnostics from "node:diagnostics_channel";
import { test } from "node:test";
import { Message, Pipeline, pipelineChannels, publishConnection } from "beamish/pipeline";
import { withRuntime } from "beamish/testing";

type Event = Record<string, unknown>;

/** Subscribes to every pipeline channel for the duration of `fn`, recording by channel name. */
async function recordingEvents(
  fn: (events: Map<string, Event[]>) => Promise<void>,
): Promise<Map<string, Event[]>> {
  const events = new Map<string, Event[]>();
  const listeners = Object.values(pipelineChannels).map((name) => {
    const listener = (message: unknown) => {
      const list = events.get(name) ?? [];
      list.push(message as Event);
      events.set(name, list);
    };
    diagnostics.subscribe(name, listener);
    return [name, listener] as const;
  });
  try {
    await fn(events);
  } finally {
    for (const [name, listener] of listeners) diagnostics.unsubscribe(name, listener);
  }
  return events;
}

const isDuration = (value: unknown) => typeof value === "number" && value >= 0;

test(
  "message start/stop/exception, batch start/stop/exception and ack events carry the documented fields",
  withRuntime(async ({ clock, crashes }) => {
    const boom = new Error("boom");
    const explode = new Error("explode");
    const events = await recordingEvents(async () => {
      const pipeline = await Pipeline.start({
        name: "traced",
        producer: { module: Pipeline.testProducer<string>() },
        processors: { work: { concurrency: 1 } },
        batchers: { out: { batchSize: 10, batchTimeout: 50 } },
        handleMessage: async (_processor, message: Message<string>) => {
          if (message.data === "boom") throw boom;
          if (message.data === "fail") return message.fail("refused");
          return message.putBatcher("out").putBatchKey("k");
        },
        handleBatch: (_batcher, messages) => {
          if (messages.some((m) => m.data === "explode")) throw explode;
          return messages.map((m) => (m.data === "ok2" ? m.fail("no room") : m));
        },
      });
      const first = Pipeline.testBatch(pipeline, ["ok1", "boom", "fail", "ok2"]);
      await clock.advance(50);
      const { successful, failed } = await first;
      assert.deepEqual(
        successful.map((m) => m.data),
        ["ok1"],
      );
      assert.deepEqual(failed.map((m) => m.data).sort(), ["boom", "fail", "ok2"]);
      const second = await Pipeline.testMessage(pipeline, "explode");
      assert.equal(second.failed.length, 1);
      await pipeline.stop();
    });
    assert.deepEqual(crashes, []);

    const on = (channel: string) => events.get(channel) ?? [];
    const data = (list: Event[]) => list.map((e) => (e.message as Message).data);

    // handleMessage: a start for each call; a stop when it returned (failed or not); an
    // exception when it threw or rejected, instead of a stop.
    const starts = on(pipelineChannels.messageStart);
    assert.deepEqual(data(starts), ["ok1", "boom", "fail", "ok2", "explode"]);
    for (const e of starts) {
      assert.deepEqual(Object.keys(e).sort(), ["message", "pipeline", "processor"]);
      assert.equal(e.pipeline, "traced");
      assert.equal(e.processor, "work");
      assert.ok(e.message instanceof Message);
    }
    const stops = on(pipelineChannels.messageStop);
    assert.deepEqual(data(stops), ["ok1", "fail", "ok2", "explode"]);
    for (const e of stops) {
      assert.deepEqual(Object.keys(e).sort(), ["duration", "message", "pipeline", "processor"]);
      assert.equal(e.pipeline, "traced");
      assert.equal(e.processor, "work");
      assert.ok(isDuration(e.duration));
    }
    assert.equal(((stops[1] as Event).message as Message).status.kind, "failed");
    const exceptions = on(pipelineChannels.messageException);
    assert.equal(exceptions.length, 1);
    assert.deepEqual(Object.keys(exceptions[0] ?? {}).sort(), [
      "duration",
      "error",
      "message",
      "pipeline",
      "processor",
    ]);
    assert.equal(exceptions[0]?.error, boom);
    assert.equal(((exceptions[0] as Event).message as Message).data, "boom");
    assert.ok(isDuration(exceptions[0]?.duration));
    // The message in every event is the one the handler got.
    assert.equal(starts[0]?.message, stops[0]?.message);

    // handleBatch: the batch of ok1 and ok2 (one failed by the handler), then one that threw.
    const batchStarts = on(pipelineChannels.batchStart);
    assert.deepEqual(batchStarts, [
      { pipeline: "traced", batcher: "out", batchKey: "k", size: 2 },
      { pipeline: "traced", batcher: "out", batchKey: "k", size: 1 },
    ]);
    const batchStops = on(pipelineChannels.batchStop);
    assert.equal(batchStops.length, 1);
    const { duration: stopDuration, ...stop } = batchStops[0] ?? {};
    assert.deepEqual(stop, {
      pipeline: "traced",
      batcher: "out",
      batchKey: "k",
      size: 2,
      failed: 1,
    });
    assert.ok(isDuration(stopDuration));
    const batchExceptions = on(pipelineChannels.batchException);
    assert.equal(batchExceptions.length, 1);
    const { duration: errorDuration, ...exception } = batchExceptions[0] ?? {};
    assert.deepEqual(exception, {
      pipeline: "traced",
      batcher: "out",
      batchKey: "k",
      size: 1,
      error: explode,
    });
    assert.ok(isDuration(errorDuration));

    // Acknowledgements: counts per ack call, adding up to every message once.
    const acks = on(pipelineChannels.ack);
    assert.ok(acks.length > 0);
    for (const e of acks) {
      assert.deepEqual(Object.keys(e).sort(), ["acknowledger", "failed", "successful"]);
      assert.equal(e.acknowledger, "test");
    }
    const total = (key: "successful" | "failed") =>
      acks.reduce((sum, e) => sum + (e[key] as number), 0);
    assert.equal(total("successful"), 1);
    assert.equal(total("failed"), 4);
  }),
);

test("publishConnection reports a connector's state on the connection channel", async () => {
  const events = await recordingEvents(async () => {
    publishConnection({ connector: "redis", state: "up", address: "127.0.0.1:6379" });
    const error = new Error("ECONNRESET");
    publishConnection({ connector: "redis", state: "down", address: "127.0.0.1:6379", error });
  });
  const connections = events.get(pipelineChannels.connection) ?? [];
  assert.equal(connections.length, 2);
  assert.deepEqual(connections[0], { connector: "redis", state: "up", address: "127.0.0.1:6379" });
  assert.equal(connections[1]?.state, "down");
  assert.equal(((connections[1] as Event).error as Error).message, "ECONNRESET");
});
