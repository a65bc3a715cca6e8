/**
 * The built-in producers driven through real pipelines: iterables (sync, async, shared by two
 * producer stages), NDJSON files, the back-pressured memory producer, and the test producer
 * with `Pipeline.testMessages` / `testMessage` / `testBatch`.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { isAlive, isBeamishError, type Pid } from "beamish";
import {
  type BatchInfo,
  MalformedLineError,
  type Message,
  Pipeline,
  PipelineStoppingError,
} from "beamish/pipeline";
import { runInRuntime, type VirtualClock, withRuntime } from "beamish/testing";
import fc from "fast-check";

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Awaits `promise` while moving virtual time, failing rather than hanging if it never settles.
 * Bounded by real time, not by steps: file reads finish on their own schedule, however fast the
 * virtual clock spins.
 */
async function within<T>(clock: VirtualClock, promise: Promise<T>, realMs = 10_000): Promise<T> {
  let settled = false;
  const watched = promise.finally(() => {
    settled = true;
  });
  watched.catch(() => {});
  const deadline = performance.now() + realMs;
  for (let step = 0; !settled && performance.now() < deadline; step++) {
    await clock.advance(10);
    // Past the first steps, whatever is still missing is waiting on I/O: let it run.
    if (step > 50) await new Promise((resolve) => setTimeout(resolve, 1));
  }
  assert.ok(settled, "did not settle");
  return watched;
}

/** True if `promise` has settled after the runtime had its turns and some virtual time passed. */
async function hasSettled(clock: VirtualClock, promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  promise.then(
    () => {
      settled = true;
    },
    () => {
      settled = true;
    },
  );
  await clock.advance(50);
  return settled;
}

/** A promise the test resolves when it wants. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

/** Counts how often each value was handled. */
function tally(values: readonly unknown[]): Map<unknown, number> {
  const counts = new Map<unknown, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return counts;
}

function assertEachOnce(handled: readonly unknown[], expected: readonly unknown[]): void {
  assert.equal(handled.length, expected.length, "handled as many as produced");
  const counts = tally(handled);
  for (const v of expected) assert.equal(counts.get(v), 1, `${String(v)} handled once`);
}

