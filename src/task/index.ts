/**
 * Task: run one computation in a process of its own and collect its result, as Elixir's `Task`.
 * A task is linked to the process that starts it when that process's `self` is given, so that a
 * crash takes the caller down (or reaches it as an `ExitMessage` when it traps exits); code
 * outside any process starts unlinked tasks. The result reaches the awaiting side directly, not
 * as a mailbox message.
 */
import type { Pid } from "../kernel/pid.js";
import type { Self } from "../kernel/process.js";
import {
  type AsyncStreamOptions,
  asyncStream,
  asyncStreamOptions,
  type StreamFunction,
  type StreamInput,
} from "./stream.js";
import {
  type TaskFunction,
  type Task as TaskHandle,
  type TaskResult,
  taskAsync,
  taskAwait,
  taskIgnore,
  taskShutdown,
  taskStart,
  taskStartLink,
  taskYield,
  taskYieldMany,
} from "./task.js";

export { TaskExitError, TaskTimeoutError } from "./errors.js";
export type { AsyncStreamOptions, StreamFunction, StreamInput, TaskFunction, TaskResult };

/**
 * A handle on a running task: its `pid`, a unique `ref` and its `owner` (the caller it is linked
 * to, if any). The type parameter is the value it resolves to.
 *
 * @example
 * ```ts
 * const task: Task<number> = Task.async(async () => 6 * 7);
 * await Task.await(task); // 42
 * ```
 */
export type Task<T> = TaskHandle<T>;

/** The functions of {@link Task}, each documented with an example. */
export interface TaskModule {
  /**
   * Runs `fn(taskSelf)` in a new process and returns its handle at once. Given the caller's
   * `self`, the task is linked to the caller: a crash in the task kills a caller that does not
   * trap exits, and reaches one that does as an `ExitMessage`. Without `self` it is unlinked.
   * `taskSelf.signal` aborts when the task is killed: pass it on to stop its I/O.
   *
   * @example
   * ```ts
   * spawn(async (self) => {
   *   const task = Task.async(self, (t) => fetch(url, { signal: t.signal }).then((r) => r.json()));
   *   const body = await Task.await(task);
   * });
   * const outside = Task.async(async () => 42); // unlinked
   * ```
   */
  async<R>(fn: TaskFunction<R>): Task<Awaited<R>>;
  async<R>(self: Self, fn: TaskFunction<R>): Task<Awaited<R>>;

  /**
   * Resolves with the task's value. Rejects with `TaskExitError` (its `reason`) when the task
   * crashed or was killed, and with `TaskTimeoutError` when `timeout` ms (default 5000, or
   * `Infinity`) pass first; the task is then unlinked and killed.
   *
   * @example
   * ```ts
   * const value = await Task.await(Task.async(() => compute()), 1000);
   * ```
   */
  await<T>(task: Task<T>, timeout?: number): Promise<T>;

  /**
   * Waits up to `timeout` ms (default 5000) for the task's result: `{ status: "ok", value }`,
   * `{ status: "exit", reason }`, or `undefined` when it is still running (it keeps running, so
   * you may yield again, await it, or shut it down).
   *
   * @example
   * ```ts
   * const result = (await Task.yield(task, 100)) ?? (await Task.shutdown(task));
   * ```
   */
  yield<T>(task: Task<T>, timeout?: number): Promise<TaskResult<T> | undefined>;

  /**
   * Waits for several tasks at once, at most `timeout` ms (default 5000) in all, and resolves
   * with their results in the order given, `undefined` for those still running.
   *
   * @example
   * ```ts
   * const tasks = urls.map((url) => Task.async(self, () => fetch(url)));
   * const results = await Task.yieldMany(tasks, 2000);
   * for (const [i, r] of results.entries()) if (r === undefined) await Task.shutdown(tasks[i]!, "brutalKill");
   * ```
   */
  yieldMany<T>(
    tasks: readonly Task<T>[],
    timeout?: number,
  ): Promise<Array<TaskResult<T> | undefined>>;

  /**
   * Stops a task: unlinks it from its owner, sends it the exit signal `"shutdown"`, waits up to
   * `timeout` ms (default 5000) and then kills it; `"brutalKill"` kills it at once. Resolves
   * with `{ status: "ok", value }` if it had finished, `{ status: "exit", reason }` if it died of
   * something else, and `undefined` if the shutdown (or the kill after it) ended it.
   *
   * @example
   * ```ts
   * await Task.shutdown(task); // undefined: it was shut down
   * await Task.shutdown(task, "brutalKill");
   * ```
   */
  shutdown<T>(task: Task<T>, timeout?: number | "brutalKill"): Promise<TaskResult<T> | undefined>;

