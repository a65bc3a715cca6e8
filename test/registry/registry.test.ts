import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  AlreadyRegisteredError,
  exit,
  isBeamishError,
  NoProcError,
  Registry,
  type RegistryEvent,
  send,
  spawn,
} from "beamish";
import { assertReceive, refuteReceive, withRuntime } from "beamish/testing";
import { attachHook, ExitHook } from "../../src/kernel/hooks.js";
import type { Process } from "../../src/kernel/process.js";
import { holders } from "./helpers.js";

describe("Registry with unique keys", () => {
  test(
    "register, lookup, keys, values, count, unregister",
    withRuntime(async ({ settle }) => {
      const registry = Registry.start<string, number>({ keys: "unique" });
      const [a, b] = await holders(2, settle);
      assert.ok(a && b);
      Registry.register(registry, a, "x", 1);
      Registry.register(registry, a, "y", 2);
      Registry.register(registry, b, "z", 3);
      assert.deepEqual(Registry.lookup(registry, "x"), [[a.pid, 1]]);
      assert.deepEqual(Registry.lookup(registry, "nope"), []);
      assert.deepEqual(Registry.keys(registry, a.pid), ["x", "y"]);
      assert.deepEqual(Registry.values(registry, "y", a.pid), [2]);
      assert.deepEqual(Registry.values(registry, "y", b.pid), []);
      assert.equal(Registry.count(registry), 3);
      Registry.unregister(registry, a, "x");
      Registry.unregister(registry, a, "x");
      Registry.unregister(registry, b, "y"); // not b's: nothing happens
      assert.deepEqual(Registry.lookup(registry, "x"), []);
      assert.deepEqual(Registry.lookup(registry, "y"), [[a.pid, 2]]);
      assert.equal(Registry.count(registry), 2);
      Registry.register(registry, b, "x", 9);
      assert.deepEqual(Registry.lookup(registry, "x"), [[b.pid, 9]]);
    }),
  );

  test(
    "a key held by a live process cannot be registered again, by it or by another",
    withRuntime(async ({ settle }) => {
      const registry = Registry.start({ keys: "unique" });
      const [a, b] = await holders(2, settle);
      assert.ok(a && b);
      Registry.register(registry, a, "k", "first");
      for (const who of [b, a]) {
        assert.throws(
          () => Registry.register(registry, who, "k", "second"),
          (e: unknown) => {
            assert.ok(e instanceof AlreadyRegisteredError);
            assert.ok(isBeamishError(e, "ERR_ALREADY_REGISTERED"));
            assert.equal(e.key, "k");
            assert.equal(e.pid, a.pid);
            assert.equal(e.message, `key k is already registered to ${a.pid}`);
            return true;
          },
        );
      }
      assert.deepEqual(Registry.lookup(registry, "k"), [[a.pid, "first"]]);
      assert.equal(Registry.count(registry), 1);
    }),
  );

  test(
    "updateValue changes the caller's own value and returns [new, old]",
    withRuntime(async ({ settle }) => {
      const registry = Registry.start<string, number>({ keys: "unique" });
      const [a, b] = await holders(2, settle);
      assert.ok(a && b);
      Registry.register(registry, a, "n", 1);
      assert.deepEqual(
        Registry.updateValue(registry, a, "n", (n) => n + 1),
        [2, 1],
      );
      assert.equal(
        Registry.updateValue(registry, b, "n", (n) => n * 100),
        undefined,
      );
      assert.equal(
        Registry.updateValue(registry, a, "other", (n) => n),
        undefined,
      );
      assert.throws(() =>
        Registry.updateValue(registry, a, "n", () => {
          throw new Error("no");
        }),
      );
      assert.deepEqual(Registry.lookup(registry, "n"), [[a.pid, 2]]);
      const dup = Registry.start<string, number>({ keys: "duplicate" });
      assert.throws(() => Registry.updateValue(dup, a, "n", (n) => n), {
        code: "ERR_INVALID_ARGUMENT",
        message:
          'invalid value for `registry.keys`: expected "unique" (updateValue need unique keys), got "duplicate"',
      });
    }),
  );
});

