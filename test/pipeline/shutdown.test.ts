/**
 * Graceful shutdown: stopping a pipeline (by `stop()` or by its supervisor) stops pulling,
 * finishes what the producer emitted, flushes open batches with trigger "drain", acknowledges
 * everything, then exits; a handler that never returns costs at most `shutdownTimeout`.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Application, isAlive, isBeamishError, type Pid, type ProcessLike } from "beamish";
import { type BatchTrigger, type Message, Pipeline, PipelineStoppingError } from "beamish/pipeline";
import { withRuntime } from "beamish/testing";

/** A promise the test opens when it wants: handlers wait on it. */
function gate(): { wait: Promise<void>; open: () => void } {
  let open: () => void = () => {};
  const wait = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { wait, open };
}

/** Stands for Node's `process` in Application: no signal, no exit. */
const quietProcess: ProcessLike = { on() {}, off() {}, exit() {} };

/**
 * A pipeline fed by a memory producer whose handlers wait on `blocked` and whose batches are
 * recorded; batches close only by size (large), a long timeout, or a drain.
 */
function blockedDefinition(
  inbox: ReturnType<typeof Pipeline.memory<number>>,
  blocked: Promise<void>,
  batches: { data: number[]; trigger: BatchTrigger }[],
) {
  return {
    name: "draining",
    producer: { module: inbox },
    processors: { default: { concurrency: 2, maxDemand: 4 } },
    batchers: { default: { batchSize: 100, batchTimeout: 60_000, concurrency: 2 } },
    shutdownTimeout: 5_000,
    handleMessage: async (_processor: string, message: Message<number>) => {
      await blocked;
      return message.putBatchKey(message.data % 3);
    },
    handleBatch: (_batcher: string, messages: Message[], info: { trigger: BatchTrigger }) => {
      batches.push({ data: messages.map((m) => m.data as number), trigger: info.trigger });
      return messages;
    },
  };
}

describe("graceful stop", () => {
  test(
    "stop() with handlers blocked and batches open processes everything emitted, flushes with trigger drain, acks all",
    withRuntime(async ({ clock, crashes, settle }) => {
      const inbox = Pipeline.memory<number>();
      const blocked = gate();
      const batches: { data: number[]; trigger: BatchTrigger }[] = [];
      const pipeline = await Pipeline.start(blockedDefinition(inbox, blocked.wait, batches));
      for (let i = 0; i < 30; i++) await inbox.push(i);
      await settle();
      // Processors hold what they demanded, blocked; the rest waits in the producer's queue.
      assert.ok(pipeline.stats().inFlight > 0);
      assert.ok(inbox.size > 0);

      let stopped = false;
      const stopping = pipeline.stop().then(() => {
        stopped = true;
      });
      assert.equal(pipeline.stopping, true);
      await clock.advance(100);
      assert.equal(stopped, false, "stop() waits for the handlers in flight");
      assert.equal(batches.length, 0);

      blocked.open();
      await stopping;
      assert.ok(clock.now() < 1_000, "stop() did not wait for shutdownTimeout");
      assert.deepEqual(await inbox.done, { successful: 30, failed: 0 });
      const delivered = batches.flatMap((b) => b.data).sort((a, b) => a - b);
      assert.deepEqual(
        delivered,
        Array.from({ length: 30 }, (_, i) => i),
      );
      // One open batch per batch key, each flushed by the drain.
      assert.equal(batches.length, 3);
      assert.ok(batches.every((b) => b.trigger === "drain"));
      const stats = pipeline.stats();
      assert.equal(stats.received, 30);
      assert.equal(stats.succeeded, 30);
      assert.equal(stats.inFlight, 0);
      assert.equal(pipeline.pid !== undefined && isAlive(pipeline.pid), false);
      assert.deepEqual(crashes, []);
    }),
  );

  test(
    "a pipeline under an Application drains when the application stops it",
    withRuntime(async ({ clock, crashes, settle }) => {
      const inbox = Pipeline.memory<number>();
      const blocked = gate();
      const batches: { data: number[]; trigger: BatchTrigger }[] = [];
      const pipeline = Pipeline.create(blockedDefinition(inbox, blocked.wait, batches));
      const app = await Application.start([pipeline.childSpec()], {
        process: quietProcess,
        keepAlive: false,
      });
      const supervisor = pipeline.pid as Pid;
      assert.ok(isAlive(supervisor));
      for (let i = 0; i < 12; i++) await inbox.push(i);
      await settle();
      assert.ok(pipeline.stats().inFlight > 0);

      let stopped = false;
      const stopping = app.stop().then(() => {
        stopped = true;
      });
      await clock.advance(100);
      assert.equal(stopped, false);
      blocked.open();
      await stopping;
      assert.deepEqual(await inbox.done, { successful: 12, failed: 0 });
      assert.equal(batches.flatMap((b) => b.data).length, 12);
      assert.ok(batches.every((b) => b.trigger === "drain"));
      assert.equal(isAlive(supervisor), false);
      assert.equal(isAlive(app.pid), false);
      assert.deepEqual(crashes, []);
    }),
  );

  test(
    "push to a memory producer while the pipeline stops rejects with PipelineStoppingError",
    withRuntime(async ({ crashes, settle }) => {
      const inbox = Pipeline.memory<number>({ capacity: 2 });
      const blocked = gate();
      const batches: { data: number[]; trigger: BatchTrigger }[] = [];
      const pipeline = await Pipeline.start(blockedDefinition(inbox, blocked.wait, batches));
      for (let i = 0; i < 10; i++) await inbox.push(i);
      await settle();
      // The queue is full: this push waits for room, and the stop refuses it.
      const waiting = inbox.push(100).then(
        () => "queued",
        (error: unknown) => error,
      );
      const stopping = pipeline.stop();
      await settle();

      assert.ok((await waiting) instanceof PipelineStoppingError);
      const during = inbox.push(101);
      await assert.rejects(during, (error: unknown) => {
        assert.ok(error instanceof PipelineStoppingError);
        assert.ok(isBeamishError(error, "ERR_PIPELINE_STOPPING"));
        assert.equal(error.pipeline, "draining");
        assert.equal(error.message, "pipeline draining is stopping: it takes no more messages");
        return true;
      });
      blocked.open();
      await stopping;
      await assert.rejects(inbox.push(102), PipelineStoppingError);
      // What was queued before the stop went through; what was refused was never counted.
      assert.deepEqual(await inbox.done, { successful: 10, failed: 0 });
      assert.deepEqual(
        batches.flatMap((b) => b.data).sort((a, b) => a - b),
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
      );
      assert.deepEqual(crashes, []);
    }),
  );

  test(
    "testMessages on a stopping pipeline rejects with PipelineStoppingError",
    withRuntime(async ({ crashes }) => {
      const pipeline = await Pipeline.start({
        producer: { module: Pipeline.testProducer() },
        processors: { default: { concurrency: 1 } },
        handleMessage: (_processor, message) => message,
      });
      const stopping = pipeline.stop();
      await assert.rejects(Pipeline.testMessage(pipeline, 1), PipelineStoppingError);
      await stopping;
      await assert.rejects(Pipeline.testMessage(pipeline, 2), PipelineStoppingError);
      assert.deepEqual(crashes, []);
    }),
  );
});

