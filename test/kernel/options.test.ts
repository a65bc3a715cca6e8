import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { InvalidArgumentError } from "../../src/kernel/errors.js";
import {
  checkFunction,
  checkPositiveInteger,
  checkTimeout,
  type OptionsInput,
  type OptionsOutput,
  option,
  schema,
} from "../../src/kernel/options.js";

/** Asserts that `fn` throws the InvalidArgumentError with exactly this message. */
function throwsInvalid(fn: () => unknown, message: string, path?: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof InvalidArgumentError, `not an InvalidArgumentError: ${String(e)}`);
    assert.equal(e.message, message);
    if (path !== undefined) assert.equal(e.path, path);
    return true;
  });
}

const callOptions = schema({
  timeout: option.timeout(5000).doc("How long to wait for the reply, in ms."),
  retries: option.nonNegativeInteger(0),
  label: option.string().optional(),
});

describe("schema.parse", () => {
  it("fills defaults and returns a new frozen object with every key", () => {
    const input = { timeout: 100 };
    const out = callOptions.parse(input, "call");
    assert.deepEqual(out, { timeout: 100, retries: 0, label: undefined });
    assert.deepEqual(Object.keys(out), ["timeout", "retries", "label"]);
    assert.ok(Object.isFrozen(out));
    assert.notEqual(out as object, input);
    assert.deepEqual(input, { timeout: 100 });
  });

  it("treats undefined input and undefined values as absent", () => {
    assert.deepEqual(callOptions.parse(undefined), { timeout: 5000, retries: 0, label: undefined });
    assert.deepEqual(callOptions.parse({ timeout: undefined, label: undefined }), {
      timeout: 5000,
      retries: 0,
      label: undefined,
    });
  });

  it("shares one frozen result for parse(undefined)", () => {
    assert.equal(callOptions.parse(undefined), callOptions.parse(undefined));
    assert.ok(Object.isFrozen(callOptions.parse(undefined)));
  });

  it("names the option with its prefix in the message", () => {
    throwsInvalid(
      () => callOptions.parse({ timeout: -1 }, "call"),
      "invalid value for `call.timeout`: expected a non-negative integer (ms) or Infinity, got -1",
      "call.timeout",
    );
    throwsInvalid(
      () => callOptions.parse({ timeout: "soon" }),
      'invalid value for `timeout`: expected a non-negative integer (ms) or Infinity, got "soon"',
      "timeout",
    );
  });

  it("rejects unknown keys, listing the declared options", () => {
    throwsInvalid(
      () => callOptions.parse({ timout: 100 }, "call"),
      "invalid value for `call.timout`: expected one of the options timeout, retries, label, got 100",
      "call.timout",
    );
    throwsInvalid(
      () => callOptions.parse({ toString: 1 }),
      "invalid value for `toString`: expected one of the options timeout, retries, label, got 1",
    );
    throwsInvalid(
      () => callOptions.parse(JSON.parse('{"__proto__": {"timeout": 1}}')),
      "invalid value for `__proto__`: expected one of the options timeout, retries, label, got an object with keys timeout",
    );
  });

  it("reads own properties only", () => {
    const inherited = Object.create({ timeout: 1 });
    assert.equal(callOptions.parse(inherited).timeout, 5000);
    const withLabel = schema({ toString: option.string().optional() });
    assert.equal(withLabel.parse({}).toString, undefined);
  });

  it("rejects input that is not an options object", () => {
    for (const [input, got] of [
      [null, "null"],
      [5, "5"],
      ["fast", '"fast"'],
      [[1], "an array of length 1"],
    ] as const) {
      throwsInvalid(
        () => callOptions.parse(input),
        `invalid value for \`options\`: expected an options object, got ${got}`,
        "options",
      );
      throwsInvalid(
        () => callOptions.parse(input, "call"),
        `invalid value for \`call\`: expected an options object, got ${got}`,
        "call",
      );
    }
  });

  it("requires options without default that are not optional", () => {
    const s = schema({
      handleMessage: option.func<(m: unknown) => void>(),
      x: option.boolean(false),
    });
    throwsInvalid(
      () => s.parse({}),
      "invalid value for `handleMessage`: expected a function, got undefined",
    );
    throwsInvalid(
      () => s.parse(undefined, "pipeline"),
      "invalid value for `pipeline.handleMessage`: expected a function, got undefined",
    );
    throwsInvalid(
      () => s.parse({ handleMessage: undefined }),
      "invalid value for `handleMessage`: expected a function, got undefined",
    );
    const fn = () => {};
    assert.equal(s.parse({ handleMessage: fn }).handleMessage, fn);
  });

  it("reports the first failure in declaration order", () => {
    const s = schema({ a: option.positiveInteger(), b: option.positiveInteger() });
    throwsInvalid(
      () => s.parse({ b: 0, a: 0 }),
      "invalid value for `a`: expected a positive integer, got 0",
    );
  });
});

