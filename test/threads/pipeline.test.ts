// A pipeline whose processors run their CPU step on worker threads: the work spreads over the
// threads, per-key order and exactly-once acknowledgement hold, a throw in a thread fails only
// its message, and the threads stop with the pipeline.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Pipeline } from "beamish/pipeline";
import { threadedHandler } from "beamish/threads";

const module = new URL("./fixtures/pipeline-score.ts", import.meta.url);

test("threaded processors: data transformed on worker threads, order per key and acks kept", async () => {
  const items: { key: number; seq: number }[] = [];
  for (let seq = 0; seq < 60; seq++) for (let key = 0; key < 10; key++) items.push({ key, seq });
  items.push({ key: 99, seq: -1 });
  const acked = new Map<string, number>();
  const source = Pipeline.fromIterable(items, {
    onAck: (ok, failed) => {
      for (const m of [...ok, ...failed]) {
        const data = m.data as { key: number; seq: number };
        const id = `${data.key}:${data.seq}`;
        acked.set(id, (acked.get(id) ?? 0) + 1);
      }
    },
  });
  const seen = new Map<number, number[]>();
  const threads = new Set<number>();
  const failures: unknown[] = [];
  const pipeline = await Pipeline.start({
    name: "threaded",
    producer: { module: source },
    partitionBy: (m) => m.data.key,
    processors: {
      default: {
        concurrency: 4,
        threads: threadedHandler({ module, export: "score", threads: 2 }),
      },
    },
    batchers: { default: { batchSize: 10, batchTimeout: 20, concurrency: 2 } },
    handleBatch: (_batcher, messages) => {
      for (const m of messages) {
        const data = m.data as { key: number; seq: number; thread: number; score: number };
        assert.equal(typeof data.score, "number", "the thread's result replaced the data");
        threads.add(data.thread);
        seen.set(data.key, [...(seen.get(data.key) ?? []), data.seq]);
      }
      return messages;
    },
    handleFailed: (messages) => {
      failures.push(
        ...messages.map((m) => (m.status.kind === "failed" ? m.status.reason : undefined)),
      );
      return messages;
    },
  });
  const summary = await source.done;
  await pipeline.stop();
  assert.deepEqual(summary, { successful: 600, failed: 1 });
  assert.equal(acked.size, 601);
  assert.ok(
    [...acked.values()].every((n) => n === 1),
    "each message acknowledged once",
  );
  for (let key = 0; key < 10; key++) {
    assert.deepEqual(
      seen.get(key),
      Array.from({ length: 60 }, (_, i) => i),
      `key ${key} in order`,
    );
  }
  assert.ok(threads.size >= 2, `the work used ${threads.size} threads`);
  assert.equal(failures.length, 1);
  assert.match(String((failures[0] as Error).message), /bad item 99/);
});

test("threads without handleMessage are allowed; a bad module fails at the call site", () => {
  assert.throws(
    () => threadedHandler({ module: new URL("./fixtures/nope.ts", import.meta.url), export: "x" }),
    /module not found/,
  );
  assert.throws(
    () => threadedHandler({ module: "relative/path.ts", export: "x" }),
    /absolute path/,
  );
});