describe("shutdownTimeout", () => {
  test(
    "a handler that never returns: stop() gives up after about shutdownTimeout, every stage exits, and what the batcher held is failed",
    withRuntime(
      async ({ crashes, settle }) => {
        const acks: { ok: number[]; failed: [number, unknown][] }[] = [];
        const inbox = Pipeline.memory<number>({
          onAck: (successful, failed) =>
            acks.push({
              ok: successful.map((m) => m.data),
              failed: failed.map((m) => [m.data, m.status.kind === "failed" && m.status.reason]),
            }),
        });
        const pipeline = await Pipeline.start({
          producer: { module: inbox },
          processors: { default: { concurrency: 2, maxDemand: 1 } },
          batchers: { default: { batchSize: 10, batchTimeout: 60_000 } },
          shutdownTimeout: 200,
          handleMessage: (_processor, message: Message<number>) =>
            message.data === 0 ? new Promise<never>(() => {}) : message,
          handleBatch: (_batcher, messages) => messages,
        });
        for (let i = 0; i < 5; i++) await inbox.push(i);
        await settle();
        const topology = pipeline.topology();
        const began = performance.now();
        await pipeline.stop();
        const took = performance.now() - began;
        assert.ok(took >= 190, `stop() waited for shutdownTimeout (took ${took} ms)`);
        assert.ok(took < 900, `stop() did not hang (took ${took} ms)`);
        const pids = [
          ...topology.producers,
          ...(topology.processors.default ?? []),
          topology.batchers.default?.batcher,
          ...(topology.batchers.default?.processors ?? []),
        ].map((s) => s?.pid as Pid);
        for (const pid of pids) assert.equal(isAlive(pid), false);
        // The batcher waits for every processor before it flushes; the stuck one kept it
        // waiting, so it exited with its batch open and failed what it held with its reason.
        // The stuck message itself is never acknowledged: it stays with its source.
        assert.deepEqual(acks, [
          {
            ok: [],
            failed: [
              [1, "shutdown"],
              [2, "shutdown"],
              [3, "shutdown"],
              [4, "shutdown"],
            ],
          },
        ]);
        const stats = pipeline.stats();
        assert.equal(stats.received, 5);
        assert.equal(stats.failed, 4);
        assert.equal(stats.succeeded, 0);
        assert.equal(stats.inFlight, 1);
        assert.deepEqual(
          crashes.map((c) => String(c.error)),
          [],
        );
      },
      { clock: "real" },
    ),
  );
});

describe("graceful stop under load", () => {
  test("with partitionBy, several processors and two partitioned batchers, stop() leaves nothing unacknowledged", async () => {
    // Real time: the drain must hold behind events in every queue between the stages (the
    // producer's and processors' partition queues, a processor's unhandled events).
    for (let run = 0; run < 3; run++) {
      const total = 5_000;
      let acked = 0;
      let emitted = 0;
      const source = Pipeline.fromIterable(
        (function* () {
          for (let i = 0; i < total; i++) {
            emitted++;
            yield i;
          }
        })(),
        { onAck: (ok, failed) => (acked += ok.length + failed.length) },
      );
      const pipeline = await Pipeline.start({
        name: `loaded-${run}`,
        producer: { module: source },
        processors: { default: { concurrency: 4 } },
        batchers: {
          a: { batchSize: 10, batchTimeout: 60_000, concurrency: 2 },
          b: { batchSize: 10, batchTimeout: 60_000, concurrency: 2 },
        },
        partitionBy: (m) => m.data % 100,
        handleMessage: (_p, m) => m.putBatcher(m.data % 3 === 0 ? "a" : "b"),
        handleBatch: async (_b, messages) => {
          await new Promise((resolve) => setImmediate(resolve));
          return messages;
        },
      });
      while (emitted < total) await new Promise((resolve) => setTimeout(resolve, 1));
      await pipeline.stop();
      assert.equal(acked, total);
      assert.equal(pipeline.stats().inFlight, 0);
    }
  });
});
