import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  type DownMessage,
  ExitMessage,
  exit,
  isAlive,
  isDownMessage,
  isExitMessage,
  type Pid,
  processInfo,
  type Self,
  send,
  spawn,
} from "beamish";
import { assertReceive, refuteReceive, withRuntime } from "beamish/testing";

/** A process that waits for messages forever, forwarding them to `forwardTo` if given. */
function idle(options: { trap?: boolean; forwardTo?: Pid } = {}): Pid {
  return spawn(
    async (p) => {
      for (;;) {
        const m = await p.receive();
        if (options.forwardTo !== undefined) send(options.forwardTo, m);
      }
    },
    { trapExit: options.trap },
  );
}

/** Monitors `pid` from `self` and resolves to the reason of its DOWN message. */
async function downReason(self: Self, pid: Pid): Promise<unknown> {
  const down = await assertReceive<DownMessage>(self, (m) => isDownMessage(m) && m.pid.equals(pid));
  return down.reason;
}

/** The EXIT message from `pid`. */
function exitFrom(pid: Pid) {
  return (m: unknown): m is ExitMessage => isExitMessage(m) && m.from.equals(pid);
}

describe("links", () => {
  it(
    "kill the parent when a linked child crashes",
    withRuntime(async ({ self, crashes }) => {
      const boom = new Error("child failed");
      const parent = spawn(async (p) => {
        p.spawnLink(async (c) => {
          await c.receive({ match: (m) => m === "crash" });
          throw boom;
        });
        await p.receive({ match: () => false });
      });
      self.monitor(parent);
      await refuteReceive(self, isDownMessage, { timeout: 10 });
      const child = processInfo(parent)?.links[0] as Pid;
      send(child, "crash");
      assert.equal(await downReason(self, parent), boom);
      assert.equal(isAlive(child), false);
      // Only the crashing child is reported; the parent died of a signal, not of its own crash.
      assert.equal(crashes.length, 1);
    }),
  );

  it(
    "kill a linked child when the parent crashes",
    withRuntime(async ({ self }) => {
      const boom = new Error("parent failed");
      const parent = spawn(async (p) => {
        const child = p.spawnLink(async (c) => {
          await c.receive();
        });
        send(self.pid, { child });
        await p.receive({ match: (m) => m === "crash" });
        throw boom;
      });
      const { child } = await assertReceive<{ child: Pid }>(self, { child: () => true });
      self.monitor(child);
      send(parent, "crash");
      assert.equal(await downReason(self, child), boom);
    }),
  );

  it(
    "do not kill on a normal exit",
    withRuntime(async ({ self }) => {
      const parent = spawn(async (p) => {
        const child = p.spawnLink(async (c) => {
          await c.receive();
        });
        send(self.pid, { child });
        await p.receive();
      });
      const { child } = await assertReceive<{ child: Pid }>(self, { child: () => true });
      self.monitor(child);
      send(child, "finish");
      assert.equal(await downReason(self, child), "normal");
      assert.ok(isAlive(parent));
      assert.deepEqual(processInfo(parent)?.links, []);
    }),
  );

  it(
    "turn a linked exit into an ExitMessage { from, reason } when trapping",
    withRuntime(async ({ self }) => {
      self.trapExit(true);
      const boom = new Error("boom");
      const crashing = self.spawnLink(async (p) => {
        await p.receive();
        throw boom;
      });
      const finishing = self.spawnLink(() => undefined);
      const fromFinishing = await assertReceive<ExitMessage>(self, exitFrom(finishing));
      assert.ok(fromFinishing instanceof ExitMessage);
      assert.equal(fromFinishing.type, "EXIT");
      assert.equal(fromFinishing.reason, "normal");
      send(crashing, "go");
      const fromCrashing = await assertReceive<ExitMessage>(self, exitFrom(crashing));
      assert.equal(fromCrashing.reason, boom);
      assert.ok(isAlive(self.pid));
    }),
  );

  it(
    "set parent with spawnLink, and not with spawn",
    withRuntime(async ({ self }) => {
      self.trapExit(true);
      const linked = self.spawnLink(async (p) => {
        send(self.pid, { parent: p.parent });
        await p.receive();
      });
      const { parent } = await assertReceive<{ parent: Pid }>(self, { parent: () => true });
      assert.ok(parent.equals(self.pid));
      assert.ok(processInfo(linked)?.parent?.equals(self.pid));
      assert.deepEqual(processInfo(linked)?.links, [self.pid]);
      assert.ok(processInfo(self.pid)?.links.some((p) => p.equals(linked)));
      const plain = spawn((p) => send(self.pid, { plainParent: p.parent }));
      await assertReceive(self, { plainParent: undefined });
      assert.ok(plain);
    }),
  );

  it(
    "are removed both ways by unlink, which stops propagation",
    withRuntime(async ({ self }) => {
      const a = idle();
      const b = spawn(async (p) => {
        p.link(a);
        send(self.pid, "linked");
        await p.receive({ match: (m) => m === "unlink" });
        p.unlink(a);
        send(self.pid, "unlinked");
        await p.receive();
      });
      await assertReceive(self, "linked");
      assert.deepEqual(processInfo(a)?.links, [b]);
      assert.deepEqual(processInfo(b)?.links, [a]);
      send(b, "unlink");
      await assertReceive(self, "unlinked");
      assert.deepEqual(processInfo(a)?.links, []);
      assert.deepEqual(processInfo(b)?.links, []);
      self.monitor(a);
      exit(a, "shutdown");
      assert.equal(await downReason(self, a), "shutdown");
      await refuteReceive(self, () => true, { timeout: 10 });
      assert.ok(isAlive(b));
    }),
  );

  it(
    "to a dead pid kill the linker with noproc",
    withRuntime(async ({ self, settle }) => {
      const dead = spawn(() => undefined);
      await settle();
      const linker = spawn(async (p) => {
        p.link(dead);
        await p.receive();
      });
      self.monitor(linker);
      assert.equal(await downReason(self, linker), "noproc");
    }),
  );

  it(
    "to a dead pid give a trapping linker an ExitMessage with noproc",
    withRuntime(async ({ self, settle }) => {
      const dead = spawn(() => undefined);
      await settle();
      self.trapExit(true);
      self.link(dead);
      const msg = await assertReceive<ExitMessage>(self, exitFrom(dead));
      assert.equal(msg.reason, "noproc");
      assert.ok(isAlive(self.pid));
    }),
  );

  it(
    "carry the reason of a process that exits with kill as an ordinary, trappable signal",
    withRuntime(async ({ self }) => {
      self.trapExit(true);
      const pid = self.spawnLink((p) => p.exit("kill"));
      assert.equal((await assertReceive<ExitMessage>(self, exitFrom(pid))).reason, "kill");
      assert.ok(isAlive(self.pid));
    }),
  );

  it(
    "propagate the reason of a process that was killed as killed",
    withRuntime(async ({ self }) => {
      self.trapExit(true);
      const pid = self.spawnLink(async (p) => {
        await p.receive();
      });
      exit(pid, "kill");
      assert.equal((await assertReceive<ExitMessage>(self, exitFrom(pid))).reason, "killed");
    }),
  );

  it(
    "do not overflow the stack when a chain of 20,000 linked processes dies",
    withRuntime(async ({ self, settle, runtime }) => {
      const length = 20_000;
      let tail: Pid | undefined;
      const link = (depth: number) => async (p: Self) => {
        if (depth < length) p.spawnLink(link(depth + 1));
        else tail = p.pid;
        await p.receive();
      };
      const head = spawn(link(1));
      await settle();
      assert.equal(runtime.processCount, length + 1);
      self.monitor(head);
      exit(tail as Pid, "shutdown");
      assert.equal(await downReason(self, head), "shutdown");
      assert.equal(runtime.processCount, 1);
    }),
  );
});

