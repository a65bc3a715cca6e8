/**
 * Task.Supervisor: a DynamicSupervisor whose children are tasks. `async` and `asyncNolink` give
 * a `Task` handle that `Task.await`, `Task.yield` and `Task.shutdown` take; `asyncStream` and
 * `asyncStreamNolink` are `Task.asyncStream` with every item's task a child of the supervisor.
 */
import type { Dest } from "../kernel/api.js";
import type { ExitReason } from "../kernel/exit.js";
import { checkFunction, type OptionsInput, option, schema } from "../kernel/options.js";
import { isPid, type Pid } from "../kernel/pid.js";
import type { Process, Self } from "../kernel/process.js";
import {
  type AsyncStreamOptions,
  type ItemSpawner,
  type StreamFunction,
  type StreamInput,
  streamWith,
} from "../task/stream.js";
import {
  ownerProcess,
  type Task,
  type TaskFunction,
  TaskProcess,
  type TaskResult,
} from "../task/task.js";
import { type ChildSpec, childSpecSchema } from "./child-spec.js";
import * as DynamicSupervisor from "./dynamic-supervisor.js";
import { dynamicSupervisorOptions } from "./dynamic-supervisor.js";
import { intensityFields, nameField } from "./flags.js";

/**
 * The options of `TaskSupervisor.start`.
 *
 * | option | type | default | |
 * |---|---|---|---|
 * | `maxChildren` | non-negative integer or `Infinity` | `Infinity` | tasks running at once, at most; past it, starting one rejects with `MaxChildrenError` |
 * | `maxRestarts` | non-negative integer | `3` | restarts (of `"transient"` tasks) allowed within `maxSeconds` |
 * | `maxSeconds` | positive integer | `5` | the window of `maxRestarts`, in seconds |
 * | `name` | string or `{ via, key }` | none | registers the supervisor |
 */
export const taskSupervisorOptions = schema({
  maxChildren: dynamicSupervisorOptions.fields.maxChildren,
  ...intensityFields,
  ...nameField,
});

/** Options of `TaskSupervisor.start`; see {@link taskSupervisorOptions}. @example `{ maxChildren: 10, name: "jobs" }` */
export type TaskSupervisorOptions = OptionsInput<typeof taskSupervisorOptions>;

/**
 * The options of `TaskSupervisor.async` and `asyncNolink`.
 *
 * | option | type | default | |
 * |---|---|---|---|
 * | `shutdown` | ms, `"brutalKill"` or `"infinity"` | `5000` | how long the task may take to stop when its supervisor stops |
 */
export const asyncOptions = schema({ shutdown: childSpecSchema.fields.shutdown });

/** Options of `TaskSupervisor.async`; see {@link asyncOptions}. @example `{ shutdown: "brutalKill" }` */
export type TaskSupervisorAsyncOptions = OptionsInput<typeof asyncOptions>;

/**
 * The options of `TaskSupervisor.startChild`.
 *
 * | option | type | default | |
 * |---|---|---|---|
 * | `restart` | `"temporary" \| "transient"` | `"temporary"` | `"transient"`: started again after a crash, until it returns |
 * | `shutdown` | ms, `"brutalKill"` or `"infinity"` | `5000` | how long the task may take to stop when its supervisor stops |
 */
export const startChildOptions = schema({
  restart: option
    .oneOf(["temporary", "transient"], "temporary")
    .doc(
      '"transient": started again after a crash (within the restart intensity) until it returns.',
    ),
  shutdown: asyncOptions.fields.shutdown,
});

/** Options of `TaskSupervisor.startChild`; see {@link startChildOptions}. @example `{ restart: "transient" }` */
export type TaskSupervisorStartChildOptions = OptionsInput<typeof startChildOptions>;

/**
 * Starts a task supervisor, unlinked, with no children. Rejects with `InvalidArgumentError`
 * naming the option (``options.maxChildren``) for bad options.
 *
 * @example
 * ```ts
 * const jobs = await TaskSupervisor.start({ maxChildren: 10 });
 * ```
 */
export function start(options?: TaskSupervisorOptions): Promise<Pid> {
  return launch(options, undefined);
}

/**
 * Like {@link start}, linked to `self`.
 *
 * @example
 * ```ts
 * const jobs = await TaskSupervisor.startLink(self, { name: "jobs" });
 * ```
 */
export function startLink(self: Self, options?: TaskSupervisorOptions): Promise<Pid> {
  return launch(options, self);
}

function launch(options: unknown, parent: Self | undefined): Promise<Pid> {
  try {
    const parsed = taskSupervisorOptions.parse(options, "options");
    return parent === undefined
      ? DynamicSupervisor.start(parsed)
      : DynamicSupervisor.startLink(parent, parsed);
  } catch (error) {
    return Promise.reject(error);
  }
}

