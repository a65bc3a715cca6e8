import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  GenServer,
  ignore,
  isAlive,
  isBeamishError,
  isExitMessage,
  type Naming,
  type Pid,
  StartError,
  spawn,
  stop,
  whereis,
} from "beamish";
import { assertReceive, withRuntime } from "beamish/testing";
import { type Counter, counter } from "./helpers.js";

const startError = (reason: unknown) => (e: unknown) =>
  e instanceof StartError &&
  isBeamishError(e, "ERR_START") &&
  assert.deepEqual(e.reason, reason) === undefined;

describe("GenServer.start", () => {
  test(
    "resolves with a typed pid after init, and calls work",
    withRuntime(async ({ runtime }) => {
      const server = await GenServer.start(counter(), 10);
      assert.equal(await GenServer.call(server, "get"), 10);
      assert.equal(await GenServer.call(server, "add", 5), 15);
      assert.equal(runtime.processCount, 2);
    }),
  );

  test(
    "async init: messages wait until it settles",
    withRuntime(async ({ clock }) => {
      const def = {
        ...counter(),
        init: async (n: number, self: { sleep(ms: number): Promise<void> }) => {
          await self.sleep(100);
          return n;
        },
      } as GenServer.Definition<Counter, number, number>;
      let started = false;
      const p = GenServer.start(def, 7).then((s) => {
        started = true;
        return s;
      });
      await clock.advance(99);
      assert.equal(started, false);
      await clock.advance(1);
      assert.equal(await GenServer.call(await p, "get"), 7);
    }),
  );

  test(
    "init that throws rejects with StartError carrying the error; no process is left",
    withRuntime(async ({ runtime, crashes }) => {
      const error = new Error("bad init");
      const def = {
        ...counter(),
        init: () => {
          throw error;
        },
      };
      await assert.rejects(GenServer.start(def, 0), startError(error));
      assert.equal(runtime.processCount, 1);
      assert.equal(crashes.length, 0);
    }),
  );

  test(
    "init that rejects rejects with StartError",
    withRuntime(async ({ runtime }) => {
      const error = new Error("async bad init");
      const def = { ...counter(), init: async () => Promise.reject(error) };
      await assert.rejects(GenServer.start(def, 0), startError(error));
      assert.equal(runtime.processCount, 1);
    }),
  );

  test(
    "init returning stop(reason) rejects with that reason, without terminate",
    withRuntime(async ({ runtime }) => {
      const log: unknown[] = [];
      const def = { ...counter(log), init: () => stop("bad config") };
      await assert.rejects(GenServer.start(def, 0), startError("bad config"));
      assert.equal(runtime.processCount, 1);
      assert.deepEqual(log, []);
    }),
  );

  test(
    'init returning ignore() rejects with reason "ignore" and the process exits normal',
    withRuntime(async ({ runtime }) => {
      const def = { ...counter(), init: () => ignore() };
      await assert.rejects(GenServer.start(def, 0, { name: "ignored" }), startError("ignore"));
      assert.equal(runtime.processCount, 1);
      assert.equal(whereis("ignored"), undefined);
    }),
  );

  test(
    'init that outlasts the timeout: the process is killed, StartError reason "timeout"',
    withRuntime(async ({ runtime, clock }) => {
      const def = { ...counter(), init: () => new Promise<number>(() => {}) };
      const p = GenServer.start(def, 0, { timeout: 50, name: "slow" });
      const rejected = assert.rejects(p, startError("timeout"));
      await clock.advance(50);
      await rejected;
      assert.equal(runtime.processCount, 1);
      assert.equal(whereis("slow"), undefined);
    }),
  );

  test(
    "a taken name rejects with StartError whose reason is the NameTakenError",
    withRuntime(async () => {
      const first = await GenServer.start(counter(), 0, { name: "c" });
      await assert.rejects(
        GenServer.start(counter(), 0, { name: "c" }),
        (e: unknown) =>
          isBeamishError(e, "ERR_START") &&
          isBeamishError(e.reason, "ERR_NAME_TAKEN") &&
          (e.reason as unknown as { pid: Pid }).pid === first,
      );
    }),
  );

  test(
    "bad options reject with the exact message",
    withRuntime(async () => {
      await assert.rejects(GenServer.start(counter(), 0, { timeout: -1 }), {
        code: "ERR_INVALID_ARGUMENT",
        message:
          "invalid value for `options.timeout`: expected a non-negative integer (ms) or Infinity, got -1",
      });
      await assert.rejects(GenServer.start(counter(), 0, { name: "" }), {
        message:
          'invalid value for `options.name`: expected a non-empty string or a via-name { via, key }, got ""',
      });
      // biome-ignore lint/suspicious/noExplicitAny: an untyped definition on purpose
      await assert.rejects(GenServer.start({ init: 1 } as any, 0), {
        message: "invalid value for `definition.init`: expected a function, got 1",
      });
      await assert.rejects(
        // biome-ignore lint/suspicious/noExplicitAny: an untyped option on purpose
        GenServer.start(counter(), 0, { timout: 5 } as any),
        /invalid value for `options.timout`: expected one of the options name, timeout, trapExit, got 5/,
      );
    }),
  );

  test(
    "a local name is registered while the server lives and freed when it exits",
    withRuntime(async () => {
      const server = await GenServer.start(counter(), 3, { name: "counter" });
      assert.equal(whereis("counter"), server);
      const named = GenServer.named<Counter>("counter");
      assert.equal(await GenServer.call(named, "get"), 3);
      GenServer.cast(named, "inc", 2);
      assert.equal(await GenServer.call(named, "get"), 5);
      assert.equal(GenServer.whereis<Counter>("counter"), server);
      await GenServer.stop(named);
      assert.equal(whereis("counter"), undefined);
    }),
  );

  test(
    "a via-name is registered through its Naming at start and unregistered at exit",
    withRuntime(async () => {
      const table = new Map<string, Pid>();
      const events: string[] = [];
      const via: Naming<string> = {
        registerName(key, pid) {
          if (table.has(key)) throw new Error(`taken: ${key}`);
          events.push(`register ${key}`);
          table.set(key, pid);
        },
        unregisterName(key) {
          events.push(`unregister ${key}`);
          table.delete(key);
        },
        whereisName: (key) => table.get(key),
      };
      const name = { via, key: "user:1" };
      const server = await GenServer.start(counter(), 1, { name });
      assert.equal(table.get("user:1"), server);
      const typed = GenServer.named<Counter>(name);
      assert.equal(await GenServer.call(typed, "add", 1), 2);
      await assert.rejects(GenServer.start(counter(), 1, { name }), /taken: user:1/);
      await GenServer.stop(typed);
      assert.deepEqual(events, ["register user:1", "unregister user:1"]);
      await assert.rejects(GenServer.call(typed, "get"), { code: "ERR_NOPROC" });
    }),
  );
});

