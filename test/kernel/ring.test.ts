import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { Ring } from "../../src/kernel/ring.js";

type Op =
  | { readonly op: "push"; readonly value: number }
  | { readonly op: "shift" }
  | { readonly op: "removeAt"; readonly index: number }
  | { readonly op: "at"; readonly index: number }
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

/** Applies `op` to the ring and to the array model; both must answer the same. */
function step(ring: Ring<number>, model: number[], op: Op): void {
  switch (op.op) {
    case "push":
      ring.push(op.value);
      model.push(op.value);
      break;
    case "shift":
      assert.equal(ring.shift(), model.shift());
      break;
    case "removeAt": {
      const inRange = op.index >= 0 && op.index < model.length;
      const expected = inRange ? model.splice(op.index, 1)[0] : undefined;
      assert.equal(ring.removeAt(op.index), expected);
      break;
    }
    case "at":
      assert.equal(ring.at(op.index), op.index >= 0 ? model[op.index] : undefined);
      break;
    case "toArray":
      assert.deepEqual(ring.toArray(), model);
      break;
    case "findIndex": {
      const from = Math.max(0, op.from);
      const found = model.findIndex((v, i) => i >= from && v % 4 === op.value);
      assert.equal(
        ring.findIndex((v) => v % 4 === op.value, op.from),
        found,
      );
      break;
    }
    case "clear":
      ring.clear();
      model.length = 0;
      break;
  }
  assert.equal(ring.length, model.length);
}

describe("Ring", () => {
  it("behaves as an array for any sequence of operations, through wrap-around and growth", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 9 }),
        fc.constantFrom(2, 4, 8, 1024),
        fc.array(operation, { maxLength: 300 }),
        (capacity, maxChunk, ops) => {
          // Small chunk bounds make chunk boundaries, recycling and tail removal common.
          const ring = new Ring<number>(capacity, maxChunk);
          const model: number[] = [];
          for (const op of ops) step(ring, model, op);
          assert.deepEqual(ring.toArray(), model);
        },
      ),
      { numRuns: 500 },
    );
  });

  it("keeps order when it grows while its contents wrap around the end of the storage", () => {
    const ring = new Ring<number>(4);
    for (let i = 0; i < 3; i++) ring.push(i);
    ring.shift();
    ring.shift();
    // head is now at slot 2; the next pushes wrap, and the fifth forces a growth.
    for (let i = 3; i < 40; i++) ring.push(i);
    assert.deepEqual(
      ring.toArray(),
      Array.from({ length: 38 }, (_, i) => i + 2),
    );
    assert.equal(ring.at(0), 2);
    assert.equal(ring.at(37), 39);
    assert.equal(ring.at(38), undefined);
  });

  it("removes from the middle keeping the others in order, as selective receive needs", () => {
    const ring = new Ring<string>(2);
    for (const s of ["a", "b", "c", "d", "e"]) ring.push(s);
    assert.equal(ring.removeAt(2), "c");
    assert.equal(ring.removeAt(3), "e");
    assert.equal(ring.removeAt(0), "a");
    assert.deepEqual(ring.toArray(), ["b", "d"]);
    ring.push("f");
    assert.deepEqual(ring.toArray(), ["b", "d", "f"]);
  });

  it("answers undefined when empty or out of range, without changing", () => {
    const ring = new Ring<number>();
    assert.equal(ring.shift(), undefined);
    assert.equal(ring.at(0), undefined);
    assert.equal(ring.removeAt(0), undefined);
    ring.push(1);
    assert.equal(ring.at(-1), undefined);
    assert.equal(ring.removeAt(1), undefined);
    assert.equal(ring.removeAt(-1), undefined);
    assert.deepEqual(ring.toArray(), [1]);
    assert.equal(ring.length, 1);
  });

  it("lets go of what it removed, so that old messages can be collected", () => {
    const ring = new Ring<object>(4);
    for (let i = 0; i < 4; i++) ring.push({ i });
    ring.shift();
    ring.removeAt(1);
    // The slots vacated must hold undefined, not stale references (one chunk of 4 here).
    const slots = (ring as unknown as { head: { items: unknown[] } }).head.items;
    assert.equal(slots.filter((s) => s !== undefined).length, 2);
    ring.clear();
    assert.equal(slots.filter((s) => s !== undefined).length, 0);
  });
});