describe("nested schemas", () => {
  const processor = schema({
    concurrency: option.positiveInteger(1),
    maxDemand: option.positiveInteger(10),
  });
  const pipeline = schema({
    name: option.string(),
    processors: option.object({
      default: option.object(processor),
    }),
    rateLimiting: option
      .object({ allowedMessages: option.positiveInteger(), interval: option.timeout() })
      .optional(),
  });

  it("uses dotted paths in messages", () => {
    throwsInvalid(
      () => pipeline.parse({ name: "p", processors: { default: { concurrency: -1 } } }),
      "invalid value for `processors.default.concurrency`: expected a positive integer, got -1",
      "processors.default.concurrency",
    );
    throwsInvalid(
      () => pipeline.parse({ name: "p", processors: { default: { concurency: 2 } } }, "pipeline"),
      "invalid value for `pipeline.processors.default.concurency`: expected one of the options concurrency, maxDemand, got 2",
    );
    throwsInvalid(
      () => pipeline.parse({ name: "p", processors: { default: 4 } }),
      "invalid value for `processors.default`: expected an options object, got 4",
    );
    throwsInvalid(
      () => pipeline.parse({ name: "p", rateLimiting: { allowedMessages: 5 } }),
      "invalid value for `rateLimiting.interval`: expected a non-negative integer (ms) or Infinity, got undefined",
    );
  });

  it("defaults a nested object whose options all have defaults", () => {
    const out = pipeline.parse({ name: "p" });
    assert.deepEqual(out, {
      name: "p",
      processors: { default: { concurrency: 1, maxDemand: 10 } },
      rateLimiting: undefined,
    });
    assert.ok(Object.isFrozen(out.processors));
    assert.ok(Object.isFrozen(out.processors.default));
    const partial = pipeline.parse({ name: "p", processors: { default: { maxDemand: 50 } } });
    assert.deepEqual(partial.processors.default, { concurrency: 1, maxDemand: 50 });
  });

  it("parses an optional nested object when given", () => {
    const out = pipeline.parse({ name: "p", rateLimiting: { allowedMessages: 5, interval: 1000 } });
    assert.deepEqual(out.rateLimiting, { allowedMessages: 5, interval: 1000 });
  });

  it("exposes defaults, nested ones included", () => {
    assert.deepEqual(pipeline.defaults, {
      processors: { default: { concurrency: 1, maxDemand: 10 } },
    });
    assert.ok(Object.isFrozen(pipeline.defaults));
    assert.deepEqual(processor.defaults, { concurrency: 1, maxDemand: 10 });
  });
});

