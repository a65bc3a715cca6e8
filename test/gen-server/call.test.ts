import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  CallExitError,
  CallTimeoutError,
  exit,
  GenServer,
  isBeamishError,
  NoProcError,
  noreply,
  type Pid,
  reply,
  spawn,
} from "beamish";
import { withRuntime } from "beamish/testing";
import fc from "fast-check";
import { type Counter, counter } from "./helpers.js";

describe("GenServer.call", () => {
  test(
    "round trip, deferred reply, replies in order",
    withRuntime(async () => {
      const server = await GenServer.start(counter(), 1);
      const replies = await Promise.all([
        GenServer.call(server, "add", 1),
        GenServer.call(server, "defer"),
        GenServer.call(server, "add", 3),
      ]);
      assert.deepEqual(replies, [2, 20, 5]);
    }),
  );

  test(
    "times out with CallTimeoutError on the virtual clock; the late reply is dropped",
    withRuntime(async ({ clock }) => {
      const server = await GenServer.start(counter(), 0);
      const slow = GenServer.call(server, "slow", 100, { timeout: 50 });
      const timedOut = assert.rejects(slow, (e: unknown) => {
        assert.ok(e instanceof CallTimeoutError);
        assert.ok(isBeamishError(e, "ERR_CALL_TIMEOUT"));
        assert.equal(e.server, server);
        assert.equal(e.request, "slow");
        assert.equal(e.timeout, 50);
        return true;
      });
      await clock.advance(50);
      await timedOut;
      // The server is still busy sleeping; the next call gets its own reply, not "slept 100".
      const next = GenServer.call(server, "get");
      await clock.advance(50);
      assert.equal(await next, 0);
    }),
  );

  test(
    "timeout Infinity waits; a bad timeout rejects with the exact message",
    withRuntime(async ({ clock }) => {
      const server = await GenServer.start(counter(), 0);
      const p = GenServer.call(server, "slow", 10_000, { timeout: Infinity });
      await clock.advance(10_000);
      assert.equal(await p, "slept 10000");
      await assert.rejects(GenServer.call(server, "get", undefined, { timeout: -1 }), {
        code: "ERR_INVALID_ARGUMENT",
        message:
          "invalid value for `timeout`: expected a non-negative integer (ms) or Infinity, got -1",
      });
      await assert.rejects(GenServer.call(server, "get", undefined, { timeout: 1.5 }), {
        path: "timeout",
      });
    }),
  );

  test(
    "noproc for a dead pid and for an unregistered name, as a rejection",
    withRuntime(async () => {
      const server = await GenServer.start(counter(), 0);
      await GenServer.stop(server);
      const dead = GenServer.call(server, "get");
      await assert.rejects(dead, (e: unknown) => e instanceof NoProcError && e.dest === server);
      const nobody = GenServer.named<Counter>("nobody");
      await assert.rejects(GenServer.call(nobody, "get"), { code: "ERR_NOPROC", dest: "nobody" });
    }),
  );

  test(
    "the server dying mid-call rejects with CallExitError carrying the reason",
    withRuntime(async ({ crashes }) => {
      const server = await GenServer.start(counter(), 0);
      const error = await GenServer.call(server, "boom").then(
        () => assert.fail("no reply expected"),
        (e: unknown) => e,
      );
      assert.ok(error instanceof CallExitError);
      assert.equal(error.request, "boom");
      assert.match(String(error.reason), /boom/);
      assert.equal(crashes.length, 1, "the crash is reported once");
    }),
  );

  test(
    "a kill mid-call rejects every pending call with reason killed",
    withRuntime(async ({ settle }) => {
      const server = await GenServer.start(counter(), 0);
      const calls = [GenServer.call(server, "slow", 1000), GenServer.call(server, "get")];
      await settle();
      exit(server, "kill");
      for (const c of calls) await assert.rejects(c, { code: "ERR_CALL_EXIT", reason: "killed" });
    }),
  );

  test(
    "a deferred reply from another process; a second reply is dropped",
    withRuntime(async () => {
      interface Relay {
        calls: { ask(q: string): string };
      }
      const def: GenServer.Definition<Relay, null, undefined> = {
        init: () => null,
        handleCall: {
          ask: (q, from, state) => {
            spawn(() => {
              GenServer.reply(from, `answer to ${q}`);
              GenServer.reply(from, "second");
            });
            return noreply(state);
          },
        },
      };
      const relay = await GenServer.start(def, undefined);
      assert.equal(await GenServer.call(relay, "ask", "a"), "answer to a");
      assert.equal(await GenServer.call(relay, "ask", "b"), "answer to b");
    }),
  );

  test(
    "GenServer.reply checks its from",
    withRuntime(async () => {
      assert.throws(() => GenServer.reply({} as never, 1), {
        message:
          "invalid value for `from`: expected the `from` given to handleCall, got an empty object",
      });
    }),
  );

  test(
    "calling itself from its own callback rejects with CallSelfError instead of hanging",
    withRuntime(async () => {
      interface Selfish {
        calls: { a(): string; b(): string; quit(): string };
      }
      const def: GenServer.Definition<Selfish, null, undefined> = {
        init: () => null,
        handleCall: {
          a: async (_, _from, s, self) => {
            const server = GenServer.server<Selfish>(self.pid);
            try {
              return reply(await GenServer.call(server, "b"), s);
            } catch (e) {
              return reply((e as { code: string }).code, s);
            }
          },
          b: (_, _from, s) => reply("b", s),
          quit: async (_, _from, s, self) => {
            const error = await GenServer.stop(GenServer.server<Selfish>(self.pid)).catch(
              (e: { code: string }) => e.code,
            );
            return reply(String(error), s);
          },
        },
      };
      const server = await GenServer.start(def, undefined);
      assert.equal(await GenServer.call(server, "a"), "ERR_CALL_SELF");
      assert.equal(await GenServer.call(server, "quit"), "ERR_CALL_SELF");
    }),
  );

  test(
    "an unknown call crashes the server with UnknownRequestError",
    withRuntime(async () => {
      const server = await GenServer.start(counter(), 0);
      const untyped = server as unknown as GenServer.Server<{ calls: { nope(): void } }>;
      await assert.rejects(GenServer.call(untyped, "nope"), (e: unknown) => {
        return (
          isBeamishError(e, "ERR_CALL_EXIT") && isBeamishError(e.reason, "ERR_UNKNOWN_REQUEST")
        );
      });
    }),
  );

  test(
    "handleCall returning a bare state crashes the server with BadReturnError",
    withRuntime(async () => {
      interface P {
        calls: { get(): number };
      }
      const def = {
        init: () => 1,
        handleCall: { get: (_: undefined, _f: unknown, s: number) => s },
      } as unknown as GenServer.Definition<P, number, undefined>;
      const server = await GenServer.start(def, undefined);
      await assert.rejects(GenServer.call(server, "get"), (e: unknown) => {
        return isBeamishError(e, "ERR_CALL_EXIT") && isBeamishError(e.reason, "ERR_BAD_RETURN");
      });
    }),
  );

  test("replies never cross: random slow/fast calls with random timeouts", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            work: fc.integer({ min: 0, max: 30 }),
            timeout: fc.integer({ min: 0, max: 40 }),
          }),
          { minLength: 1, maxLength: 12 },
        ),
        async (plan) => {
          await withRuntime(async ({ clock }) => {
            interface Echo {
              calls: { echo(x: { id: number; work: number }): number };
            }
            const def: GenServer.Definition<Echo, null, undefined> = {
              init: () => null,
              handleCall: {
                echo: async (x, _from, s, self) => {
                  if (x.work > 0) await self.sleep(x.work);
                  return reply(x.id, s);
                },
              },
            };
            const server = await GenServer.start(def, undefined);
            const outcomes = plan.map((step, id) =>
              GenServer.call(
                server,
                "echo",
                { id, work: step.work },
                { timeout: step.timeout },
              ).then(
                (value) => ({ id, value }),
                (e: unknown) => ({ id, error: (e as { code: string }).code }),
              ),
            );
            await clock.advance(plan.reduce((a, s) => a + s.work, 0) + 50);
            let done = 0;
            for (const outcome of await Promise.all(outcomes)) {
              // Calls run one after another: call i is answered at the sum of the work so far.
              const step = plan[outcome.id] as { work: number; timeout: number };
              done += step.work;
              if ("value" in outcome) {
                assert.equal(outcome.value, outcome.id);
                assert.ok(done <= step.timeout, "answered after its deadline");
              } else {
                assert.equal(outcome.error, "ERR_CALL_TIMEOUT");
                assert.ok(done >= step.timeout, "timed out before its deadline");
              }
            }
            // After all that, a fresh call gets exactly its own reply.
            assert.equal(await GenServer.call(server, "echo", { id: 99, work: 0 }), 99);
          })();
        },
      ),
      { numRuns: 60 },
    );
  });

  test(
    "a call on a pid typed from a plain pid works once typed with GenServer.server",
    withRuntime(async () => {
      const pid: Pid = await GenServer.start(counter(), 4);
      assert.equal(await GenServer.call(GenServer.server<Counter>(pid), "get"), 4);
    }),
  );
});
