// The foundation's examples (examples/*.ts) are programs a user copies from: each runs here
// through its exported `main`, inside a fresh runtime on the real clock (the examples wait a few
// tens of ms, and their waits go through Node's timers as well as beamish's), and as a program.
import assert from "node:assert/strict";
import { test } from "node:test";
import { runInRuntime } from "beamish/testing";
import { main as choosing } from "../../examples/choosing-task-agent-genserver.js";
import { main as timeouts } from "../../examples/task-timeouts.js";
import { runExample } from "./run-example.js";

const quiet = () => {};

test("choosing Task, Agent and GenServer: limiter, cache and fire-and-forget pushes", async () => {
  const { result, crashes } = await runInRuntime(
    async ({ crashes }) => ({ result: await choosing(quiet), crashes }),
    { clock: "real" },
  );
  assert.deepEqual(result, {
    // alice's third request within the window is refused; after the limit is raised (a cast)
    // her next request passes
    statuses: [200, 200, 200, 429, 200],
    slotsInUse: 2,
    // alice and bob are loaded once each; the other views hit the Agent cache
    databaseReads: 2,
    // the deferred `acquire` reply came once a slot left the window
    waitedForSlot: true,
    // one push per profile view, none awaited by the request
    notifications: 5,
  });
  assert.deepEqual(crashes, []);
});

test("task timeouts: await kills the late task, yield + shutdown, asyncStream killTask", async () => {
  const { result, crashes } = await runInRuntime(
    async ({ crashes }) => ({ result: await timeouts(quiet), crashes }),
    { clock: "real" },
  );
  assert.deepEqual(result, {
    awaited: { timedOut: true, taskAlive: false, signalAborted: true },
    yielded: { fast: "fast exchange price", slow: "cached price", lateTaskAlive: false },
    streamed: { done: ["a.jpg", "b.png"], timedOut: ["huge.tiff", "stuck.gif"] },
    callerAlive: true,
  });
  // killed tasks whose aborted request rejects afterwards are not reported as crashes
  assert.deepEqual(crashes, []);
});

for (const file of ["choosing-task-agent-genserver.ts", "task-timeouts.ts"]) {
  test(`examples/${file} runs as a program`, () => {
    const run = runExample(file);
    assert.equal(run.stderr, "", "no crash report or warning on stderr");
    assert.notEqual(run.stdout, "");
  });
}