describe("option builders", () => {
  const one = <T>(opt: { check(v: unknown, p: string): T }, v: unknown): T => opt.check(v, "x");

  it("positiveInteger: finite integers >= 1", () => {
    const o = option.positiveInteger();
    assert.equal(one(o, 1), 1);
    assert.equal(one(o, 2 ** 40), 2 ** 40);
    for (const [bad, got] of [
      [0, "0"],
      [1.5, "1.5"],
      [Infinity, "Infinity"],
      [Number.NaN, "NaN"],
      ["1", '"1"'],
      [1n, "1n"],
    ] as const) {
      throwsInvalid(
        () => one(o, bad),
        `invalid value for \`x\`: expected a positive integer, got ${got}`,
      );
    }
  });

  it("nonNegativeInteger: finite integers >= 0", () => {
    const o = option.nonNegativeInteger();
    assert.equal(one(o, 0), 0);
    throwsInvalid(
      () => one(o, -1),
      "invalid value for `x`: expected a non-negative integer, got -1",
    );
    throwsInvalid(
      () => one(o, Infinity),
      "invalid value for `x`: expected a non-negative integer, got Infinity",
    );
  });

  it("timeout: integers >= 0 or Infinity", () => {
    const o = option.timeout();
    assert.equal(one(o, 0), 0);
    assert.equal(one(o, Infinity), Infinity);
    for (const [bad, got] of [
      [-Infinity, "-Infinity"],
      [0.5, "0.5"],
      [Number.NaN, "NaN"],
      [null, "null"],
    ] as const) {
      throwsInvalid(
        () => one(o, bad),
        `invalid value for \`x\`: expected a non-negative integer (ms) or Infinity, got ${got}`,
      );
    }
  });

  it("number: bounds, integers and the text that matches the check", () => {
    const ratio = option.number({ min: 0, max: 1 });
    assert.equal(one(ratio, 0.25), 0.25);
    throwsInvalid(
      () => one(ratio, 1.5),
      "invalid value for `x`: expected a finite number between 0 and 1, got 1.5",
    );
    const atLeast = option.number({ min: 2, integer: true });
    assert.equal(one(atLeast, 2), 2);
    throwsInvalid(
      () => one(atLeast, 2.5),
      "invalid value for `x`: expected an integer >= 2, got 2.5",
    );
    throwsInvalid(
      () => one(option.number({ max: 0 }), 1),
      "invalid value for `x`: expected a finite number <= 0, got 1",
    );
    throwsInvalid(
      () => one(option.number({}), Infinity),
      "invalid value for `x`: expected a finite number, got Infinity",
    );
    assert.throws(() => option.number({ min: 2, max: 1 }), InvalidArgumentError);
  });

  it("boolean and string", () => {
    assert.equal(one(option.boolean(), false), false);
    throwsInvalid(
      () => one(option.boolean(), 0),
      "invalid value for `x`: expected a boolean, got 0",
    );
    assert.equal(one(option.string(), ""), "");
    throwsInvalid(
      () => one(option.string(), {}),
      "invalid value for `x`: expected a string, got an empty object",
    );
  });

  it("oneOf: a closed string union", () => {
    const strategy = option.oneOf(["oneForOne", "oneForAll", "restForOne"], "oneForOne");
    assert.equal(one(strategy, "restForOne"), "restForOne");
    assert.equal(one(strategy, undefined), "oneForOne");
    throwsInvalid(
      () => one(strategy, "one_for_one"),
      'invalid value for `x`: expected one of "oneForOne", "oneForAll", "restForOne", got "one_for_one"',
    );
    assert.throws(() => option.oneOf([]), InvalidArgumentError);
  });

  it("func: a function", () => {
    const f = (a: number) => a + 1;
    assert.equal(one(option.func<typeof f>(), f), f);
    throwsInvalid(
      () => one(option.func(), 42),
      "invalid value for `x`: expected a function, got 42",
    );
  });

  it("custom: any type guard, with its expected text", () => {
    const isSignal = (v: unknown): v is AbortSignal => v instanceof AbortSignal;
    const signal = option.custom("an AbortSignal", isSignal).optional();
    const s = new AbortController().signal;
    assert.equal(one(signal, s), s);
    assert.equal(one(signal, undefined), undefined);
    throwsInvalid(
      () => one(signal, {}),
      "invalid value for `x`: expected an AbortSignal, got an empty object",
    );
    assert.equal(signal.type, "AbortSignal");
  });

  it("checks defaults when they are declared", () => {
    throwsInvalid(
      () => option.positiveInteger(0),
      "invalid value for `default`: expected a positive integer, got 0",
    );
    throwsInvalid(
      // @ts-expect-error -- "fast" is not one of the values
      () => option.oneOf(["a", "b"], "fast"),
      'invalid value for `default`: expected one of "a", "b", got "fast"',
    );
  });

  it("is immutable: doc and optional return new options", () => {
    const base = option.positiveInteger();
    const documented = base.doc("text");
    const optional = base.optional();
    assert.notEqual(documented, base);
    assert.equal(base.description, "");
    assert.equal(documented.description, "text");
    assert.equal(base.presence, "required");
    assert.equal(optional.presence, "optional");
    assert.equal(documented.optional().description, "text");
    assert.ok(Object.isFrozen(base));
  });

  it("rejects fields that were not made by option.*", () => {
    assert.throws(
      () => schema({ x: { presence: "required" } as never }),
      /invalid value for `x`: expected an option made by `option\.\*`/,
    );
  });
});