describe("exit signals", () => {
  it(
    "are trapped after trapExit(true), which returns the previous setting",
    withRuntime(async ({ self }) => {
      const pid = spawn(async (p) => {
        const before = p.trapExit(true);
        const again = p.trapExit(true);
        send(self.pid, { before, again });
        send(self.pid, await p.receive());
        const reset = p.trapExit(false);
        send(self.pid, { reset });
        await p.receive();
      });
      await assertReceive(self, { before: false, again: true });
      self.monitor(pid);
      exit(pid, "shutdown");
      assert.equal((await assertReceive<ExitMessage>(self, isExitMessage)).reason, "shutdown");
      await assertReceive(self, { reset: true });
      exit(pid, "shutdown");
      assert.equal(await downReason(self, pid), "shutdown");
    }),
  );

  it(
    "kill even a trapping process with kill, whose reason becomes killed",
    withRuntime(async ({ self }) => {
      const pid = idle({ trap: true, forwardTo: self.pid });
      self.monitor(pid);
      exit(pid, "kill");
      assert.equal(await downReason(self, pid), "killed");
      await refuteReceive(self, isExitMessage, { timeout: 0 });
    }),
  );

  it(
    "are ignored by a non-trapping process when normal",
    withRuntime(async ({ self }) => {
      const pid = idle();
      self.monitor(pid);
      exit(pid, "normal");
      await refuteReceive(self, isDownMessage, { timeout: 10 });
      assert.ok(isAlive(pid));
    }),
  );

  it(
    "reach a trapping process as an ExitMessage from the sender, normal included",
    withRuntime(async ({ self, runtime }) => {
      const pid = idle({ trap: true, forwardTo: self.pid });
      exit(pid, "normal");
      exit(pid, "shutdown");
      const first = await assertReceive<ExitMessage>(self, isExitMessage);
      const second = await assertReceive<ExitMessage>(self, isExitMessage);
      assert.ok(first.from.equals(runtime.rootPid));
      assert.equal(first.reason, "normal");
      assert.equal(second.reason, "shutdown");
      assert.ok(isAlive(pid));
    }),
  );

  it(
    "kill a non-trapping process with any other reason",
    withRuntime(async ({ self }) => {
      const a = idle();
      const b = idle();
      self.monitor(a);
      self.monitor(b);
      exit(a, "shutdown");
      exit(b, { shutdown: "maintenance" });
      assert.equal(await downReason(self, a), "shutdown");
      assert.deepEqual(await downReason(self, b), { shutdown: "maintenance" });
    }),
  );

  it(
    "come from the sending process with sendExit, and a normal one to itself ends it",
    withRuntime(async ({ self }) => {
      const target = idle({ trap: true, forwardTo: self.pid });
      const sender = spawn(async (p) => {
        p.sendExit(target, "reason-x");
        await p.receive({ match: (m) => m === "stop" });
        p.sendExit(p.pid, "normal");
        send(self.pid, "after own normal exit");
      });
      const msg = await assertReceive<ExitMessage>(self, isExitMessage);
      assert.ok(msg.from.equals(sender));
      assert.equal(msg.reason, "reason-x");
      self.monitor(sender);
      send(sender, "stop");
      assert.equal(await downReason(self, sender), "normal");
    }),
  );

  it(
    "to a dead pid are ignored",
    withRuntime(async ({ settle }) => {
      const pid = spawn(() => undefined);
      await settle();
      assert.doesNotThrow(() => exit(pid, "kill"));
      assert.throws(
        () => exit("name" as never, "kill"),
        /invalid value for `pid`: expected a pid, got "name"/,
      );
    }),
  );
});
