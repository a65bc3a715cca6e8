/**
 * The CPU pool: a fixed set of worker threads, each holding up to `tasksPerThread` tasks (it runs
 * them one at a time, in order: the next is there when one ends, so a thread never waits for the
 * main thread between two tasks), a bounded queue of tasks waiting for a thread, and callers
 * waiting for room in that queue. Where each task goes is decided by the {@link Dispatcher};
 * this shell sends them, times them and settles them. A task is a module export named by path,
 * run with structured-cloned arguments.
 *
 * Invariants: every accepted task is settled exactly once (value, failure, timeout, thread
 * death, cancellation or stop); a task runs at most once: one a thread holds but has not started
 * is taken back (a claim in shared memory that the thread and the pool race for with
 * compare-and-swap) and sent elsewhere when its thread goes away; a thread whose running task no
 * longer has a caller is terminated and replaced, so no thread keeps running work nobody waits for.
 */
import type { TransferListItem } from "node:worker_threads";
import { NotCloneableError } from "../errors.js";
import { entryUrl } from "./bootstrap.js";
import { findUncloneable } from "./clone.js";
import { Dispatcher, type DispatchHost } from "./dispatch.js";
import {
  PoolStoppedError,
  PoolTaskCancelledError,
  PoolTaskTimeoutError,
  PoolWorkerDiedError,
  ThreadModuleLoadError,
} from "./errors.js";
import { failureError } from "./failures.js";
import type { ParsedPoolOptions } from "./options.js";
import { DONE, isTransfer, PENDING, type ReplyMessage, STARTED } from "./protocol.js";
import { type Job, PoolThread, type ThreadOwner } from "./thread.js";

/** Counters of a pool, for dashboards and tests. */
export interface PoolStats {
  /** Threads alive (starting, idle or busy). */
  readonly threads: number;
  /** Threads holding at least one task. */
  readonly busy: number;
  /** Tasks handed to threads: running, or next in line there (at most `tasksPerThread` each). */
  readonly inFlight: number;
  /** Tasks accepted and waiting for a thread (at most `maxQueue`). */
  readonly queued: number;
  /** Callers waiting for room in the queue. */
  readonly waiting: number;
  readonly completed: number;
  readonly failed: number;
  /** Threads started to replace one that was terminated, died or was recycled. */
  readonly replaced: number;
}

/** After this many threads in a row die before they are ready, the pool stops replacing them. */
const MAX_START_FAILURES = 3;

export class PoolCore implements ThreadOwner, DispatchHost<PoolThread, Job> {
  private readonly threads = new Set<PoolThread>();
  private readonly dispatcher: Dispatcher<PoolThread, Job>;
  /** Functions numbered per module and export: threads are told a function's name once. */
  private readonly functions = new Map<string, Map<string, number>>();
  private functionCount = 0;
  private nextId = 1;
  private completed = 0;
  private failed = 0;
  private replaced = 0;
  private startFailures = 0;
  private stopping = false;
  /** The stand-in of a pool made with `create()` and not started: refusals say so. */
  private neverStarted = false;
  private readyWaiters: Array<{ resolve: () => void; reject: (e: unknown) => void }> = [];
  private drainWaiters: Array<() => void> = [];

  constructor(
    readonly options: ParsedPoolOptions,
    threads = options.threads,
  ) {
    this.dispatcher = new Dispatcher<PoolThread, Job>(
      this,
      options.tasksPerThread,
      options.maxQueue,
      options.recycleAfter,
    );
    for (let i = 0; i < threads; i++) this.spawn();
  }

  /** A pool with no thread that takes no task: what a pool not started answers with. */
  static stopped(options: ParsedPoolOptions): PoolCore {
    const core = new PoolCore(options, 0);
    core.stopping = true;
    core.neverStarted = true;
    return core;
  }

  /** Whether `stop` began. */
  get stopped(): boolean {
    return this.stopping;
  }