describe("Pipeline.fromIterable", () => {
  test(
    "over an array: every item handled once, done resolves with the counts",
    withRuntime(async ({ clock, crashes }) => {
      const items = Array.from({ length: 57 }, (_, i) => i);
      const handled: number[] = [];
      const source = Pipeline.fromIterable(items);
      const pipeline = await Pipeline.start({
        producer: { module: source },
        processors: { default: { concurrency: 2, maxDemand: 4 } },
        handleMessage: (_processor, message) => {
          handled.push(message.data);
          return message;
        },
      });
      assert.deepEqual(await within(clock, source.done), { successful: 57, failed: 0 });
      assertEachOnce(handled, items);
      await pipeline.stop();
      assert.deepEqual(crashes, []);
    }),
  );

  test(
    "failed messages count as failed in done, and onAck sees each message once",
    withRuntime(async ({ clock, crashes }) => {
      const acked: { ok: number[]; failed: number[] } = { ok: [], failed: [] };
      const source = Pipeline.fromIterable([1, 2, 3, 4, 5, 6], {
        onAck: (successful, failed) => {
          acked.ok.push(...successful.map((m) => m.data));
          acked.failed.push(...failed.map((m) => m.data));
        },
      });
      const pipeline = await Pipeline.start({
        producer: { module: source },
        processors: { default: { concurrency: 1 } },
        handleMessage: (_processor, message) => {
          if (message.data % 3 === 0) throw new Error("divisible by 3");
          return message.data % 2 === 0 ? message.fail("even") : message;
        },
      });
      assert.deepEqual(await within(clock, source.done), { successful: 2, failed: 4 });
      assert.deepEqual(
        acked.ok.sort((a, b) => a - b),
        [1, 5],
      );
      assert.deepEqual(
        acked.failed.sort((a, b) => a - b),
        [2, 3, 4, 6],
      );
      await pipeline.stop();
      assert.deepEqual(crashes, [], "a handler's throw never crashes a stage");
    }),
  );

  test(
    "an empty iterable resolves done with zero counts",
    withRuntime(async ({ clock }) => {
      const source = Pipeline.fromIterable<number>([]);
      const pipeline = await Pipeline.start({
        producer: { module: source },
        processors: { default: { concurrency: 1 } },
        handleMessage: (_processor, message) => message,
      });
      assert.deepEqual(await within(clock, source.done), { successful: 0, failed: 0 });
      await pipeline.stop();
    }),
  );

  test(
    "over a generator, read only as demand comes (never ahead of it)",
    withRuntime(async ({ clock, crashes }) => {
      let read = 0;
      let handledCount = 0;
      const hold = gate();
      function* numbers() {
        for (let i = 0; i < 200; i++) {
          read++;
          yield i;
        }
      }
      const handled: number[] = [];
      const source = Pipeline.fromIterable(numbers());
      const pipeline = await Pipeline.start({
        producer: { module: source },
        processors: { default: { concurrency: 1, maxDemand: 5 } },
        handleMessage: async (_processor, message) => {
          if (handledCount++ === 0) await hold.promise;
          handled.push(message.data);
          return message;
        },
      });
      await clock.advance(50);
      assert.ok(read <= 5, `read ${read} items with maxDemand 5 and a blocked processor`);
      hold.open();
      assert.deepEqual(await within(clock, source.done), { successful: 200, failed: 0 });
      assert.equal(read, 200);
      assert.deepEqual(
        handled,
        Array.from({ length: 200 }, (_, i) => i),
        "one processor keeps the order",
      );
      await pipeline.stop();
      assert.deepEqual(crashes, []);
    }),
  );

  test(
    "a generator shared by two producer stages: every item handled exactly once",
    withRuntime(async ({ clock, crashes }) => {
      const items = Array.from({ length: 300 }, (_, i) => `item-${i}`);
      const handled: string[] = [];
      const source = Pipeline.fromIterable(items.values());
      const pipeline = await Pipeline.start({
        producer: { module: source, concurrency: 2 },
        processors: { default: { concurrency: 3, maxDemand: 7 } },
        handleMessage: (_processor, message) => {
          handled.push(message.data);
          return message;
        },
      });
      assert.equal(pipeline.topology().producers.length, 2);
      assert.deepEqual(await within(clock, source.done), { successful: 300, failed: 0 });
      assertEachOnce(handled, items);
      const stats = pipeline.stats();
      assert.equal(stats.producers.length, 2);
      assert.ok(
        stats.producers.every((p) => p.emitted > 0),
        "both producer stages took from the source",
      );
      await pipeline.stop();
      assert.deepEqual(crashes, []);
    }),
  );

  test(
    "a slow async generator shared by two producer stages: every item handled exactly once",
    withRuntime(async ({ clock, crashes }) => {
      const n = 120;
      async function* slow() {
        for (let i = 0; i < n; i++) {
          // A source that takes its time: a few event-loop turns per item.
          for (let t = 0; t < i % 3; t++) await turn();
          yield i;
        }
      }
      const handled: number[] = [];
      const source = Pipeline.fromIterable(slow());
      const pipeline = await Pipeline.start({
        producer: { module: source, concurrency: 2 },
        processors: { default: { concurrency: 2, maxDemand: 4 } },
        handleMessage: async (_processor, message) => {
          if (message.data % 5 === 0) await turn();
          handled.push(message.data);
          return message;
        },
      });
      assert.deepEqual(await within(clock, source.done), { successful: n, failed: 0 });
      assertEachOnce(
        handled,
        Array.from({ length: n }, (_, i) => i),
      );
      await pipeline.stop();
      assert.deepEqual(crashes, []);
    }),
  );

  test(
    "an async iterable (not a generator) works the same",
    withRuntime(async ({ clock }) => {
      let i = 0;
      const iterable: AsyncIterable<number> = {
        [Symbol.asyncIterator]: () => ({
          next: async () =>
            i < 10 ? { done: false, value: i++ } : { done: true, value: undefined },
        }),
      };
      const handled: number[] = [];
      const source = Pipeline.fromIterable(iterable);
      const pipeline = await Pipeline.start({
        producer: { module: source },
        processors: { default: { concurrency: 1 } },
        handleMessage: (_processor, message) => {
          handled.push(message.data);
          return message;
        },
      });
      assert.deepEqual(await within(clock, source.done), { successful: 10, failed: 0 });
      assert.deepEqual(handled, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      await pipeline.stop();
    }),
  );

  test(
    "an async iterable that throws mid-way crashes the producer stage, reported with its error",
    withRuntime(async ({ clock, crashes }) => {
      const broken = new Error("source broke");
      async function* failing() {
        for (let i = 0; i < 10; i++) {
          await turn();
          if (i === 5) throw broken;
          yield i;
        }
      }
      const handled: number[] = [];
      const source = Pipeline.fromIterable(failing());
      const pipeline = await Pipeline.start({
        producer: { module: source },
        processors: { default: { concurrency: 1, maxDemand: 2 } },
        handleMessage: (_processor, message) => {
          handled.push(message.data);
          return message;
        },
      });
      for (let i = 0; i < 50 && crashes.length === 0; i++) await clock.advance(10);
      assert.ok(crashes.length > 0, "the crash is reported");
      assert.equal(crashes[0]?.error, broken, "with the source's own error");
      await clock.advance(100);
      assert.deepEqual(
        handled,
        [0, 1, 2, 3, 4],
        "what was read before the throw is processed once",
      );
      assert.ok(isAlive(pipeline.pid as Pid), "the pipeline's supervisor restarted the stage");
      await pipeline.stop();
    }),
  );

  test(
    "a source that throws rejects done with its error, async or sync",
    withRuntime(async ({ clock, crashes }) => {
      const broken = new Error("source broke");
      async function* failingAsync() {
        yield 1;
        await turn();
        throw broken;
      }
      function* failingSync() {
        yield 1;
        throw broken;
      }
      for (const source of [
        Pipeline.fromIterable(failingAsync()),
        Pipeline.fromIterable(failingSync()),
      ]) {
        const outcome = source.done.then(
          () => "resolved",
          (error: unknown) => error,
        );
        const pipeline = await Pipeline.start({
          producer: { module: source },
          processors: { default: { concurrency: 1, maxDemand: 4 } },
          handleMessage: (_processor, message) => message,
        });
        for (let i = 0; i < 50 && crashes.length === 0; i++) await clock.advance(10);
        assert.equal(await outcome, broken);
        await pipeline.stop();
        crashes.length = 0;
      }
    }),
  );
});

describe("Pipeline.fromNdjson", () => {
  let dir = "";
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "beamish-ndjson-"));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test(
    "each line is a message with path and line in its metadata; a malformed line fails with MalformedLineError",
    withRuntime(async ({ clock, crashes }) => {
      const path = join(dir, "events.ndjson");
      await writeFile(
        path,
        ['{"id":1}', '{"id":2}', "", '{"id": 3, oops', '{"id":4}', "   ", '{"id":5}', ""].join(
          "\n",
        ),
      );
      const handled: { data: unknown; metadata: unknown }[] = [];
      const failedSeen: Message[] = [];
      const source = Pipeline.fromNdjson<{ id: number }>(path);
      const pipeline = await Pipeline.start({
        producer: { module: source },
        processors: { default: { concurrency: 2, maxDemand: 2 } },
        handleMessage: (_processor, message) => {
          handled.push({ data: message.data, metadata: message.metadata });
          return message;
        },
        handleFailed: (messages) => {
          failedSeen.push(...messages);
          return messages;
        },
      });
      assert.deepEqual(await within(clock, source.done), { successful: 4, failed: 1 });
      assert.deepEqual(
        handled.sort((a, b) => (a.data as { id: number }).id - (b.data as { id: number }).id),
        [
          { data: { id: 1 }, metadata: { path, line: 1 } },
          { data: { id: 2 }, metadata: { path, line: 2 } },
          { data: { id: 4 }, metadata: { path, line: 5 } },
          { data: { id: 5 }, metadata: { path, line: 7 } },
        ],
        "blank lines are skipped but counted in line numbers; the malformed line skips handleMessage",
      );
      assert.equal(failedSeen.length, 1, "the malformed line reaches handleFailed");
      const bad = failedSeen[0] as Message;
      assert.deepEqual(bad.metadata, { path, line: 4 });
      assert.equal(bad.status.kind, "failed");
      const reason = bad.status.kind === "failed" ? bad.status.reason : undefined;
      assert.ok(reason instanceof MalformedLineError);
      assert.ok(isBeamishError(reason, "ERR_MALFORMED_LINE"));
      assert.equal(reason.path, path);
      assert.equal(reason.line, 4);
      assert.equal(reason.text, '{"id": 3, oops');
      assert.ok(reason.cause instanceof SyntaxError);
      assert.ok(reason.message.startsWith(`${path}:4: not JSON (`), reason.message);
      await pipeline.stop();
      assert.deepEqual(crashes, []);
    }),
  );

  test(
    "a custom parse: its throw fails the line with MalformedLineError carrying the cause",
    withRuntime(async ({ clock }) => {
      const path = join(dir, "numbers.ndjson");
      await writeFile(path, "1\n2\nx\n4\n");
      const cause = new RangeError("not a number");
      const failed: Message[] = [];
      const source = Pipeline.fromNdjson(path, {
        parse: (line) => {
          const n = Number(line);
          if (Number.isNaN(n)) throw cause;
          return n;
        },
        onAck: (_ok, bad) => {
          failed.push(...bad);
        },
      });
      const sum: number[] = [];
      const pipeline = await Pipeline.start({
        producer: { module: source },
        processors: { default: { concurrency: 1 } },
        handleMessage: (_processor, message) => {
          sum.push(message.data);
          return message;
        },
      });
      assert.deepEqual(await within(clock, source.done), { successful: 3, failed: 1 });
      assert.deepEqual(sum, [1, 2, 4]);
      const reason = failed[0]?.status.kind === "failed" ? failed[0].status.reason : undefined;
      assert.ok(reason instanceof MalformedLineError);
      assert.equal(reason.line, 3);
      assert.equal(reason.cause, cause);
      assert.equal(reason.message, `${path}:3: not JSON (not a number)`);
      await pipeline.stop();
    }),
  );

  test(
    "a larger file through two producer stages: every line once, in line order per processor",
    withRuntime(async ({ clock, crashes }) => {
      const path = join(dir, "big.ndjson");
      const n = 400;
      await writeFile(
        path,
        `${Array.from({ length: n }, (_, i) => JSON.stringify({ i })).join("\n")}\n`,
      );
      const lines: number[] = [];
      const source = Pipeline.fromNdjson<{ i: number }>(path);
      const pipeline = await Pipeline.start({
        producer: { module: source, concurrency: 2 },
        processors: { default: { concurrency: 2, maxDemand: 10 } },
        handleMessage: (_processor, message) => {
          assert.equal(message.metadata.line, message.data.i + 1);
          lines.push(message.data.i);
          return message;
        },
      });
      assert.deepEqual(await within(clock, source.done), { successful: n, failed: 0 });
      assertEachOnce(
        lines,
        Array.from({ length: n }, (_, i) => i),
      );
      await pipeline.stop();
      assert.deepEqual(crashes, []);
    }),
  );

  test(
    "a missing file makes Pipeline.start reject with ENOENT",
    withRuntime(async () => {
      const path = join(dir, "missing.ndjson");
      await assert.rejects(
        Pipeline.start({
          producer: { module: Pipeline.fromNdjson(path) },
          processors: { default: { concurrency: 1 } },
          handleMessage: (_processor, message) => message,
        }),
        (error: unknown) => {
          let cause: unknown = error;
          while (cause instanceof Error && (cause as NodeJS.ErrnoException).code !== "ENOENT") {
            cause = cause.cause;
          }
          assert.ok(cause instanceof Error, `no ENOENT in the causes of ${String(error)}`);
          assert.equal((cause as NodeJS.ErrnoException).path, path);
          assert.match(String((error as Error).message), /ENOENT/);
          return true;
        },
      );
    }),
  );
});

