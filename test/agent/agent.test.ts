import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  Agent,
  CallExitError,
  type DownMessage,
  isBeamishError,
  isDownMessage,
  isExitMessage,
  spawn,
  whereis,
} from "beamish";
import { assertReceive, withRuntime } from "beamish/testing";
import fc from "fast-check";

describe("Agent", () => {
  test(
    "get, update, getAndUpdate and cast",
    withRuntime(async () => {
      const agent: Agent<number> = await Agent.start(() => 1);
      assert.equal(await Agent.get(agent, (n) => n * 10), 10);
      assert.equal(await Agent.update(agent, (n) => n + 1), undefined);
      assert.equal(await Agent.getAndUpdate(agent, (n) => [`was ${n}`, n * 2] as const), "was 2");
      Agent.cast(agent, (n) => n + 100);
      assert.equal(await Agent.get(agent, (n) => n), 104);
    }),
  );

  test(
    "an async initial function, and a name",
    withRuntime(async ({ clock }) => {
      const started = Agent.start(
        async () => {
          await new Promise<void>((resolve) => clock.setTimer(10, resolve));
          return ["a"];
        },
        { name: "list" },
      );
      await clock.advance(10);
      const agent = await started;
      assert.equal(whereis("list"), agent);
      const named = Agent.named<string[]>("list");
      await Agent.update(named, (l) => [...l, "b"]);
      assert.deepEqual(await Agent.get(named, (l) => l), ["a", "b"]);
      await Agent.stop(named);
      assert.equal(whereis("list"), undefined);
    }),
  );

  test(
    "a failing or slow initial function rejects start",
    withRuntime(async ({ clock }) => {
      await assert.rejects(
        Agent.start(() => {
          throw new Error("no state");
        }),
        (e: unknown) => isBeamishError(e, "ERR_START") && /no state/.test(String(e.reason)),
      );
      const slow = Agent.start(() => new Promise<number>(() => {}), { timeout: 30 });
      const rejected = assert.rejects(slow, { code: "ERR_START", reason: "timeout" });
      await clock.advance(30);
      await rejected;
    }),
  );

  test(
    "get and update time out with CallTimeoutError when the agent does not answer",
    withRuntime(async ({ clock }) => {
      // A process that takes messages and never answers stands for a stuck agent.
      spawn(
        async (p) => {
          for (;;) await p.receive();
        },
        { name: "stuck" },
      );
      const stuck = Agent.named<number>("stuck");
      const get = Agent.get(stuck, (n) => n, 100);
      const update = Agent.update(stuck, (n) => n + 1, 200);
      const both = Promise.all([
        assert.rejects(get, { code: "ERR_CALL_TIMEOUT", timeout: 100 }),
        assert.rejects(update, { code: "ERR_CALL_TIMEOUT", timeout: 200 }),
      ]);
      await clock.advance(200);
      await both;
    }),
  );

  test(
    "a crashing function in update crashes the agent; the caller gets CallExitError",
    withRuntime(async ({ self, crashes }) => {
      const agent = await Agent.start(() => ({ n: 1 }));
      self.monitor(agent);
      const error = new Error("bad update");
      await assert.rejects(
        Agent.update(agent, () => {
          throw error;
        }),
        (e: unknown) => e instanceof CallExitError && e.reason === error,
      );
      const down = await assertReceive<DownMessage>(self, isDownMessage);
      assert.equal(down.reason, error);
      assert.equal(crashes.length, 1);
      await assert.rejects(
        Agent.get(agent, (s) => s),
        { code: "ERR_NOPROC" },
      );
    }),
  );

  test(
    "startLink: the agent's crash reaches its trapping parent",
    withRuntime(async ({ self }) => {
      self.trapExit(true);
      const agent = await Agent.startLink(self, () => 0);
      Agent.cast(agent, () => {
        throw new Error("cast failed");
      });
      const msg = await assertReceive(self, isExitMessage);
      assert.equal(msg.from, agent);
      assert.match(String(msg.reason), /cast failed/);
    }),
  );

  test(
    "stop runs in order after queued casts; bad arguments reject with exact messages",
    withRuntime(async ({ self }) => {
      const agent = await Agent.start(() => 0);
      self.monitor(agent);
      Agent.cast(agent, (n) => n + 1);
      await Agent.stop(agent, "shutdown");
      assert.equal((await assertReceive<DownMessage>(self, isDownMessage)).reason, "shutdown");
      const other = await Agent.start(() => 0);
      await assert.rejects(
        Agent.get(other, (n) => n, -1),
        {
          message:
            "invalid value for `timeout`: expected a non-negative integer (ms) or Infinity, got -1",
        },
      );
      await assert.rejects(Agent.update(other, 5 as never), {
        message: "invalid value for `fn`: expected a function, got 5",
      });
      await assert.rejects(Agent.start(null as never), {
        message: "invalid value for `fn`: expected a function, got null",
      });
      assert.throws(() => Agent.cast(other, "x" as never), { path: "fn" });
    }),
  );

  test("updates from many processes are never lost (a model check)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: -5, max: 5 }), { maxLength: 30 }),
        async (deltas) => {
          await withRuntime(async ({ settle }) => {
            const agent = await Agent.start(() => 0);
            for (const d of deltas) {
              spawn(async () => {
                if (d % 2 === 0) await Agent.update(agent, (n) => n + d);
                else Agent.cast(agent, (n) => n + d);
              });
            }
            await settle();
            const sum = deltas.reduce((a, b) => a + b, 0);
            assert.equal(await Agent.get(agent, (n) => n), sum);
          })();
        },
      ),
      { numRuns: 40 },
    );
  });
});
