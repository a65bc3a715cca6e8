import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { Queue } from "../../src/kernel/queue.js";

type Op =
  | { readonly op: "push"; readonly value: number }
  | { readonly op: "shift" }
  | { readonly op: "removeAt"; readonly index: number }
  | { readonly op: "at"; readonly index: number }
  | { readonly op: "last" }
  | { readonly op: "toArray" }
  | { readonly op: "findIndex"; readonly value: number; readonly from: number }
  | { readonly op: "clear" };

// Indexes reach past both ends so that out-of-range calls are exercised too.
const index = fc.integer({ min: -2, max: 40 });
const operation: fc.Arbitrary<Op> = fc.oneof(
  { arbitrary: fc.record({ op: fc.constant("push" as const), value: fc.integer() }), weight: 6 },
  { arbitrary: fc.record({ op: fc.constant("shift" as const) }), weight: 3 },
  { arbitrary: fc.record({ op: fc.constant("removeAt" as const), index }), weight: 2 },
  { arbitrary: fc.record({ op: fc.constant("at" as const), index }), weight: 2 },
  { arbitrary: fc.record({ op: fc.constant("last" as const) }), weight: 2 },
  { arbitrary: fc.record({ op: fc.constant("toArray" as const) }), weight: 1 },
  {
    arbitrary: fc.record({
      op: fc.constant("findIndex" as const),
      value: fc.integer({ min: -3, max: 3 }),
      from: index,
    }),
    weight: 1,
  },
  { arbitrary: fc.record({ op: fc.constant("clear" as const) }), weight: 1 },
);

/** Applies `op` to the queue and to the array model; both must answer the same. */
function step(queue: Queue<number>, model: number[], op: Op): void {
  switch (op.op) {
    case "push":
      queue.push(op.value);
      model.push(op.value);
      break;
    case "shift":
      assert.equal(queue.shift(), model.shift());
      break;
    case "removeAt": {
      const inRange = op.index >= 0 && op.index < model.length;
      const expected = inRange ? model.splice(op.index, 1)[0] : undefined;
      assert.equal(queue.removeAt(op.index), expected);
      break;
    }
    case "at":
      assert.equal(queue.at(op.index), op.index >= 0 ? model[op.index] : undefined);
      break;
    case "last":
      assert.equal(queue.last(), model[model.length - 1], "last() is the newest item");
      break;
    case "toArray":
      assert.deepEqual(queue.toArray(), model);
      break;
    case "findIndex": {
      const from = Math.max(0, op.from);
      const found = model.findIndex((v, i) => i >= from && v % 4 === op.value);
      assert.equal(
        queue.findIndex((v) => v % 4 === op.value, op.from),
        found,
      );
      break;
    }
    case "clear":
      queue.clear();
      model.length = 0;
      break;
  }
  assert.equal(queue.length, model.length);
}

describe("Queue", () => {
  it("behaves as an array for any sequence of operations, across chunk boundaries and growth", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 9 }),
        fc.constantFrom(2, 4, 8, 1024),
        fc.array(operation, { maxLength: 300 }),
        (capacity, maxChunk, ops) => {
          // Small chunk bounds make chunk boundaries, recycling and tail removal common.
          const queue = new Queue<number>(capacity, maxChunk);
          const model: number[] = [];
          for (const op of ops) step(queue, model, op);
          assert.deepEqual(queue.toArray(), model);
        },
      ),
      { numRuns: 500 },
    );
  });

  it("keeps order when it grows past its first chunk after shifts", () => {
    const queue = new Queue<number>(4);
    for (let i = 0; i < 3; i++) queue.push(i);
    queue.shift();
    queue.shift();
    // head is now at slot 2 of the first chunk; the next pushes fill it and add chunks.
    for (let i = 3; i < 40; i++) queue.push(i);
    assert.deepEqual(
      queue.toArray(),
      Array.from({ length: 38 }, (_, i) => i + 2),
    );
    assert.equal(queue.at(0), 2);
    assert.equal(queue.at(37), 39);
    assert.equal(queue.at(38), undefined);
  });

  it("removes from the middle keeping the others in order, as selective receive needs", () => {
    const queue = new Queue<string>(2);
    for (const s of ["a", "b", "c", "d", "e"]) queue.push(s);
    assert.equal(queue.removeAt(2), "c");
    assert.equal(queue.removeAt(3), "e");
    assert.equal(queue.removeAt(0), "a");
    assert.deepEqual(queue.toArray(), ["b", "d"]);
    queue.push("f");
    assert.deepEqual(queue.toArray(), ["b", "d", "f"]);
  });

  it("answers undefined when empty or out of range, without changing", () => {
    const queue = new Queue<number>();
    assert.equal(queue.shift(), undefined);
    assert.equal(queue.at(0), undefined);
    assert.equal(queue.removeAt(0), undefined);
    queue.push(1);
    assert.equal(queue.at(-1), undefined);
    assert.equal(queue.removeAt(1), undefined);
    assert.equal(queue.removeAt(-1), undefined);
    assert.deepEqual(queue.toArray(), [1]);
    assert.equal(queue.length, 1);
  });

  it("lets go of what it removed, so that old messages can be collected", () => {
    const queue = new Queue<object>(4);
    for (let i = 0; i < 4; i++) queue.push({ i });
    queue.shift();
    queue.removeAt(1);
    // The slots vacated must hold undefined, not stale references (one chunk of 4 here).
    const slots = (queue as unknown as { head: { items: unknown[] } }).head.items;
    assert.equal(slots.filter((s) => s !== undefined).length, 2);
    queue.clear();
    assert.equal(slots.filter((s) => s !== undefined).length, 0);
  });
});
