import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  Agent,
  GenServer,
  isBeamishError,
  NoProcError,
  Registry,
  reply,
  send,
  spawn,
  stop,
  whereis,
} from "beamish";
import { assertReceive, refuteReceive, withRuntime } from "beamish/testing";

interface Counter {
  calls: { get(): number; add(n: number): number; quit(): string };
  casts: { crash(): void };
}

const counter: GenServer.Definition<Counter, number, number> = {
  init: (n) => n,
  handleCall: {
    get: (_, _from, n) => reply(n, n),
    add: (by, _from, n) => reply(n + by, n + by),
    quit: (_, _from, n) => stop("normal", n, { reply: "bye" }),
  },
  handleCast: {
    crash: () => {
      throw new Error("crash");
    },
  },
};

describe("Registry via-names", () => {
  test(
    "a GenServer started under a via-name is called by it; the name is freed on exit and reusable",
    withRuntime(async ({ settle }) => {
      const registry = Registry.start<string>({ keys: "unique" });
      const name = Registry.via<Counter>(registry, "counter:1");
      const pid = await GenServer.start(counter, 10, { name });
      assert.deepEqual(Registry.lookup(registry, "counter:1"), [[pid, undefined]]);
      assert.equal(await GenServer.call(name, "add", 5), 15);
      const byHand = GenServer.named<Counter>({ via: registry, key: "counter:1" });
      assert.equal(await GenServer.call(byHand, "get"), 15);
      assert.equal(GenServer.whereis(name), pid);

      await assert.rejects(GenServer.start(counter, 0, { name }), (e: unknown) => {
        assert.ok(isBeamishError(e, "ERR_START"));
        assert.ok(isBeamishError(e.reason, "ERR_ALREADY_REGISTERED"));
        assert.equal(e.reason.pid, pid);
        return true;
      });
      assert.equal(Registry.count(registry), 1);

      assert.equal(await GenServer.call(name, "quit"), "bye");
      await settle();
      assert.deepEqual(Registry.lookup(registry, "counter:1"), []);
      await assert.rejects(GenServer.call(name, "get"), NoProcError);

      const again = await GenServer.start(counter, 1, { name });
      assert.notEqual(again, pid);
      assert.equal(await GenServer.call(name, "get"), 1);
      GenServer.cast(name, "crash");
      await settle();
      assert.deepEqual(Registry.lookup(registry, "counter:1"), []);
    }),
  );

  test(
    "an Agent under a via-name, and a monitor on it still fires after the name is released",
    withRuntime(async ({ self, settle }) => {
      const registry = Registry.start({ keys: "unique", listeners: [self.pid] });
      const name = Registry.via(registry, "hits");
      const agent = await Agent.start(() => 0, { name });
      await assertReceive(self, { type: "register", key: "hits", pid: agent });
      const hits = Agent.named<number>(name);
      await Agent.update(hits, (n) => n + 1);
      assert.equal(await Agent.get(hits, (n) => n), 1);
      const ref = self.monitor(agent);
      await Agent.stop(hits);
      await assertReceive(self, { type: "DOWN", ref, reason: "normal" });
      // The server's release of its via-name on exit is not an unregistration.
      await refuteReceive(self, { type: "unregister" }, { timeout: 0 });
      await settle();
      assert.equal(Registry.count(registry), 0);
      const next = await Agent.start(() => 5, { name });
      assert.equal(await Agent.get(hits, (n) => n), 5);
      assert.deepEqual(Registry.keys(registry, next), ["hits"]);
    }),
  );

  test(
    "send and a plain process under a via-name; a name given by registry name survives a restart",
    withRuntime(async ({ self, settle }) => {
      Registry.start({ keys: "unique", name: "procs" });
      const name = Registry.via("procs", "echo");
      const echo = spawn(async (p) => {
        const { from, text } = (await p.receive()) as { from: typeof self.pid; text: string };
        send(from, text.toUpperCase());
      });
      name.via.registerName(name.key, echo);
      send(name, { from: self.pid, text: "hi" });
      await assertReceive(self, "HI");
      await settle();
      assert.equal(name.via.whereisName(name.key), undefined);
      assert.throws(() => send(name, "x"), NoProcError);

      Registry.stop(Registry.named("procs"));
      assert.equal(whereis("procs"), undefined);
      assert.equal(name.via.whereisName(name.key), undefined);
      name.via.unregisterName(name.key); // the registry is gone: nothing to free
      await assert.rejects(GenServer.start(counter, 0, { name }), { code: "ERR_START" });

      Registry.start({ keys: "unique", name: "procs" });
      const pid = await GenServer.start(counter, 3, { name });
      assert.equal(await GenServer.call(GenServer.named<Counter>(name), "get"), 3);
      assert.deepEqual(Registry.lookup("procs", "echo"), [[pid, undefined]]);
    }),
  );

  test(
    "via-names need unique keys; registerName needs a live pid",
    withRuntime(async ({ settle }) => {
      const dup = Registry.start({ keys: "duplicate", name: "dup" });
      const message =
        'invalid value for `registry.keys`: expected "unique" (via-names need unique keys), got "duplicate"';
      assert.throws(() => Registry.via(dup, "k"), { code: "ERR_INVALID_ARGUMENT", message });
      assert.throws(() => dup.whereisName("k"), { message });
      assert.throws(() => dup.registerName("k", dup.pid), { message });
      assert.throws(() => dup.unregisterName("k"), { message });
      assert.throws(() => Registry.via("dup", "k").via.whereisName("k"), { message });

      const registry = Registry.start({ keys: "unique" });
      assert.throws(() => registry.registerName("k", "pid" as never), {
        code: "ERR_INVALID_ARGUMENT",
        message: 'invalid value for `pid`: expected a pid, got "pid"',
      });
      const dead = spawn(() => {});
      await settle();
      assert.throws(() => registry.registerName("k", dead), {
        code: "ERR_NOPROC",
        message: `no process: ${dead}`,
      });
      assert.equal(Registry.count(registry), 0);
    }),
  );
});
