import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { type Acknowledger, Message, noopAcknowledger } from "beamish/pipeline";

describe("Message", () => {
  test("a new message is ok, bulk, in the default batcher and batch key", () => {
    const message = new Message({ id: 1 }, noopAcknowledger, "ref", "tag", { offset: 3 });
    assert.deepEqual(message.data, { id: 1 });
    assert.equal(message.acknowledger, noopAcknowledger);
    assert.equal(message.ackRef, "ref");
    assert.equal(message.ackData, "tag");
    assert.deepEqual(message.metadata, { offset: 3 });
    assert.deepEqual(message.status, { kind: "ok" });
    assert.equal(message.failed, false);
    assert.equal(message.batcher, "default");
    assert.equal(message.batchKey, "default");
    assert.equal(message.batchMode, "bulk");
  });

  test("metadata defaults to an empty object; adding to it means replacing it, per message", () => {
    const a = new Message(1, noopAcknowledger);
    const b = new Message(2, noopAcknowledger);
    assert.deepEqual(a.metadata, {});
    a.metadata = { ...a.metadata, x: 1 };
    assert.deepEqual(a.metadata, { x: 1 });
    assert.deepEqual(b.metadata, {});
  });

  test("update replaces the data with fn(data), in place, and returns the same message", () => {
    const message = new Message("  hi ", noopAcknowledger);
    const updated = message.update((s) => s.trim().length);
    assert.equal(updated, message as unknown);
    assert.equal(updated.data, 2);
  });

  test("update lets a throw from fn escape and leaves the data unchanged", () => {
    const message = new Message("x", noopAcknowledger);
    assert.throws(
      () =>
        message.update(() => {
          throw new Error("boom");
        }),
      /boom/,
    );
    assert.equal(message.data, "x");
  });

  test("putData replaces the data and returns the same message", () => {
    const message = new Message(1, noopAcknowledger);
    const put = message.putData({ seen: true });
    assert.equal(put, message as unknown);
    assert.deepEqual(put.data, { seen: true });
  });

  test("putBatcher, putBatchKey and putBatchMode set their field and chain", () => {
    const message = new Message(1, noopAcknowledger);
    const result = message.putBatcher("s3").putBatchKey({ customer: 7 }).putBatchMode("flush");
    assert.equal(result, message);
    assert.equal(message.batcher, "s3");
    assert.deepEqual(message.batchKey, { customer: 7 });
    assert.equal(message.batchMode, "flush");
  });

  test("fail marks the message failed with its reason and keeps the data", () => {
    const reason = new Error("bad row");
    const message = new Message("row", noopAcknowledger);
    assert.equal(message.fail(reason), message);
    assert.equal(message.failed, true);
    assert.deepEqual(message.status, { kind: "failed", reason });
    assert.equal(message.data, "row");
  });

  test("fail accepts any reason, and the last fail wins", () => {
    const message = new Message(1, noopAcknowledger).fail("first").fail({ code: 2 });
    assert.deepEqual(message.status, { kind: "failed", reason: { code: 2 } });
  });

  test("fail on one message does not fail another (no shared status)", () => {
    const a = new Message(1, noopAcknowledger);
    const b = new Message(2, noopAcknowledger);
    a.fail("x");
    assert.equal(b.failed, false);
    assert.deepEqual(b.status, { kind: "ok" });
  });

  test("configureAck stores what configure returns as ackData", () => {
    const calls: unknown[][] = [];
    const acknowledger: Acknowledger<string> = {
      name: "broker",
      ack() {},
      configure(ref, ackData, options) {
        calls.push([ref, ackData, options]);
        return { tag: ackData, ...options };
      },
    };
    const message = new Message("m", acknowledger as Acknowledger, "channel-1", 42);
    const result = message.configureAck({ onFailure: "reject" });
    assert.equal(result, message);
    assert.deepEqual(calls, [["channel-1", 42, { onFailure: "reject" }]]);
    assert.deepEqual(message.ackData, { tag: 42, onFailure: "reject" });
  });

  test("configureAck calls configure with the acknowledger as this", () => {
    const acknowledger = {
      name: "stateful",
      prefix: "p:",
      ack() {},
      configure(this: { prefix: string }, _ref: unknown, ackData: unknown) {
        return `${this.prefix}${String(ackData)}`;
      },
    };
    const message = new Message(1, acknowledger, undefined, "d").configureAck({ x: 1 });
    assert.equal(message.ackData, "p:d");
  });

  test("configureAck lets the acknowledger's own throw (an unknown option) escape", () => {
    const acknowledger: Acknowledger = {
      name: "strict",
      ack() {},
      configure(_ref, _ackData, options) {
        throw new TypeError(`unknown option ${Object.keys(options).join(", ")}`);
      },
    };
    const message = new Message(1, acknowledger, undefined, "before");
    assert.throws(() => message.configureAck({ wat: true }), {
      name: "TypeError",
      message: "unknown option wat",
    });
    assert.equal(message.ackData, "before");
  });

  test("configureAck on an acknowledger without configure throws a TypeError naming it and the options", () => {
    const message = new Message(1, noopAcknowledger, undefined, "tag");
    assert.throws(() => message.configureAck({ onFailure: "requeue", delay: 5 }), {
      name: "TypeError",
      message: "the acknowledger of this message (noop) takes no options, got onFailure, delay",
    });
    assert.equal(message.ackData, "tag");
  });
});
