/**
 * The CPU pool: a fixed set of worker threads, each running one task at a time, a bounded queue
 * of tasks waiting for a thread, and callers waiting for room in that queue. A task is a module
 * export named by path, run with structured-cloned arguments.
 *
 * Invariants: a thread is idle, running exactly one job, or starting; the queue never holds more
 * than `maxQueue` live jobs; every accepted job is settled exactly once (value, failure, timeout,
 * thread death, cancellation or stop), and a thread that ran a job that did not finish normally
 * is terminated and replaced, so no thread keeps running work nobody waits for.
 */
import type { TransferListItem } from "node:worker_threads";
import { Queue } from "../../kernel/queue.js";
import { entryUrl } from "./bootstrap.js";
import { findUncloneable } from "./clone.js";
import {
  PoolStoppedError,
  PoolTaskCancelledError,
  PoolTaskTimeoutError,
  PoolWorkerDiedError,
  ThreadDataCloneError,
  ThreadModuleLoadError,
} from "./errors.js";
import { failureError } from "./failures.js";
import type { ParsedPoolOptions } from "./options.js";
import { isTransfer, type ReplyMessage } from "./protocol.js";
import { type Job, PoolThread, type ThreadOwner } from "./thread.js";

/** Counters of a pool, for dashboards and tests. */
export interface PoolStats {
  /** Threads alive (starting, idle or busy). */
  readonly threads: number;
  /** Threads running a task. */
  readonly busy: number;
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

export class PoolCore implements ThreadOwner {
  private readonly threads = new Set<PoolThread>();
  private readonly idle: PoolThread[] = [];
  private readonly queue = new Queue<Job>();
  private queued = 0;
  private readonly waiting = new Queue<Job>();
  private waitingCount = 0;
  private nextId = 1;
  private completed = 0;
  private failed = 0;
  private replaced = 0;
  private startFailures = 0;
  private stopping = false;
  private readyWaiters: Array<{ resolve: () => void; reject: (e: unknown) => void }> = [];
  private drainWaiters: Array<() => void> = [];

  constructor(readonly options: ParsedPoolOptions) {
    for (let i = 0; i < options.threads; i++) this.spawn();
  }

  /** Resolves once every first thread is ready; rejects with why one could not start. */
  whenReady(): Promise<void> {
    if ([...this.threads].every((t) => t.ready)) return Promise.resolve();
    return new Promise((resolve, reject) => this.readyWaiters.push({ resolve, reject }));
  }

