/**
 * @internal One iteration of `Task.asyncStream`: the items in flight, their processes, their
 * deadlines on one timer, and the order results are handed out in.
 */
import { type Clock, type TimerHandle, turnNow } from "../kernel/clock.js";
import type { ExitReason } from "../kernel/exit.js";
import { attachHook, ExitHook } from "../kernel/hooks.js";
import type { OptionsOutput } from "../kernel/options.js";
import type { Pid } from "../kernel/pid.js";
import { isThenable, type Process, type Self } from "../kernel/process.js";
import { Queue } from "../kernel/queue.js";
import { currentRuntime } from "../kernel/runtime.js";
import { TaskExitError, TaskTimeoutError } from "./errors.js";
import type { asyncStreamOptions, StreamFunction, StreamInput } from "./stream.js";
import type { TaskResult } from "./task.js";

const RUNNING = 0;
const OK = 1;
const EXITED = 2;
const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

/** One item's task: the hook on its process and its place in the run's lists. */
class Entry<R> extends ExitHook {
  state = RUNNING;
  value: R | undefined = undefined;
  reason: ExitReason = undefined;
  timedOut = false;
  pid: Pid | null = null;
  /** Neighbours in the run's list of running tasks, oldest first. */
  runPrev: Entry<R> | null = null;
  runNext: Entry<R> | null = null;

  /** When it must have finished, in the runtime clock's ms; set once its process exists. */
  deadline = Infinity;

  constructor(private readonly run: StreamRun<unknown, R>) {
    super();
  }

  onReturn(value: unknown): void {
    this.complete(value as R);
  }

  complete(value: R): void {
    if (this.state !== RUNNING) return;
    this.state = OK;
    this.value = value;
    this.run.settled(this);
  }

  onExit(_pid: Pid, reason: ExitReason): void {
    if (this.state !== RUNNING) return;
    this.state = EXITED;
    this.reason = this.timedOut ? "timeout" : reason;
    this.run.settled(this);
  }

  result(): TaskResult<R> {
    return this.state === OK
      ? { status: "ok", value: this.value as R }
      : { status: "exit", reason: this.reason };
  }
}

/**
 * One iteration of an async stream. Back-pressure: an item holds one of `maxConcurrency` slots
 * from the moment it is read from the input until its result is yielded, and a slot is refilled
 * only inside `next()`, so the input is read only as fast as the consumer takes results.
 */
export class StreamRun<I, R> implements AsyncIterableIterator<TaskResult<R>> {
  private source: Iterator<I> | AsyncIterator<I> | null = null;
  private isAsync = false;
  private exhausted = false;
  private pulling = false;
  private closed = false;
  /** Items read and not yet yielded. */
  private inFlight = 0;
  /** Ordered: every item in flight, in input order. Unordered: finished items, not yet yielded. */
  private readonly queue = new Queue<Entry<R>>(8);
  private runHead: Entry<R> | null = null;
  private runTail: Entry<R> | null = null;
  private waitResolve: ((result: IteratorResult<TaskResult<R>>) => void) | null = null;
  private waitReject: ((error: unknown) => void) | null = null;
  /** An error to throw from the next `next()`, once. */
  private failure: { error: unknown } | null = null;
  private timerArmed = false;
  private timer: TimerHandle = undefined;
  private readonly clock: Clock;
  private readonly max: number;
  private readonly ordered: boolean;
  private readonly timeout: number;
  private readonly killOnTimeout: boolean;
  private readonly spawner: ItemSpawner;
  private readonly exitsAsResults: boolean;

