import { performance } from "node:perf_hooks";
import { Queue } from "./queue.js";

/** @internal What the scheduler runs: a process with work to do. */
export interface Runnable {
  queued: boolean;
  /** Runs one turn of at most `budget` messages; returns the work done, in messages. */
  run(budget: number): number;
}

/** Messages a process may handle in one turn before it goes to the back of the run queue. */
export const TURN_BUDGET = 500;
/** Milliseconds of work after which the scheduler yields to the event loop. */
export const TIME_SLICE_MS = 4;
/** Fast-path receives between two looks at the clock in {@link Scheduler.shouldYield}. */
const YIELD_CHECK_EVERY = 64;
/** Drains started by {@link Scheduler.enqueue} between two looks at the clock. */
const ENQUEUE_CHECK_EVERY = 8;
/**
 * Drains are chained on a settled promise: Node's `queueMicrotask` wraps each callback in an
 * async resource, which cost more than the drain of a one-message turn.
 */
const settled = Promise.resolve();

/**
 * @internal The run queue. Node cannot preempt, so fairness comes from two bounds: a process
 * handles at most {@link TURN_BUDGET} messages per turn, and after {@link TIME_SLICE_MS} of work
 * the next drain is a `setImmediate` instead of a microtask, which lets timers and I/O run.
 * The slice spans microtask drains too: a ping-pong of processes that wake each other through
 * promises would otherwise never leave the microtask queue.
 */
export class Scheduler {
  private readonly queue = new Queue<Runnable>(64);
  private drainPending = false;
  private sliceOpen = false;
  private sliceStart = 0;
  private sliceGeneration = 0;
  private sinceYieldCheck = 0;
  private sinceEnqueueCheck = 0;
  /** The current slice was seen spent: every drain until it closes waits for setImmediate. */
  private sliceSpent = false;

  /**
   * Puts `process` at the back of the run queue and makes sure a drain is coming. Processes that
   * wake each other through promises start a drain per message, so the clock is read only every
   * {@link ENQUEUE_CHECK_EVERY} of them: a spent slice runs at most that many more small drains.
   */
  enqueue(process: Runnable): void {
    process.queued = true;
    this.queue.push(process);
    if (!this.drainPending) {
      this.drainPending = true;
      if (this.sliceOpen && this.spentOnEnqueue()) setImmediate(this.drainAfterYield);
      else settled.then(this.drain);
    }
  }

  private spentOnEnqueue(): boolean {
    if (this.sliceSpent) return true;
    if (++this.sinceEnqueueCheck < ENQUEUE_CHECK_EVERY) return false;
    this.sinceEnqueueCheck = 0;
    return this.checkSpent();
  }

  /** Reads the clock: true (and remembered until the slice closes) once the slice is spent. */
  private checkSpent(): boolean {
    if (performance.now() - this.sliceStart > TIME_SLICE_MS) this.sliceSpent = true;
    return this.sliceSpent;
  }

  /**
   * True when the current slice is spent, so that a process able to go on at once (a receive
   * whose message is already in the mailbox) should queue for its turn instead: without this, it
   * would run from microtask to microtask and starve every other process, timer and I/O. Reads
   * the clock only once every {@link YIELD_CHECK_EVERY} calls.
   */
  shouldYield(): boolean {
    if (++this.sinceYieldCheck < YIELD_CHECK_EVERY) return false;
    this.sinceYieldCheck = 0;
    if (!this.sliceOpen) {
      this.openSlice();
      return false;
    }
    return this.sliceSpent || this.checkSpent();
  }

  /** Processes waiting for their turn. */
  get length(): number {
    return this.queue.length;
  }

  /** True while work is queued or a drain is scheduled. */
  get busy(): boolean {
    return this.drainPending || this.queue.length > 0;
  }

  private readonly drain = (): void => {
    if (!this.sliceOpen) this.openSlice();
    const queue = this.queue;
    let work = 0;
    while (queue.length > 0) {
      const process = queue.shift() as Runnable;
      process.queued = false;
      work += process.run(TURN_BUDGET);
      // Reading the clock costs more than a small turn: look only every 64 messages' worth.
      if (work >= 64) {
        work = 0;
        if (queue.length > 0 && (this.sliceSpent || this.checkSpent())) {
          setImmediate(this.drainAfterYield);
          return;
        }
      }
    }
    this.drainPending = false;
  };

  private readonly drainAfterYield = (): void => {
    this.sliceOpen = false;
    this.drain();
  };

  private openSlice(): void {
    this.sliceOpen = true;
    this.sliceSpent = false;
    this.sinceEnqueueCheck = 0;
    this.sliceStart = performance.now();
    const generation = ++this.sliceGeneration;
    // The slice ends when the event loop reaches its check phase: every microtask of this
    // macrotask has run by then.
    setImmediate(() => {
      if (this.sliceGeneration === generation) this.sliceOpen = false;
    });
  }
}