  /** Resolves once every first thread is ready; rejects with why one could not start. */
  whenReady(): Promise<void> {
    if ([...this.threads].every((t) => t.ready)) return Promise.resolve();
    return new Promise((resolve, reject) => this.readyWaiters.push({ resolve, reject }));
  }

  stats(): PoolStats {
    const d = this.dispatcher;
    return {
      threads: this.threads.size,
      busy: d.busy,
      inFlight: d.inFlight,
      queued: d.queued,
      waiting: d.waiting,
      completed: this.completed,
      failed: this.failed,
      replaced: this.replaced,
    };
  }

  /** Accepts a task; the promise settles with its value or its failure. */
  submit(
    module: string,
    exportName: string,
    args: readonly unknown[],
    transfer: readonly TransferListItem[] | undefined,
    timeout: number,
    signal: AbortSignal | undefined,
  ): Promise<unknown> {
    return new Promise((resolve, reject) => {
      if (this.stopping) {
        reject(new PoolStoppedError(false, this.neverStarted));
        return;
      }
      if (signal?.aborted === true) {
        reject(new PoolTaskCancelledError(signal.reason));
        return;
      }
      const job: Job = {
        id: this.nextId++,
        module,
        exportName,
        fn: this.functionNumber(module, exportName),
        args,
        transfer,
        timeout,
        signal,
        done: false,
        thread: null,
        cell: 0,
        timer: undefined,
        onAbort: undefined,
        resolve,
        reject,
      };
      if (signal !== undefined) {
        job.onAbort = () => this.cancel(job, new PoolTaskCancelledError(signal.reason));
        signal.addEventListener("abort", job.onAbort, { once: true });
      }
      this.dispatcher.submit(job);
    });
  }

  /** Stops taking tasks, waits up to `timeout` ms for the running ones, terminates the threads. */
  async stop(timeout: number): Promise<void> {
    if (!this.stopping) {
      this.stopping = true;
      for (const job of this.dispatcher.takeQueued()) {
        this.settleError(job, new PoolStoppedError(false));
      }
      // Tasks a thread holds but has not started count as queued: they never run.
      for (const thread of this.threads) {
        for (const job of this.dispatcher.jobsOf(thread)) {
          if (!job.done && thread.takeBackPending(job)) {
            this.settleError(job, new PoolStoppedError(false));
          }
        }
      }
    }
    if (this.dispatcher.inFlight > 0) {
      await new Promise<void>((resolve) => {
        const timer =
          timeout === Number.POSITIVE_INFINITY
            ? undefined
            : this.options.clock.setTimer(timeout, () => resolve());
        this.drainWaiters.push(() => {
          if (this.dispatcher.inFlight === 0) {
            if (timer !== undefined) this.options.clock.clearTimer(timer);
            resolve();
          }
        });
      });
    }
    const exits: Array<Promise<unknown>> = [];
    for (const thread of this.threads) {
      for (const job of this.dispatcher.removeThread(thread)) {
        this.settleError(job, new PoolStoppedError(true));
      }
      exits.push(new Promise((resolve) => thread.worker.once("exit", resolve)));
      thread.terminate();
    }
    await Promise.all(exits);
  }

  // The dispatcher's host.

  send(thread: PoolThread, job: Job): boolean {
    try {
      thread.send(job);
    } catch (e) {
      const found = findUncloneable(job.args, "args");
      this.settleError(
        job,
        new NotCloneableError(found?.path ?? "args", found?.valueType ?? (e as Error).message, {
          module: job.module,
          exportName: job.exportName,
          cause: e,
        }),
      );
      return false;
    }
    // The dispatcher listed the job before sending it: alone there, it runs now.
    if (this.dispatcher.jobsOf(thread).length === 1) {
      thread.worker.ref();
      this.startHead(thread);
    }
    return true;
  }

  drained(thread: PoolThread): void {
    this.threads.delete(thread);
    thread.terminate();
    this.replace();
  }

  // The threads' events.