  constructor(
    private readonly owner: Process | null,
    private readonly input: StreamInput<I>,
    private readonly fn: StreamFunction<I, R>,
    options: OptionsOutput<typeof asyncStreamOptions>,
    mode: StreamMode,
  ) {
    this.spawner = mode.spawn ?? spawnFor(owner);
    this.exitsAsResults = mode.exitsAsResults === true;
    this.clock = currentRuntime().clock;
    this.max = options.maxConcurrency;
    this.ordered = options.ordered;
    this.timeout = options.timeout;
    this.killOnTimeout = options.onTimeout === "killTask";
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<TaskResult<R>>> {
    if (this.failure !== null) {
      const { error } = this.failure;
      this.failure = null;
      return Promise.reject(error);
    }
    if (this.closed) return Promise.resolve(DONE);
    if (this.waitResolve !== null) {
      return Promise.reject(
        new TypeError("Task.asyncStream: next() called before the last one settled"),
      );
    }
    if (this.source === null && !this.open()) return this.next();
    const entry = this.take();
    this.fill();
    if (entry !== null) return Promise.resolve({ done: false, value: entry.result() });
    if (this.failure !== null) return this.next();
    if (this.inFlight === 0 && this.exhausted) {
      this.close();
      return Promise.resolve(DONE);
    }
    return new Promise((resolve, reject) => {
      this.waitResolve = resolve;
      this.waitReject = reject;
    });
  }

  return(): Promise<IteratorResult<TaskResult<R>>> {
    this.close();
    this.failure = null;
    this.settleWait()?.resolve(DONE);
    return Promise.resolve(DONE);
  }

  /** @internal An entry's task finished, crashed or was killed. */
  settled(entry: Entry<R>): void {
    if (this.closed) return;
    this.unlinkRunning(entry);
    if (entry.state === EXITED && !entry.timedOut && !this.exitsAsResults) {
      this.fail(new TaskExitError(entry.pid as Pid, entry.reason));
      return;
    }
    if (!this.ordered) this.queue.push(entry);
    if (this.waitResolve !== null) this.deliver();
  }

  private open(): boolean {
    const input = this.input as Partial<AsyncIterable<I> & Iterable<I>>;
    try {
      const asyncIterator = input[Symbol.asyncIterator];
      if (typeof asyncIterator === "function") {
        this.isAsync = true;
        this.source = asyncIterator.call(input);
      } else {
        this.source = (input as Iterable<I>)[Symbol.iterator]();
      }
      return true;
    } catch (error) {
      this.fail(error);
      return false;
    }
  }

  /** The next result the consumer may have, taking it out of flight; `null` if none is ready. */
  private take(): Entry<R> | null {
    const head = this.queue.at(0);
    if (head === undefined || head.state === RUNNING) return null;
    this.queue.shift();
    this.inFlight--;
    return head;
  }

  /** Hands the waiting consumer a result, or the end. */
  private deliver(): void {
    const entry = this.take();
    if (entry !== null) {
      this.fill();
      this.settleWait()?.resolve({ done: false, value: entry.result() });
    } else if (this.inFlight === 0 && this.exhausted) {
      this.close();
      this.settleWait()?.resolve(DONE);
    }
  }

  /** Reads items and starts their tasks while slots are free. */
  private fill(): void {
    while (!this.closed && !this.exhausted && !this.pulling && this.inFlight < this.max) {
      if (this.isAsync) {
        this.pulling = true;
        let pulled: Promise<IteratorResult<I>>;
        try {
          pulled = (this.source as AsyncIterator<I>).next();
        } catch (error) {
          this.pulling = false;
          this.fail(error);
          return;
        }
        Promise.resolve(pulled).then(this.onPulled, this.onPullFailed);
        return;
      }
      try {
        const next = (this.source as Iterator<I>).next();
        if (next.done) this.exhausted = true;
        else this.start(next.value);
      } catch (error) {
        this.fail(error);
        return;
      }
    }
  }

  private readonly onPulled = (next: IteratorResult<I>): void => {
    this.pulling = false;
    if (this.closed) return;
    if (next.done) {
      this.exhausted = true;
      if (this.waitResolve !== null) this.deliver();
      return;
    }
    try {
      this.start(next.value);
    } catch (error) {
      this.fail(error);
      return;
    }
    this.fill();
  };

  private readonly onPullFailed = (error: unknown): void => {
    this.pulling = false;
    this.exhausted = true;
    this.fail(error);
  };

  private start(item: I): void {
    const entry = new Entry<R>(this as StreamRun<unknown, R>);
    this.inFlight++;
    if (this.ordered) this.queue.push(entry);
    const spawned = this.spawner(itemBody(this.fn, item), (process) => this.bind(entry, process));
    if (spawned !== undefined && isThenable(spawned)) spawned.then(undefined, this.onSpawnFailed);
  }

  /** The item's process exists and has not run yet: take its value and exit, start its clock. */
  private bind(entry: Entry<R>, process: Process): void {
    if (this.closed) {
      // A spawn that completes after the stream stopped: its result has nobody to go to.
      process.exitSignal(process.runtime.rootPid, "kill", false);
      return;
    }
    process.returns = entry;
    entry.pid = process.pid;
    attachHook(process, entry);
    // Processes are bound in start order, so the running list stays in deadline order.
    if (this.timeout !== Infinity) entry.deadline = turnNow(this.clock) + this.timeout;
    if (this.runTail === null) this.runHead = entry;
    else {
      this.runTail.runNext = entry;
      entry.runPrev = this.runTail;
    }
    this.runTail = entry;
    if (!this.timerArmed && this.timeout !== Infinity) this.arm(this.timeout);
  }

  private readonly onSpawnFailed = (error: unknown): void => this.fail(error);

  private unlinkRunning(entry: Entry<R>): void {
    const { runPrev, runNext } = entry;
    if (runPrev === null) this.runHead = runNext;
    else runPrev.runNext = runNext;
    if (runNext === null) this.runTail = runPrev;
    else runNext.runPrev = runPrev;
    entry.runPrev = null;
    entry.runNext = null;
  }

  /**
   * One timer serves every task: tasks start in deadline order, so it is set for the oldest
   * running task and moved on when it fires, instead of one timer per item.
   */
  private arm(ms: number): void {
    this.timerArmed = true;
    this.timer = this.clock.setTimer(ms, this.onTimer);
  }

  private readonly onTimer = (): void => {
    this.timerArmed = false;
    if (this.closed) return;
    const now = this.clock.now();
    for (let entry = this.runHead; entry !== null && entry.deadline <= now; entry = this.runHead) {
      if (!this.killOnTimeout) {
        this.fail(new TaskTimeoutError(entry.pid as Pid, this.timeout));
        return;
      }
      entry.timedOut = true;
      this.kill(entry);
      // Its exit hook takes it off the list; guard anyway, so this loop always advances.
      if (this.runHead === entry) this.unlinkRunning(entry);
    }
    if (this.runHead !== null) this.arm(this.runHead.deadline - now);
  };

  private kill(entry: Entry<R>): void {
    const pid = entry.pid as Pid;
    this.owner?.unlink(pid);
    const process = pid.process;
    if (process !== undefined) process.exitSignal(process.runtime.rootPid, "kill", false);
  }

  /** Ends the run with `error`: thrown from the pending `next()`, or from the next one. */
  private fail(error: unknown): void {
    if (this.closed) return;
    this.close();
    const wait = this.settleWait();
    if (wait !== null) wait.reject(error);
    else this.failure = { error };
  }

  /** Stops for good: kills the tasks still running and closes the input. */
  private close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.timerArmed) {
      this.timerArmed = false;
      this.clock.clearTimer(this.timer);
    }
    let entry = this.runHead;
    this.runHead = null;
    this.runTail = null;
    while (entry !== null) {
      const next = entry.runNext;
      entry.runPrev = null;
      entry.runNext = null;
      this.kill(entry);
      entry = next;
    }
    this.queue.clear();
    this.inFlight = 0;
    const source = this.source;
    if (source !== null && !this.exhausted && typeof source.return === "function") {
      this.exhausted = true;
      try {
        const closing = source.return();
        if (isThenable(closing)) closing.then(undefined, ignore);
      } catch {
        // The input failing to close must not hide why the stream stopped.
      }
    }
  }

  private settleWait(): {
    resolve: (result: IteratorResult<TaskResult<R>>) => void;
    reject: (error: unknown) => void;
  } | null {
    const resolve = this.waitResolve;
    const reject = this.waitReject;
    if (resolve === null || reject === null) return null;
    this.waitResolve = null;
    this.waitReject = null;
    return { resolve, reject };
  }
}