describe("describe", () => {
  it("gives one documentation row per option, nested ones dotted", () => {
    const s = schema({
      strategy: option.oneOf(["oneForOne", "oneForAll"], "oneForOne").doc("How children restart."),
      maxRestarts: option.nonNegativeInteger(3),
      timeout: option.timeout(Infinity),
      name: option.string().optional(),
      init: option.func(),
      batcher: option.object({ batchSize: option.positiveInteger(100).doc("Messages per batch.") }),
    });
    assert.deepEqual(s.describe(), [
      {
        name: "strategy",
        type: '"oneForOne" | "oneForAll"',
        default: '"oneForOne"',
        doc: "How children restart.",
        required: false,
      },
      { name: "maxRestarts", type: "non-negative integer", default: "3", doc: "", required: false },
      {
        name: "timeout",
        type: "non-negative integer (ms) | Infinity",
        default: "Infinity",
        doc: "",
        required: false,
      },
      { name: "name", type: "string", default: undefined, doc: "", required: false },
      { name: "init", type: "function", default: undefined, doc: "", required: true },
      { name: "batcher", type: "object", default: undefined, doc: "", required: false },
      {
        name: "batcher.batchSize",
        type: "positive integer",
        default: "100",
        doc: "Messages per batch.",
        required: false,
      },
    ]);
  });
});

describe("single-value checks", () => {
  it("checkTimeout", () => {
    assert.equal(checkTimeout(0, "timeout"), 0);
    assert.equal(checkTimeout(Infinity, "timeout"), Infinity);
    throwsInvalid(
      () => checkTimeout(-5, "call.timeout"),
      "invalid value for `call.timeout`: expected a non-negative integer (ms) or Infinity, got -5",
    );
  });

  it("checkPositiveInteger", () => {
    assert.equal(checkPositiveInteger(3, "count"), 3);
    throwsInvalid(
      () => checkPositiveInteger(0, "count"),
      "invalid value for `count`: expected a positive integer, got 0",
    );
  });

  it("checkFunction", () => {
    const f = (n: number) => n * 2;
    const same: (n: number) => number = checkFunction(f, "fn");
    assert.equal(same, f);
    throwsInvalid(
      () => checkFunction("f", "fn"),
      'invalid value for `fn`: expected a function, got "f"',
    );
  });

  it("accept exactly what the option builders accept", () => {
    const timeout = option.timeout();
    const positive = option.positiveInteger();
    fc.assert(
      fc.property(fc.oneof(fc.integer(), fc.double(), fc.constant(Infinity)), (v) => {
        const agrees = <T>(a: () => T, b: () => T) => {
          let ra: unknown;
          let rb: unknown;
          try {
            ra = a();
          } catch (e) {
            ra = (e as Error).message;
          }
          try {
            rb = b();
          } catch (e) {
            rb = (e as Error).message;
          }
          return Object.is(ra, rb);
        };
        return (
          agrees(
            () => checkTimeout(v, "t"),
            () => timeout.check(v, "t"),
          ) &&
          agrees(
            () => checkPositiveInteger(v, "t"),
            () => positive.check(v, "t"),
          )
        );
      }),
    );
  });
});

