import type { Clock, TimerHandle } from "../kernel/clock.js";
import { invalidArgument } from "../kernel/errors.js";
import type { ExitReason } from "../kernel/exit.js";
import { attachHook, ExitHook } from "../kernel/hooks.js";
import { checkFunction, checkTimeout } from "../kernel/options.js";
import type { Pid, Ref } from "../kernel/pid.js";
import { Process, type Self } from "../kernel/process.js";
import { currentRuntime } from "../kernel/runtime.js";
import { TaskExitError, TaskTimeoutError } from "./errors.js";

/**
 * How a task ended, as `Task.yield`, `Task.shutdown` and `Task.asyncStream` report it: its value,
 * or the reason it exited without one.
 *
 * @example
 * ```ts
 * const result = await Task.yield(task, 100);
 * if (result?.status === "ok") console.log(result.value);
 * else if (result?.status === "exit") console.log("died:", result.reason);
 * else console.log("still running");
 * ```
 */
export type TaskResult<T> =
  | { readonly status: "ok"; readonly value: T }
  | { readonly status: "exit"; readonly reason: ExitReason };

declare const valueType: unique symbol;

/**
 * A handle on a task started by `Task.async`: the pid of the process computing a value of type
 * `T`. Pass it to `Task.await`, `Task.yield`, `Task.shutdown` or `Task.ignore`.
 *
 * @example
 * ```ts
 * const task: Task<number> = Task.async(async () => 6 * 7);
 * console.log(String(task.pid));
 * await Task.await(task); // 42
 * ```
 */
export interface Task<T> {
  /** The task's process. */
  readonly pid: Pid;
  /** A unique reference naming this task. */
  readonly ref: Ref;
  /** The process that started it linked (`Task.async(self, fn)`), if any. */
  readonly owner: Pid | undefined;
  /** Type-level only: the value the task resolves to. */
  readonly [valueType]?: T;
}

/** The function a task runs: given the task's own process handle, it returns the value. */
export type TaskFunction<R> = (self: Self) => R;

const RUNNING = 0;
const OK = 1;
const EXITED = 2;

/** @internal Told once when a task gets its result. */
export interface TaskWaiter {
  taskSettled(task: TaskProcess<unknown>): void;
}

/**
 * @internal The one implementation of {@link Task}. It is also the exit hook on its own process,
 * so a task costs one object beside its process, and its result reaches the awaiting side by a
 * direct call rather than a mailbox message.
 */
export class TaskProcess<T> extends ExitHook implements Task<T> {
  declare readonly [valueType]?: T;
  state = RUNNING;
  value: T | undefined = undefined;
  reason: ExitReason = undefined;
  readonly owner: Pid | undefined;
  /** The owner while it is still linked to the task. */
  linked: Process | null;
  private waiters: TaskWaiter | TaskWaiter[] | null = null;
  private refValue: Ref | undefined = undefined;

  pid!: Pid;

  constructor(owner: Process | null) {
    super();
    this.owner = owner?.pid;
    this.linked = owner;
  }

  /** Binds the handle to the process spawned for it. */
  bind(process: Process): this {
    this.pid = process.pid;
    attachHook(process, this);
    return this;
  }

  get ref(): Ref {
    if (this.refValue === undefined) this.refValue = currentRuntime().makeRef();
    return this.refValue;
  }

  /** The function returned (or its promise resolved): the task has its value. */
  onReturn(value: unknown): void {
    this.complete(value as T);
  }

  complete(value: T): void {
    if (this.state !== RUNNING) return;
    this.state = OK;
    this.value = value;
    this.notify();
  }

  /** The process exited; without a value by then, the task failed with the exit reason. */
  onExit(_pid: Pid, reason: ExitReason): void {
    if (this.state !== RUNNING) return;
    this.state = EXITED;
    this.reason = reason;
    this.notify();
  }

  get settled(): boolean {
    return this.state !== RUNNING;
  }

  result(): TaskResult<T> | undefined {
    if (this.state === OK) return { status: "ok", value: this.value as T };
    if (this.state === EXITED) return { status: "exit", reason: this.reason };
    return undefined;
  }

  addWaiter(waiter: TaskWaiter): void {
    const waiters = this.waiters;
    if (waiters === null) this.waiters = waiter;
    else if (Array.isArray(waiters)) waiters.push(waiter);
    else this.waiters = [waiters, waiter];
  }

