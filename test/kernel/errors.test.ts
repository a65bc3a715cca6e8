import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { inspect } from "node:util";
import fc from "fast-check";
import {
  BeamishError,
  formatValue,
  InvalidArgumentError,
  invalidArgument,
  isBeamishError,
} from "../../src/kernel/errors.js";

class SampleError extends BeamishError {
  readonly code = "ERR_SAMPLE";
  constructor(readonly detail: number) {
    super(`sample ${detail}`);
  }
}

describe("BeamishError", () => {
  it("is an Error named after its class, with its code", () => {
    const e = new SampleError(3);
    assert.ok(e instanceof Error);
    assert.ok(e instanceof BeamishError);
    assert.equal(e.name, "SampleError");
    assert.equal(e.code, "ERR_SAMPLE");
    assert.equal(e.message, "sample 3");
    assert.match(String(e.stack), /^SampleError: sample 3\n/);
    assert.equal(Object.keys(e).includes("name"), false);
  });

  it("keeps a cause", () => {
    class Wrapped extends BeamishError {
      readonly code = "ERR_WRAPPED";
    }
    const cause = new Error("inner");
    assert.equal(new Wrapped("outer", { cause }).cause, cause);
  });
});

describe("InvalidArgumentError", () => {
  it("has the one message shape and a typed payload", () => {
    const e = new InvalidArgumentError({
      path: "processors.default.concurrency",
      expected: "a positive integer",
      got: -1,
    });
    assert.equal(
      e.message,
      "invalid value for `processors.default.concurrency`: expected a positive integer, got -1",
    );
    assert.equal(e.name, "InvalidArgumentError");
    assert.equal(e.code, "ERR_INVALID_ARGUMENT");
    assert.equal(e.path, "processors.default.concurrency");
    assert.equal(e.expected, "a positive integer");
    assert.equal(e.got, -1);
  });

  it("shows its payload when inspected", () => {
    const text = inspect(new InvalidArgumentError({ path: "timeout", expected: "x", got: 1 }));
    assert.match(text, /code: 'ERR_INVALID_ARGUMENT'/);
    assert.match(text, /path: 'timeout'/);
  });
});

describe("invalidArgument", () => {
  it("throws the InvalidArgumentError for the path", () => {
    assert.throws(() => invalidArgument("timeout", "a non-negative integer", "soon"), {
      name: "InvalidArgumentError",
      code: "ERR_INVALID_ARGUMENT",
      path: "timeout",
      got: "soon",
      message: 'invalid value for `timeout`: expected a non-negative integer, got "soon"',
    });
  });

  it("starts the stack at its caller", () => {
    function checkArgument(): never {
      return invalidArgument("x", "y", 1);
    }
    try {
      checkArgument();
      assert.fail("did not throw");
    } catch (e) {
      const frames = String((e as Error).stack)
        .split("\n")
        .slice(1);
      assert.match(frames[0] ?? "", /checkArgument/);
    }
  });
});

describe("isBeamishError", () => {
  it("recognises beamish errors, optionally by code", () => {
    const e = new SampleError(1);
    assert.equal(isBeamishError(e), true);
    assert.equal(isBeamishError(e, "ERR_SAMPLE"), true);
    assert.equal(isBeamishError(e, "ERR_INVALID_ARGUMENT"), false);
    for (const other of [new Error("x"), { code: "ERR_SAMPLE" }, null, undefined, "ERR_SAMPLE"]) {
      assert.equal(isBeamishError(other), false);
      assert.equal(isBeamishError(other, "ERR_SAMPLE"), false);
    }
  });

  it("recognises errors of another copy of the library by their shared brand", () => {
    const foreign = Object.create(Object.getPrototypeOf(new SampleError(1)));
    assert.equal(
      isBeamishError(Object.assign(foreign, { code: "ERR_SAMPLE" }), "ERR_SAMPLE"),
      true,
    );
  });

  it("narrows a known code to its class", () => {
    const e: unknown = new InvalidArgumentError({ path: "p", expected: "e", got: 0 });
    if (isBeamishError(e, "ERR_INVALID_ARGUMENT")) {
      const path: string = e.path;
      assert.equal(path, "p");
    } else {
      assert.fail("not recognised");
    }
  });
});

describe("formatValue", () => {
  const cases: Array<[unknown, string]> = [
    [-1, "-1"],
    [0, "0"],
    [-0, "-0"],
    [1.5, "1.5"],
    [Number.NaN, "NaN"],
    [Infinity, "Infinity"],
    [-Infinity, "-Infinity"],
    [10n, "10n"],
    [true, "true"],
    [false, "false"],
    [undefined, "undefined"],
    [null, "null"],
    ["", '""'],
    ["oneForAll", '"oneForAll"'],
    ['say "hi"\n', '"say \\"hi\\"\\n"'],
    [Symbol("tag"), "Symbol(tag)"],
    [Symbol(), "Symbol()"],
    [() => 1, "a function"],
    [function handleMessage() {}, "function handleMessage"],
    [class Worker {}, "class Worker"],
    [[], "an array of length 0"],
    [[1, 2, 3], "an array of length 3"],
    [{}, "an empty object"],
    [{ a: 1, b: 2 }, "an object with keys a, b"],
    [{ a: 1, b: 2, c: 3, d: 4, e: 5 }, "an object with keys a, b, c, d, e"],
    [{ a: 1, b: 2, c: 3, d: 4, e: 5, f: 6 }, "an object with keys a, b, c, d, e, …"],
    [Object.assign(Object.create(null), { x: 1 }), "an object with keys x"],
    [new Map(), "a Map instance"],
    [new Date(0), "a Date instance"],
    [new Error("x"), "an Error instance"],
    [
      new InvalidArgumentError({ path: "p", expected: "e", got: 0 }),
      "an InvalidArgumentError instance",
    ],
    [Promise.resolve(), "a Promise instance"],
    [Object.create(Object.create(Object.create(null))), "an object"],
  ];
  for (const [value, text] of cases) {
    it(`formats ${text}`, () => assert.equal(formatValue(value), text));
  }

  it("names the function from its name property", () => {
    const handler = () => 1;
    assert.equal(formatValue(handler), "function handler");
  });

  it("cuts strings over 60 characters with …", () => {
    assert.equal(formatValue("x".repeat(60)), `"${"x".repeat(60)}"`);
    assert.equal(formatValue("x".repeat(61)), `"${"x".repeat(60)}…"`);
    // Never half of a surrogate pair.
    assert.equal(formatValue(`${"x".repeat(59)}😀tail`), `"${"x".repeat(59)}…"`);
  });

  it("never throws, even on hostile proxies", () => {
    const hostile = new Proxy(
      {},
      {
        getPrototypeOf() {
          throw new Error("no");
        },
      },
    );
    assert.equal(formatValue(hostile), "an object");
  });

  it("is short and total for any value", () => {
    fc.assert(
      fc.property(fc.anything({ withBigInt: true, withMap: true, withSet: true }), (v) => {
        const text = formatValue(v);
        return typeof text === "string" && text.length > 0 && text.length <= 200;
      }),
    );
  });

  it("writes every number as JavaScript reads it back", () => {
    fc.assert(fc.property(fc.double(), (n) => Object.is(Number(formatValue(n)), n)));
  });
});
