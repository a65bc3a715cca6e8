import assert from "node:assert/strict";
import diagnostics from "node:diagnostics_channel";
import { describe, test } from "node:test";
import { isBeamishError } from "beamish";
import { AckError, type Acknowledger, Message, pipelineChannels } from "beamish/pipeline";
import fc from "fast-check";
import { acknowledge } from "../../src/pipeline/ack.js";

interface AckCall {
  readonly acknowledger: string;
  readonly ref: unknown;
  readonly successful: readonly Message[];
  readonly failed: readonly Message[];
}

/** An acknowledger that records each `ack` call into `calls`. */
function recorder(name: string, calls: AckCall[]): Acknowledger {
  return {
    name,
    ack(ref, successful, failed) {
      calls.push({ acknowledger: name, ref, successful: [...successful], failed: [...failed] });
    },
  };
}

const noReport = (error: unknown) => {
  throw new Error(`unexpected report: ${String(error)}`);
};

/** Collects what `beamish:pipeline:ack` publishes while `fn` runs. */
function onAckChannel(fn: () => void): unknown[] {
  const seen: unknown[] = [];
  const listener = (message: unknown) => seen.push(message);
  diagnostics.subscribe(pipelineChannels.ack, listener);
  try {
    fn();
  } finally {
    diagnostics.unsubscribe(pipelineChannels.ack, listener);
  }
  return seen;
}

