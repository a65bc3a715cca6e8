import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  DownMessage,
  exit,
  isAlive,
  isDownMessage,
  Pid,
  processInfo,
  type Ref,
  send,
  spawn,
} from "beamish";
import { assertReceive, refuteReceive, withRuntime } from "beamish/testing";

/** A process that waits until it gets "stop" (exits normal) or "crash" (throws). */
function waiter(): Pid {
  return spawn(async (p) => {
    const m = await p.receive();
    if (m === "crash") throw new Error("crashed on purpose");
  });
}

function downFor(ref: Ref) {
  return (m: unknown): m is DownMessage => isDownMessage(m) && m.ref.equals(ref);
}

describe("monitors", () => {
  it(
    "deliver exactly one DOWN message, with the ref, the pid and the reason",
    withRuntime(async ({ self, clock }) => {
      const pid = waiter();
      const ref = self.monitor(pid);
      await refuteReceive(self, isDownMessage, { timeout: 10 });
      send(pid, "crash");
      const down = await assertReceive<DownMessage>(self, isDownMessage);
      assert.ok(down instanceof DownMessage);
      assert.equal(down.type, "DOWN");
      assert.ok(down.ref.equals(ref));
      assert.ok(down.pid.equals(pid));
      assert.ok(down.reason instanceof Error);
      assert.equal(down.reason.message, "crashed on purpose");
      await clock.advance(1000);
      await refuteReceive(self, isDownMessage, { timeout: 100 });
    }),
  );

  it(
    "deliver one DOWN per monitor when a pid is monitored twice",
    withRuntime(async ({ self }) => {
      const pid = waiter();
      const first = self.monitor(pid);
      const second = self.monitor(pid);
      assert.ok(!first.equals(second));
      send(pid, "stop");
      assert.equal((await assertReceive<DownMessage>(self, downFor(first))).reason, "normal");
      assert.equal((await assertReceive<DownMessage>(self, downFor(second))).reason, "normal");
      await refuteReceive(self, isDownMessage, { timeout: 10 });
    }),
  );

  it(
    "of a dead pid deliver DOWN noproc at once",
    withRuntime(async ({ self, settle }) => {
      const pid = spawn(() => undefined);
      await settle();
      const ref = self.monitor(pid);
      // Already in the mailbox, before any turn of the scheduler.
      assert.equal(processInfo(self.pid)?.mailboxLength, 1);
      const down = await assertReceive<DownMessage>(self, downFor(ref), { timeout: 0 });
      assert.equal(down.reason, "noproc");
      assert.ok(down.pid.equals(pid));
      assert.deepEqual(processInfo(self.pid)?.monitors, []);
    }),
  );

  it(
    "of a pid that never existed deliver DOWN noproc",
    withRuntime(async ({ self }) => {
      const ghost = new Pid(0, 987_654);
      const ref = self.monitor(ghost);
      const down = await assertReceive<DownMessage>(self, downFor(ref), { timeout: 0 });
      assert.equal(down.reason, "noproc");
      assert.ok(down.pid.equals(ghost));
    }),
  );

  it(
    "do not link: the watcher survives the crash it watches",
    withRuntime(async ({ self, crashes }) => {
      const pid = waiter();
      self.monitor(pid);
      send(pid, "crash");
      await assertReceive(self, isDownMessage);
      assert.ok(isAlive(self.pid));
      assert.equal(crashes.length, 1);
    }),
  );

  it(
    "stop with demonitor, which returns whether the monitor was active",
    withRuntime(async ({ self }) => {
      const pid = waiter();
      const ref = self.monitor(pid);
      assert.equal(processInfo(pid)?.monitoredBy.length, 1);
      assert.equal(self.demonitor(ref), true);
      assert.equal(self.demonitor(ref), false);
      assert.deepEqual(processInfo(pid)?.monitoredBy, []);
      assert.deepEqual(processInfo(self.pid)?.monitors, []);
      exit(pid, "kill");
      await refuteReceive(self, isDownMessage, { timeout: 10 });
    }),
  );

  it(
    "stop only the one monitor that demonitor names",
    withRuntime(async ({ self }) => {
      const pid = waiter();
      const kept = self.monitor(pid);
      const dropped = self.monitor(pid);
      self.demonitor(dropped);
      send(pid, "stop");
      await assertReceive(self, downFor(kept));
      await refuteReceive(self, isDownMessage, { timeout: 10 });
    }),
  );

  it(
    "drop an already delivered DOWN with demonitor flush, and only that one",
    withRuntime(async ({ self, settle }) => {
      const a = waiter();
      const b = waiter();
      const refA = self.monitor(a);
      const refB = self.monitor(b);
      send(a, "stop");
      send(b, "stop");
      await settle();
      assert.equal(processInfo(self.pid)?.mailboxLength, 2);
      // The monitor has fired, so there is nothing left to stop: false, but the DOWN goes.
      assert.equal(self.demonitor(refA, { flush: true }), false);
      assert.equal(processInfo(self.pid)?.mailboxLength, 1);
      await assertReceive(self, downFor(refB), { timeout: 0 });
      await refuteReceive(self, downFor(refA), { timeout: 0 });
    }),
  );

  it(
    "keep the DOWN for a watcher that is not receiving when the target dies",
    withRuntime(async ({ self, clock }) => {
      const target = waiter();
      const watcher = spawn(async (p) => {
        const ref = p.monitor(target);
        send(self.pid, "monitoring");
        await p.sleep(1000);
        const down = await p.receive({ match: isDownMessage, timeout: 0 });
        send(self.pid, {
          sameRef: down !== undefined && (down as DownMessage).ref.equals(ref),
          down,
        });
      });
      await assertReceive(self, "monitoring");
      exit(target, "shutdown");
      await clock.advance(100);
      assert.equal(processInfo(watcher)?.mailboxLength, 1);
      await clock.advance(900);
      const report = await assertReceive<{ sameRef: boolean; down: DownMessage }>(self, {
        sameRef: true,
      });
      assert.equal(report.down.reason, "shutdown");
    }),
  );

  it(
    "of a watcher that exits are removed from the target",
    withRuntime(async ({ self }) => {
      const target = waiter();
      const watcher = spawn(async (p) => {
        p.monitor(target);
        await p.receive();
      });
      const ref = self.monitor(watcher);
      await refuteReceive(self, () => true, { timeout: 1 });
      assert.deepEqual(processInfo(target)?.monitoredBy, [watcher]);
      send(watcher, "stop");
      await assertReceive(self, downFor(ref));
      assert.deepEqual(processInfo(target)?.monitoredBy, []);
    }),
  );

  it(
    "are set atomically by spawnMonitor, even for a body that ends at once",
    withRuntime(async ({ self }) => {
      const [pid, ref] = self.spawnMonitor(() => {
        throw new Error("at once");
      });
      const down = await assertReceive<DownMessage>(self, downFor(ref));
      assert.ok(down.pid.equals(pid));
      assert.equal((down.reason as Error).message, "at once");
    }),
  );
});
