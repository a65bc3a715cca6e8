import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { Pid, Ref } from "../../src/kernel/pid.js";
import { decode, encode, needsEncoding } from "../../src/threads/codec.js";
import { NotCloneableError } from "../../src/threads/errors.js";

const pidOf = (node: number, id: number) => new Pid(node, id);
const roundTrip = (value: unknown) =>
  needsEncoding(value) ? decode(structuredClone(encode(value)), pidOf) : structuredClone(value);

describe("threads codec", () => {
  it("leaves a message without pids alone (no copy)", () => {
    const message = { a: [1, 2, { b: "x" }], d: new Date(0), m: new Map([["k", 1]]) };
    assert.equal(needsEncoding(message), false);
  });

  it("carries pids and refs inside arrays, objects, maps and sets", () => {
    const pid = new Pid(2, 7);
    const ref = new Ref(2, 9);
    const message = { from: pid, refs: [ref], m: new Map([["who", pid]]), s: new Set([pid]) };
    const back = roundTrip(message) as typeof message;
    assert.ok(back.from instanceof Pid && back.from.equals(pid));
    assert.ok(back.refs[0] instanceof Ref && back.refs[0].equals(ref));
    assert.ok((back.m.get("who") as Pid).equals(pid));
    assert.ok([...back.s][0] instanceof Pid);
    assert.equal(String(back.from), "<2.7.0>");
  });

  it("round-trips any JSON-like value with pids in it", () => {
    const withPids = fc.letrec((tie) => ({
      value: fc.oneof(
        { depthSize: "small" },
        fc.integer(),
        fc.string(),
        fc.constant(null),
        fc.tuple(fc.nat(5), fc.nat(1000)).map(([n, i]) => new Pid(n, i)),
        fc.array(tie("value"), { maxLength: 4 }),
        fc.dictionary(fc.string({ maxLength: 4 }), tie("value"), { maxKeys: 4 }),
      ),
    })).value;
    const normalize = (v: unknown): unknown =>
      v instanceof Pid
        ? `pid${v}`
        : Array.isArray(v)
          ? v.map(normalize)
          : v !== null && typeof v === "object"
            ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, normalize(x)]))
            : v;
    fc.assert(
      fc.property(withPids, (value) => {
        assert.deepEqual(normalize(roundTrip(value)), normalize(value));
      }),
    );
  });

  it("refuses a function, naming where it is", () => {
    assert.throws(
      () => needsEncoding({ job: { onDone: () => {} } }),
      (e: unknown) =>
        e instanceof NotCloneableError &&
        e.code === "ERR_NOT_CLONEABLE" &&
        e.path === "message.job.onDone" &&
        e.where === "message" &&
        /cannot send a function to another thread \(at `message\.job\.onDone`\)/.test(e.message),
    );
    assert.throws(() => needsEncoding([Symbol("s")]), /a symbol .*message\[0\]/);
  });

  it("names the class of an object that holds a function", () => {
    class Socket {
      handler = () => {};
    }
    assert.throws(
      () => needsEncoding({ conn: new Socket() }),
      /cannot send a Socket to another thread \(at `message\.conn`\) \(it holds a function at `message\.conn\.handler`\)/,
    );
  });

  it("refuses a cyclic structure instead of walking forever", () => {
    const a: Record<string, unknown> = {};
    a.self = a;
    assert.throws(() => needsEncoding(a), /nested too deep or cyclic/);
  });
});
