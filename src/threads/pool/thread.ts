/**
 * One thread of a pool: its Worker, the claims on the tasks it holds, and how it ended. The pool
 * decides; this only starts the Worker, sends tasks and turns its events into calls on its owner.
 */
import type { TransferListItem } from "node:worker_threads";
import { Worker } from "node:worker_threads";
import type { TimerHandle } from "../../kernel/clock.js";
import { bootstrapSource, threadData } from "./bootstrap.js";
import {
  DONE,
  PENDING,
  READY,
  type ReplyMessage,
  STARTED,
  type StartedMessage,
  TAKEN,
  type TaskMessage,
} from "./protocol.js";

/** A task between being accepted and being settled. */
export interface Job {
  readonly id: number;
  readonly module: string;
  readonly exportName: string;
  /** The function's number in the pool. */
  readonly fn: number;
  readonly args: readonly unknown[];
  readonly transfer: readonly TransferListItem[] | undefined;
  readonly timeout: number;
  readonly signal: AbortSignal | undefined;
  /** Settled: its caller has its value or its failure. */
  done: boolean;
  /** The thread holding it, and its claim cell there. */
  thread: PoolThread | null;
  cell: number;
  timer: TimerHandle | undefined;
  onAbort: (() => void) | undefined;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/** What a thread tells its pool. */
export interface ThreadOwner {
  onReady(thread: PoolThread): void;
  onReply(thread: PoolThread, message: ReplyMessage): void;
  onStarted(thread: PoolThread, id: number): void;
  onExit(thread: PoolThread, exitCode: number, error: unknown): void;
}

export interface ThreadSettings {
  readonly reportHeap: boolean;
  readonly maxHeapMb: number | undefined;
  readonly execArgv: readonly string[] | undefined;
  readonly tasksPerThread: number;
}

export class PoolThread {
  readonly worker: Worker;
  ready = false;
  /** Functions (pool numbers) this thread has been sent, and those it has loaded. */
  private readonly known = new Set<number>();
  readonly loaded = new Set<number>();
  /** Heap in use after the last task, when the pool recycles on it. */
  heap = 0;
  /** Terminated by the pool (timeout, cancellation, recycling, stop): its exit is no crash. */
  terminating = false;
  private readonly claims: Int32Array;
  private sent = 0;
  private error: unknown;

  constructor(
    private readonly owner: ThreadOwner,
    settings: ThreadSettings,
  ) {
    this.claims = new Int32Array(new SharedArrayBuffer(4 * settings.tasksPerThread));
    this.worker = new Worker(bootstrapSource, {
      eval: true,
      workerData: threadData(settings.reportHeap, this.claims),
      ...(settings.execArgv === undefined ? {} : { execArgv: [...settings.execArgv] }),
      ...(settings.maxHeapMb === undefined
        ? {}
        : { resourceLimits: { maxOldGenerationSizeMb: settings.maxHeapMb } }),
    });
    this.worker.on("message", (message: ReplyMessage | StartedMessage | typeof READY) => {
      if (message === READY) {
        this.ready = true;
        this.owner.onReady(this);
      } else if ("started" in message) {
        this.owner.onStarted(this, message.started);
      } else {
        this.owner.onReply(this, message);
      }
    });
    this.worker.on("error", (error) => {
      this.error = error;
    });
    this.worker.on("exit", (code) => this.owner.onExit(this, code, this.error));
  }

  /** Posts `job` (throws, sending nothing, when its arguments do not clone). */
  send(job: Job): void {
    const cell = this.sent % this.claims.length;
    Atomics.store(this.claims, cell, PENDING);
    const message: TaskMessage = this.known.has(job.fn)
      ? { id: job.id, fn: job.fn, args: job.args }
      : {
          id: job.id,
          fn: job.fn,
          module: job.module,
          exportName: job.exportName,
          args: job.args,
        };
    if (job.transfer === undefined) this.worker.postMessage(message);
    else this.worker.postMessage(message, job.transfer as TransferListItem[]);
    this.known.add(job.fn);
    job.thread = this;
    job.cell = cell;
    this.sent++;
  }

  /**
   * Takes `job` back from the thread; returns where it was: `PENDING` (it will never run),
   * `STARTED` (it runs, and the thread will start nothing more: terminate it), `DONE` (its
   * answer is on its way) or `TAKEN` (taken back before).
   */
  takeBack(job: Job): number {
    for (;;) {
      const state = Atomics.load(this.claims, job.cell);
      if (state === DONE || state === TAKEN) return state;
      if (Atomics.compareExchange(this.claims, job.cell, state, TAKEN) === state) return state;
    }
  }

  /** Takes `job` back only if it has not started: true when it never runs. */
  takeBackPending(job: Job): boolean {
    return Atomics.compareExchange(this.claims, job.cell, PENDING, TAKEN) === PENDING;
  }

  /** Whether `job` was taken back (it is answered `skipped`, or never if the thread is gone). */
  isTaken(job: Job): boolean {
    return Atomics.load(this.claims, job.cell) === TAKEN;
  }

  /** Whether `job` runs now (the thread claimed it and has not finished it). */
  isRunning(job: Job): boolean {
    return Atomics.load(this.claims, job.cell) === STARTED;
  }

  /** Stops the Worker whatever it is doing; its exit still reaches the owner. */
  terminate(): void {
    if (this.terminating) return;
    this.terminating = true;
    void this.worker.terminate();
  }
}
