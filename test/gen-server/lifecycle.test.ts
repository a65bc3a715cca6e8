import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  type DownMessage,
  exit,
  GenServer,
  isDownMessage,
  isExitMessage,
  noreply,
  ok,
  processInfo,
  reply,
  type Self,
  send,
  sendAfter,
  spawn,
  stop,
} from "beamish";
import { assertReceive, withRuntime } from "beamish/testing";
import { type Counter, counter } from "./helpers.js";

interface Recorder {
  calls: { log(): string[] };
  casts: { push(item: string): void; later(item: string): void };
}

/** A server that records, in order, what its callbacks see. */
function recorder(extra: Partial<GenServer.Definition<Recorder, string[], string>> = {}) {
  const def: GenServer.Definition<Recorder, string[], string> = {
    init: (first) => ok([`init ${first}`], { continue: "after init" }),
    handleCall: { log: (_, _from, log) => reply(log, log) },
    handleCast: {
      push: (item, log) => [...log, `cast ${item}`],
      later: (item, log) => noreply([...log, `cast ${item}`], { continue: item }),
    },
    handleContinue: (arg, log) => [...log, `continue ${String(arg)}`],
    handleInfo: (message, log) => [...log, `info ${show(message)}`],
    ...extra,
  };
  return def;
}

function show(message: unknown): string {
  if (isDownMessage(message)) return `DOWN ${String(message.reason)}`;
  if (isExitMessage(message)) return `EXIT ${String(message.reason)}`;
  return String(message);
}

describe("callbacks", () => {
  test(
    "handleContinue runs after init and after a callback, before the next message",
    withRuntime(async () => {
      const server = await GenServer.start(recorder(), "x");
      GenServer.cast(server, "later", "a");
      GenServer.cast(server, "push", "b");
      assert.deepEqual(await GenServer.call(server, "log"), [
        "init x",
        "continue after init",
        "cast a",
        "continue a",
        "cast b",
      ]);
    }),
  );

  test(
    "handleInfo gets sendAfter messages, DOWN messages and plain sends",
    withRuntime(async ({ clock }) => {
      const server = await GenServer.start(
        recorder({
          handleCast: {
            push: (item, log, self) => {
              if (item === "watch") {
                const child = spawn(() => undefined);
                self.monitor(child);
                sendAfter(self.pid, "tick", 100);
              }
              return [...log, `cast ${item}`];
            },
            later: (_, log) => log,
          },
        }),
        "y",
      );
      GenServer.cast(server, "push", "watch");
      send(server, "hello");
      await clock.advance(100);
      assert.deepEqual(await GenServer.call(server, "log"), [
        "init y",
        "continue after init",
        "cast watch",
        "info hello",
        "info DOWN normal",
        "info tick",
      ]);
    }),
  );

  test(
    "messages without handleInfo are dropped; the server lives on",
    withRuntime(async () => {
      const server = await GenServer.start(counter(), 1);
      send(server, "junk");
      assert.equal(await GenServer.call(server, "get"), 1);
    }),
  );

  test(
    "async handlers keep message order: later messages wait for the pending one",
    withRuntime(async ({ clock }) => {
      const seen: string[] = [];
      interface Q {
        calls: { all(): string[] };
        casts: { add(x: { item: string; wait: number }): void };
      }
      const def: GenServer.Definition<Q, string[], undefined> = {
        init: () => [],
        handleCall: { all: (_, _f, s) => reply(s, s) },
        handleCast: {
          add: async ({ item, wait }, s, self) => {
            seen.push(`start ${item}`);
            if (wait > 0) await self.sleep(wait);
            seen.push(`end ${item}`);
            return [...s, item];
          },
        },
      };
      const server = await GenServer.start(def, undefined);
      GenServer.cast(server, "add", { item: "a", wait: 30 });
      GenServer.cast(server, "add", { item: "b", wait: 0 });
      GenServer.cast(server, "add", { item: "c", wait: 10 });
      const all = GenServer.call(server, "all");
      await clock.advance(40);
      assert.deepEqual(await all, ["a", "b", "c"]);
      assert.deepEqual(seen, ["start a", "end a", "start b", "end b", "start c", "end c"]);
    }),
  );

  test(
    "handlers get self: pid, signal and monitor work",
    withRuntime(async () => {
      interface Me {
        calls: { me(): string };
      }
      let handle: Self | undefined;
      const def: GenServer.Definition<Me, null, undefined> = {
        init: (_, self) => {
          handle = self;
          return null;
        },
        handleCall: { me: (_, _f, s, self) => reply(String(self.pid), s) },
      };
      const server = await GenServer.start(def, undefined);
      assert.equal(await GenServer.call(server, "me"), String(server));
      const signal = (handle as Self).signal;
      assert.equal(signal.aborted, false);
      await GenServer.stop(server);
      assert.equal(signal.aborted, true);
    }),
  );
});

