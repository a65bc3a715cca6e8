// asyncInfo in a producer-consumer arrives after the events it received before, once they were
// handled and sent on; events received before their subscription was cancelled are still
// handled. The pipeline's graceful drain stands on both.
import assert from "node:assert/strict";
import { test } from "node:test";
import { GenStage, type Pid } from "beamish";
import { withRuntime } from "beamish/testing";
import { PartitionDispatcher } from "../../src/stage/partition-dispatcher.js";

const FLUSHED = "flushed";

test(
  "a producer-consumer's asyncInfo waits behind events it has not handled, and behind its partition queues",
  withRuntime(async ({ settle }) => {
    let next = 0;
    const source = await GenStage.start(
      {
        init: () => GenStage.producer(0),
        // 10 events in all: the middle stage takes them at once, before any consumer comes.
        handleDemand: (demand: number, state: number) => {
          const count = Math.min(demand, 10 - next);
          const events = Array.from({ length: count }, () => next++);
          return GenStage.emit(events, state);
        },
      },
      undefined,
    );
    const log: unknown[] = [];
    const dispatcher = new PartitionDispatcher<number>({ partitions: 2, key: (n) => n });
    const middle: Pid = await GenStage.start(
      {
        init: () =>
          GenStage.producerConsumer(0, {
            subscribeTo: [{ to: source, maxDemand: 10 }],
            dispatcher,
          }),
        handleEvents: (events: readonly number[], _from, state: number) =>
          GenStage.emit(events, state),
        handleInfo: (message: unknown, state: number) => {
          const queued = dispatcher.state().reduce((sum, p) => sum + p.queued, 0);
          log.push(message, queued);
          return state;
        },
      },
      undefined,
    );
    // No consumer yet: events pile up in the middle stage, unhandled.
    await settle();
    GenStage.asyncInfo(middle, FLUSHED);
    await settle();
    assert.deepEqual(log, [], "held while events wait for downstream demand");
    const seen: number[] = [];
    for (const partition of [0, 1]) {
      await GenStage.start(
        {
          init: () =>
            GenStage.consumer(undefined, {
              subscribeTo: [{ to: middle, partition, maxDemand: 3 }],
            }),
          handleEvents: (events: readonly number[]) => {
            seen.push(...events);
          },
        },
        undefined,
      );
    }
    await settle();
    assert.deepEqual(log, [FLUSHED, 0], "delivered once every event before it was sent on");
    assert.deepEqual(
      seen.sort((a, b) => a - b),
      [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    );
  }),
);
