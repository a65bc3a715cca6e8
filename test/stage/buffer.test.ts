import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { EventBuffer } from "../../src/stage/buffer.js";

test("keep last drops the oldest events and counts them", () => {
  const buffer = new EventBuffer<number>(3, "last");
  assert.equal(buffer.store([1, 2]), 0);
  assert.equal(buffer.store([3, 4]), 1);
  assert.equal(buffer.length, 3);
  assert.deepEqual(buffer.take(10), [2, 3, 4]);
  assert.equal(buffer.store([5, 6, 7, 8, 9]), 2);
  assert.deepEqual(buffer.take(10), [7, 8, 9]);
});

test("keep first drops the newcomers and counts them", () => {
  const buffer = new EventBuffer<number>(3, "first");
  assert.equal(buffer.store([1, 2]), 0);
  assert.equal(buffer.store([3, 4]), 1);
  assert.equal(buffer.store([5]), 1);
  assert.deepEqual(buffer.take(10), [1, 2, 3]);
});

test("a capacity of 0 keeps nothing; Infinity keeps everything", () => {
  assert.equal(new EventBuffer<number>(0, "last").store([1, 2]), 2);
  assert.equal(new EventBuffer<number>(0, "first").store([1, 2]), 2);
  const all = new EventBuffer<number>(Infinity, "last");
  assert.equal(all.store(Array.from({ length: 100_000 }, (_, i) => i)), 0);
  assert.equal(all.length, 100_000);
});

test("take hands back a stored array whole by reference, and splits across arrays in order", () => {
  const buffer = new EventBuffer<number>(100, "last");
  const first = [1, 2, 3];
  buffer.store(first);
  buffer.store([4, 5]);
  assert.equal(buffer.take(3), first);
  buffer.store([6]);
  assert.deepEqual(buffer.take(1), [4]);
  assert.deepEqual(buffer.take(5), [5, 6]);
  assert.deepEqual(buffer.take(5), []);
});

test("infos wait behind the events stored before them and are never dropped", () => {
  const buffer = new EventBuffer<number>(2, "last");
  const infos: string[] = [];
  buffer.store([1]);
  buffer.storeInfo("a");
  buffer.store([2, 3]);
  assert.deepEqual(
    buffer.take(1, (m) => infos.push(m as string)),
    [2],
  );
  assert.deepEqual(infos, ["a"]);
  buffer.storeInfo("b");
  assert.deepEqual(
    buffer.take(0, (m) => infos.push(m as string)),
    [],
  );
  assert.deepEqual(infos, ["a"]);
  assert.deepEqual(
    buffer.take(5, (m) => infos.push(m as string)),
    [3],
  );
  assert.deepEqual(infos, ["a", "b"]);
  assert.equal(buffer.empty, true);
});

test("property: the buffer agrees with a bounded array model, for both keeps", () => {
  fc.assert(
    fc.property(
      fc.nat(20),
      fc.constantFrom("first" as const, "last" as const),
      fc.array(
        fc.oneof(
          fc.nat(15).map((n) => ({ store: n })),
          fc.nat(15).map((n) => ({ take: n })),
        ),
        {
          maxLength: 40,
        },
      ),
      (capacity, keep, ops) => {
        const buffer = new EventBuffer<number>(capacity, keep);
        let model: number[] = [];
        let next = 0;
        for (const op of ops) {
          if ("store" in op) {
            const events = Array.from({ length: op.store }, () => next++);
            const all = [...model, ...events];
            const kept =
              keep === "first"
                ? all.slice(0, capacity)
                : all.slice(Math.max(0, all.length - capacity));
            assert.equal(buffer.store(events), all.length - kept.length);
            model = kept;
          } else {
            assert.deepEqual([...buffer.take(op.take)], model.slice(0, op.take));
            model = model.slice(op.take);
          }
          assert.equal(buffer.length, model.length);
        }
      },
    ),
  );
});