describe("Registry with duplicate keys", () => {
  test(
    "a key holds many entries, a process may register one key several times",
    withRuntime(async ({ settle }) => {
      const registry = Registry.start<string, string>({ keys: "duplicate" });
      const [a, b] = await holders(2, settle);
      assert.ok(a && b);
      Registry.register(registry, a, "topic", "a1");
      Registry.register(registry, b, "topic", "b1");
      Registry.register(registry, a, "topic", "a2");
      Registry.register(registry, a, "other", "a3");
      assert.deepEqual(Registry.lookup(registry, "topic"), [
        [a.pid, "a1"],
        [b.pid, "b1"],
        [a.pid, "a2"],
      ]);
      assert.deepEqual(Registry.keys(registry, a.pid), ["topic", "topic", "other"]);
      assert.deepEqual(Registry.values(registry, "topic", a.pid), ["a1", "a2"]);
      assert.equal(Registry.count(registry), 4);
      Registry.unregister(registry, a, "topic");
      assert.deepEqual(Registry.lookup(registry, "topic"), [[b.pid, "b1"]]);
      assert.deepEqual(Registry.keys(registry, a.pid), ["other"]);
      assert.equal(Registry.count(registry), 2);
    }),
  );

  test(
    "dispatch calls back with the entries, in the caller, only when there are some",
    withRuntime(async ({ self, settle }) => {
      const registry = Registry.start<string, number>({ keys: "duplicate" });
      const subscribers = await holders(3, settle);
      for (const [i, s] of subscribers.entries()) Registry.register(registry, s, "news", i);
      const calls: Array<Array<[unknown, number]>> = [];
      Registry.dispatch(registry, "news", (entries) => {
        calls.push(entries);
        for (const [pid, i] of entries) send(pid, `hello ${i}`);
      });
      Registry.dispatch(registry, "weather", () => calls.push([]));
      assert.deepEqual(calls, [subscribers.map((s, i) => [s.pid, i])]);
      assert.throws(
        () =>
          Registry.dispatch(registry, "news", () => {
            throw new Error("dispatch failed");
          }),
        /dispatch failed/,
      );
      await refuteReceive(self, () => true, { timeout: 0 });
    }),
  );
});

