import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  type DownMessage,
  exit,
  InvalidArgumentError,
  isBeamishError,
  isDownMessage,
  NameTakenError,
  NoProcError,
  type Pid,
  processInfo,
  register,
  send,
  spawn,
  unregister,
  whereis,
} from "beamish";
import { assertReceive, withRuntime } from "beamish/testing";

/** A process that forwards every message it gets to `to`, tagged with its own pid. */
function echo(to: Pid): Pid {
  return spawn(async (p) => {
    for (;;) send(to, { via: p.pid, message: await p.receive() });
  });
}

function isNameTaken(name: string, holder: Pid) {
  return (e: unknown) => {
    assert.ok(e instanceof NameTakenError, String(e));
    assert.ok(isBeamishError(e, "ERR_NAME_TAKEN"));
    assert.equal(e.takenName, name);
    assert.ok(e.pid.equals(holder));
    assert.equal(e.message, `name ${JSON.stringify(name)} is already registered to ${holder}`);
    return true;
  };
}

describe("local names", () => {
  it(
    "register, resolve with whereis and send, and unregister",
    withRuntime(async ({ self, runtime }) => {
      const pid = echo(self.pid);
      assert.equal(whereis("echo"), undefined);
      register("echo", pid);
      assert.ok(whereis("echo")?.equals(pid));
      assert.equal(processInfo(pid)?.name, "echo");
      assert.deepEqual(runtime.registered(), ["echo"]);
      send("echo", "hi");
      const got = await assertReceive<{ via: Pid }>(self, { message: "hi" });
      assert.ok(got.via.equals(pid));
      assert.equal(unregister("echo"), true);
      assert.equal(unregister("echo"), false);
      assert.equal(whereis("echo"), undefined);
      assert.equal(processInfo(pid)?.name, undefined);
      assert.throws(() => send("echo", "again"), NoProcError);
    }),
  );

  it(
    "are freed when their process exits, and can be taken again",
    withRuntime(async ({ self }) => {
      const first = echo(self.pid);
      register("svc", first);
      self.monitor(first);
      exit(first, "kill");
      await assertReceive<DownMessage>(self, isDownMessage);
      assert.equal(whereis("svc"), undefined);
      const second = echo(self.pid);
      register("svc", second);
      assert.ok(whereis("svc")?.equals(second));
    }),
  );

  it(
    "refuse a name held by another process with NameTakenError",
    withRuntime(() => {
      const holder = echo(spawn(() => undefined));
      const other = spawn(async (p) => {
        await p.receive();
      });
      register("taken", holder);
      assert.throws(() => register("taken", other), isNameTaken("taken", holder));
      assert.ok(whereis("taken")?.equals(holder));
      assert.equal(processInfo(other)?.name, undefined);
    }),
  );

  it(
    "give a process at most one name",
    withRuntime(() => {
      const pid = spawn(async (p) => {
        await p.receive();
      });
      register("first", pid);
      assert.throws(() => register("second", pid), NameTakenError);
      assert.equal(whereis("second"), undefined);
      assert.equal(processInfo(pid)?.name, "first");
    }),
  );

  it(
    "survive an unregister followed by the old holder's exit",
    withRuntime(async ({ self }) => {
      const old = echo(self.pid);
      register("slot", old);
      unregister("slot");
      const next = echo(self.pid);
      register("slot", next);
      self.monitor(old);
      exit(old, "kill");
      await assertReceive(self, isDownMessage);
      assert.ok(whereis("slot")?.equals(next));
    }),
  );

  it(
    "cannot be registered for a dead process, nor be empty",
    withRuntime(async ({ settle }) => {
      const dead = spawn(() => undefined);
      await settle();
      assert.throws(
        () => register("late", dead),
        (e: unknown) => e instanceof NoProcError && e.dest === dead,
      );
      assert.equal(whereis("late"), undefined);
      const live = spawn(async (p) => {
        await p.receive();
      });
      assert.throws(
        () => register("", live),
        (e: unknown) =>
          e instanceof InvalidArgumentError &&
          e.message === 'invalid value for `name`: expected a non-empty string, got ""',
      );
      assert.throws(
        () => register(7 as never, live),
        /invalid value for `name`: expected a non-empty string, got 7/,
      );
    }),
  );
});

describe("spawn with a name", () => {
  it(
    "registers the name before the body runs",
    withRuntime(async ({ self }) => {
      const pid = spawn(
        async (p) => {
          send(self.pid, { seen: whereis("named")?.equals(p.pid) });
          send(self.pid, { first: await p.receive() });
        },
        { name: "named" },
      );
      assert.ok(whereis("named")?.equals(pid));
      send("named", "queued before the body ran");
      await assertReceive(self, { seen: true });
      await assertReceive(self, { first: "queued before the body ran" });
    }),
  );

  it(
    "throws NameTakenError for a taken name and starts no process",
    withRuntime(async ({ runtime, settle }) => {
      const holder = spawn(
        async (p) => {
          await p.receive();
        },
        { name: "only" },
      );
      const before = runtime.processCount;
      let ran = false;
      assert.throws(
        () =>
          spawn(
            () => {
              ran = true;
            },
            { name: "only" },
          ),
        isNameTaken("only", holder),
      );
      await settle();
      assert.equal(ran, false);
      assert.equal(runtime.processCount, before);
    }),
  );

  it(
    "rejects a name that is not a non-empty string, with the exact message",
    withRuntime(async ({ runtime }) => {
      for (const [name, got] of [
        ["", '""'],
        [42, "42"],
      ] as const) {
        assert.throws(
          () => spawn(() => undefined, { name: name as never }),
          (e: unknown) => {
            assert.ok(e instanceof InvalidArgumentError, String(e));
            assert.equal(
              e.message,
              `invalid value for \`spawn.name\`: expected a non-empty string, got ${got}`,
            );
            return true;
          },
        );
      }
      assert.deepEqual(runtime.registered(), []);
      assert.equal(runtime.processCount, 1);
    }),
  );

  it(
    "rejects an unknown option and a bad trapExit, for spawn, spawnLink and spawnMonitor alike",
    withRuntime(async ({ self, runtime }) => {
      assert.throws(
        () => spawn(() => undefined, { nmae: "typo" } as never),
        /^InvalidArgumentError: invalid value for `spawn.nmae`: expected one of the options name, trapExit, got "typo"$/,
      );
      assert.throws(
        () => self.spawnLink(() => undefined, { trapExit: "yes" } as never),
        /^InvalidArgumentError: invalid value for `spawnLink.trapExit`: expected a boolean, got "yes"$/,
      );
      assert.throws(
        () => self.spawnMonitor(() => undefined, { name: "" }),
        /^InvalidArgumentError: invalid value for `spawnMonitor.name`: expected a non-empty string, got ""$/,
      );
      assert.throws(
        () => self.spawnLink(42 as never),
        /^InvalidArgumentError: invalid value for `body`: expected a function, got 42$/,
      );
      assert.equal(runtime.processCount, 1);
      assert.deepEqual(processInfo(self.pid)?.links, []);
    }),
  );
});
