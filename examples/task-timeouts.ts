/**
 * Timeouts for long-running tasks, three ways:
 *
 * 1. `Task.await(task, ms)`: the caller needs the answer and gives up after `ms`. It rejects
 *    with `TaskTimeoutError`, and the late task is killed: its `signal` aborts, so the I/O it
 *    handed the signal to (fetch, a database client) is cancelled, not left running.
 * 2. `Task.yield(task, ms)` then `Task.shutdown(task)`: the caller has a fallback. `yield`
 *    leaves a late task running and returns `undefined`; the caller decides to shut it down.
 * 3. `Task.asyncStream(..., { timeout, onTimeout: "killTask" })`: many items, each with its own
 *    deadline; a slow item comes back as `{ status: "exit", reason: "timeout" }` while the others
 *    succeed.
 *
 * The tasks are started from a process (`Task.async(self, ...)`), so they are linked to it as in
 * Elixir: a crashing task takes its caller down. A timed-out task is unlinked before it is
 * killed, so the caller lives on.
 *
 * Run it: `node --import tsx --conditions=beamish-source examples/task-timeouts.ts`
 */
import { setTimeout as delay } from "node:timers/promises";
import { pathToFileURL } from "node:url";
import { isAlive, isBeamishError, type Self, Task } from "beamish";

/** Stands for a slow HTTP request: resolves after `ms`, or rejects once `signal` aborts, as fetch does. */
function slowRequest<T>(ms: number, value: T, signal: AbortSignal): Promise<T> {
  return delay(ms, value, { signal });
}

/** A wait far longer than any timeout below: only a kill ends it. */
const FOREVER = 60_000;

/** 1. Await with a timeout: the late task is killed and its signal aborts. */
async function awaitWithTimeout(self: Self, log: (line: string) => void) {
  let taskSignal: AbortSignal | undefined;
  const report = Task.async(self, (task) => {
    taskSignal = task.signal;
    return slowRequest(FOREVER, "quarterly report", task.signal);
  });
  try {
    await Task.await(report, 20);
    return { timedOut: false, taskAlive: true, signalAborted: false };
  } catch (error) {
    if (!isBeamishError(error, "ERR_TASK_TIMEOUT")) throw error;
    log(`await: ${error.message}; its signal aborted: ${taskSignal?.aborted}`);
    return {
      timedOut: true,
      taskAlive: isAlive(report.pid),
      signalAborted: taskSignal?.aborted === true,
    };
  }
}

/** 2. Yield, then shut down the late task and fall back to a cached value. */
async function yieldThenShutdown(self: Self, log: (line: string) => void) {
  const quote = async (source: string, ms: number) => {
    const task = Task.async(self, (t) => slowRequest(ms, `${source} price`, t.signal));
    // Elixir's idiom: `Task.yield(task, timeout) || Task.shutdown(task)`. `shutdown` still
    // returns the value if it arrived in between; `undefined` means we stopped it.
    const result = (await Task.yield(task, 100)) ?? (await Task.shutdown(task));
    const price = result?.status === "ok" ? result.value : "cached price";
    log(`yield: ${source} -> ${price}${result === undefined ? " (late task shut down)" : ""}`);
    return { price, task };
  };
  const fast = await quote("fast exchange", 1);
  const slow = await quote("slow exchange", FOREVER);
  return { fast: fast.price, slow: slow.price, lateTaskAlive: isAlive(slow.task.pid) };
}

/** 3. A stream of jobs, each with its own deadline: slow ones are killed, the rest succeed. */
async function streamWithKillTask(self: Self, log: (line: string) => void) {
  const jobs = [
    { file: "a.jpg", ms: 1 },
    { file: "huge.tiff", ms: FOREVER },
    { file: "b.png", ms: 2 },
    { file: "stuck.gif", ms: FOREVER },
  ];
  const done: string[] = [];
  const timedOut: string[] = [];
  let index = 0;
  // ordered (the default): results come in input order, so `jobs[index]` is the result's job.
  for await (const result of Task.asyncStream(
    self,
    jobs,
    (job, task) => slowRequest(job.ms, `${job.file} resized`, task.signal),
    { maxConcurrency: 4, timeout: 100, onTimeout: "killTask" },
  )) {
    const job = jobs[index++] as (typeof jobs)[number];
    if (result.status === "ok") done.push(job.file);
    else if (result.reason === "timeout") timedOut.push(job.file);
  }
  log(`asyncStream: done ${done.join(", ")}; timed out ${timedOut.join(", ")}`);
  return { done, timedOut };
}

/** What {@link main} reports. */
export interface TimeoutsResult {
  readonly awaited: { timedOut: boolean; taskAlive: boolean; signalAborted: boolean };
  readonly yielded: { fast: string; slow: string; lateTaskAlive: boolean };
  readonly streamed: { done: string[]; timedOut: string[] };
  /** The caller survived every timeout: the late tasks were unlinked before being killed. */
  readonly callerAlive: boolean;
}

/** Runs the three patterns inside one caller process and returns what each saw. */
export async function main(log: (line: string) => void = console.log): Promise<TimeoutsResult> {
  // The caller is a process of its own (as a request handler would be), so its tasks link to it.
  const caller = Task.async(async (self) => ({
    awaited: await awaitWithTimeout(self, log),
    yielded: await yieldThenShutdown(self, log),
    streamed: await streamWithKillTask(self, log),
    callerAlive: isAlive(self.pid),
  }));
  return Task.await(caller, 10_000);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) await main();