  removeWaiter(waiter: TaskWaiter): void {
    const waiters = this.waiters;
    if (waiters === waiter) this.waiters = null;
    else if (Array.isArray(waiters)) {
      const index = waiters.indexOf(waiter);
      if (index >= 0) waiters.splice(index, 1);
    }
  }

  /** Unlinks the owner, so that what happens to the task next does not reach it. */
  unlinkOwner(): void {
    const owner = this.linked;
    if (owner === null) return;
    this.linked = null;
    owner.unlink(this.pid);
  }

  /** Kills the task with `"kill"` after unlinking its owner, so the owner survives. */
  kill(): void {
    this.unlinkOwner();
    const process = this.pid.process;
    if (process !== undefined) process.exitSignal(process.runtime.rootPid, "kill", false);
  }

  private notify(): void {
    const waiters = this.waiters;
    if (waiters === null) return;
    this.waiters = null;
    if (Array.isArray(waiters)) {
      for (const waiter of waiters) waiter.taskSettled(this as TaskProcess<unknown>);
    } else {
      waiters.taskSettled(this as TaskProcess<unknown>);
    }
  }
}

/** @internal The owner a `self` argument stands for, checked. */
export function ownerProcess(self: unknown, path: string): Process {
  if (!(self instanceof Process)) invalidArgument(path, "a process's `self`", self);
  return self;
}

/** @internal Starts `fn` as a task, linked to `owner` when there is one. */
export function spawnTask<R>(owner: Process | null, fn: TaskFunction<R>): TaskProcess<Awaited<R>> {
  const task = new TaskProcess<Awaited<R>>(owner);
  const process =
    owner === null
      ? currentRuntime().spawnProcess(fn, null)
      : (owner.spawnLink(fn).process as Process);
  // The kernel hands the body's value (awaited) to the task before the process exits.
  process.returns = task;
  return task.bind(process);
}

function checkTask<T>(task: Task<T>, path: string): TaskProcess<T> {
  if (!(task instanceof TaskProcess)) invalidArgument(path, "a task made by Task.async", task);
  return task as TaskProcess<T>;
}

export function taskAsync<R>(fn: TaskFunction<R>): Task<Awaited<R>>;
export function taskAsync<R>(self: Self, fn: TaskFunction<R>): Task<Awaited<R>>;
export function taskAsync<R>(
  selfOrFn: Self | TaskFunction<R>,
  maybeFn?: TaskFunction<R>,
): Task<Awaited<R>> {
  if (maybeFn === undefined) {
    return spawnTask(null, checkFunction(selfOrFn as TaskFunction<R>, "fn"));
  }
  const owner = ownerProcess(selfOrFn, "self");
  return spawnTask(owner, checkFunction(maybeFn as TaskFunction<R>, "fn"));
}

class Awaiter<T> implements TaskWaiter {
  timer: TimerHandle = undefined;

  constructor(
    private readonly task: TaskProcess<T>,
    private readonly clock: Clock,
    private readonly resolve: (value: T) => void,
    private readonly reject: (error: unknown) => void,
  ) {}

  taskSettled(task: TaskProcess<unknown>): void {
    if (this.timer !== undefined) this.clock.clearTimer(this.timer);
    if (task.state === OK) this.resolve(task.value as T);
    else this.reject(new TaskExitError(task.pid, task.reason));
  }

  timedOut(timeout: number): void {
    this.task.removeWaiter(this);
    this.task.kill();
    this.reject(new TaskTimeoutError(this.task.pid, timeout));
  }
}

export function taskAwait<T>(task: Task<T>, timeout = 5000): Promise<T> {
  const t = checkTask(task, "task");
  checkTimeout(timeout, "timeout");
  if (t.state === OK) return Promise.resolve(t.value as T);
  if (t.state === EXITED) return Promise.reject(new TaskExitError(t.pid, t.reason));
  return new Promise<T>((resolve, reject) => {
    const clock = currentRuntime().clock;
    const waiter = new Awaiter(t, clock, resolve, reject);
    t.addWaiter(waiter);
    if (timeout !== Infinity)
      waiter.timer = clock.setTimer(timeout, () => waiter.timedOut(timeout));
  });
}

/** Resolves with the task's result when it settles, or `onTimeout()` after `timeout` ms. */
class Settled<T, U> implements TaskWaiter {
  timer: TimerHandle = undefined;

  constructor(
    private readonly clock: Clock,
    private readonly resolve: (value: TaskResult<T> | U) => void,
    private readonly onSettled: () => TaskResult<T> | U,
  ) {}