  /**
   * Lets a task run on unobserved: unlinks it from its owner and returns its result if it is
   * already there, `undefined` otherwise.
   *
   * @example
   * ```ts
   * Task.ignore(Task.async(self, () => warmCache()));
   * ```
   */
  ignore<T>(task: Task<T>): TaskResult<T> | undefined;

  /**
   * Starts `fn(taskSelf)` in a new, unlinked process, fire and forget; returns its pid.
   *
   * @example
   * ```ts
   * Task.start(async () => { await sendEmail(user); });
   * ```
   */
  start(fn: TaskFunction<unknown>): Pid;

  /**
   * Starts `fn(taskSelf)` in a new process linked to the caller `self`, fire and forget;
   * returns its pid. A crash in it reaches the caller through the link.
   *
   * @example
   * ```ts
   * spawn((self) => { Task.startLink(self, () => reportUsage()); });
   * ```
   */
  startLink(self: Self, fn: TaskFunction<unknown>): Pid;

  /**
   * Runs `fn(item, taskSelf)` for each item of `input` (an array, iterable or async iterable),
   * each in its own task, at most `maxConcurrency` at a time, and yields
   * `{ status: "ok", value }` per item: in input order (`ordered: true`) or as they finish.
   * Lazy and back-pressured: nothing runs before iteration starts, and an item is read from the
   * input only when one of the `maxConcurrency` slots is free (a slot is held from reading an
   * item to yielding its result). Given the caller's `self`, the tasks are linked to it.
   *
   * A crashing task makes the iterator throw `TaskExitError`. A task running longer than
   * `timeout` makes it throw `TaskTimeoutError` (`onTimeout: "exit"`), or is killed and yields
   * `{ status: "exit", reason: "timeout" }` (`onTimeout: "killTask"`). As with Node's own
   * timers, a task's timeout counts from the start of the event-loop turn it started in. Leaving
   * the loop early, or any error, kills the tasks still running and closes the input.
   *
   * | option | type | default |
   * |---|---|---|
   * | `maxConcurrency` | positive integer | `os.availableParallelism()` |
   * | `ordered` | boolean | `true` |
   * | `timeout` | ms or `Infinity` | `5000` |
   * | `onTimeout` | `"exit" \| "killTask"` | `"exit"` |
   *
   * @example
   * ```ts
   * for await (const result of Task.asyncStream(urls, (url, t) => fetch(url, { signal: t.signal }), {
   *   maxConcurrency: 10,
   *   onTimeout: "killTask",
   * })) {
   *   if (result.status === "ok") console.log(result.value.status);
   * }
   * ```
   */
  asyncStream<I, R>(
    input: StreamInput<I>,
    fn: StreamFunction<I, R>,
    options?: AsyncStreamOptions,
  ): AsyncIterable<TaskResult<Awaited<R>>>;
  asyncStream<I, R>(
    self: Self,
    input: StreamInput<I>,
    fn: StreamFunction<I, R>,
    options?: AsyncStreamOptions,
  ): AsyncIterable<TaskResult<Awaited<R>>>;

  /** The declared options of `asyncStream`: defaults and doc rows. @example `Task.asyncStreamOptions.defaults.timeout // 5000` */
  readonly asyncStreamOptions: typeof asyncStreamOptions;
}

/**
 * Elixir's `Task` for beamish: `async`/`await`, `yield`, `yieldMany`, `shutdown`, `ignore`,
 * `start`, `startLink` and `asyncStream`. See {@link TaskModule} for each.
 *
 * @example
 * ```ts
 * import { Task } from "beamish";
 * const [a, b] = [Task.async(() => slowA()), Task.async(() => slowB())];
 * console.log(await Task.await(a), await Task.await(b));
 * for await (const r of Task.asyncStream([1, 2, 3], (n) => n * 2)) console.log(r);
 * ```
 */
export const Task: TaskModule = Object.freeze({
  async: taskAsync,
  await: taskAwait,
  yield: taskYield,
  yieldMany: taskYieldMany,
  shutdown: taskShutdown,
  ignore: taskIgnore,
  start: taskStart,
  startLink: taskStartLink,
  asyncStream,
  asyncStreamOptions,
});