describe("terminate", () => {
  test(
    "runs on GenServer.stop with the reason and the state; stop resolves once it is gone",
    withRuntime(async ({ self }) => {
      const log: unknown[] = [];
      const server = await GenServer.start(counter(log), 5);
      self.monitor(server);
      GenServer.cast(server, "inc", 1);
      await GenServer.stop(server, "shutdown");
      assert.deepEqual(log, [{ reason: "shutdown", state: 6 }]);
      const down = await assertReceive<DownMessage>(self, isDownMessage);
      assert.equal(down.reason, "shutdown");
    }),
  );

  test(
    "runs on a stop directive, after the reply went out",
    withRuntime(async () => {
      const log: unknown[] = [];
      const server = await GenServer.start(counter(log), 2);
      assert.equal(await GenServer.call(server, "quit"), "bye");
      assert.deepEqual(log, [{ reason: "normal", state: 2 }]);
    }),
  );

  test(
    "runs when a callback throws; the crash is reported once and is the exit reason",
    withRuntime(async ({ self, crashes }) => {
      const log: unknown[] = [];
      const server = await GenServer.start(counter(log), 3);
      self.monitor(server);
      GenServer.cast(server, "crash");
      const down = await assertReceive<DownMessage>(self, isDownMessage);
      assert.match(String(down.reason), /cast crash/);
      assert.equal(log.length, 1);
      assert.equal((log[0] as { reason: unknown }).reason, down.reason);
      assert.equal(crashes.length, 1);
      assert.equal(crashes[0]?.error, down.reason);
    }),
  );

  test(
    "runs on the parent's exit when trapping exits; other exits go to handleInfo",
    withRuntime(async ({ self }) => {
      const log: unknown[] = [];
      let server: GenServer.Server<Recorder> | undefined;
      const parent = spawn(async (p) => {
        server = await GenServer.startLink(
          p,
          recorder({ terminate: (reason, state) => void log.push({ reason, state }) }),
          "z",
          { trapExit: true },
        );
        await p.receive();
      });
      await new Promise((r) => setImmediate(r));
      const s = server as GenServer.Server<Recorder>;
      self.monitor(s);
      // An exit signal from another process is just a message.
      exit(s, "other");
      assert.deepEqual((await GenServer.call(s, "log")).slice(-1), ["info EXIT other"]);
      exit(parent, "shutdown");
      const down = await assertReceive<DownMessage>(self, isDownMessage);
      assert.equal(down.reason, "shutdown");
      assert.equal(log.length, 1);
      assert.equal((log[0] as { reason: unknown }).reason, "shutdown");
    }),
  );

  test(
    "does not run on kill, nor on a linked exit it does not trap",
    withRuntime(async ({ self }) => {
      const log: unknown[] = [];
      const a = await GenServer.start(counter(log), 0);
      self.monitor(a);
      exit(a, "kill");
      assert.equal((await assertReceive<DownMessage>(self, isDownMessage)).reason, "killed");
      const b = await GenServer.start(counter(log), 0);
      self.monitor(b);
      exit(b, "shutdown");
      assert.equal((await assertReceive<DownMessage>(self, isDownMessage)).reason, "shutdown");
      assert.deepEqual(log, []);
    }),
  );

  test(
    "an async terminate holds the exit until it settles",
    withRuntime(async ({ clock }) => {
      const log: string[] = [];
      const def = {
        ...counter(),
        terminate: async (_r: unknown, _s: number, self: Self) => {
          await self.sleep(20);
          log.push("cleaned");
        },
      };
      const server = await GenServer.start(def, 0);
      let stopped = false;
      const p = GenServer.stop(server).then(() => {
        stopped = true;
      });
      await clock.advance(19);
      assert.equal(stopped, false);
      await clock.advance(1);
      await p;
      assert.deepEqual(log, ["cleaned"]);
    }),
  );

  test(
    "a stop directive with an abnormal reason is reported; with a normal one it is not",
    withRuntime(async ({ self, crashes }) => {
      interface S {
        casts: { end(reason: string): void };
      }
      const def: GenServer.Definition<S, null, undefined> = {
        init: () => null,
        handleCast: { end: (reason, s) => stop(reason, s) },
      };
      const a = await GenServer.start(def, undefined);
      self.monitor(a);
      GenServer.cast(a, "end", "normal");
      await assertReceive(self, isDownMessage);
      assert.equal(crashes.length, 0);
      const b = await GenServer.start(def, undefined);
      self.monitor(b);
      GenServer.cast(b, "end", "broken");
      assert.equal((await assertReceive<DownMessage>(self, isDownMessage)).reason, "broken");
      assert.equal(crashes.length, 1);
    }),
  );
});

