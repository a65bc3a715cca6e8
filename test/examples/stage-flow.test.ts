// The GenStage flow-control examples (back-pressure, rate limiting): each runs here through its
// exported `main`, inside a fresh runtime on the real clock (their stages wait a few ms), the rate
// limiter once more on a virtual clock (where its intervals fall exactly), and each as a program.
import assert from "node:assert/strict";
import { test } from "node:test";
import { runInRuntime } from "beamish/testing";
import { main as backPressure } from "../../examples/stage-back-pressure.js";
import { main as rateLimit } from "../../examples/stage-rate-limit.js";
import { runExample } from "./run-example.js";

const quiet = () => {};

test("back-pressure: a fast producer never runs more than maxDemand ahead of a slow consumer", async () => {
  const { result, crashes } = await runInRuntime(
    async ({ crashes }) => ({ result: await backPressure(quiet), crashes }),
    { clock: "real" },
  );
  const { generated, ...rest } = result;
  assert.deepEqual(rest, {
    handled: 100,
    sum: (99 * 100) / 2,
    maxAhead: 10,
    largestDemand: 10,
    largestBatch: 5,
    pushAhead: 100,
  });
  // It made what was asked: 10 at first, 5 after each batch but the last.
  assert.ok(generated >= 100 && generated <= 100 + 10, `generated ${generated}`);
  assert.deepEqual(crashes, []);
});

test("back-pressure on a virtual clock: the producer made 10, then 5 per batch but the last", async () => {
  const { result, crashes } = await runInRuntime(async ({ clock, crashes }) => {
    let result: Awaited<ReturnType<typeof backPressure>> | undefined;
    const running = backPressure(quiet).then((r) => {
      result = r;
    });
    await clock.advance(1_000, () => result !== undefined);
    await running;
    return { result, crashes };
  });
  assert.equal(result?.generated, 10 + 5 * 19);
  assert.equal(result?.maxAhead, 10);
  assert.deepEqual(crashes, []);
});

test("rate limit: demand released on an interval, never more than LIMIT events per interval", async () => {
  const { result, crashes } = await runInRuntime(
    async ({ crashes }) => ({ result: await rateLimit(quiet), crashes }),
    { clock: "real" },
  );
  assert.equal(result.handled, 40);
  assert.equal(result.inOrder, true);
  assert.equal(result.generatedBeforeForward, 0);
  assert.ok(
    result.perInterval.every((n) => n <= 5),
    `per interval: ${result.perInterval.join(", ")}`,
  );
  assert.equal(
    result.perInterval.reduce((a, b) => a + b, 0),
    40,
  );
  // 40 events at 5 per interval take 8 intervals at least.
  assert.ok(result.perInterval.length >= 8);
  assert.deepEqual(crashes, []);
});

test("rate limit on a virtual clock: 5 events in each interval, the intervals 10 ms apart", async () => {
  const { result, crashes } = await runInRuntime(async ({ clock, crashes }) => {
    let result: Awaited<ReturnType<typeof rateLimit>> | undefined;
    const running = rateLimit(quiet).then((r) => {
      result = r;
    });
    await clock.advance(1_000, () => result !== undefined);
    await running;
    return { result, crashes };
  });
  assert.deepEqual(result, {
    handled: 40,
    perInterval: [5, 5, 5, 5, 5, 5, 5, 5],
    intervalStarts: [0, 10, 20, 30, 40, 50, 60, 70],
    inOrder: true,
    generatedBeforeForward: 0,
  });
  assert.deepEqual(crashes, []);
});

for (const [file, output] of [
  ["stage-back-pressure.ts", /never more than 10 ahead \(maxDemand 10\)/],
  ["stage-rate-limit.ts", /40 events, at most 5 per 10 ms/],
] as const) {
  test(`examples/${file} runs as a program`, () => {
    const run = runExample(file);
    assert.match(run.stdout, output);
  });
}