describe("GenServer.startLink", () => {
  test(
    "a crash of the server kills a parent that does not trap exits",
    withRuntime(async ({ self }) => {
      const parent = spawn(async (p) => {
        const server = await GenServer.startLink(p, counter(), 0);
        GenServer.cast(server, "crash");
        await p.receive();
      });
      self.monitor(parent);
      const down = await assertReceive(self, { type: "DOWN" });
      assert.match(String((down as { reason: Error }).reason), /cast crash/);
    }),
  );

  test(
    "a trapping parent gets an ExitMessage from the server",
    withRuntime(async ({ self }) => {
      self.trapExit(true);
      const server = await GenServer.startLink(self, counter(), 0);
      GenServer.cast(server, "crash");
      const msg = await assertReceive(self, isExitMessage);
      assert.equal(msg.from, server);
      assert.match(String(msg.reason), /cast crash/);
    }),
  );

  test(
    "the server records its parent; a failing init signals the linked parent",
    withRuntime(async ({ self }) => {
      self.trapExit(true);
      const def = {
        ...counter(),
        init: () => {
          throw new Error("nope");
        },
      };
      await assert.rejects(GenServer.startLink(self, def, 0), { code: "ERR_START" });
      const msg = await assertReceive(self, isExitMessage);
      assert.match(String(msg.reason), /nope/);
    }),
  );

  test(
    "a start timeout unlinks before killing: the parent gets no exit signal",
    withRuntime(async ({ self, clock }) => {
      self.trapExit(true);
      const def = { ...counter(), init: () => new Promise<number>(() => {}) };
      const p = GenServer.startLink(self, def, 0, { timeout: 10 });
      const rejected = assert.rejects(p, { code: "ERR_START", reason: "timeout" });
      await clock.advance(10);
      await rejected;
      const { refuteReceive } = await import("beamish/testing");
      await refuteReceive(self, isExitMessage);
    }),
  );

  test(
    "a dead parent makes startLink reject",
    withRuntime(async ({ settle }) => {
      let saved: Parameters<Parameters<typeof spawn>[0]>[0] | undefined;
      const pid = spawn((p) => {
        saved = p;
      });
      await settle();
      assert.equal(isAlive(pid), false);
      await assert.rejects(GenServer.startLink(saved as never, counter(), 0), {
        code: "ERR_PROCESS_EXITED",
      });
    }),
  );
});
