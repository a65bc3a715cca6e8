import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Pid } from "beamish";
import fc from "fast-check";
import { hashString } from "../../src/kernel/hash.js";
import { matches as matchesPattern } from "../../src/kernel/pattern.js";
import { KeyHasher } from "../../src/registry/hash.js";
import { RegistryStore } from "../../src/registry/store.js";

const pid = (id: number) => new Pid(0, id);

describe("registry key hash", () => {
  test("is deterministic across hashers: the same key goes to the same partition", () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string(), fc.integer(), fc.double(), fc.bigInt(), fc.boolean()),
        fc.integer({ min: 1, max: 64 }),
        (key, partitions) => {
          const p = new KeyHasher().partition(key, partitions);
          assert.equal(new KeyHasher().partition(key, partitions), p);
          assert.ok(p >= 0 && p < partitions && Number.isInteger(p));
        },
      ),
    );
  });

  test("fixed values, so routing cannot change unnoticed between releases", () => {
    assert.equal(hashString(""), 0x811c9dc5);
    assert.equal(hashString("a"), 0xe40c292c);
    assert.equal(hashString("foobar"), 0xbf9cf968);
    const hasher = new KeyHasher();
    assert.deepEqual(
      ["user:1", "user:2", "user:3", 1, 2, 3].map((k) => hasher.partition(k, 4)),
      ["user:1", "user:2", "user:3", 1, 2, 3].map((k) => new KeyHasher().partition(k, 4)),
    );
    assert.equal(hasher.hash(0), hasher.hash(-0));
  });

  test("spreads sequential keys over the partitions", () => {
    const hasher = new KeyHasher();
    for (const keyOf of [(i: number) => `worker:${i}`, (i: number) => i]) {
      const counts = [0, 0, 0, 0, 0, 0, 0, 0];
      for (let i = 0; i < 8000; i++) counts[hasher.partition(keyOf(i), 8)]++;
      for (const c of counts) assert.ok(c > 700 && c < 1300, `uneven spread: ${counts}`);
    }
  });

  test("object keys hash by identity, in the order first seen", () => {
    const hasher = new KeyHasher();
    const a = {};
    const b = {};
    assert.equal(hasher.hash(a), hasher.hash(a));
    assert.notEqual(hasher.hash(a), hasher.hash(b));
    const again = new KeyHasher();
    assert.equal(again.hash(b), hasher.hash(a));
    assert.equal(hasher.hash(null), 0);
    assert.equal(hasher.hash(undefined), 0);
    assert.equal(hasher.hash(Symbol("x")), hasher.hash(Symbol("x")));
  });
});

describe("RegistryStore without processes", () => {
  test("unique: one entry per key; records are created once per pid and dropped when empty", () => {
    const store = new RegistryStore<string, number>("unique", 4);
    assert.notEqual(store.register(pid(1), "a", 1), null);
    assert.equal(store.register(pid(1), "b", 2), null);
    assert.throws(() => store.register(pid(2), "a", 3), { code: "ERR_ALREADY_REGISTERED" });
    assert.equal(store.size, 2);
    assert.equal(store.processCount, 1);
    assert.deepEqual(store.keys(pid(1)), ["a", "b"]);
    assert.equal(store.unregister(pid(1), "a"), 1);
    assert.equal(store.unregister(pid(1), "a"), 0);
    assert.equal(store.unregister(pid(1), "b"), 1);
    assert.equal(store.processCount, 0);
    assert.notEqual(store.register(pid(1), "a", 1), null);
  });

  test("duplicate: removeRecord drops every entry of a pid", () => {
    const store = new RegistryStore<string, number>("duplicate", 2);
    const record = store.register(pid(1), "t", 1);
    store.register(pid(2), "t", 2);
    store.register(pid(1), "t", 3);
    store.register(pid(1), "u", 4);
    assert.ok(record);
    store.removeRecord(record);
    store.removeRecord(record);
    assert.deepEqual(store.lookup("t"), [[pid(2), 2]]);
    assert.deepEqual(store.lookup("u"), []);
    assert.equal(store.size, 1);
    store.clear();
    assert.equal(store.size, 0);
    assert.deepEqual(store.lookup("t"), []);
  });
});