/**
 * A child spec starting a task supervisor inside a supervision tree (type `"supervisor"`); give
 * it a `name` to reach it.
 *
 * @example
 * ```ts
 * await Supervisor.start([TaskSupervisor.spec("jobs", { name: "jobs", maxChildren: 50 })]);
 * ```
 */
export function spec(id: string, options?: TaskSupervisorOptions): ChildSpec {
  return { id, type: "supervisor", start: (sup: Self) => launch(options, sup) };
}

/**
 * Asks `supervisor` to start `body` as its child, linked to `owner` as well when there is one.
 * `bind` sees the process before it can run, so no result or exit is missed.
 */
function spawnChild(
  supervisor: Dest,
  restart: "temporary" | "transient",
  shutdown: TaskSupervisorStartChildOptions["shutdown"],
  owner: Process | null,
  body: (self: Self) => unknown,
  bind: ((process: Process) => void) | null,
): Promise<Pid | undefined> {
  return DynamicSupervisor.startChild(supervisor, {
    restart,
    shutdown,
    start: (sup: Self) => {
      const pid = sup.spawnLink(body);
      const process = pid.process as Process;
      bind?.(process);
      // After binding: a dead owner kills the task with `noproc`, which the handle must see.
      if (owner !== null) process.link(owner.pid);
      return pid;
    },
  });
}

function superviseTask<R>(
  supervisor: Dest,
  owner: Process | null,
  linked: boolean,
  fn: TaskFunction<R>,
  options: unknown,
): Promise<Task<Awaited<R>>> {
  const { shutdown } = asyncOptions.parse(options, "options");
  const task = new TaskProcess<Awaited<R>>(owner);
  if (!linked) task.linked = null;
  const bind = (process: Process) => {
    process.returns = task;
    task.bind(process);
  };
  return spawnChild(supervisor, "temporary", shutdown, linked ? owner : null, fn, bind).then(
    () => task,
  );
}

/**
 * Starts `fn(taskSelf)` as a child of `supervisor`, linked to the caller `self` too, and
 * resolves with its `Task` handle: await it with `Task.await` or `Task.yield`. As with
 * `Task.async(self, fn)`, a crash of the task kills a caller that does not trap exits, and the
 * caller's exit kills the task. Rejects with `MaxChildrenError` when the supervisor is full,
 * `NoProcError` when it is not running.
 *
 * @example
 * ```ts
 * spawn(async (self) => {
 *   const task = await TaskSupervisor.async("jobs", self, () => fetchReport());
 *   const report = await Task.await(task);
 * });
 * ```
 */
export async function async<R>(
  supervisor: Dest,
  self: Self,
  fn: TaskFunction<R>,
  options?: TaskSupervisorAsyncOptions,
): Promise<Task<Awaited<R>>> {
  const owner = ownerProcess(self, "self");
  return superviseTask(supervisor, owner, true, checkFunction(fn, "fn"), options);
}

/**
 * Starts `fn(taskSelf)` as a child of `supervisor`, not linked to the caller, and resolves with
 * its `Task` handle. A crash never reaches the caller as a signal: `Task.await` rejects with
 * `TaskExitError` (its `reason`) and `Task.yield` gives `{ status: "exit", reason }`. Given, the
 * caller's `self` is only recorded as the handle's `owner`.
 *
 * @example
 * ```ts
 * const task = await TaskSupervisor.asyncNolink(jobs, () => callFlakyService());
 * const result = await Task.yield(task, 1000);
 * if (result?.status === "exit") log.warn("service call failed", result.reason);
 * ```
 */
export async function asyncNolink<R>(
  supervisor: Dest,
  fn: TaskFunction<R>,
  options?: TaskSupervisorAsyncOptions,
): Promise<Task<Awaited<R>>>;
export async function asyncNolink<R>(
  supervisor: Dest,
  self: Self,
  fn: TaskFunction<R>,
  options?: TaskSupervisorAsyncOptions,
): Promise<Task<Awaited<R>>>;
export async function asyncNolink(
  supervisor: Dest,
  a: unknown,
  b?: unknown,
  c?: unknown,
): Promise<Task<unknown>> {
  const withSelf = typeof a !== "function";
  const owner = withSelf ? ownerProcess(a, "self") : null;
  const fn = checkFunction((withSelf ? b : a) as TaskFunction<unknown>, "fn");
  return superviseTask(supervisor, owner, false, fn, withSelf ? c : b);
}

/**
 * Starts `fn(taskSelf)` as a child of `supervisor`, fire and forget, and resolves with its pid.
 * `"temporary"` (default): never restarted; `"transient"`: started again after a crash, within
 * the supervisor's restart intensity, until it returns.
 *
 * @example
 * ```ts
 * await TaskSupervisor.startChild(jobs, () => sendEmail(user), { restart: "transient" });
 * ```
 */