describe("Registry entries vanish when their process exits", () => {
  for (const how of ["normal", "crash", "kill", "shutdown"] as const) {
    test(
      `exit by ${how}`,
      withRuntime(async ({ settle, crashes }) => {
        const unique = Registry.start<string, number>({ keys: "unique" });
        const dup = Registry.start<string, number>({ keys: "duplicate", partitions: 3 });
        const [a, b] = await holders(2, settle);
        assert.ok(a && b);
        Registry.register(unique, a, "a", 1);
        Registry.register(unique, a, "a2", 2);
        Registry.register(unique, b, "b", 3);
        Registry.register(dup, a, "t", 1);
        Registry.register(dup, a, "t", 2);
        Registry.register(dup, b, "t", 3);
        if (how === "normal") send(a.pid, "stop");
        else if (how === "crash") send(a.pid, "crash");
        else exit(a.pid, how === "kill" ? "kill" : "shutdown");
        await settle();
        assert.equal(crashes.length, how === "crash" ? 1 : 0);
        assert.deepEqual(Registry.lookup(unique, "a"), []);
        assert.deepEqual(Registry.keys(unique, a.pid), []);
        assert.deepEqual(Registry.lookup(dup, "t"), [[b.pid, 3]]);
        assert.equal(Registry.count(unique), 1);
        assert.equal(Registry.count(dup), 1);
        Registry.register(unique, b, "a", 4);
        assert.deepEqual(Registry.lookup(unique, "a"), [[b.pid, 4]]);
      }),
    );
  }

  test(
    "a process registered in two registries leaves both, and other watchers of it still fire",
    withRuntime(async ({ self, settle }) => {
      const r1 = Registry.start({ keys: "unique" });
      const r2 = Registry.start({ keys: "duplicate" });
      const [a] = await holders(1, settle);
      assert.ok(a);
      const before = self.monitor(a.pid);
      Registry.register(r1, a, "k", null);
      Registry.register(r2, a, "k", null);
      Registry.unregister(r1, a, "k");
      Registry.register(r1, a, "k2", null);
      const after = self.monitor(a.pid);
      exit(a.pid, "kill");
      await assertReceive(self, { type: "DOWN", ref: before });
      await assertReceive(self, { type: "DOWN", ref: after });
      assert.equal(Registry.count(r1), 0);
      assert.equal(Registry.count(r2), 0);
    }),
  );
  test(
    "a hook that releases a key while its process exits leaves the other hooks to fire",
    withRuntime(async ({ self, settle }) => {
      const registry = Registry.start({ keys: "unique" });
      const [a] = await holders(1, settle);
      assert.ok(a);
      const ref = self.monitor(a.pid);
      Registry.register(registry, a, "k", null);
      // What GenServer does for a via-name: release it from an exit hook attached after the
      // registry's own, which empties (and detaches) the registry's hook mid-exit.
      class Release extends ExitHook {
        onExit(): void {
          registry.unregisterName("k");
        }
      }
      attachHook(a as Process, new Release());
      exit(a.pid, "kill");
      await assertReceive(self, { type: "DOWN", ref, reason: "killed" });
      assert.equal(Registry.count(registry), 0);
    }),
  );
});

describe("Registry reads", () => {
  test(
    "match and countMatch take a pattern or a predicate; select and countSelect a predicate",
    withRuntime(async ({ settle }) => {
      const registry = Registry.start<string, { role: string; age: number }>({
        keys: "duplicate",
      });
      const [a, b, c] = await holders(3, settle);
      assert.ok(a && b && c);
      Registry.register(registry, a, "room", { role: "admin", age: 40 });
      Registry.register(registry, b, "room", { role: "guest", age: 17 });
      Registry.register(registry, c, "room", { role: "guest", age: 30 });
      Registry.register(registry, c, "hall", { role: "admin", age: 30 });
      assert.deepEqual(Registry.match(registry, "room", { role: "guest" }), [
        [b.pid, { role: "guest", age: 17 }],
        [c.pid, { role: "guest", age: 30 }],
      ]);
      assert.deepEqual(
        Registry.match(registry, "room", {
          role: "admin",
          age: (n: unknown) => (n as number) > 30,
        }),
        [[a.pid, { role: "admin", age: 40 }]],
      );
      const adult = (v: unknown) => (v as { age: number }).age >= 18;
      assert.equal(Registry.countMatch(registry, "room", adult), 2);
      assert.equal(Registry.countMatch(registry, "nowhere", adult), 0);
      assert.deepEqual(Registry.match(registry, "room", "not an object"), []);
      const admins = Registry.select(registry, ({ value }) => value.role === "admin");
      assert.deepEqual(
        admins.map(({ key, pid }) => [key, pid]),
        [
          ["room", a.pid],
          ["hall", c.pid],
        ],
      );
      assert.equal(Registry.select(registry).length, 4);
      assert.equal(
        Registry.countSelect(registry, ({ pid }) => pid === c.pid),
        2,
      );
    }),
  );

  test(
    "meta, putMeta and deleteMeta",
    withRuntime(async () => {
      const registry = Registry.start({ keys: "unique" });
      assert.equal(Registry.meta(registry, "region"), undefined);
      Registry.putMeta(registry, "region", "eu");
      Registry.putMeta(registry, { custom: 1 }, "object keys are fine");
      assert.equal(Registry.meta(registry, "region"), "eu");
      assert.equal(Registry.deleteMeta(registry, "region"), true);
      assert.equal(Registry.deleteMeta(registry, "region"), false);
      assert.equal(Registry.meta(registry, "region"), undefined);
    }),
  );
});

