/**
 * Running handlers over a chunk or a batch, directly (no stages): the chunk that comes back whole
 * is forwarded as it is, and the first message that does not (failed before, thrown, failed by
 * the handler, another value, a promise, an unknown batcher) hands over to the general path
 * with the messages before it kept, each handler called once per message, order kept.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Message, noopAcknowledger, UnknownBatcherError } from "beamish/pipeline";
import fc from "fast-check";
import { Core } from "../../src/pipeline/core.js";
import { type Outcome, processBatch, processMessages } from "../../src/pipeline/handlers.js";
import { parsePipeline } from "../../src/pipeline/options.js";

type Behaviour =
  | "ok"
  | "prefailed"
  | "throws"
  | "fails"
  | "returnsOther"
  | "async"
  | "rejects"
  | "elsewhere";

const behaviours: readonly Behaviour[] = [
  "ok",
  "prefailed",
  "throws",
  "fails",
  "returnsOther",
  "async",
  "rejects",
  "elsewhere",
];

/** A Core whose handleMessage does what each message's data says, counting calls. */
function coreFor(batched: boolean, calls: Map<Message, number>): Core {
  const handleMessage = (_processor: string, message: Message<Behaviour>) => {
    calls.set(message, (calls.get(message) ?? 0) + 1);
    switch (message.data) {
      case "throws":
        throw new Error("boom");
      case "fails":
        return message.fail("bad");
      case "returnsOther":
        return new Message("other", noopAcknowledger);
      case "async":
        return Promise.resolve(message);
      case "rejects":
        return Promise.reject(new Error("late boom"));
      case "elsewhere":
        return message.putBatcher("nowhere");
      default:
        return message;
    }
  };
  return new Core(
    "handlers-test",
    parsePipeline({
      producer: {
        module: { name: "none", init: () => null, handleDemand: (_d: number, s: unknown) => s },
      },
      processors: { default: { concurrency: 1 } },
      ...(batched ? { batchers: { default: { batchSize: 10 } } } : {}),
      handleMessage,
      handleBatch: (_b: string, messages: Message[]) => messages,
    }),
  );
}

function chunk(kinds: readonly Behaviour[]): Message<Behaviour>[] {
  return kinds.map((kind) => {
    const message = new Message<Behaviour>(kind, noopAcknowledger);
    return kind === "prefailed" ? message.fail("earlier") : message;
  });
}

/** What should come of a message: forwarded, or failed. */
function succeeds(kind: Behaviour, batched: boolean): boolean {
  if (kind === "elsewhere") return !batched;
  return kind === "ok" || kind === "async";
}

describe("processMessages", () => {
  test("a chunk handled whole and unchanged is forwarded as it is, without a copy", () => {
    const messages = chunk(["ok", "ok", "ok"]);
    const outcome = processMessages(coreFor(true, new Map()), messages) as Outcome;
    assert.equal(outcome.ok, messages, "the chunk itself");
    assert.deepEqual(outcome.failed, [], "nothing failed");
  });

  test("a throw in the middle keeps the messages before it and goes on after it", () => {
    const calls = new Map<Message, number>();
    const messages = chunk(["ok", "throws", "ok"]);
    const outcome = processMessages(coreFor(true, calls), messages) as Outcome;
    assert.deepEqual(outcome.ok, [messages[0], messages[2]], "the others forwarded, in order");
    assert.deepEqual(outcome.failed, [messages[1]], "the one that threw failed");
    assert.notEqual(outcome.ok, messages, "a new list, not the chunk");
    assert.deepEqual([...calls.values()], [1, 1, 1], "each handled once");
  });

  test("a message routed to a batcher that does not exist fails with UnknownBatcherError", () => {
    const messages = chunk(["ok", "elsewhere"]);
    const outcome = processMessages(coreFor(true, new Map()), messages) as Outcome;
    assert.deepEqual(outcome.ok, [messages[0]], "the first forwarded");
    const failed = outcome.failed[0];
    assert.ok(failed?.status.kind === "failed", "the second failed");
    assert.ok(
      failed.status.kind === "failed" && failed.status.reason instanceof UnknownBatcherError,
      "with UnknownBatcherError",
    );
  });

  test("property: any mix of behaviours gives the same outcome as one message at a time", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.boolean(),
        fc.array(fc.constantFrom(...behaviours), { maxLength: 12 }),
        async (batched, kinds) => {
          const calls = new Map<Message, number>();
          const messages = chunk(kinds);
          const outcome = await processMessages(coreFor(batched, calls), messages);
          const expectedOk = messages.filter((m) => succeeds(m.data, batched));
          const expectedFailed = messages.filter((m) => !succeeds(m.data, batched));
          assert.deepEqual(outcome.ok, expectedOk, "forwarded: the ones that succeed, in order");
          assert.deepEqual(outcome.failed, expectedFailed, "failed: the others, in order");
          for (const m of outcome.failed) assert.equal(m.status.kind, "failed", "marked failed");
          for (const m of messages) {
            const expected = m.data === "prefailed" ? undefined : 1;
            assert.equal(calls.get(m), expected, `handleMessage calls for a ${m.data} message`);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("processBatch", () => {
  const info = {
    batcher: "default",
    batchKey: "k",
    partition: 0,
    size: 3,
    trigger: "size" as const,
  };

  test("a batch returned whole with no failure is acknowledged as it is, without a copy", () => {
    const batch = chunk(["ok", "ok", "ok"]);
    const outcome = processBatch(coreFor(true, new Map()), batch, info) as Outcome;
    assert.equal(outcome.ok, batch, "the batch itself");
    assert.deepEqual(outcome.failed, [], "nothing failed");
  });

  test("a batch returned with a failed message splits it out, order kept", () => {
    const batch = chunk(["ok", "ok", "ok"]);
    (batch[1] as Message).fail("no");
    const outcome = processBatch(coreFor(true, new Map()), batch, info) as Outcome;
    assert.deepEqual(outcome.ok, [batch[0], batch[2]], "the others succeed");
    assert.deepEqual(outcome.failed, [batch[1]], "the failed one fails");
  });
});
