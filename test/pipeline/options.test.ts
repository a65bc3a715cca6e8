import assert from "node:assert/strict";
import { availableParallelism } from "node:os";
import { describe, test } from "node:test";
import { isBeamishError } from "beamish";
import {
  InvalidOptionsError,
  type Message,
  Pipeline,
  type PipelineDefinition,
  type ProducerDefinition,
} from "beamish/pipeline";
import { withRuntime } from "beamish/testing";
import { parsePipeline } from "../../src/pipeline/options.js";

const producer: ProducerDefinition<unknown, null> = {
  init: () => null,
  handleDemand: (_demand, state) => state,
};
const handleMessage = (_processor: string, message: Message) => message;
const base = {
  producer: { module: producer },
  processors: { default: {} },
  handleMessage,
};

const knownTop =
  "name, producer, processors, batchers, partitionBy, shutdownTimeout, context, handleMessage, handleBatch, handleFailed, prepareMessages";

/** The lines of the InvalidOptionsError `parsePipeline(input)` throws, after its heading. */
function invalid(input: unknown): { error: InvalidOptionsError; lines: string[] } {
  try {
    parsePipeline(input);
  } catch (error) {
    assert.ok(error instanceof InvalidOptionsError, `not an InvalidOptionsError: ${String(error)}`);
    const [heading, ...lines] = error.message.split("\n");
    const count = error.errors.length;
    assert.equal(
      heading,
      `Pipeline.start: ${count === 1 ? "an invalid option" : `${count} invalid options`}`,
    );
    return { error, lines: lines.map((l) => l.replace(/^ {2}/, "")) };
  }
  assert.fail("parsePipeline accepted a bad definition");
}

function assertOneError(input: unknown, line: string): void {
  assert.deepEqual(invalid(input).lines, [line]);
}