  onReady(thread: PoolThread): void {
    if (!this.threads.has(thread)) return;
    this.startFailures = 0;
    if (this.readyWaiters.length > 0 && [...this.threads].every((t) => t.ready)) {
      for (const w of this.readyWaiters.splice(0)) w.resolve();
    }
    if (this.stopping) return;
    this.dispatcher.addThread(thread);
    if (this.dispatcher.jobsOf(thread).length === 0) thread.worker.unref();
  }

  onReply(thread: PoolThread, message: ReplyMessage): void {
    const jobs = this.dispatcher.jobsOf(thread);
    // Answers come in the order the tasks were sent.
    const job = jobs[0];
    if (job === undefined || job.id !== message.id) return;
    if (!("skipped" in message)) {
      if (message.heap !== undefined) thread.heap = message.heap;
      if (message.ok) this.settleValue(job, message.value);
      else this.settleError(job, failureError(job.module, job.exportName, message.failure));
      const { recycleHeapMb } = this.options;
      // Past the heap limit: no more tasks; those it holds finish, then it is replaced.
      if (recycleHeapMb !== undefined && thread.heap > recycleHeapMb * 1024 * 1024) {
        this.dispatcher.retire(thread);
      }
    }
    this.dispatcher.finished(thread, job);
    this.afterLeaving(thread);
  }

  onStarted(thread: PoolThread, id: number): void {
    for (const job of this.dispatcher.jobsOf(thread)) {
      if (job.id !== id) continue;
      thread.loaded.add(job.fn);
      this.startHead(thread);
      return;
    }
  }

  onExit(thread: PoolThread, exitCode: number, error: unknown): void {
    if (!this.threads.delete(thread)) return;
    const jobs = this.dispatcher.removeThread(thread);
    if (!thread.ready && !thread.terminating) {
      this.startFailed(exitCode, error);
      return;
    }
    const outOfMemory =
      (error as { code?: unknown } | undefined)?.code === "ERR_WORKER_OUT_OF_MEMORY";
    this.reclaim(
      thread,
      jobs,
      (job) =>
        new PoolWorkerDiedError(
          job.module,
          job.exportName,
          outOfMemory ? "outOfMemory" : error === undefined ? "exit" : "error",
          exitCode,
          error,
        ),
    );
    if (!thread.terminating) this.replace();
    this.notifyDrain();
  }

  /**
   * Settles or re-dispatches the tasks a thread held when it went away: one it had not started
   * goes back to the queue (or fails, the pool stopping), one it ran fails with `died(job)`.
   */
  private reclaim(thread: PoolThread, jobs: readonly Job[], died: (job: Job) => unknown): void {
    const back: Job[] = [];
    for (const job of jobs) {
      if (job.done) continue;
      const state = thread.takeBack(job);
      if (state === PENDING) {
        if (this.stopping) this.settleError(job, new PoolStoppedError(false));
        else {
          job.thread = null;
          if (job.timer !== undefined) this.options.clock.clearTimer(job.timer);
          job.timer = undefined;
          back.push(job);
        }
      } else {
        // STARTED: it ran when the thread went; DONE: its answer was lost with the thread.
        this.settleError(job, died(job));
      }
    }
    this.dispatcher.requeue(back);
  }

  private afterLeaving(thread: PoolThread): void {
    const jobs = this.dispatcher.jobsOf(thread);
    if (jobs.length === 0) thread.worker.unref();
    else this.startHead(thread);
    this.notifyDrain();
  }

  private notifyDrain(): void {
    if (this.stopping) for (const notify of this.drainWaiters) notify();
  }

  private startFailed(exitCode: number, error: unknown): void {
    const why = new ThreadModuleLoadError(
      entryUrl,
      error === undefined
        ? `the thread exited with code ${exitCode} while starting`
        : String((error as Error).message ?? error),
      error,
    );
    for (const w of this.readyWaiters.splice(0)) w.reject(why);
    if (this.stopping) return;
    this.startFailures++;
    if (this.startFailures < MAX_START_FAILURES) {
      this.replace();
    } else if (this.threads.size === 0) {
      // No thread can start: what waits for one would wait forever.
      for (const job of this.dispatcher.takeQueued()) this.settleError(job, why);
    }
  }

