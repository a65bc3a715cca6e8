import assert from "node:assert/strict";
import { test } from "node:test";
import { exit, GenServer, isAlive, isExitMessage, processInfo, type Self, spawn } from "beamish";
import { withRuntime } from "beamish/testing";
import { shutdownChild } from "../../src/supervisor/shutdown.js";

/** A child linked to `parent` that traps exits and ignores them. */
function stubborn(parent: Self) {
  return parent.spawnLink(
    async (self) => {
      for (;;) await self.receive({ match: isExitMessage });
    },
    { trapExit: true },
  );
}

test(
  "a child that does not trap exits stops on the shutdown signal",
  withRuntime(async ({ self }) => {
    const child = self.spawnLink(async (c) => {
      await c.receive();
    });
    assert.equal(await shutdownChild(self, child, 5000), "shutdown");
    assert.equal(isAlive(child), false);
  }),
);

test(
  "a child that ignores the shutdown signal is killed once its time has passed, not before",
  withRuntime(async ({ self, clock }) => {
    const child = stubborn(self);
    await clock.advance(0);
    let reason: unknown;
    const done = shutdownChild(self, child, 1000).then((r) => {
      reason = r;
    });
    await clock.advance(999);
    assert.equal(reason, undefined);
    assert.equal(isAlive(child), true);
    await clock.advance(1);
    await done;
    assert.equal(reason, "killed");
  }),
);

test(
  "brutalKill kills at once; infinity waits as long as it takes",
  withRuntime(async ({ self, clock }) => {
    assert.equal(await shutdownChild(self, stubborn(self), "brutalKill"), "killed");
    const child = stubborn(self);
    let settled = false;
    const done = shutdownChild(self, child, "infinity").then(() => {
      settled = true;
    });
    await clock.advance(1_000_000);
    assert.equal(settled, false);
    assert.equal(clock.pendingTimers, 0);
    exit(child, "kill");
    await done;
  }),
);

test(
  "the child is unlinked first, so its exit sends no message to the supervisor",
  withRuntime(async ({ self }) => {
    self.trapExit(true);
    const child = self.spawnLink(async (c) => {
      await c.receive();
    });
    await shutdownChild(self, child, 100);
    assert.deepEqual(processInfo(self.pid)?.links, []);
    assert.equal(processInfo(self.pid)?.mailboxLength, 0);
    self.trapExit(false);
  }),
);

test(
  "a GenServer child trapping exits runs terminate with shutdown",
  withRuntime(async ({ self }) => {
    const seen: unknown[] = [];
    const server = await GenServer.startLink(
      self,
      { init: () => 0, terminate: (reason) => void seen.push(reason) },
      undefined,
      { trapExit: true },
    );
    assert.equal(await shutdownChild(self, server, 1000), "shutdown");
    assert.deepEqual(seen, ["shutdown"]);
  }),
);

test(
  "a child already gone resolves with noproc",
  withRuntime(async ({ self, settle }) => {
    const child = spawn(() => undefined);
    await settle();
    assert.equal(await shutdownChild(self, child, 1000), "noproc");
  }),
);
