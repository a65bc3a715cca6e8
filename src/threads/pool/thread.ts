/**
 * One thread of a pool: its Worker, the task it runs (one at a time), and how it ended. The pool
 * decides; this only starts the Worker and turns its events into calls on its owner.
 */
import type { TransferListItem } from "node:worker_threads";
import { Worker } from "node:worker_threads";
import type { TimerHandle } from "../../kernel/clock.js";
import { bootstrapSource, threadData } from "./bootstrap.js";
import { READY, type ReplyMessage, type StartedMessage } from "./protocol.js";

/** A task between being accepted and being settled. */
export interface Job {
  readonly id: number;
  readonly module: string;
  readonly exportName: string;
  readonly args: readonly unknown[];
  readonly transfer: readonly TransferListItem[] | undefined;
  readonly timeout: number;
  /** `module#export`. */
  readonly key: string;
  readonly signal: AbortSignal | undefined;
  state: "waiting" | "queued" | "running" | "done";
  thread: PoolThread | null;
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
  /** The Worker exited; `expected` when the pool terminated it. */
  onExit(thread: PoolThread, exitCode: number, error: unknown): void;
}

export interface ThreadSettings {
  readonly reportHeap: boolean;
  readonly maxHeapMb: number | undefined;
  readonly execArgv: readonly string[] | undefined;
}

export class PoolThread {
  readonly worker: Worker;
  ready = false;
  job: Job | null = null;
  tasksDone = 0;
  /** `module#export` keys this thread has loaded: their tasks' timeouts start at once. */
  readonly loaded = new Set<string>();
  /** Heap in use after the last task, when the pool recycles on it. */
  heap = 0;
  /** Terminated by the pool (timeout, recycling, stop): its exit is no crash. */
  terminating = false;
  private error: unknown;

  constructor(
    private readonly owner: ThreadOwner,
    settings: ThreadSettings,
  ) {
    this.worker = new Worker(bootstrapSource, {
      eval: true,
      workerData: threadData(settings.reportHeap),
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

  /** Stops the Worker whatever it is doing; its exit still reaches the owner. */
  terminate(): void {
    if (this.terminating) return;
    this.terminating = true;
    void this.worker.terminate();
  }
}
