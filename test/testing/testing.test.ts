import assert from "node:assert/strict";
import { test } from "node:test";
import { currentRuntime, isDownMessage, send, sendAfter, spawn } from "beamish";
import {
  assertReceive,
  refuteReceive,
  runInRuntime,
  VirtualClock,
  withRuntime,
} from "beamish/testing";

test(
  "a timer fires when the virtual clock reaches it, not before",
  withRuntime(async ({ self, clock }) => {
    sendAfter(self.pid, "tick", 1000);
    await clock.advance(999);
    await refuteReceive(self, "tick", { timeout: 0 });
    await clock.advance(1);
    await assertReceive(self, "tick", { timeout: 0 });
  }),
);

test(
  "assertReceive advances the virtual clock only as far as the message",
  withRuntime(async ({ self, clock }) => {
    sendAfter(self.pid, { n: 1 }, 30);
    sendAfter(self.pid, { n: 2 }, 60);
    assert.deepEqual(await assertReceive(self, { n: 1 }), { n: 1 });
    assert.equal(clock.now(), 30);
    await assertReceive(self, { n: 2 });
    assert.equal(clock.now(), 60);
  }),
);

test(
  "assertReceive fails with the mailbox contents when nothing matches in time",
  withRuntime(async ({ self }) => {
    send(self.pid, "other");
    await assert.rejects(
      assertReceive(self, "wanted", { timeout: 50 }),
      /expected a message matching "wanted" within 50 ms; the mailbox held \["other"\]/,
    );
  }),
);

test(
  "refuteReceive fails when a matching message arrives",
  withRuntime(async ({ self }) => {
    sendAfter(self.pid, "late", 80);
    await assert.rejects(
      refuteReceive(self, "late"),
      /expected no message matching "late" within 100 ms, got "late"/,
    );
  }),
);

test("withRuntime kills the processes a test leaves behind and restores the previous runtime", async () => {
  const outer = currentRuntime();
  let leaked = 0;
  await runInRuntime(async ({ runtime, self }) => {
    assert.notEqual(runtime, outer);
    const pid = spawn(async (p) => {
      await p.receive();
    });
    self.monitor(pid);
    leaked = runtime.processCount;
  });
  assert.equal(leaked, 2);
  assert.equal(currentRuntime(), outer);
});

test(
  "a real clock can be asked for",
  withRuntime(
    async ({ self, clock }) => {
      assert.ok(!(clock instanceof VirtualClock));
      const pid = spawn(() => undefined);
      self.monitor(pid);
      await assertReceive(self, isDownMessage);
    },
    { clock: "real" },
  ),
);

test(
  "assertReceive returns a message that is itself an Error instead of throwing it",
  withRuntime(async ({ self }) => {
    const error = new Error("as data");
    send(self.pid, error);
    assert.equal(await assertReceive(self, (m) => m instanceof Error), error);
  }),
);