describe("RegistryStore against a model", () => {
  type Op =
    | { op: "register"; pid: number; key: string; value: number }
    | { op: "unregister"; pid: number; key: string }
    | { op: "exit"; pid: number };
  const opArb: fc.Arbitrary<Op> = fc.oneof(
    fc.record({
      op: fc.constant("register" as const),
      pid: fc.integer({ min: 1, max: 3 }),
      key: fc.constantFrom("a", "b", "c", "d"),
      value: fc.integer(),
    }),
    fc.record({
      op: fc.constant("unregister" as const),
      pid: fc.integer({ min: 1, max: 3 }),
      key: fc.constantFrom("a", "b", "c", "d"),
    }),
    fc.record({ op: fc.constant("exit" as const), pid: fc.integer({ min: 1, max: 3 }) }),
  );

  // The model: every entry in registration order, as [pid, key, value].
  for (const kind of ["unique", "duplicate"] as const) {
    test(`${kind}: register, unregister and exit in any order agree with a list of entries`, () => {
      fc.assert(
        fc.property(
          fc.array(opArb, { maxLength: 40 }),
          fc.integer({ min: 1, max: 3 }),
          (ops, n) => {
            const store = new RegistryStore<string, number>(kind, n);
            const records = new Map<number, ReturnType<typeof store.register>>();
            let model: Array<[number, string, number]> = [];
            for (const o of ops) {
              if (o.op === "register") {
                const taken = model.some(([, k]) => k === o.key);
                if (kind === "unique" && taken) {
                  assert.throws(() => store.register(pid(o.pid), o.key, o.value), {
                    code: "ERR_ALREADY_REGISTERED",
                  });
                  continue;
                }
                const held = model.some(([p]) => p === o.pid);
                const created = store.register(pid(o.pid), o.key, o.value);
                assert.equal(created !== null, !held, `a record is created for a pid with no key`);
                if (created !== null) records.set(o.pid, created);
                model.push([o.pid, o.key, o.value]);
              } else if (o.op === "unregister") {
                const before = model.length;
                model = model.filter(([p, k]) => !(p === o.pid && k === o.key));
                assert.equal(store.unregister(pid(o.pid), o.key), before - model.length, "removed");
              } else {
                const record = records.get(o.pid);
                if (record) store.removeRecord(record);
                records.delete(o.pid);
                model = model.filter(([p]) => p !== o.pid);
              }
              assert.equal(store.size, model.length, "size");
              assert.equal(store.processCount, new Set(model.map(([p]) => p)).size, "processes");
            }
            for (const key of ["a", "b", "c", "d"]) {
              const expected = model.filter(([, k]) => k === key).map(([p, , v]) => [pid(p), v]);
              assert.deepEqual(store.lookup(key), expected, `lookup ${key}`);
              for (const p of [1, 2, 3]) {
                const mine = model.filter(([q, k]) => q === p && k === key).map(([, , v]) => v);
                assert.deepEqual(store.values(key, pid(p)), mine, `values ${key} of ${p}`);
              }
            }
            for (const p of [1, 2, 3]) {
              const mine = model.filter(([q]) => q === p);
              // Duplicate keys are listed grouped under the key's first registration.
              const order = [...new Set(mine.map(([, k]) => k))];
              const expected = order.flatMap((k) => mine.filter(([, q]) => q === k).map(() => k));
              assert.deepEqual(store.keys(pid(p)), expected, `keys of ${p}`);
            }
          },
        ),
      );
    });
  }
});

describe("value patterns", () => {
  test("objects match on their listed keys, arrays and primitives exactly", () => {
    assert.ok(matchesPattern({ a: 1 }, { a: 1, b: 2 }));
    assert.ok(!matchesPattern({ a: 1, c: 3 }, { a: 1, b: 2 }));
    assert.ok(matchesPattern({ a: { b: (n: unknown) => n === 2 } }, { a: { b: 2 } }));
    assert.ok(matchesPattern([1, 2], [1, 2]));
    assert.ok(!matchesPattern([1], [1, 2]));
    assert.ok(matchesPattern(Number.NaN, Number.NaN));
    assert.ok(!matchesPattern({ a: 1 }, null));
    assert.ok(matchesPattern({ pid: pid(3) }, { pid: new Pid(0, 3) }));
    assert.ok(!matchesPattern("x", "y"));
  });
});