describe("properties", () => {
  const s = schema({
    count: option.nonNegativeInteger(1),
    timeout: option.timeout(5000),
  });

  it("every valid integer round-trips", () => {
    fc.assert(
      fc.property(fc.nat(), fc.nat(), (count, timeout) => {
        const out = s.parse({ count, timeout }, "opts");
        return out.count === count && out.timeout === timeout;
      }),
    );
  });

  it("every negative number is rejected with a message naming the path and value", () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.integer({ max: -1 }), fc.double({ max: -Number.MIN_VALUE, noNaN: true })),
        fc.constantFrom("count", "timeout"),
        (bad, key) => {
          try {
            s.parse({ [key]: bad }, "opts");
            return false;
          } catch (e) {
            return (
              e instanceof InvalidArgumentError &&
              e.path === `opts.${key}` &&
              Object.is(e.got, bad) &&
              e.message.startsWith(`invalid value for \`opts.${key}\`: expected `) &&
              e.message.endsWith(`, got ${String(bad)}`)
            );
          }
        },
      ),
    );
  });

  it("parse never throws anything but InvalidArgumentError", () => {
    fc.assert(
      fc.property(fc.anything(), (input) => {
        try {
          s.parse(input);
        } catch (e) {
          return e instanceof InvalidArgumentError;
        }
        return true;
      }),
    );
  });
});

// Compile-time checks: never called; `tsc --noEmit` fails if a misuse stops being an error.
export function typeChecks(): void {
  const startOptions = schema({
    name: option.string(),
    timeout: option.timeout(5000),
    label: option.string().optional(),
    strategy: option.oneOf(["oneForOne", "oneForAll"], "oneForOne"),
    handler: option.func<(n: number) => string>(),
    nested: option.object({ size: option.positiveInteger(10) }),
    limits: option.object({ max: option.positiveInteger() }).optional(),
  });
  type In = OptionsInput<typeof startOptions>;
  type Out = OptionsOutput<typeof startOptions>;

  // Inputs: only the required keys are needed; optional ones accept undefined explicitly.
  const minimal: In = { name: "n", handler: (n) => String(n) };
  const explicit: In = {
    name: "n",
    handler: String,
    timeout: undefined,
    label: undefined,
    strategy: "oneForAll",
    nested: { size: undefined },
    limits: { max: 3 },
  };
  // @ts-expect-error -- name is required
  const missing: In = { handler: String };
  // @ts-expect-error -- a required key does not accept undefined
  const undefinedRequired: In = { name: undefined, handler: String };
  // @ts-expect-error -- not one of the strategies
  const badStrategy: In = { name: "n", handler: String, strategy: "restForOne" };
  // @ts-expect-error -- unknown key
  const typo: In = { name: "n", handler: String, timout: 5 };
  // @ts-expect-error -- limits.max is required inside limits
  const badNested: In = { name: "n", handler: String, limits: {} };

  // Outputs: defaulted keys are present, optional ones may be undefined, all readonly.
  const out: Out = startOptions.parse(minimal);
  const timeout: number = out.timeout;
  const size: number = out.nested.size;
  const strategy: "oneForOne" | "oneForAll" = out.strategy;
  const reply: string = out.handler(1);
  // @ts-expect-error -- optional: may be undefined
  const label: string = out.label;
  // @ts-expect-error -- optional nested object: may be undefined
  const max: number = out.limits.max;
  // @ts-expect-error -- readonly
  out.timeout = 1;
  const defaultsTimeout: number = startOptions.defaults.timeout;
  // @ts-expect-error -- name has no default
  startOptions.defaults.name;

  // Builders.
  // @ts-expect-error -- a defaulted option cannot be made optional
  option.timeout(5000).optional();
  // @ts-expect-error -- the default must be a number
  option.positiveInteger("1");
  // @ts-expect-error -- func has no default
  option.func(() => 1);
  // @ts-expect-error -- fields must be options
  schema({ x: 5 });
  // @ts-expect-error -- the result of checkTimeout is a number
  const notString: string = checkTimeout(5, "t");

  void [explicit, missing, undefinedRequired, badStrategy, typo, badNested, timeout, size];
  void [strategy, reply, label, max, defaultsTimeout, notString];
}