  private spawn(): void {
    const { recycleHeapMb, maxHeapMb, execArgv, tasksPerThread } = this.options;
    const thread = new PoolThread(this, {
      reportHeap: recycleHeapMb !== undefined,
      maxHeapMb,
      execArgv,
      tasksPerThread,
    });
    this.threads.add(thread);
  }

  /** Starts a thread in place of one that went away, unless the pool stops. */
  private replace(): void {
    if (this.stopping) return;
    this.replaced++;
    this.spawn();
  }

  /**
   * Terminates a thread whose running task was taken back, re-dispatches the tasks it held and
   * had not started, and replaces it.
   */
  private kill(thread: PoolThread): void {
    this.threads.delete(thread);
    thread.terminate();
    const jobs = this.dispatcher.removeThread(thread);
    this.reclaim(
      thread,
      jobs,
      (job) => new PoolWorkerDiedError(job.module, job.exportName, "exit", undefined),
    );
    this.replace();
    this.notifyDrain();
  }

  /** Starts the timeout of the task a thread runs now (the first it holds that was not taken back). */
  private startHead(thread: PoolThread): void {
    for (const job of this.dispatcher.jobsOf(thread)) {
      if (job.done) continue;
      // A function not loaded yet there: its timeout starts once the thread says it loaded.
      if (job.timer === undefined && job.timeout !== Number.POSITIVE_INFINITY) {
        if (thread.loaded.has(job.fn)) this.startTimer(thread, job);
      }
      return;
    }
  }

  private startTimer(thread: PoolThread, job: Job): void {
    job.timer = this.options.clock.setTimer(job.timeout, () => {
      job.timer = undefined;
      if (job.done || job.thread !== thread) return;
      const state = thread.takeBack(job);
      if (state === DONE) return; // its answer is on its way
      this.settleError(job, new PoolTaskTimeoutError(job.module, job.exportName, job.timeout));
      if (state === STARTED) this.kill(thread);
    });
  }

  private cancel(job: Job, reason: unknown): void {
    if (job.done) return;
    if (this.dispatcher.cancel(job)) {
      this.settleError(job, reason);
      return;
    }
    const thread = job.thread;
    this.settleError(job, reason);
    // Taken back before it started, the thread skips it; running, the thread is stopped.
    if (thread !== null && thread.takeBack(job) === STARTED) this.kill(thread);
  }

  private functionNumber(module: string, exportName: string): number {
    let exports = this.functions.get(module);
    if (exports === undefined) {
      exports = new Map();
      this.functions.set(module, exports);
    }
    let fn = exports.get(exportName);
    if (fn === undefined) {
      fn = this.functionCount++;
      exports.set(exportName, fn);
    }
    return fn;
  }

  private settleValue(job: Job, value: unknown): void {
    if (!this.finish(job)) return;
    this.completed++;
    job.resolve(value);
  }

  private settleError(job: Job, error: unknown): void {
    if (!this.finish(job)) return;
    this.failed++;
    job.reject(error);
  }

  private finish(job: Job): boolean {
    if (job.done) return false;
    job.done = true;
    if (job.timer !== undefined) {
      this.options.clock.clearTimer(job.timer);
      job.timer = undefined;
    }
    if (job.onAbort !== undefined) job.signal?.removeEventListener("abort", job.onAbort);
    return true;
  }
}

/** Splits `transfer(value, list)` wrappers out of `args`: the values, and the lists joined. */
export function unwrapTransfers(args: unknown[]): readonly TransferListItem[] | undefined {
  let transfer: TransferListItem[] | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (isTransfer(arg)) {
      args[i] = arg.value;
      transfer = transfer === undefined ? [...arg.transferList] : transfer.concat(arg.transferList);
    }
  }
  return transfer;
}
