// The pipeline examples (examples/pipeline-*.ts): each runs here through its exported `main`,
// inside a fresh runtime on the real clock (their sinks wait a few ms through Node's timers),
// and as a program.
import assert from "node:assert/strict";
import { test } from "node:test";
import { runInRuntime } from "beamish/testing";
import { main as consumerGroups } from "../../examples/pipeline-consumer-groups.js";
import { main as dataProcessor } from "../../examples/pipeline-data-processor.js";
import { main as testing } from "../../examples/pipeline-testing.js";
import { runExample } from "./run-example.js";

const quiet = () => {};

test("data processor: every reading acknowledged once, batches within batchSize, the pusher held back", async () => {
  const { result, crashes } = await runInRuntime(
    async ({ crashes }) => ({ result: await dataProcessor(quiet), crashes }),
    { clock: "real" },
  );
  assert.equal(result.pushed, 1000);
  // every 50th reading does not parse: it fails alone and is acknowledged as failed
  assert.equal(result.succeeded, 980);
  assert.equal(result.failed, 20);
  assert.equal(result.ackedOnce, true);
  assert.equal(result.stored, 980);
  assert.ok(result.largestBatch <= 50, `largest batch ${result.largestBatch}`);
  assert.ok(result.batches >= 20, `${result.batches} batches for 980 readings`);
  // the queue filled up and push waited for the pipeline, never past its capacity
  assert.ok(result.pushesWaited > 0, "no push ever waited");
  assert.equal(result.peakQueued, 20);
  // bounded by demand, whatever the number of readings: 20 queued + 4 x (10 asked + 5 handled
  // past the batcher's demand) by the processors + 4 x 50 asked by the batcher + the open, the
  // waiting and the writing batch (3 x 50); about 280 in practice
  assert.ok(result.peakInFlight <= 430, `${result.peakInFlight} readings in flight at once`);
  assert.deepEqual(crashes, []);
});

test("consumer groups: two batchers, each with its own batch size, concurrency and demand", async () => {
  const { result, crashes } = await runInRuntime(
    async ({ crashes }) => ({ result: await consumerGroups(quiet), crashes }),
    { clock: "real" },
  );
  assert.equal(result.succeeded, 300);
  assert.equal(result.failed, 0);
  const { emails, analytics } = result.groups;
  // routed by content: signups and purchases to emails, page views to analytics
  assert.equal(emails.messages, 120);
  assert.equal(analytics.messages, 180);
  assert.equal(emails.routedRight, true);
  assert.equal(analytics.routedRight, true);
  assert.ok(emails.largestBatch <= 10);
  assert.ok(analytics.largestBatch <= 50);
  assert.ok(emails.batches >= 12);
  assert.ok(analytics.batches >= 4);
  // at most `concurrency` handleBatch calls at once per batcher; emails used both of theirs
  assert.equal(emails.peakConcurrency, 2);
  assert.equal(analytics.peakConcurrency, 1);
  assert.equal(emails.perBatchProcessor.length, 2);
  assert.equal(analytics.perBatchProcessor.length, 1);
  assert.equal(
    emails.perBatchProcessor.reduce((a, b) => a + b, 0),
    emails.batches,
  );
  assert.deepEqual(analytics.perBatchProcessor, [analytics.batches]);
  assert.deepEqual(crashes, []);
});

test("testing a pipeline: testMessage and testBatch against Pipeline.testProducer()", async () => {
  const { result, crashes } = await runInRuntime(
    async ({ crashes }) => ({ result: await testing(quiet), crashes }),
    { clock: "real" },
  );
  assert.deepEqual(result.passed, [
    "a good order is parsed and stored",
    "a bad order fails with the reason, and is not stored",
    "orders tested together are stored in one batch",
    "a batch with a bad order: only that one fails",
  ]);
  assert.deepEqual(crashes, []);
});

for (const [file, output] of [
  [
    "pipeline-data-processor.ts",
    /1000 readings: 980 stored in \d+ batches \(largest 50\), 20 dropped/,
  ],
  [
    "pipeline-consumer-groups.ts",
    /emails: 120 messages in \d+ batches \(batchSize 10, largest 10\)/,
  ],
  ["pipeline-testing.ts", /4 checks passed/],
] as const) {
  test(`examples/${file} runs as a program`, () => {
    const run = runExample(file);
    assert.match(run.stdout, output);
  });
}