describe("parsePipeline", () => {
  test("a negative concurrency", () => {
    const { error, lines } = invalid({ ...base, processors: { default: { concurrency: -1 } } });
    assert.deepEqual(lines, [
      "invalid value for `processors.default.concurrency`: expected a positive integer, got -1",
    ]);
    assert.equal(error.errors.length, 1);
    const bad = error.errors[0];
    assert.ok(isBeamishError(bad, "ERR_INVALID_ARGUMENT"));
    assert.equal(bad.path, "processors.default.concurrency");
    assert.equal(bad.expected, "a positive integer");
    assert.equal(bad.got, -1);
  });

  test("a non-integer or zero producer concurrency", () => {
    assertOneError(
      { ...base, producer: { module: producer, concurrency: 1.5 } },
      "invalid value for `producer.concurrency`: expected a positive integer, got 1.5",
    );
    assertOneError(
      { ...base, producer: { module: producer, concurrency: 0 } },
      "invalid value for `producer.concurrency`: expected a positive integer, got 0",
    );
  });

  test("an unknown top-level option lists the known ones", () => {
    const { error, lines } = invalid({ ...base, procesors: {} });
    assert.deepEqual(lines, [
      `invalid value for \`procesors\`: expected one of the options ${knownTop}, got an empty object`,
    ]);
    assert.equal(error.errors[0]?.path, "procesors");
  });

  test("an unknown option of a processor group lists that group's options", () => {
    assertOneError(
      { ...base, processors: { default: { concurency: 2 } } },
      "invalid value for `processors.default.concurency`: expected one of the options concurrency, maxDemand, minDemand, partitionBy, threads, got 2",
    );
  });

  test("an unknown option of a batcher lists the batcher's options", () => {
    assertOneError(
      { ...base, handleBatch: () => [], batchers: { default: { size: 10 } } },
      "invalid value for `batchers.default.size`: expected one of the options concurrency, batchSize, batchTimeout, maxDemand, minDemand, partitionBy, got 10",
    );
  });

  test("a handler that is not a function", () => {
    assertOneError(
      { ...base, handleMessage: "echo" },
      'invalid value for `handleMessage`: expected a function, got "echo"',
    );
    assertOneError(
      { ...base, handleFailed: 3 },
      "invalid value for `handleFailed`: expected a function, got 3",
    );
  });

  test("a missing handleMessage", () => {
    assertOneError(
      { producer: base.producer, processors: base.processors },
      "invalid value for `handleMessage`: expected a function (required unless the processors have threads), got undefined",
    );
  });

  test("a missing producer", () => {
    assertOneError(
      { processors: base.processors, handleMessage },
      "invalid value for `producer`: expected an object of options, got undefined",
    );
  });

  test("a producer module without init and handleDemand", () => {
    assertOneError(
      { ...base, producer: { module: { init: () => null } } },
      "invalid value for `producer.module`: expected a producer (an object with init and handleDemand), got an object with keys init",
    );
  });

  test("a definition that is not an object", () => {
    assertOneError(42, "invalid value for `definition`: expected an object of options, got 42");
  });

  test("two processor groups", () => {
    assertOneError(
      { ...base, processors: { a: {}, b: {} } },
      "invalid value for `processors`: expected exactly one processor group, got an object with keys a, b",
    );
  });

  test("no processor group", () => {
    assertOneError(
      { ...base, processors: {} },
      "invalid value for `processors`: expected exactly one processor group, got an empty object",
    );
  });

  test("processors minDemand at or above maxDemand", () => {
    assertOneError(
      { ...base, processors: { default: { maxDemand: 5, minDemand: 5 } } },
      "invalid value for `processors.default.minDemand`: expected an integer from 0 to 4 (below maxDemand), got 5",
    );
    assertOneError(
      { ...base, processors: { default: { minDemand: 12 } } },
      "invalid value for `processors.default.minDemand`: expected an integer from 0 to 9 (below maxDemand), got 12",
    );
    assert.equal(
      parsePipeline({ ...base, processors: { default: { maxDemand: 5, minDemand: 4 } } }).processors
        .default?.minDemand,
      4,
    );
  });

  test("batchers minDemand at or above maxDemand, which defaults to batchSize", () => {
    assertOneError(
      { ...base, handleBatch: () => [], batchers: { s3: { batchSize: 10, minDemand: 10 } } },
      "invalid value for `batchers.s3.minDemand`: expected an integer from 0 to 9 (below maxDemand), got 10",
    );
    assertOneError(
      { ...base, handleBatch: () => [], batchers: { s3: { maxDemand: 3, minDemand: 7 } } },
      "invalid value for `batchers.s3.minDemand`: expected an integer from 0 to 2 (below maxDemand), got 7",
    );
  });

  test("batchers without handleBatch", () => {
    const { error, lines } = invalid({ ...base, batchers: { default: {} } });
    assert.deepEqual(lines, [
      "invalid value for `handleBatch`: expected a function (the pipeline has batchers), got undefined",
    ]);
    assert.equal(error.errors[0]?.path, "handleBatch");
  });

  test("rateLimiting with a bad interval", () => {
    assertOneError(
      {
        ...base,
        producer: { module: producer, rateLimiting: { allowedMessages: 10, interval: 0 } },
      },
      "invalid value for `producer.rateLimiting.interval`: expected a positive integer, got 0",
    );
    assertOneError(
      {
        ...base,
        producer: { module: producer, rateLimiting: { allowedMessages: 10, interval: "1s" } },
      },
      'invalid value for `producer.rateLimiting.interval`: expected a positive integer, got "1s"',
    );
  });

  test("rateLimiting without allowedMessages", () => {
    assertOneError(
      { ...base, producer: { module: producer, rateLimiting: { interval: 1000 } } },
      "invalid value for `producer.rateLimiting.allowedMessages`: expected a positive integer, got undefined",
    );
  });

  test("a bad batcher name says what a name may hold", () => {
    const { error, lines } = invalid({ ...base, handleBatch: () => [], batchers: { "to s3": {} } });
    assert.deepEqual(lines, [
      'invalid value for `batchers.to s3`: expected a name of letters, digits, _ . or -, got "to s3"',
    ]);
    assert.equal(error.errors[0]?.got, "to s3");
  });

  test("a bad processor group name says what a name may hold", () => {
    assertOneError(
      { ...base, processors: { "a/b": {} } },
      'invalid value for `processors.a/b`: expected a name of letters, digits, _ . or -, got "a/b"',
    );
  });

  test("several bad options make one error with one InvalidArgumentError and one line per path", () => {
    const { error, lines } = invalid({
      ...base,
      processors: { default: { concurrency: 0, maxDemand: 1.5 } },
      shutdownTimeout: -5,
      handleMessage: null,
      wat: 2,
    });
    assert.equal(error.code, "ERR_INVALID_OPTIONS");
    assert.ok(isBeamishError(error, "ERR_INVALID_OPTIONS"));
    assert.equal(error.where, "Pipeline.start");
    const paths = error.errors.map((e) => e.path).sort();
    assert.deepEqual(paths, [
      "handleMessage",
      "processors.default.concurrency",
      "processors.default.maxDemand",
      "shutdownTimeout",
      "wat",
    ]);
    for (const e of error.errors) assert.ok(isBeamishError(e, "ERR_INVALID_ARGUMENT"));
    assert.equal(lines.length, 5);
    assert.deepEqual(
      lines,
      error.errors.map((e) => e.message),
    );
    assert.ok(
      lines.includes("invalid value for `shutdownTimeout`: expected a positive integer, got -5"),
    );
    assert.ok(lines.includes("invalid value for `handleMessage`: expected a function, got null"));
    assert.ok(
      lines.includes(
        "invalid value for `processors.default.maxDemand`: expected a positive integer, got 1.5",
      ),
    );
  });

  test("several cross-field errors are reported together", () => {
    const { error } = invalid({
      ...base,
      processors: { default: { maxDemand: 2, minDemand: 2 } },
      batchers: { a: { batchSize: 1, minDemand: 1 } },
    });
    assert.deepEqual(error.errors.map((e) => e.path).sort(), [
      "batchers.a.minDemand",
      "handleBatch",
      "processors.default.minDemand",
    ]);
  });

  test("defaults are applied", () => {
    const parsed = parsePipeline({
      ...base,
      handleBatch: () => [],
      batchers: { default: {} },
    });
    assert.equal(parsed.producer.concurrency, 1);
    assert.equal(parsed.producer.rateLimiting, undefined);
    assert.deepEqual(parsed.processors.default, {
      concurrency: availableParallelism() * 2,
      maxDemand: 10,
    });
    assert.deepEqual(parsed.batchers?.default, {
      concurrency: 1,
      batchSize: 100,
      batchTimeout: 1000,
    });
    assert.equal(parsed.shutdownTimeout, 30_000);
  });

  test("given values are kept, and the producer module is the same object", () => {
    const partitionBy = (m: Message) => m.data;
    const context = { db: "x" };
    const parsed = parsePipeline({
      ...base,
      name: "orders",
      producer: {
        module: producer,
        concurrency: 3,
        rateLimiting: { allowedMessages: 5, interval: 100 },
      },
      processors: { work: { concurrency: 2, maxDemand: 4, minDemand: 1, partitionBy } },
      shutdownTimeout: 10,
      context,
    });
    assert.equal(parsed.name, "orders");
    assert.equal(parsed.producer.module, producer);
    assert.equal(parsed.producer.concurrency, 3);
    assert.deepEqual(parsed.producer.rateLimiting, { allowedMessages: 5, interval: 100 });
    assert.deepEqual(parsed.processors.work, {
      concurrency: 2,
      maxDemand: 4,
      minDemand: 1,
      partitionBy,
    });
    assert.equal(parsed.shutdownTimeout, 10);
    assert.equal(parsed.context, context);
    assert.equal(parsed.handleMessage, handleMessage);
  });
});