  taskSettled(): void {
    if (this.timer !== undefined) this.clock.clearTimer(this.timer);
    this.resolve(this.onSettled());
  }
}

function whenSettled<T, U>(
  t: TaskProcess<T>,
  timeout: number,
  onSettled: () => TaskResult<T> | U,
  onTimeout: () => TaskResult<T> | U,
): Promise<TaskResult<T> | U> {
  return new Promise((resolve) => {
    const clock = currentRuntime().clock;
    const waiter = new Settled(clock, resolve, onSettled);
    t.addWaiter(waiter);
    if (timeout !== Infinity) {
      waiter.timer = clock.setTimer(timeout, () => {
        t.removeWaiter(waiter);
        resolve(onTimeout());
      });
    }
  });
}

export function taskYield<T>(task: Task<T>, timeout = 5000): Promise<TaskResult<T> | undefined> {
  const t = checkTask(task, "task");
  checkTimeout(timeout, "timeout");
  if (t.settled || timeout === 0) return Promise.resolve(t.result());
  return whenSettled(
    t,
    timeout,
    () => t.result(),
    () => undefined,
  );
}

export function taskYieldMany<T>(
  tasks: readonly Task<T>[],
  timeout = 5000,
): Promise<Array<TaskResult<T> | undefined>> {
  if (!Array.isArray(tasks as unknown)) invalidArgument("tasks", "an array of tasks", tasks);
  const handles = tasks.map((task, i) => checkTask(task, `tasks[${i}]`));
  checkTimeout(timeout, "timeout");
  const results = handles.map((t) => t.result());
  let pending = 0;
  for (const t of handles) if (!t.settled) pending++;
  if (pending === 0 || timeout === 0) return Promise.resolve(results);
  return new Promise((resolve) => {
    const clock = currentRuntime().clock;
    const waiters: Array<[TaskProcess<T>, TaskWaiter]> = [];
    let timer: TimerHandle;
    const finish = () => {
      for (const [t, waiter] of waiters) t.removeWaiter(waiter);
      resolve(results);
    };
    handles.forEach((t, i) => {
      if (t.settled) return;
      const waiter: TaskWaiter = {
        taskSettled: () => {
          results[i] = t.result();
          if (--pending === 0) {
            clock.clearTimer(timer);
            finish();
          }
        },
      };
      waiters.push([t, waiter]);
      t.addWaiter(waiter);
    });
    timer = timeout === Infinity ? undefined : clock.setTimer(timeout, finish);
  });
}

export function taskShutdown<T>(
  task: Task<T>,
  timeout: number | "brutalKill" = 5000,
): Promise<TaskResult<T> | undefined> {
  const t = checkTask(task, "task");
  if (
    timeout !== "brutalKill" &&
    !(timeout === Infinity || (Number.isInteger(timeout) && timeout >= 0))
  ) {
    invalidArgument("timeout", 'a non-negative integer (ms), Infinity or "brutalKill"', timeout);
  }
  const from = t.linked?.pid;
  t.unlinkOwner();
  const process = t.pid.process;
  if (t.settled || process === undefined) return Promise.resolve(t.result());
  if (timeout === "brutalKill") {
    t.kill();
    return Promise.resolve(shutdownResult(t, "killed"));
  }
  process.exitSignal(from ?? process.runtime.rootPid, "shutdown", false);
  if (t.settled) return Promise.resolve(shutdownResult(t, "shutdown"));
  return whenSettled(
    t,
    timeout,
    () => shutdownResult(t, "shutdown"),
    () => {
      t.kill();
      return shutdownResult(t, "killed");
    },
  );
}

/** What `shutdown` reports: the value if it came, nothing if our own signal ended the task. */
function shutdownResult<T>(t: TaskProcess<T>, ours: ExitReason): TaskResult<T> | undefined {
  if (t.state === EXITED && t.reason === ours) return undefined;
  return t.result();
}

export function taskIgnore<T>(task: Task<T>): TaskResult<T> | undefined {
  const t = checkTask(task, "task");
  t.unlinkOwner();
  return t.result();
}

export function taskStart(fn: TaskFunction<unknown>): Pid {
  checkFunction(fn, "fn");
  return currentRuntime().spawnProcess(fn, null).pid;
}

export function taskStartLink(self: Self, fn: TaskFunction<unknown>): Pid {
  const owner = ownerProcess(self, "self");
  return owner.spawnLink(checkFunction(fn, "fn"));
}
