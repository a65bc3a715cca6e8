import assert from "node:assert/strict";
import { test } from "node:test";
import { GenStage, send, stop } from "beamish";
import { assertReceive, withRuntime } from "beamish/testing";
import { counter } from "./helpers.js";

test(
  "a consumer gets events in batches of maxDemand - minDemand and asks again at minDemand",
  withRuntime(async ({ self, settle }) => {
    const demands: number[] = [];
    const producer = await GenStage.start(counter(demands), 0);
    const seen: number[][] = [];
    await GenStage.start(
      {
        init: () =>
          GenStage.consumer(0, { subscribeTo: [{ to: producer, maxDemand: 10, minDemand: 5 }] }),
        handleEvents: (events, _from, n: number) => {
          seen.push([...events] as number[]);
          if (n + events.length < 30) return n + events.length;
          send(self.pid, "done");
          return stop("normal", n);
        },
      },
      undefined,
    );
    await assertReceive(self, "done");
    await settle();
    assert.deepEqual(seen.slice(0, 4), [
      [0, 1, 2, 3, 4],
      [5, 6, 7, 8, 9],
      [10, 11, 12, 13, 14],
      [15, 16, 17, 18, 19],
    ]);
    assert.equal(demands[0], 10);
    for (const d of demands) assert.ok(d <= 10);
  }),
);