  stats(): PoolStats {
    let busy = 0;
    for (const t of this.threads) if (t.job !== null) busy++;
    return {
      threads: this.threads.size,
      busy,
      queued: this.queued,
      waiting: this.waitingCount,
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
        reject(new PoolStoppedError(false));
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
        args,
        transfer,
        timeout,
        key: `${module}#${exportName}`,
        signal,
        state: "waiting",
        thread: null,
        timer: undefined,
        onAbort: undefined,
        resolve,
        reject,
      };
      if (signal !== undefined) {
        job.onAbort = () => this.cancel(job, new PoolTaskCancelledError(signal.reason));
        signal.addEventListener("abort", job.onAbort, { once: true });
      }
      const thread = this.idle.pop();
      if (thread !== undefined) this.dispatch(thread, job);
      else if (this.queued < this.options.maxQueue) this.enqueue(job);
      else {
        this.waiting.push(job);
        this.waitingCount++;
      }
    });
  }

  /** Stops taking tasks, waits up to `timeout` ms for the running ones, terminates the threads. */
  async stop(timeout: number): Promise<void> {
    if (!this.stopping) {
      this.stopping = true;
      for (const job of this.takeAll(this.waiting))
        this.settleError(job, new PoolStoppedError(false));
      this.waitingCount = 0;
      for (const job of this.takeAll(this.queue))
        this.settleError(job, new PoolStoppedError(false));
      this.queued = 0;
    }
    const busy = () => [...this.threads].some((t) => t.job !== null);
    if (busy()) {
      await new Promise<void>((resolve) => {
        const timer =
          timeout === Number.POSITIVE_INFINITY
            ? undefined
            : this.options.clock.setTimer(timeout, () => resolve());
        this.drainWaiters.push(() => {
          if (!busy()) {
            if (timer !== undefined) this.options.clock.clearTimer(timer);
            resolve();
          }
        });
      });
    }
    const exits: Array<Promise<unknown>> = [];
    for (const thread of this.threads) {
      if (thread.job !== null) this.settleError(thread.job, new PoolStoppedError(true));
      exits.push(new Promise((resolve) => thread.worker.once("exit", resolve)));
      thread.terminate();
    }
    this.idle.length = 0;
    await Promise.all(exits);
  }

  onReady(thread: PoolThread): void {
    if (!this.threads.has(thread)) return;
    this.startFailures = 0;
    if (this.readyWaiters.length > 0 && [...this.threads].every((t) => t.ready)) {
      for (const w of this.readyWaiters.splice(0)) w.resolve();
    }
    this.release(thread);
  }

  onReply(thread: PoolThread, message: ReplyMessage): void {
    const job = thread.job;
    if (job === null || job.id !== message.id) return;
    thread.job = null;
    thread.tasksDone++;
    if (message.heap !== undefined) thread.heap = message.heap;
    if (message.ok) this.settleValue(job, message.value);
    else this.settleError(job, failureError(job.module, job.exportName, message.failure));
    const { recycleAfter, recycleHeapMb } = this.options;
    if (
      thread.tasksDone >= recycleAfter ||
      (recycleHeapMb !== undefined && thread.heap > recycleHeapMb * 1024 * 1024)
    ) {
      this.replace(thread);
    } else {
      this.release(thread);
    }
  }

  onExit(thread: PoolThread, exitCode: number, error: unknown): void {
    if (!this.threads.delete(thread)) return;
    const at = this.idle.indexOf(thread);
    if (at !== -1) this.idle.splice(at, 1);
    const job = thread.job;
    thread.job = null;
    if (!thread.ready && !thread.terminating) {
      this.startFailed(exitCode, error);
      return;
    }
    if (job !== null && job.state === "running") {
      const outOfMemory =
        (error as { code?: unknown } | undefined)?.code === "ERR_WORKER_OUT_OF_MEMORY";
      this.settleError(
        job,
        new PoolWorkerDiedError(
          job.module,
          job.exportName,
          outOfMemory ? "outOfMemory" : error === undefined ? "exit" : "error",
          exitCode,
          error,
        ),
      );
    }
    if (!thread.terminating && !this.stopping) {
      this.replaced++;
      this.spawn();
    }
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
      this.replaced++;
      this.spawn();
    } else if (this.threads.size === 0) {
      // No thread can start: what waits for one would wait forever.
      for (const job of this.takeAll(this.waiting)) this.settleError(job, why);
      this.waitingCount = 0;
      for (const job of this.takeAll(this.queue)) this.settleError(job, why);
      this.queued = 0;
    }
  }

  private spawn(): void {
    const { recycleHeapMb, maxHeapMb, execArgv } = this.options;
    const thread = new PoolThread(this, {
      reportHeap: recycleHeapMb !== undefined,
      maxHeapMb,
      execArgv,
    });
    this.threads.add(thread);
  }

  /** Terminates `thread` (its job, if any, already settled) and starts a fresh one. */
  private replace(thread: PoolThread): void {
    thread.terminate();
    if (!this.stopping) {
      this.threads.delete(thread);
      this.replaced++;
      this.spawn();
    }
  }

  /** Gives an idle thread the next queued task, or leaves it idle. */
  private release(thread: PoolThread): void {
    if (this.stopping) {
      for (const notify of this.drainWaiters) notify();
      return;
    }
    const job = this.nextQueued();
    if (job !== undefined) this.dispatch(thread, job);
    else {
      thread.worker.unref();
      this.idle.push(thread);
    }
  }

  private nextQueued(): Job | undefined {
    let job = this.queue.shift();
    while (job !== undefined && job.state !== "queued") job = this.queue.shift();
    if (job !== undefined) {
      this.queued--;
      this.admitWaiting();
      return job;
    }
    // An empty queue (always so with maxQueue 0): the first waiting caller goes straight in.
    job = this.waiting.shift();
    while (job !== undefined && job.state !== "waiting") job = this.waiting.shift();
    if (job !== undefined) this.waitingCount--;
    return job;
  }

  private enqueue(job: Job): void {
    job.state = "queued";
    this.queue.push(job);
    this.queued++;
  }

  private admitWaiting(): void {
    while (this.queued < this.options.maxQueue) {
      const job = this.waiting.shift();
      if (job === undefined) return;
      if (job.state !== "waiting") continue;
      this.waitingCount--;
      this.enqueue(job);
    }
  }

  private dispatch(thread: PoolThread, job: Job): void {
    try {
      const message = {
        id: job.id,
        module: job.module,
        exportName: job.exportName,
        args: job.args,
      };
      if (job.transfer === undefined) thread.worker.postMessage(message);
      else thread.worker.postMessage(message, job.transfer as TransferListItem[]);
    } catch (e) {
      const found = findUncloneable(job.args, "args");
      this.settleError(
        job,
        new ThreadDataCloneError(
          job.module,
          job.exportName,
          found?.path ?? "args",
          found?.valueType ?? (e as Error).message,
          e,
        ),
      );
      this.release(thread);
      return;
    }
    job.state = "running";
    job.thread = thread;
    thread.job = job;
    thread.worker.ref();
    // A function not loaded yet there: its timeout starts once the thread says it loaded.
    if (thread.loaded.has(job.key)) this.startTimer(thread, job);
  }

  onStarted(thread: PoolThread, id: number): void {
    const job = thread.job;
    if (job === null || job.id !== id) return;
    thread.loaded.add(job.key);
    this.startTimer(thread, job);
  }

  private startTimer(thread: PoolThread, job: Job): void {
    if (job.timeout === Number.POSITIVE_INFINITY) return;
    job.timer = this.options.clock.setTimer(job.timeout, () => {
      job.timer = undefined;
      if (thread.job !== job) return;
      this.settleError(job, new PoolTaskTimeoutError(job.module, job.exportName, job.timeout));
      this.kill(thread);
    });
  }

  /** Stops a thread in the middle of a job that no longer has a caller, and replaces it. */
  private kill(thread: PoolThread): void {
    thread.job = null;
    this.replace(thread);
    if (this.stopping) for (const notify of this.drainWaiters) notify();
  }

  private cancel(job: Job, reason: unknown): void {
    switch (job.state) {
      case "waiting":
        this.waitingCount--;
        break;
      case "queued":
        this.queued--;
        this.admitWaiting();
        break;
      case "running":
        if (job.thread !== null && job.thread.job === job) this.kill(job.thread);
        break;
      case "done":
        return;
    }
    this.settleError(job, reason);
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
    if (job.state === "done") return false;
    job.state = "done";
    job.thread = null;
    if (job.timer !== undefined) this.options.clock.clearTimer(job.timer);
    if (job.onAbort !== undefined) job.signal?.removeEventListener("abort", job.onAbort);
    return true;
  }

  private takeAll(queue: Queue<Job>): Job[] {
    const jobs = queue.toArray().filter((j) => j.state === "queued" || j.state === "waiting");
    queue.clear();
    return jobs;
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