describe("Pipeline.start and Pipeline.create with bad options", () => {
  test(
    "Pipeline.start rejects (never throws synchronously) with the InvalidOptionsError",
    withRuntime(async () => {
      const bad = {
        ...base,
        processors: { default: { concurrency: -1 } },
      } as unknown as PipelineDefinition;
      let started: Promise<unknown> | undefined;
      assert.doesNotThrow(() => {
        started = Pipeline.start(bad);
      });
      await assert.rejects(started as Promise<unknown>, (error: unknown) => {
        assert.ok(isBeamishError(error, "ERR_INVALID_OPTIONS"));
        assert.equal(
          error.message,
          "Pipeline.start: an invalid option\n  invalid value for `processors.default.concurrency`: expected a positive integer, got -1",
        );
        return true;
      });
    }),
  );

  test(
    "Pipeline.start rejects with every bad option at once",
    withRuntime(async () => {
      const bad = { ...base, shutdownTimeout: 0, extra: true } as unknown as PipelineDefinition;
      await assert.rejects(Pipeline.start(bad), (error: unknown) => {
        assert.ok(error instanceof InvalidOptionsError);
        assert.deepEqual(error.errors.map((e) => e.path).sort(), ["extra", "shutdownTimeout"]);
        return true;
      });
    }),
  );

  test("Pipeline.create throws the InvalidOptionsError at once", () => {
    const bad = { ...base, handleMessage: undefined } as unknown as PipelineDefinition;
    assert.throws(() => Pipeline.create(bad), {
      code: "ERR_INVALID_OPTIONS",
      message:
        "Pipeline.start: an invalid option\n  invalid value for `handleMessage`: expected a function (required unless the processors have threads), got undefined",
    });
  });
});