/**
 * @internal How a stream starts the process of one item: it spawns `body`, calls `bind` with the
 * new process before that process has run (so that its value and exit are not missed), and
 * returns a promise when the spawn completes later (a supervisor starting it). A rejection ends
 * the stream with that error.
 */
export type ItemSpawner = (
  body: (self: Self) => unknown,
  bind: (process: Process) => void,
) => PromiseLike<unknown> | undefined;

/**
 * @internal What a caller of {@link streamWith} changes about a stream: who spawns the items'
 * processes (default: the caller, linked to `owner` when there is one), and whether a crashed
 * item yields `{ status: "exit", reason }` instead of ending the stream with `TaskExitError`.
 */
export interface StreamMode {
  readonly spawn?: ItemSpawner | undefined;
  readonly exitsAsResults?: boolean | undefined;
}

function spawnFor(owner: Process | null): ItemSpawner {
  if (owner === null) {
    return (body, bind) => {
      bind(currentRuntime().spawnProcess(body, null));
      return undefined;
    };
  }
  return (body, bind) => {
    bind(owner.spawnLink(body).process as Process);
    return undefined;
  };
}

/** The process body of one item's task; a factory, so that each closure holds only its own. */
function itemBody<I, R>(fn: StreamFunction<I, R>, item: I): (self: Self) => unknown {
  return (self) => fn(item, self);
}

function ignore(): void {}
