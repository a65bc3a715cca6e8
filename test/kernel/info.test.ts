import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { exit, isAlive, isDownMessage, processInfo, send, spawn } from "beamish";
import { assertReceive, withRuntime } from "beamish/testing";

describe("processInfo", () => {
  it(
    "tells status, mailbox, handled count, name, trapExit and parent of a live process",
    withRuntime(async ({ self, settle }) => {
      const pid = spawn(
        async (p) => {
          await p.receive({ match: (m) => m === "first" });
          await p.receive({ match: (m) => m === "never" });
        },
        { name: "inspected", trapExit: true },
      );
      // Spawned, not started yet: in the run queue.
      assert.equal(processInfo(pid)?.status, "runnable");
      await settle();
      let info = processInfo(pid);
      assert.ok(info);
      assert.ok(info.pid.equals(pid));
      assert.equal(info.status, "waiting");
      assert.equal(info.name, "inspected");
      assert.equal(info.trapExit, true);
      assert.equal(info.parent, undefined);
      assert.equal(info.mailboxLength, 0);
      assert.equal(info.messagesHandled, 0);
      send(pid, "other");
      send(pid, "first");
      send(pid, "another");
      // A message it may take puts it back in the run queue.
      assert.equal(processInfo(pid)?.status, "runnable");
      await settle();
      info = processInfo(pid);
      assert.equal(info?.status, "waiting");
      assert.equal(info?.messagesHandled, 1);
      assert.equal(info?.mailboxLength, 2);
      assert.equal(processInfo(self.pid)?.status, "running");
    }),
  );

  it(
    "lists links both ways, and monitors on both sides",
    withRuntime(async ({ self }) => {
      self.trapExit(true);
      const child = self.spawnLink(async (p) => {
        await p.receive();
      });
      const ref = self.monitor(child);
      const mine = processInfo(self.pid);
      const its = processInfo(child);
      assert.ok(mine && its);
      assert.deepEqual(mine.links, [child]);
      assert.deepEqual(its.links, [self.pid]);
      assert.ok(its.parent?.equals(self.pid));
      assert.equal(mine.trapExit, true);
      assert.equal(mine.monitors.length, 1);
      assert.ok(mine.monitors[0]?.equals(ref));
      assert.deepEqual(its.monitoredBy, [self.pid]);
      assert.deepEqual(its.monitors, []);
      assert.deepEqual(mine.monitoredBy, []);
      exit(child, "shutdown");
      await assertReceive(self, isDownMessage);
      assert.deepEqual(processInfo(self.pid)?.links, []);
      assert.deepEqual(processInfo(self.pid)?.monitors, []);
    }),
  );

  it(
    "does not count a sleep as a monitor",
    withRuntime(async ({ settle }) => {
      const pid = spawn(async (p) => {
        await p.sleep(1000);
      });
      await settle();
      assert.deepEqual(processInfo(pid)?.monitoredBy, []);
    }),
  );

  it(
    "is undefined for a dead pid",
    withRuntime(async ({ self }) => {
      const pid = spawn(() => undefined);
      self.monitor(pid);
      await assertReceive(self, isDownMessage);
      assert.equal(processInfo(pid), undefined);
      assert.equal(isAlive(pid), false);
    }),
  );
});