describe("Registry lifetime, names and listeners", () => {
  test(
    "stopping or killing the owner removes the registry and detaches it from its processes",
    withRuntime(async ({ self, settle }) => {
      const registry = Registry.start({ keys: "unique" });
      const [a] = await holders(1, settle);
      assert.ok(a);
      Registry.register(registry, a, "k", 1);
      const ref = self.monitor(registry.pid);
      Registry.stop(registry, "shutdown");
      await assertReceive(self, { type: "DOWN", ref, reason: "shutdown" });
      const stopped = {
        code: "ERR_NOPROC",
        message: `no process: ${registry.pid} (the registry has stopped)`,
      };
      assert.throws(() => Registry.lookup(registry, "k"), stopped);
      assert.throws(() => Registry.register(registry, a, "k", 2), stopped);
      assert.throws(() => Registry.count(registry), NoProcError);
      Registry.stop(registry); // already stopped: nothing happens
      const killed = Registry.start({ keys: "duplicate" });
      exit(killed.pid, "kill");
      assert.throws(
        () => Registry.count(killed),
        stopped.code === "ERR_NOPROC" ? NoProcError : Error,
      );
      send(a.pid, "stop");
      await settle();
    }),
  );

  test(
    "startLink ties the registry to its parent",
    withRuntime(async ({ settle }) => {
      let registry: Registry | undefined;
      const parent = spawn(async (self) => {
        registry = Registry.startLink(self, { keys: "unique" });
        await self.receive();
        throw new Error("parent fails");
      });
      await settle();
      assert.ok(registry);
      assert.equal(Registry.count(registry), 0);
      send(parent, "go");
      await settle();
      assert.throws(() => Registry.count(registry as Registry), NoProcError);
    }),
  );

  test(
    "a named registry is reachable by its name, typed with Registry.named",
    withRuntime(async ({ settle }) => {
      const registry = Registry.start<string, number>({ keys: "unique", name: "users" });
      const users = Registry.named<string, number>("users");
      const [a] = await holders(1, settle);
      assert.ok(a);
      Registry.register(users, a, "alice", 1);
      assert.deepEqual(Registry.lookup(registry, "alice"), [[a.pid, 1]]);
      assert.equal(Registry.count("users"), 1);
      Registry.stop(users);
      assert.throws(() => Registry.count("users"), {
        code: "ERR_NOPROC",
        message: 'no process: "users"',
      });
      Registry.start({ keys: "unique", name: "taken" });
      assert.throws(() => Registry.start({ keys: "unique", name: "taken" }), {
        code: "ERR_NAME_TAKEN",
      });
    }),
  );

  test(
    "listeners hear of register and unregister, not of exits",
    withRuntime(async ({ self, settle }) => {
      const registry = Registry.start<string, number>({
        keys: "duplicate",
        listeners: [self.pid, "nobody-holds-this-name"],
      });
      const [a] = await holders(1, settle);
      assert.ok(a);
      Registry.register(registry, a, "k", 7);
      const event = await assertReceive<RegistryEvent<string, number>>(self, { type: "register" });
      assert.deepEqual(event, { type: "register", key: "k", pid: a.pid, value: 7, registry });
      Registry.unregister(registry, a, "k");
      Registry.unregister(registry, a, "k");
      const gone = await assertReceive(self, { type: "unregister" });
      assert.deepEqual(gone, { type: "unregister", key: "k", pid: a.pid, registry });
      Registry.register(registry, a, "k", 8);
      await assertReceive(self, { type: "register", value: 8 });
      exit(a.pid, "kill");
      await refuteReceive(self, () => true);
    }),
  );
});