describe("Pipeline.memory", () => {
  test("capacity must be a positive integer", () => {
    assert.throws(() => Pipeline.memory({ capacity: 0 }), {
      code: "ERR_INVALID_ARGUMENT",
      message: "invalid value for `capacity`: expected a positive integer, got 0",
    });
  });

  test(
    "push resolves at once while under capacity, and the message is processed",
    withRuntime(async ({ clock, crashes }) => {
      const inbox = Pipeline.memory<string>({ capacity: 3 });
      const handled: unknown[] = [];
      const pipeline = await Pipeline.start({
        producer: { module: inbox },
        processors: { default: { concurrency: 1 } },
        handleMessage: (_processor, message) => {
          handled.push([message.data, message.metadata]);
          return message;
        },
      });
      let resolved = 0;
      for (const s of ["a", "b", "c"]) {
        void inbox.push(s, { source: "test" }).then(() => resolved++);
      }
      await Promise.resolve();
      assert.equal(resolved, 3, "resolved within a microtask, without the pipeline running");
      await clock.advance(10);
      assert.deepEqual(handled, [
        ["a", { source: "test" }],
        ["b", { source: "test" }],
        ["c", { source: "test" }],
      ]);
      inbox.close();
      assert.deepEqual(await within(clock, inbox.done), { successful: 3, failed: 0 });
      await pipeline.stop();
      assert.deepEqual(crashes, []);
    }),
  );

  test(
    "back-pressure: push waits while the queue is full, until the pipeline takes more",
    withRuntime(async ({ clock, crashes }) => {
      const capacity = 4;
      const inbox = Pipeline.memory<number>({ capacity });
      const hold = gate();
      const handled: number[] = [];
      const pipeline = await Pipeline.start({
        producer: { module: inbox },
        processors: { default: { concurrency: 1, maxDemand: 1 } },
        handleMessage: async (_processor, message) => {
          await hold.promise;
          handled.push(message.data);
          return message;
        },
      });
      // The blocked processor holds what it asked for; then the queue fills to capacity.
      const pushes: Promise<void>[] = [];
      let next = 0;
      for (let i = 0; i < 20; i++) {
        const push = inbox.push(next++);
        pushes.push(push);
        if (!(await hasSettled(clock, push))) break;
      }
      const pending = pushes[pushes.length - 1] as Promise<void>;
      assert.equal(inbox.size, capacity, "the queue is full");
      assert.ok(
        next <= capacity + 2,
        `only capacity plus what the processor took was accepted (${next})`,
      );
      assert.equal(await hasSettled(clock, pending), false, "the push beyond capacity waits");
      await clock.advance(1000);
      assert.equal(
        await hasSettled(clock, pending),
        false,
        "and keeps waiting while nothing moves",
      );

      hold.open();
      await within(clock, pending);
      inbox.close();
      assert.deepEqual(await within(clock, inbox.done), { successful: next, failed: 0 });
      assert.deepEqual(
        handled,
        Array.from({ length: next }, (_, i) => i),
      );
      await pipeline.stop();
      assert.deepEqual(crashes, []);
    }),
  );

  test(
    "close: push rejects with PipelineStoppingError, done resolves once the queued are acknowledged",
    withRuntime(async ({ clock }) => {
      const inbox = Pipeline.memory<number>({ capacity: 10 });
      const pipeline = await Pipeline.start({
        producer: { module: inbox },
        processors: { default: { concurrency: 2 } },
        handleMessage: (_processor, message) =>
          message.data === 2 ? message.fail("two") : message,
      });
      await inbox.push(1);
      await inbox.push(2);
      await inbox.push(3);
      inbox.close();
      await assert.rejects(inbox.push(4), (error: unknown) => {
        assert.ok(error instanceof PipelineStoppingError);
        assert.ok(isBeamishError(error, "ERR_PIPELINE_STOPPING"));
        assert.equal(error.pipeline, pipeline.name);
        return true;
      });
      assert.deepEqual(await within(clock, inbox.done), { successful: 2, failed: 1 });
      await pipeline.stop();
    }),
  );

  test(
    "close rejects the pushes still waiting for room, and done does not wait for them",
    withRuntime(async ({ clock }) => {
      const inbox = Pipeline.memory<number>({ capacity: 1 });
      const hold = gate();
      const pipeline = await Pipeline.start({
        producer: { module: inbox },
        processors: { default: { concurrency: 1, maxDemand: 1 } },
        handleMessage: async (_processor, message) => {
          await hold.promise;
          return message;
        },
      });
      const pushes: Promise<void>[] = [];
      for (let i = 0; i < 10; i++) {
        const push = inbox.push(i);
        pushes.push(push);
        if (!(await hasSettled(clock, push))) break;
      }
      const waiting = pushes[pushes.length - 1] as Promise<void>;
      inbox.close();
      await assert.rejects(waiting, { code: "ERR_PIPELINE_STOPPING" });
      hold.open();
      assert.deepEqual(await within(clock, inbox.done), {
        successful: pushes.length - 1,
        failed: 0,
      });
      await pipeline.stop();
    }),
  );

  test(
    "stop: everything accepted before it is processed and acknowledged; push after it rejects",
    withRuntime(async ({ clock, crashes }) => {
      const inbox = Pipeline.memory<number>({ capacity: 100 });
      const hold = gate();
      const handled: number[] = [];
      const pipeline = await Pipeline.start({
        producer: { module: inbox },
        processors: { default: { concurrency: 2, maxDemand: 2 } },
        handleMessage: async (_processor, message) => {
          await hold.promise;
          handled.push(message.data);
          return message;
        },
      });
      for (let i = 0; i < 50; i++) await inbox.push(i);
      await clock.advance(10);
      const stopped = pipeline.stop();
      await clock.advance(10);
      await assert.rejects(inbox.push(99), { code: "ERR_PIPELINE_STOPPING" });
      hold.open();
      await within(clock, stopped);
      assert.deepEqual(
        handled.sort((a, b) => a - b),
        Array.from({ length: 50 }, (_, i) => i),
        "nothing accepted was lost",
      );
      assert.deepEqual(await within(clock, inbox.done), { successful: 50, failed: 0 });
      await assert.rejects(inbox.push(100), (error: unknown) =>
        isBeamishError(error, "ERR_PIPELINE_STOPPING"),
      );
      assert.deepEqual(crashes, []);
    }),
  );

  test("property: around a stop, every push that resolved is acknowledged once and every other rejected with ERR_PIPELINE_STOPPING", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 0, max: 30 }),
        fc.integer({ min: 0, max: 10 }),
        fc.integer({ min: 1, max: 3 }),
        (capacity, before, during, concurrency) =>
          runInRuntime(async ({ clock, crashes }) => {
            const acked = new Map<number, number>();
            const inbox = Pipeline.memory<number>({
              capacity,
              onAck: (ok, bad) => {
                for (const m of [...ok, ...bad]) acked.set(m.data, (acked.get(m.data) ?? 0) + 1);
              },
            });
            const pipeline = await Pipeline.start({
              producer: { module: inbox, concurrency },
              processors: { default: { concurrency: 2, maxDemand: 2 } },
              handleMessage: async (_processor, message) => {
                if (message.data % 2 === 0) await turn();
                return message;
              },
            });
            const outcomes = new Map<number, "accepted" | "refused">();
            const pushes: Promise<void>[] = [];
            const push = (i: number) => {
              const p = inbox.push(i).then(
                () => {
                  outcomes.set(i, "accepted");
                },
                (error: unknown) => {
                  assert.ok(isBeamishError(error, "ERR_PIPELINE_STOPPING"), String(error));
                  outcomes.set(i, "refused");
                },
              );
              pushes.push(p);
            };
            for (let i = 0; i < before; i++) push(i);
            await turn();
            const stopped = pipeline.stop();
            for (let i = before; i < before + during; i++) push(i);
            await within(clock, stopped);
            await within(clock, Promise.all(pushes));
            for (let i = 0; i < before + during; i++) {
              const outcome = outcomes.get(i);
              assert.ok(outcome !== undefined, `push ${i} settled`);
              assert.equal(
                acked.get(i) ?? 0,
                outcome === "accepted" ? 1 : 0,
                `push ${i}: ${outcome}`,
              );
            }
            await within(clock, inbox.done);
            assert.deepEqual(crashes, []);
          }),
      ),
      { numRuns: 40 },
    );
  });
});