describe("GenServer.stop", () => {
  test(
    "rejects with noproc for a dead server, and with StopTimeoutError when it does not exit in time",
    withRuntime(async ({ clock }) => {
      const server = await GenServer.start(counter(), 0);
      await GenServer.stop(server);
      await assert.rejects(GenServer.stop(server), { code: "ERR_NOPROC" });
      const busy = await GenServer.start(counter(), 0);
      void GenServer.call(busy, "slow", 1000).catch(() => {});
      const stopping = GenServer.stop(busy, "normal", 100);
      const rejected = assert.rejects(stopping, { code: "ERR_STOP_TIMEOUT", timeout: 100 });
      await clock.advance(100);
      await rejected;
      await assert.rejects(GenServer.stop(busy, "normal", -5), { code: "ERR_INVALID_ARGUMENT" });
    }),
  );

  test(
    "runs after the messages already queued",
    withRuntime(async () => {
      const log: unknown[] = [];
      const server = await GenServer.start(counter(log), 0);
      GenServer.cast(server, "inc", 1);
      GenServer.cast(server, "inc", 2);
      await GenServer.stop(server);
      assert.deepEqual(log, [{ reason: "normal", state: 3 }]);
    }),
  );

  test(
    "casts to a dead pid or an unregistered name are dropped",
    withRuntime(async () => {
      const server = await GenServer.start(counter(), 0);
      await GenServer.stop(server);
      GenServer.cast(server, "inc", 1);
      GenServer.cast(GenServer.named<Counter>("nobody"), "inc", 1);
    }),
  );
});

describe("casts", () => {
  test(
    "casts with and without an argument keep their order among calls; one slot without argument",
    withRuntime(async ({ settle }) => {
      const server = await GenServer.start(counter(), 5);
      // Queued before the server runs: inc 3, reset, inc 4, then a call reading the state.
      GenServer.cast(server, "inc", 3);
      GenServer.cast(server, "reset");
      GenServer.cast(server, "inc", 4);
      assert.equal(processInfo(server)?.mailboxLength, 5);
      assert.equal(await GenServer.call(server, "get"), 4);
      GenServer.cast(server, "reset");
      GenServer.cast(server, "reset");
      assert.equal(processInfo(server)?.mailboxLength, 2);
      await settle();
      assert.equal(await GenServer.call(server, "add", 1), 1);
    }),
  );
});
