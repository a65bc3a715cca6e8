import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Message, noopAcknowledger } from "beamish/pipeline";
import fc from "fast-check";
import { BatchAccumulator, type OpenBatch } from "../../src/pipeline/batch-accumulator.js";

const message = (data: unknown, key: unknown = "default", mode: "bulk" | "flush" = "bulk") =>
  new Message(data, noopAcknowledger).putBatchKey(key).putBatchMode(mode);

const data = (batch: OpenBatch | undefined) => batch?.messages.map((m) => m.data);

describe("BatchAccumulator", () => {
  test("a batch closes when it reaches batchSize, and a new one opens after", () => {
    const batches = new BatchAccumulator(3);
    const opened: OpenBatch[] = [];
    const onOpen = (b: OpenBatch) => opened.push(b);
    assert.equal(batches.add(message(1), 0, onOpen), undefined);
    assert.equal(batches.add(message(2), 0, onOpen), undefined);
    assert.equal(batches.pending, 2);
    const full = batches.add(message(3), 0, onOpen);
    assert.deepEqual(data(full), [1, 2, 3]);
    assert.equal(full, opened[0]);
    assert.equal(batches.pending, 0);
    assert.equal(batches.add(message(4), 0, onOpen), undefined);
    assert.equal(opened.length, 2, "the next message opens a new batch");
    assert.notEqual(opened[1], opened[0]);
  });

  test("onOpen runs once per batch, when its first message arrives", () => {
    const batches = new BatchAccumulator(10);
    let opens = 0;
    for (let i = 0; i < 5; i++) batches.add(message(i), 0, () => opens++);
    assert.equal(opens, 1);
  });

  test("batchSize 1 closes every message's batch at once", () => {
    const batches = new BatchAccumulator(1);
    assert.deepEqual(data(batches.add(message("a"), 0, () => {})), ["a"]);
    assert.equal(batches.pending, 0);
  });

  test("a flush message closes its batch at once, with the messages before it", () => {
    const batches = new BatchAccumulator(100);
    batches.add(message(1), 0, () => {});
    const closed = batches.add(message(2, "default", "flush"), 0, () => {});
    assert.deepEqual(data(closed), [1, 2]);
    assert.equal(batches.pending, 0);
  });

  test("a flush message closes only the batch of its own key", () => {
    const batches = new BatchAccumulator(100);
    batches.add(message("a1", "a"), 0, () => {});
    batches.add(message("b1", "b"), 0, () => {});
    const closed = batches.add(message("a2", "a", "flush"), 0, () => {});
    assert.deepEqual(data(closed), ["a1", "a2"]);
    assert.equal(batches.pending, 1);
    assert.deepEqual(batches.closeAll().map(data), [["b1"]]);
  });

  test("messages of different batch keys go to different batches", () => {
    const batches = new BatchAccumulator(2);
    assert.equal(
      batches.add(message("a1", "a"), 0, () => {}),
      undefined,
    );
    assert.equal(
      batches.add(message("b1", "b"), 0, () => {}),
      undefined,
    );
    const a = batches.add(message("a2", "a"), 0, () => {});
    assert.deepEqual(data(a), ["a1", "a2"]);
    assert.equal(a?.key, "a");
    const b = batches.add(message("b2", "b"), 0, () => {});
    assert.deepEqual(data(b), ["b1", "b2"]);
    assert.equal(b?.key, "b");
  });

  test("batch keys compare by identity (SameValueZero), as a Map's keys", () => {
    const batches = new BatchAccumulator(2);
    const k = { customer: 1 };
    batches.add(message(1, k), 0, () => {});
    batches.add(message(2, { customer: 1 }), 0, () => {});
    assert.deepEqual(data(batches.add(message(3, k), 0, () => {})), [1, 3]);
    batches.add(message(4, Number.NaN), 0, () => {});
    assert.deepEqual(data(batches.add(message(5, Number.NaN), 0, () => {})), [4, 5]);
  });

  test("one batch key in two partitions makes two batches", () => {
    const batches = new BatchAccumulator(2, 2);
    const opened: OpenBatch[] = [];
    batches.add(message("p0-1", "k"), 0, (b) => opened.push(b));
    batches.add(message("p1-1", "k"), 1, (b) => opened.push(b));
    assert.equal(opened.length, 2);
    assert.deepEqual(
      opened.map((b) => [b.key, b.partition]),
      [
        ["k", 0],
        ["k", 1],
      ],
    );
    const p1 = batches.add(message("p1-2", "k"), 1, () => {});
    assert.deepEqual(data(p1), ["p1-1", "p1-2"]);
    assert.equal(p1?.partition, 1);
    assert.equal(batches.pending, 1);
    const p0 = batches.add(message("p0-2", "k"), 0, () => {});
    assert.deepEqual(data(p0), ["p0-1", "p0-2"]);
    assert.equal(p0?.partition, 0);
  });

  test("closeExpired closes the batches whose deadline passed, and only those", () => {
    const batches = new BatchAccumulator(10, 2);
    let t = 0;
    const opens = (b: OpenBatch) => {
      b.deadline = t + 100;
    };
    batches.add(message(1, "a"), 0, opens);
    t = 30;
    batches.add(message(2, "b"), 0, opens);
    batches.add(message(3, "c"), 1, opens);
    batches.add(message(4, "a"), 0, opens);
    assert.equal(batches.nextDeadline(), 100, "the oldest batch's deadline");
    assert.deepEqual(batches.closeExpired(99), [], "nothing is due before its deadline");
    const due = batches.closeExpired(100);
    assert.deepEqual(due.map(data), [[1, 4]], "the batch opened first, with what it took since");
    assert.equal(batches.pending, 2);
    assert.equal(batches.nextDeadline(), 130, "then the next oldest");
    assert.deepEqual(batches.closeExpired(100), [], "not twice");
    assert.deepEqual(batches.closeExpired(500).map(data), [[2], [3]], "both partitions");
    assert.equal(batches.pending, 0);
    assert.equal(batches.nextDeadline(), Number.POSITIVE_INFINITY, "none open");
  });

  test("a batch closed by size or by closeAll is not closed again by its deadline", () => {
    const batches = new BatchAccumulator(2);
    const opens = (b: OpenBatch) => {
      b.deadline = 100;
    };
    batches.add(message(1), 0, opens);
    batches.add(message(2), 0, opens);
    batches.add(message(3), 0, (b) => {
      b.deadline = 200;
    });
    assert.equal(batches.nextDeadline(), 200, "the full batch no longer counts");
    assert.deepEqual(batches.closeExpired(150), []);
    assert.equal(batches.pending, 1, "the newer batch of the same key stays open");
    batches.closeAll();
    assert.deepEqual(batches.closeExpired(1000), []);
    assert.equal(batches.nextDeadline(), Number.POSITIVE_INFINITY);
  });

  test("closeAll returns every open batch, oldest first within a partition, and resets pending", () => {
    const batches = new BatchAccumulator(10, 2);
    batches.add(message("b", "b"), 0, () => {});
    batches.add(message("a", "a"), 0, () => {});
    batches.add(message("x", "b"), 1, () => {});
    batches.add(message("b2", "b"), 0, () => {});
    assert.equal(batches.pending, 4);
    const all = batches.closeAll();
    assert.deepEqual(
      all.map((b) => [b.partition, b.key, data(b)]),
      [
        [0, "b", ["b", "b2"]],
        [0, "a", ["a"]],
        [1, "b", ["x"]],
      ],
    );
    assert.equal(batches.pending, 0);
    assert.deepEqual(batches.closeAll(), []);
  });

  test("after closeAll the accumulator starts afresh", () => {
    const batches = new BatchAccumulator(2);
    batches.add(message(1), 0, () => {});
    batches.closeAll();
    let opens = 0;
    assert.equal(
      batches.add(message(2), 0, () => opens++),
      undefined,
    );
    assert.equal(opens, 1);
    assert.deepEqual(data(batches.add(message(3), 0, () => {})), [2, 3]);
  });

  test("property: no message is lost or duplicated across add, closeExpired and closeAll", () => {
    type Op =
      | {
          readonly op: "add";
          readonly key: number;
          readonly partition: number;
          readonly flush: boolean;
        }
      | { readonly op: "timeout"; readonly after: number }
      | { readonly op: "closeAll" };
    const op: fc.Arbitrary<Op> = fc.oneof(
      {
        weight: 6,
        arbitrary: fc.record({
          op: fc.constant("add" as const),
          key: fc.nat(3),
          partition: fc.nat(2),
          flush: fc.boolean(),
        }),
      },
      {
        weight: 2,
        arbitrary: fc.record({ op: fc.constant("timeout" as const), after: fc.nat(20) }),
      },
      { weight: 1, arbitrary: fc.record({ op: fc.constant("closeAll" as const) }) },
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }),
        fc.array(op, { maxLength: 80 }),
        (batchSize, ops) => {
          const batches = new BatchAccumulator(batchSize, 3);
          let now = 0;
          const opens = (b: OpenBatch) => {
            b.deadline = now + 10;
          };
          const out: OpenBatch[] = [];
          const added: Message[] = [];
          const collect = (batch: OpenBatch | undefined) => {
            if (batch === undefined) return;
            assert.ok(batch.messages.length > 0 && batch.messages.length <= batchSize);
            for (const m of batch.messages) {
              assert.equal(m.batchKey, batch.key, "a batch holds one key");
            }
            out.push(batch);
          };
          for (const o of ops) {
            if (o.op === "add") {
              const m = message(added.length, o.key, o.flush ? "flush" : "bulk");
              added.push(m);
              collect(batches.add(m, o.partition, opens));
              now++;
            } else if (o.op === "timeout") {
              now += o.after;
              const next = batches.nextDeadline();
              const due = batches.closeExpired(now);
              for (const b of due) {
                assert.ok(b.deadline <= now, "only what is due closes");
                collect(b);
              }
              assert.equal(
                due.length > 0,
                next <= now,
                "the earliest deadline says whether any is due",
              );
            } else {
              for (const b of batches.closeAll()) collect(b);
            }
            const closedCount = out.reduce((n, b) => n + b.messages.length, 0);
            assert.equal(
              batches.pending,
              added.length - closedCount,
              "pending counts open messages",
            );
          }
          for (const b of batches.closeAll()) collect(b);
          assert.equal(batches.pending, 0);
          assert.equal(new Set(out).size, out.length, "no batch handed out twice");
          const seen = out.flatMap((b) => b.messages);
          assert.equal(seen.length, added.length, "nothing lost, nothing duplicated");
          assert.deepEqual(new Set(seen), new Set(added));
          // Within one key and partition, order is kept.
          for (const b of out) {
            const ids = b.messages.map((m) => m.data as number);
            assert.deepEqual(
              ids,
              [...ids].sort((x, y) => x - y),
            );
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