describe("Pipeline.testProducer and the test helpers", () => {
  const double = {
    producer: { module: Pipeline.testProducer<number>() },
    processors: { default: { concurrency: 2 } },
    handleMessage: (_processor: string, message: Message<number>) => {
      if (message.data < 0) throw new Error(`negative: ${message.data}`);
      return message.update((n) => n * 2);
    },
  };

  test(
    "the test producer produces nothing by itself",
    withRuntime(async ({ clock }) => {
      let calls = 0;
      const pipeline = await Pipeline.start({
        ...double,
        handleMessage: (_processor, message) => {
          calls++;
          return message;
        },
      });
      await clock.advance(1000);
      assert.equal(calls, 0);
      await pipeline.stop();
    }),
  );

  test(
    "testMessages resolves with the successful and failed messages",
    withRuntime(async ({ clock, crashes }) => {
      const pipeline = await Pipeline.start(double);
      const { successful, failed } = await within(
        clock,
        Pipeline.testMessages(pipeline, [1, -2, 3, -4, 5]),
      );
      assert.deepEqual(
        successful.map((m) => m.data).sort((a, b) => (a as number) - (b as number)),
        [2, 6, 10],
      );
      assert.deepEqual(
        failed.map((m) => m.data).sort((a, b) => (a as number) - (b as number)),
        [-4, -2],
      );
      for (const m of failed) {
        assert.equal(m.status.kind, "failed");
        assert.match(
          String(m.status.kind === "failed" && (m.status.reason as Error).message),
          /^negative: -[24]$/,
        );
      }
      await pipeline.stop();
      assert.deepEqual(crashes, []);
    }),
  );

  test(
    "testMessage resolves with the one message, and metadata is passed on",
    withRuntime(async ({ clock }) => {
      const pipeline = await Pipeline.start(double);
      const ok = await within(
        clock,
        Pipeline.testMessage(pipeline, 21, { metadata: { origin: "unit" } }),
      );
      assert.equal(ok.failed.length, 0);
      assert.equal(ok.successful.length, 1);
      assert.equal(ok.successful[0]?.data, 42);
      assert.deepEqual(ok.successful[0]?.metadata, { origin: "unit" });
      const bad = await within(clock, Pipeline.testMessage(pipeline, -1));
      assert.equal(bad.successful.length, 0);
      assert.equal(bad.failed[0]?.data, -1);
      await pipeline.stop();
    }),
  );

  test(
    "testMessages of nothing resolves at once with nothing",
    withRuntime(async ({ clock }) => {
      const pipeline = await Pipeline.start(double);
      assert.deepEqual(await within(clock, Pipeline.testMessages(pipeline, [])), {
        successful: [],
        failed: [],
      });
      await pipeline.stop();
    }),
  );

  test(
    "testMessages flush each message's batch at once; testBatch batches them together",
    withRuntime(async ({ clock, crashes }) => {
      const batches: { data: unknown[]; info: BatchInfo }[] = [];
      const pipeline = await Pipeline.start({
        producer: { module: Pipeline.testProducer<number>() },
        processors: { default: { concurrency: 1 } },
        batchers: { default: { batchSize: 3, batchTimeout: 500 } },
        handleMessage: (_processor, message) => message,
        handleBatch: (_batcher, messages, info) => {
          batches.push({ data: messages.map((m) => m.data), info });
          return messages.map((m) => (m.data === 13 ? m.fail("thirteen") : m));
        },
      });
      const flushed = await within(clock, Pipeline.testMessages(pipeline, [1, 2]));
      assert.equal(flushed.successful.length, 2);
      assert.deepEqual(
        batches.map((b) => [b.data, b.info.trigger, b.info.size]),
        [
          [[1], "flush", 1],
          [[2], "flush", 1],
        ],
      );
      batches.length = 0;

      const bulk = await within(clock, Pipeline.testBatch(pipeline, [11, 12, 13]));
      assert.deepEqual(
        batches.map((b) => [b.data, b.info.trigger, b.info.batcher, b.info.batchKey]),
        [[[11, 12, 13], "size", "default", "default"]],
      );
      assert.deepEqual(
        bulk.successful.map((m) => m.data),
        [11, 12],
      );
      assert.deepEqual(
        bulk.failed.map((m) => m.data),
        [13],
      );
      batches.length = 0;

      // Fewer than batchSize: the batch goes when batchTimeout runs out.
      const started = clock.now();
      const partial = await within(clock, Pipeline.testBatch(pipeline, [21, 22]));
      assert.deepEqual(
        partial.successful.map((m) => m.data),
        [21, 22],
      );
      assert.deepEqual(
        batches.map((b) => [b.data, b.info.trigger]),
        [[[21, 22], "timeout"]],
      );
      assert.ok(clock.now() - started >= 500, "not before batchTimeout");
      await pipeline.stop();
      assert.deepEqual(crashes, []);
    }),
  );

  test(
    "failed test messages go through handleFailed before they are returned",
    withRuntime(async ({ clock }) => {
      const seen: unknown[] = [];
      const pipeline = await Pipeline.start({
        ...double,
        handleFailed: (messages) => {
          seen.push(...messages.map((m) => m.data));
          return messages;
        },
      });
      const { failed } = await within(clock, Pipeline.testMessages(pipeline, [-7, 8]));
      assert.deepEqual(seen, [-7]);
      assert.deepEqual(
        failed.map((m) => m.data),
        [-7],
      );
      await pipeline.stop();
    }),
  );

  test(
    "the test helpers reject with PipelineStoppingError once the pipeline stopped",
    withRuntime(async () => {
      const pipeline = await Pipeline.start(double);
      await pipeline.stop();
      await assert.rejects(Pipeline.testMessage(pipeline, 1), (error: unknown) => {
        assert.ok(error instanceof PipelineStoppingError);
        assert.equal(error.pipeline, pipeline.name);
        return true;
      });
      await assert.rejects(Pipeline.testBatch(pipeline, [1, 2]), { code: "ERR_PIPELINE_STOPPING" });
    }),
  );
});
