import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { InvalidArgumentError, Table } from "beamish";
import { withRuntime } from "beamish/testing";

interface User {
  age: number;
  role: string;
  visits: number;
}

describe("Table operations", () => {
  test(
    "updateCounter: increments, defaults, thresholds, fields, lists",
    withRuntime(({ self }) => {
      const hits = Table.create<string, number>(self);
      assert.equal(hits.updateCounter("/", 1, 0), 1);
      assert.equal(hits.updateCounter("/", 5), 6);
      assert.equal(hits.updateCounter("/", -2), 4);
      // Above the threshold going up: wraps to setValue.
      assert.equal(hits.updateCounter("/", { increment: 10, threshold: 10, setValue: 0 }), 0);
      // Below the threshold going down: set to setValue.
      assert.equal(hits.updateCounter("/", { increment: -1, threshold: 0, setValue: 100 }), 100);
      assert.deepEqual(hits.updateCounter("/", [{ increment: 1 }, { increment: 2 }]), [101, 103]);
      assert.equal(hits.lookup("/"), 103);

      const users = Table.create<string, User>(self);
      const alice = { age: 41, role: "admin", visits: 0 };
      users.insert("alice", alice);
      assert.equal(users.updateCounter("alice", { field: "visits", increment: 1 }), 1);
      assert.deepEqual(
        users.updateCounter("alice", [
          { field: "age", increment: 1 },
          { field: "visits", increment: 1 },
        ]),
        [42, 2],
      );
      // A new object is written; the one a reader holds does not change.
      assert.deepEqual(alice, { age: 41, role: "admin", visits: 0 });
      assert.deepEqual(users.lookup("alice"), { age: 42, role: "admin", visits: 2 });
      assert.equal(
        users.updateCounter(
          "bob",
          { field: "visits", increment: 1 },
          { age: 1, role: "x", visits: 0 },
        ),
        1,
      );
    }),
  );

  test(
    "updateCounter rejects a missing key, a bag, a non-numeric counter and bad updates",
    withRuntime(({ self }) => {
      const hits = Table.create<string, number>(self);
      assert.throws(() => hits.updateCounter("nope", 1), {
        message:
          'invalid value for `key`: expected a key in the table, or a defaultValue, got "nope"',
      });
      assert.throws(() => hits.updateCounter("a", Number.NaN, 0), {
        message:
          "invalid value for `update`: expected a finite number or { field?, increment, threshold?, setValue? }, got NaN",
      });
      assert.throws(() => hits.updateCounter("a", { increment: 1, threshold: 5 }, 0), {
        message:
          "invalid value for `update.setValue`: expected a finite number (with threshold), got undefined",
      });
      const users = Table.create<string, User>(self);
      users.insert("alice", { age: 1, role: "admin", visits: 0 });
      assert.throws(
        // biome-ignore lint/suspicious/noExplicitAny: a field that is not numeric, past the types
        () => users.updateCounter("alice", { field: "role" as any, increment: 1 }),
        {
          message:
            'invalid value for `update.field`: expected the name of a field holding a number, got "role"',
        },
      );
      const bag = Table.create<string, number, "bag">(self, { kind: "bag" });
      // @ts-expect-error updateCounter is for set and orderedSet tables
      assert.throws(() => bag.updateCounter("a", 1, 0), {
        message: 'invalid value for `table`: expected a set or orderedSet table, got "bag"',
      });
    }),
  );

  test(
    "updateElement and lookupElement",
    withRuntime(({ self }) => {
      const users = Table.create<string, User>(self);
      users.insert("alice", { age: 41, role: "admin", visits: 0 });
      assert.equal(users.updateElement("alice", { role: "owner" }), true);
      assert.equal(users.updateElement("nobody", { role: "owner" }), false);
      assert.equal(users.lookupElement("alice", "role"), "owner");
      assert.equal(users.lookupElement("nobody", "role", "guest"), "guest");
      assert.throws(() => users.lookupElement("nobody", "role"), {
        message: 'invalid value for `key`: expected a key in the table, got "nobody"',
      });
      const orders = Table.create<string, { item: string }, "bag">(self, { kind: "bag" });
      orders.insert([
        ["alice", { item: "pen" }],
        ["alice", { item: "ink" }],
      ]);
      assert.deepEqual(orders.lookupElement("alice", "item"), ["pen", "ink"]);
      const scores = Table.create<string, number>(self);
      scores.insert("a", 1);
      assert.throws(
        () => (scores as unknown as Table<string, { n?: number }>).updateElement("a", {}),
        {
          message:
            "invalid value for `updateElement.patch`: expected nothing: the stored value is not a plain object, got an empty object",
        },
      );
    }),
  );

  test(
    "match, select, selectCount, selectDelete, foldl, foldr",
    withRuntime(({ self }) => {
      const users = Table.create<string, User, "orderedSet">(self, { kind: "orderedSet" });
      users.insert([
        ["carol", { age: 35, role: "dev", visits: 3 }],
        ["alice", { age: 41, role: "admin", visits: 1 }],
        ["bob", { age: 52, role: "dev", visits: 2 }],
      ]);
      assert.deepEqual(
        users.match({ role: "dev" }).map(([k]) => k),
        ["bob", "carol"],
      );
      assert.deepEqual(
        users.select(
          (u) => u.age > 40,
          (u, name) => `${name}:${u.age}`,
        ),
        ["alice:41", "bob:52"],
      );
      assert.equal(
        users.selectCount((_u, name) => name.startsWith("b")),
        1,
      );
      assert.equal(
        users.foldl((sum, u) => sum + u.visits, 0),
        6,
      );
      assert.deepEqual(
        users.foldr((names: string[], _u, name) => [...names, name], []),
        ["carol", "bob", "alice"],
      );
      assert.equal(users.selectDelete({ role: "dev" }), 2);
      assert.deepEqual(users.toArray(), [["alice", { age: 41, role: "admin", visits: 1 }]]);
      const numbers = Table.create<number, string>(self);
      numbers.insert([
        [1, "one"],
        [2, "two"],
      ]);
      assert.deepEqual(numbers.match("two"), [[2, "two"]]);
      // A fold may write to its own table.
      numbers.foldl((_, _v, k) => numbers.delete(k), true);
      assert.equal(numbers.size, 0);
    }),
  );

  test(
    "orderedSet traversal is in key order; next/prev accept keys not in the table",
    withRuntime(({ self }) => {
      const events = Table.create<number | string, string, "orderedSet">(self, {
        kind: "orderedSet",
      });
      for (const k of [30, "b", 10, "a", 20]) events.insert(k, String(k));
      const keys: Array<number | string> = [];
      for (let k = events.first(); k !== undefined; k = events.next(k)) keys.push(k);
      assert.deepEqual(keys, [10, 20, 30, "a", "b"]);
      assert.equal(events.last(), "b");
      assert.equal(events.prev(10), undefined);
      assert.equal(events.next(15), 20);
      assert.equal(events.prev(25), 20);
      assert.equal(events.next(1000), "a");
      assert.equal(events.next("b"), undefined);
    }),
  );

  test(
    "set traversal is stable; deleting the key just visited keeps the walk going",
    withRuntime(({ self }) => {
      const table = Table.create<string, number>(self);
      for (const k of ["x", "y", "z", "w"]) table.insert(k, 0);
      table.insert("y", 1);
      const seen: string[] = [];
      for (let k = table.first(); k !== undefined; k = table.next(k)) {
        seen.push(k);
        table.delete(k);
      }
      assert.deepEqual(seen, ["x", "y", "z", "w"]);
      assert.equal(table.size, 0);
      assert.throws(() => table.next("x"), {
        message: 'invalid value for `key`: expected a key in the table, got "x"',
      });
    }),
  );

  test(
    "bad input: unknown kind, bad keys, bad options, a dead owner",
    withRuntime(({ self }) => {
      assert.throws(() => Table.create(self, { kind: "hash" as "set" }), {
        message:
          'invalid value for `options.kind`: expected one of "set", "orderedSet", "bag", "duplicateBag", got "hash"',
      });
      assert.throws(() => Table.create(self, { access: "open" as "public" }), {
        message:
          'invalid value for `options.access`: expected one of "public", "protected", "private", got "open"',
      });
      assert.throws(() => Table.create(self, { heir: "me" as never }), {
        message: 'invalid value for `options.heir`: expected a pid, got "me"',
      });
      assert.throws(() => Table.create(undefined as never), {
        message: "invalid value for `owner`: expected a live process, got undefined",
      });
      for (const kind of ["set", "orderedSet", "bag", "duplicateBag"] as const) {
        const table = Table.create<never, number, typeof kind>(self, { kind });
        for (const key of [Number.NaN, { id: 1 }, undefined, null, true]) {
          assert.throws(() => table.insert(key as never, 1), InvalidArgumentError);
          assert.throws(() => table.lookup(key as never), InvalidArgumentError);
          assert.throws(() => table.member(key as never), InvalidArgumentError);
        }
        assert.throws(
          () =>
            table.insert([
              ["ok", 1],
              [{}, 2],
            ] as never),
          {
            message:
              "invalid value for `objects[1][0]`: expected a string, a number other than NaN, or a bigint, got an empty object",
          },
        );
        assert.equal(table.size, 0, "a bad object in a list inserts nothing");
      }
      assert.throws(() => Table.create(self).insert(Number.NaN as never, 1), {
        message:
          "invalid value for `key`: expected a string, a number other than NaN, or a bigint, got NaN",
      });
    }),
  );

  test(
    "info and insertNew with many objects",
    withRuntime(({ self }) => {
      const table = Table.create<string, number>(self, { name: "info" });
      assert.equal(
        table.insertNew([
          ["a", 1],
          ["b", 2],
        ]),
        true,
      );
      assert.equal(
        table.insertNew([
          ["c", 3],
          ["a", 9],
        ]),
        false,
      );
      assert.equal(table.member("c"), false);
      assert.deepEqual(table.info(), {
        id: table.id,
        name: "info",
        kind: "set",
        access: "protected",
        owner: self.pid,
        heir: undefined,
        size: 2,
      });
    }),
  );
});
