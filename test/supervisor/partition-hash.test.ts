import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { hashKey, partitionOf } from "../../src/supervisor/partition-hash.js";

test("strings hash by 32-bit FNV-1a over their UTF-16 code units", () => {
  assert.equal(hashKey(""), 0x811c9dc5);
  assert.equal(hashKey("a"), 0xe40c292c);
  assert.equal(hashKey("foobar"), 0xbf9cf968);
});

test("numbers, bigints, booleans, null and undefined hash by their String()", () => {
  assert.equal(hashKey(1.5), hashKey("1.5"));
  assert.equal(hashKey(-0), hashKey(0));
  assert.equal(hashKey(5n), hashKey("5n"));
  assert.equal(hashKey(true), hashKey("true"));
  assert.equal(hashKey(null), hashKey("null"));
  assert.equal(hashKey(undefined), hashKey("undefined"));
});

test("arrays hash by their elements, in order", () => {
  assert.equal(hashKey(["user", 42]), hashKey(["user", 42]));
  assert.notEqual(hashKey(["a", "b"]), hashKey(["b", "a"]));
  assert.notEqual(hashKey([]), hashKey([[]]));
  assert.notEqual(hashKey(["ab"]), hashKey(["a", "b"]));
});

test("integers route by |key| % partitions; other keys by hash % partitions", () => {
  assert.deepEqual(
    [0, 5, -5, 4.0, 2n ** 64n + 3n, -7n].map((k) => partitionOf(k, 4)),
    [0, 1, 1, 0, 3, 3],
  );
  assert.equal(partitionOf("a", 7), 0xe40c292c % 7);
  assert.equal(partitionOf(1.5, 3), hashKey("1.5") % 3);
});

test("property: every key lands in range, the same on every call", () => {
  const key = fc.oneof(
    fc.string(),
    fc.integer(),
    fc.double(),
    fc.bigInt(),
    fc.boolean(),
    fc.constantFrom(null, undefined),
    fc.array(fc.oneof(fc.string(), fc.integer(), fc.bigInt())),
  );
  fc.assert(
    fc.property(key, fc.integer({ min: 1, max: 1024 }), (k, n) => {
      const p = partitionOf(k, n);
      assert.ok(Number.isInteger(p) && p >= 0 && p < n);
      assert.equal(partitionOf(structuredClone(k), n), p);
      assert.ok(hashKey(k) >= 0 && hashKey(k) <= 0xffffffff);
    }),
  );
});

test("property: integer keys spread evenly, key i landing on partition i % n", () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 64 }), fc.nat(10_000), (n, i) => {
      assert.equal(partitionOf(i, n), i % n);
      assert.equal(partitionOf(BigInt(i), n), i % n);
    }),
  );
});

test("a keyHash decides, and must return an integer", () => {
  assert.equal(
    partitionOf({ shard: -9 }, 4, (k) => (k as { shard: number }).shard),
    1,
  );
  assert.throws(() => partitionOf("k", 4, () => Number.NaN), {
    message: "invalid value for `keyHash(key)`: expected an integer, got NaN",
  });
});

test("keys without a stable value are refused, naming the element", () => {
  const expected =
    "a string, number, bigint, boolean, null, undefined or an array of these (or a keyHash option)";
  assert.throws(() => hashKey(Symbol("s")), {
    message: `invalid value for \`key\`: expected ${expected}, got Symbol(s)`,
  });
  assert.throws(() => partitionOf(["a", () => 1], 2), { message: /^invalid value for `key\[1\]`/ });
  assert.throws(() => partitionOf(new Map(), 2), { message: /^invalid value for `key`/ });
});
