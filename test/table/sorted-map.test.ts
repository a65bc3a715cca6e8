import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { compareKeys, type TableKey } from "../../src/table/keys.js";
import { SortedMap } from "../../src/table/sorted-map.js";

type Op =
  | { op: "set"; key: number; value: number }
  | { op: "delete"; key: number }
  | { op: "probe"; key: number };

const key = fc.integer({ min: -60, max: 60 });
const ops = fc.array(
  fc.oneof(
    {
      weight: 5,
      arbitrary: fc.record({ op: fc.constant("set" as const), key, value: fc.integer() }),
    },
    { weight: 3, arbitrary: fc.record({ op: fc.constant("delete" as const), key }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant("probe" as const), key }) },
  ),
  { maxLength: 400 },
);

/** The model: an array of [key, value] sorted by key. */
function modelIndex(model: Array<[number, number]>, k: number): number {
  return model.findIndex(([mk]) => mk === k);
}

describe("SortedMap (B+ tree)", () => {
  test("behaves as a sorted array under random set/delete (small nodes: many splits and merges)", () => {
    fc.assert(
      fc.property(ops, fc.constantFrom(4, 6, 64), (steps: Op[], maxKeys) => {
        const map = new SortedMap<number, number>((a, b) => a - b, maxKeys);
        const model: Array<[number, number]> = [];
        for (const step of steps) {
          const at = modelIndex(model, step.key);
          if (step.op === "set") {
            assert.equal(map.set(step.key, step.value), at < 0);
            if (at >= 0) (model[at] as [number, number])[1] = step.value;
            else {
              model.push([step.key, step.value]);
              model.sort((a, b) => a[0] - b[0]);
            }
          } else if (step.op === "delete") {
            assert.equal(map.delete(step.key), at >= 0);
            if (at >= 0) model.splice(at, 1);
          } else {
            assert.equal(
              map.get(step.key),
              at >= 0 ? (model[at] as [number, number])[1] : undefined,
            );
            assert.equal(map.has(step.key), at >= 0);
            const after = model.find(([k]) => k > step.key);
            const before = model.findLast(([k]) => k < step.key);
            assert.equal(map.next(step.key), after?.[0]);
            assert.equal(map.prev(step.key), before?.[0]);
          }
          assert.equal(map.size, model.length);
        }
        const forward: Array<[number, number]> = [];
        map.walk((k, v) => {
          forward.push([k, v]);
        });
        assert.deepEqual(forward, model);
        const backward: number[] = [];
        map.walk((k) => {
          backward.push(k);
        }, true);
        assert.deepEqual(backward, model.map(([k]) => k).reverse());
        assert.equal(map.first(), model[0]?.[0]);
        assert.equal(map.last(), model.at(-1)?.[0]);
      }),
      { numRuns: 300 },
    );
  });

  test("walking with next from first visits every key in order", () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer(), { maxLength: 300 }), (keys) => {
        const map = new SortedMap<number, null>((a, b) => a - b, 4);
        for (const k of keys) map.set(k, null);
        const seen: number[] = [];
        for (let k = map.first(); k !== undefined; k = map.next(k)) seen.push(k);
        assert.deepEqual(
          seen,
          [...keys].sort((a, b) => a - b),
        );
        const back: number[] = [];
        for (let k = map.last(); k !== undefined; k = map.prev(k)) back.push(k);
        assert.deepEqual(back, seen.reverse());
      }),
    );
  });

  test("walk tolerates writes from its own callback: entries present throughout are seen once", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 0, max: 200 }), { maxLength: 120 }),
        fc.boolean(),
        (keys, reverse) => {
          const map = new SortedMap<number, number>((a, b) => a - b, 4);
          for (const k of keys) map.set(k, k);
          const seen: number[] = [];
          // Delete every visited odd key and add keys out of the original range.
          map.walk((k) => {
            seen.push(k);
            if (k % 2 === 1) map.delete(k);
            if (k <= 200) map.set(1000 + k, k);
          }, reverse);
          const original = seen.filter((k) => k <= 200);
          const expected = [...keys].sort((a, b) => a - b);
          assert.deepEqual(original, reverse ? expected.reverse() : expected);
          assert.equal(new Set(seen).size, seen.length);
        },
      ),
    );
  });

  test("walk stops when the callback returns false", () => {
    const map = new SortedMap<number, number>((a, b) => a - b);
    for (let i = 0; i < 10; i++) map.set(i, i);
    const seen: number[] = [];
    map.walk((k) => {
      seen.push(k);
      return k < 3;
    });
    assert.deepEqual(seen, [0, 1, 2, 3]);
  });

  test("rejects a bad node size", () => {
    assert.throws(() => new SortedMap<number, number>((a, b) => a - b, 3), RangeError);
  });
});

describe("compareKeys", () => {
  test("is a total order: numbers, then bigints, then strings", () => {
    const keys: TableKey[] = ["b", 2n, -1, "a", 10, 1n, "", 0];
    assert.deepEqual(keys.sort(compareKeys), [-1, 0, 10, 1n, 2n, "", "a", "b"]);
    fc.assert(
      fc.property(
        fc.oneof(fc.double({ noNaN: true }), fc.bigInt(), fc.string()),
        fc.oneof(fc.double({ noNaN: true }), fc.bigInt(), fc.string()),
        (a, b) => {
          // `+ 0` turns -0 into 0: equal keys compare as 0 both ways.
          assert.equal(Math.sign(compareKeys(a, b)) + 0, -Math.sign(compareKeys(b, a)) + 0);
          assert.equal(compareKeys(a, b) === 0, a === b || (a === 0 && b === 0));
        },
      ),
    );
  });
});