describe("acknowledge", () => {
  test("messages of one acknowledger and ref make one ack call with both lists", () => {
    const calls: AckCall[] = [];
    const a = recorder("a", calls);
    const ok = [new Message(1, a, "r"), new Message(2, a, "r")];
    const bad = [new Message(3, a, "r").fail("x")];
    acknowledge(ok, bad, noReport);
    assert.deepEqual(calls, [{ acknowledger: "a", ref: "r", successful: ok, failed: bad }]);
  });

  test("nothing to acknowledge makes no ack call", () => {
    const calls: AckCall[] = [];
    acknowledge([], [], noReport);
    assert.deepEqual(calls, []);
  });

  test("only failed messages still make an ack call, with no successful", () => {
    const calls: AckCall[] = [];
    const a = recorder("a", calls);
    const bad = [new Message(1, a, "r").fail("x")];
    acknowledge([], bad, noReport);
    assert.deepEqual(calls, [{ acknowledger: "a", ref: "r", successful: [], failed: bad }]);
  });

  test("mixed acknowledgers and refs: one ack call per (acknowledger, ref) with exactly its messages", () => {
    const calls: AckCall[] = [];
    const a = recorder("a", calls);
    const b = recorder("b", calls);
    const a1 = new Message("a1", a, 1);
    const b1 = new Message("b1", b, 1);
    const a2 = new Message("a2", a, 2);
    const a1bis = new Message("a1bis", a, 1);
    const b1bad = new Message("b1bad", b, 1).fail("no");
    const a2bad = new Message("a2bad", a, 2).fail("no");
    acknowledge([a1, b1, a2, a1bis], [b1bad, a2bad], noReport);
    const byKey = new Map(calls.map((c) => [`${c.acknowledger}/${String(c.ref)}`, c]));
    assert.equal(calls.length, 3);
    assert.deepEqual(byKey.get("a/1"), {
      acknowledger: "a",
      ref: 1,
      successful: [a1, a1bis],
      failed: [],
    });
    assert.deepEqual(byKey.get("a/2"), {
      acknowledger: "a",
      ref: 2,
      successful: [a2],
      failed: [a2bad],
    });
    assert.deepEqual(byKey.get("b/1"), {
      acknowledger: "b",
      ref: 1,
      successful: [b1],
      failed: [b1bad],
    });
  });

  test("refs are told apart by identity: two equal-looking object refs are two groups", () => {
    const calls: AckCall[] = [];
    const a = recorder("a", calls);
    const r1 = { channel: 1 };
    const r2 = { channel: 1 };
    acknowledge([new Message(1, a, r1), new Message(2, a, r2)], [], noReport);
    assert.equal(calls.length, 2);
    assert.equal(calls[0]?.ref, r1);
    assert.equal(calls[1]?.ref, r2);
  });

  test("a message already acknowledged is skipped when passed again", () => {
    const calls: AckCall[] = [];
    const a = recorder("a", calls);
    const m1 = new Message(1, a, "r");
    const m2 = new Message(2, a, "r");
    acknowledge([m1], [], noReport);
    acknowledge([m1, m2], [], noReport);
    acknowledge([], [m1, m2], noReport);
    assert.deepEqual(
      calls.map((c) => c.successful.map((m) => m.data)),
      [[1], [2]],
    );
    assert.ok(calls.every((c) => c.failed.length === 0));
  });

  test("a message passed twice in one call is acknowledged once", () => {
    const calls: AckCall[] = [];
    const a = recorder("a", calls);
    const m = new Message(1, a, "r");
    acknowledge([m, m], [], noReport);
    assert.deepEqual(calls, [{ acknowledger: "a", ref: "r", successful: [m], failed: [] }]);
  });

  test("a message passed as successful and failed in one call is acknowledged once", () => {
    const calls: AckCall[] = [];
    const a = recorder("a", calls);
    const m = new Message(1, a, "r");
    acknowledge([m], [m], noReport);
    const total = calls.reduce((n, c) => n + c.successful.length + c.failed.length, 0);
    assert.equal(total, 1);
  });

  test("an acknowledger that throws is reported as an AckError and does not throw", () => {
    const reports: unknown[] = [];
    const cause = new Error("channel closed");
    const broken: Acknowledger = {
      name: "rabbitmq",
      ack() {
        throw cause;
      },
    };
    const calls: AckCall[] = [];
    const good = recorder("good", calls);
    const m = new Message(2, good, "r");
    assert.doesNotThrow(() =>
      acknowledge([new Message(1, broken, "r"), m], [], (e) => reports.push(e)),
    );
    assert.equal(reports.length, 1);
    const error = reports[0];
    assert.ok(error instanceof AckError);
    assert.ok(isBeamishError(error, "ERR_ACK"));
    assert.equal(error.code, "ERR_ACK");
    assert.equal(error.acknowledger, "rabbitmq");
    assert.equal(error.cause, cause);
    assert.match(error.message, /^acknowledger rabbitmq failed: .*channel closed/);
    // The other group is still acknowledged.
    assert.deepEqual(calls, [{ acknowledger: "good", ref: "r", successful: [m], failed: [] }]);
  });

  test("a throwing acknowledger's messages count as acknowledged: not retried", () => {
    let attempts = 0;
    const broken: Acknowledger = {
      name: "broken",
      ack() {
        attempts++;
        throw new Error("no");
      },
    };
    const m = new Message(1, broken, "r");
    const reports: unknown[] = [];
    acknowledge([m], [], (e) => reports.push(e));
    acknowledge([m], [], (e) => reports.push(e));
    assert.equal(attempts, 1);
    assert.equal(reports.length, 1);
  });

  test("an acknowledger that rejects is reported as an AckError, with no unhandled rejection", async () => {
    const reports: unknown[] = [];
    const cause = new Error("nack failed");
    const rejecting: Acknowledger = {
      name: "async",
      ack: () => Promise.reject(cause),
    };
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on("unhandledRejection", onUnhandled);
    try {
      assert.doesNotThrow(() =>
        acknowledge([new Message(1, rejecting, "r")], [], (e) => reports.push(e)),
      );
      assert.equal(reports.length, 0, "reported when the promise rejects, not before");
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off("unhandledRejection", onUnhandled);
    }
    assert.equal(reports.length, 1);
    const error = reports[0];
    assert.ok(isBeamishError(error, "ERR_ACK"));
    assert.equal((error as AckError).acknowledger, "async");
    assert.equal((error as AckError).cause, cause);
    assert.deepEqual(unhandled, []);
  });

  test("an acknowledger that resolves is not reported", async () => {
    const reports: unknown[] = [];
    const resolving: Acknowledger = { name: "async", ack: () => Promise.resolve() };
    acknowledge([new Message(1, resolving, "r")], [], (e) => reports.push(e));
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(reports, []);
  });

  test("beamish:pipeline:ack gets the counts of each ack call", () => {
    const calls: AckCall[] = [];
    const a = recorder("a", calls);
    const b = recorder("b", calls);
    const seen = onAckChannel(() => {
      acknowledge(
        [new Message(1, a, "r"), new Message(2, a, "r"), new Message(3, b, "r")],
        [new Message(4, a, "r").fail("x")],
        noReport,
      );
    });
    assert.deepEqual(
      seen.sort((x, y) =>
        String((x as AckCall).acknowledger).localeCompare((y as AckCall).acknowledger),
      ),
      [
        { acknowledger: "a", successful: 2, failed: 1 },
        { acknowledger: "b", successful: 1, failed: 0 },
      ],
    );
  });

  test("beamish:pipeline:ack publishes nothing for messages already acknowledged", () => {
    const calls: AckCall[] = [];
    const a = recorder("a", calls);
    const m = new Message(1, a, "r");
    acknowledge([m], [], noReport);
    const seen = onAckChannel(() => acknowledge([m], [], noReport));
    assert.deepEqual(seen, []);
  });

  test("property: across repeated calls every message is acknowledged exactly once, grouped, with its status", () => {
    const scenario = fc
      .record({
        acknowledgers: fc.integer({ min: 1, max: 4 }),
        refs: fc.integer({ min: 1, max: 3 }),
        messages: fc.array(fc.record({ acknowledger: fc.nat(), ref: fc.nat(), ok: fc.boolean() }), {
          minLength: 0,
          maxLength: 40,
        }),
      })
      .chain((s) =>
        fc.record({
          setup: fc.constant(s),
          // Each call passes some of the messages (indices may repeat); a last call passes all.
          calls: fc.array(
            fc.array(fc.nat({ max: Math.max(0, s.messages.length - 1) }), { maxLength: 30 }),
            {
              maxLength: 6,
            },
          ),
          failingAcknowledger: fc.option(fc.nat({ max: s.acknowledgers - 1 })),
        }),
      );
    fc.assert(
      fc.property(scenario, ({ setup, calls: picks, failingAcknowledger }) => {
        const calls: AckCall[] = [];
        const acknowledgers = Array.from({ length: setup.acknowledgers }, (_, i) => {
          const record = recorder(`ack${i}`, calls);
          if (i !== failingAcknowledger) return record;
          // Records, then throws: it still must be called once per message.
          return {
            name: record.name,
            ack: (ref: unknown, ok: readonly Message[], bad: readonly Message[]) => {
              record.ack(ref, ok, bad);
              throw new Error("down");
            },
          } satisfies Acknowledger;
        });
        const refs = Array.from({ length: setup.refs }, (_, i) => ({ ref: i }));
        const messages = setup.messages.map((spec, i) => {
          const m = new Message(
            i,
            acknowledgers[spec.acknowledger % setup.acknowledgers] as Acknowledger,
            refs[spec.ref % setup.refs],
          );
          return spec.ok ? m : m.fail(`reason ${i}`);
        });
        const reports: unknown[] = [];
        const run = (indices: readonly number[]) => {
          const picked = indices.flatMap((i) => (messages[i] === undefined ? [] : [messages[i]]));
          acknowledge(
            picked.filter((m) => !m.failed),
            picked.filter((m) => m.failed),
            (e) => reports.push(e),
          );
        };
        for (const indices of picks) run(indices);
        run(messages.map((_, i) => i));

        const seen = new Map<Message, number>();
        for (const call of calls) {
          for (const [list, ok] of [
            [call.successful, true],
            [call.failed, false],
          ] as const) {
            for (const m of list) {
              seen.set(m, (seen.get(m) ?? 0) + 1);
              assert.equal(m.acknowledger.name, call.acknowledger, "grouped by acknowledger");
              assert.equal(m.ackRef, call.ref, "grouped by ref");
              assert.equal(!m.failed, ok, "in the list of its status");
            }
          }
          assert.ok(call.successful.length + call.failed.length > 0, "no empty ack call");
        }
        assert.equal(seen.size, messages.length, "every message acknowledged");
        for (const [m, n] of seen)
          assert.equal(n, 1, `message ${String(m.data)} acknowledged once`);
        for (const r of reports) assert.ok(isBeamishError(r, "ERR_ACK"));
        if (failingAcknowledger === null) assert.deepEqual(reports, []);
      }),
      { numRuns: 300 },
    );
  });
});