export async function startChild(
  supervisor: Dest,
  fn: TaskFunction<unknown>,
  options?: TaskSupervisorStartChildOptions,
): Promise<Pid> {
  checkFunction(fn, "fn");
  const { restart, shutdown } = startChildOptions.parse(options, "options");
  return (await spawnChild(supervisor, restart, shutdown, null, fn, null)) as Pid;
}

function supervisedSpawner(supervisor: Dest, owner: Process | null): ItemSpawner {
  return (body, bind) => spawnChild(supervisor, "temporary", undefined, owner, body, bind);
}

/**
 * `Task.asyncStream(self, input, fn, options)` with each item's task a child of `supervisor`
 * and linked to the caller: lazy, at most `maxConcurrency` items in flight, results in input
 * order or as they finish, the same options and timeouts. A crashing item kills a caller that
 * does not trap exits; one that traps sees the iterator throw `TaskExitError`. When the
 * supervisor cannot start an item (`MaxChildrenError`, `NoProcError`), the iterator throws that.
 *
 * @example
 * ```ts
 * for await (const r of TaskSupervisor.asyncStream(jobs, self, urls, (url) => fetch(url), { maxConcurrency: 8 })) {
 *   if (r.status === "ok") console.log(r.value.status);
 * }
 * ```
 */
export function asyncStream<I, R>(
  supervisor: Dest,
  self: Self,
  input: StreamInput<I>,
  fn: StreamFunction<I, R>,
  options?: AsyncStreamOptions,
): AsyncIterable<TaskResult<Awaited<R>>> {
  const owner = ownerProcess(self, "self");
  checkFunction(fn, "fn");
  return streamWith(owner, input, fn, options, { spawn: supervisedSpawner(supervisor, owner) });
}

/**
 * Like {@link asyncStream}, but the items' tasks are not linked to the caller: a crashing item
 * yields `{ status: "exit", reason }` in its place and the stream goes on, never throwing for it
 * nor touching the caller.
 *
 * @example
 * ```ts
 * for await (const r of TaskSupervisor.asyncStreamNolink(jobs, orders, (o) => charge(o), { maxConcurrency: 4 })) {
 *   if (r.status === "exit") failed.push(r.reason);
 * }
 * ```
 */
export function asyncStreamNolink<I, R>(
  supervisor: Dest,
  input: StreamInput<I>,
  fn: StreamFunction<I, R>,
  options?: AsyncStreamOptions,
): AsyncIterable<TaskResult<Awaited<R>>> {
  checkFunction(fn, "fn");
  return streamWith(null, input, fn, options, {
    spawn: supervisedSpawner(supervisor, null),
    exitsAsResults: true,
  });
}

/**
 * The pids of the tasks running under `supervisor`, in start order.
 *
 * @example
 * ```ts
 * (await TaskSupervisor.children(jobs)).length; // tasks running now
 * ```
 */
export async function children(supervisor: Dest): Promise<Pid[]> {
  const out: Pid[] = [];
  for (const child of await DynamicSupervisor.whichChildren(supervisor)) {
    if (isPid(child.pid)) out.push(child.pid);
  }
  return out;
}

/**
 * Stops the task `pid` within its shutdown time. Rejects with `ChildNotFoundError` when it is
 * not a task of `supervisor` (it may have finished).
 *
 * @example
 * ```ts
 * await TaskSupervisor.terminateChild(jobs, pid);
 * ```
 */
export function terminateChild(supervisor: Dest, pid: Pid): Promise<void> {
  return DynamicSupervisor.terminateChild(supervisor, pid);
}

/**
 * Stops the supervisor: its tasks stop in reverse start order (a caller linked to one of them
 * gets its `"shutdown"` exit), then it exits with `reason` (default `"normal"`).
 *
 * @example
 * ```ts
 * await TaskSupervisor.stop(jobs);
 * ```
 */
export function stop(supervisor: Dest, reason: ExitReason = "normal"): Promise<void> {
  return DynamicSupervisor.stop(supervisor, reason);
}

/**
 * Elixir's `Task.Supervisor`: a DynamicSupervisor of tasks. `async` (linked to the caller) and
 * `asyncNolink` resolve with a `Task` handle for `Task.await`/`Task.yield`; `startChild` is fire
 * and forget; `asyncStream`/`asyncStreamNolink` are `Task.asyncStream` under the supervisor;
 * `children`, `terminateChild`, `stop`; `spec` for a supervision tree; `options` is the declared
 * option schema.
 *
 * @example
 * ```ts
 * const jobs = await TaskSupervisor.start({ maxChildren: 100 });
 * spawn(async (self) => {
 *   const task = await TaskSupervisor.asyncNolink(jobs, self, () => risky());
 *   const result = await Task.yield(task); // { status: "exit", reason } if it crashed
 * });
 * ```
 */
export const TaskSupervisor = Object.freeze({
  start,
  startLink,
  spec,
  async,
  asyncNolink,
  startChild,
  asyncStream,
  asyncStreamNolink,
  children,
  terminateChild,
  stop,
  options: taskSupervisorOptions,
});
