import type { Clock, TimerHandle } from "../kernel/index.js";

interface VirtualTimer {
  readonly due: number;
  readonly seq: number;
  readonly fn: () => void;
  cancelled: boolean;
}

/**
 * A clock that moves only when the test says so. Install it in a runtime (`withRuntime` does by
 * default) and every timer in beamish uses it: receive and call timeouts, `sleep`, `sendAfter`.
 * Timers due at the same instant fire in the order they were set.
 *
 * @example
 * ```ts
 * const clock = new VirtualClock();
 * clock.setTimer(100, () => console.log("fired"));
 * await clock.advance(100); // prints "fired", and lets the processes it woke run
 * ```
 */
export class VirtualClock implements Clock {
  private time = 0;
  private seq = 0;
  private readonly timers: VirtualTimer[] = [];

  /** Runs after each firing so that woken processes settle; `withRuntime` sets it. */
  settle: () => Promise<void> = () => new Promise((resolve) => setImmediate(resolve));

  now(): number {
    return this.time;
  }

  setTimer(ms: number, fn: () => void): TimerHandle {
    const timer: VirtualTimer = {
      due: this.time + Math.max(0, ms),
      seq: this.seq++,
      fn,
      cancelled: false,
    };
    // Binary insertion keeps the earliest (due, seq) last, so firing pops from the end.
    let lo = 0;
    let hi = this.timers.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const other = this.timers[mid] as VirtualTimer;
      if (other.due > timer.due || (other.due === timer.due && other.seq > timer.seq)) lo = mid + 1;
      else hi = mid;
    }
    this.timers.splice(lo, 0, timer);
    return timer;
  }

  clearTimer(handle: TimerHandle): void {
    const timer = handle as VirtualTimer | undefined;
    if (timer !== undefined && typeof timer === "object") timer.cancelled = true;
  }

  /** Timers set and not yet fired or cancelled. */
  get pendingTimers(): number {
    return this.timers.filter((t) => !t.cancelled).length;
  }

  /** Milliseconds until the next timer, or `undefined` when none is set. */
  nextTimerIn(): number | undefined {
    this.dropCancelled();
    const next = this.timers[this.timers.length - 1];
    return next === undefined ? undefined : next.due - this.time;
  }

  /**
   * Moves time forward by `ms`, firing each timer that falls due in order, at its own instant,
   * and letting the processes it wakes run before the next one fires. With `until`, stops as soon
   * as it returns true after a firing.
   */
  async advance(ms: number, until?: () => boolean): Promise<void> {
    if (!(ms >= 0 && Number.isFinite(ms))) {
      throw new RangeError(`invalid value for \`ms\`: expected a non-negative number, got ${ms}`);
    }
    const target = this.time + ms;
    await this.settle();
    for (;;) {
      if (until?.()) return;
      this.dropCancelled();
      const next = this.timers[this.timers.length - 1];
      if (next === undefined || next.due > target) break;
      this.timers.pop();
      this.time = next.due;
      next.fn();
      await this.settle();
    }
    this.time = target;
  }

  /** Fires timers until none is left (at most `limit`), advancing time to each. */
  async runAll(limit = 10_000): Promise<void> {
    for (let i = 0; i < limit; i++) {
      const wait = this.nextTimerIn();
      if (wait === undefined) return;
      await this.advance(wait);
    }
    throw new Error(
      `VirtualClock.runAll: still ${this.pendingTimers} timers after ${limit} firings`,
    );
  }

  private dropCancelled(): void {
    while (
      this.timers.length > 0 &&
      (this.timers[this.timers.length - 1] as VirtualTimer).cancelled
    ) {
      this.timers.pop();
    }
  }
}
