// Imported rather than the global: Node defines the global `performance` as a lazy getter, a
// function call on every read of the clock.
import { performance } from "node:perf_hooks";

/** An opaque handle for a timer set through a {@link Clock}. */
export type TimerHandle = unknown;

/**
 * Where every wait in beamish takes its time from: receive and call timeouts, `sendAfter`,
 * `sleep`, and the later layers' batch timeouts and rate limits. `beamish/testing` installs a
 * virtual clock so that time-based behaviour is tested deterministically without sleeping.
 *
 * @example
 * ```ts
 * const clock: Clock = systemClock;
 * const handle = clock.setTimer(100, () => console.log("100 ms later"));
 * clock.clearTimer(handle);
 * ```
 */
export interface Clock {
  /** Milliseconds on a monotonic scale. */
  now(): number;
  /** Calls `fn` once after `ms` milliseconds. */
  setTimer(ms: number, fn: () => void): TimerHandle;
  /** Cancels a timer that has not fired yet; a fired or cancelled one is ignored. */
  clearTimer(handle: TimerHandle): void;
}

/**
 * The real clock: `performance.now()` and Node's timers.
 *
 * @example
 * ```ts
 * systemClock.setTimer(10, () => console.log("tick"));
 * ```
 */
export const systemClock: Clock = {
  now: () => performance.now(),
  setTimer: (ms, fn) => (ms > MAX_TIMER_MS ? new LongTimer(ms, fn) : setTimeout(fn, ms)),
  clearTimer: (handle) => {
    if (handle instanceof LongTimer) handle.cancel();
    else clearTimeout(handle as ReturnType<typeof setTimeout>);
  },
};

let turnTime = -1;
const endTurn = (): void => {
  turnTime = -1;
};

/**
 * @internal `clock.now()` for deadlines set per item or per call, where a read of the system
 * clock costs as much as the rest of the item: the system clock is read once per turn of the
 * event loop (until its check phase), so such deadlines count from the start of the turn, as
 * Node's own timers count from the loop's cached time. Any other clock (the virtual one of
 * `beamish/testing`) is read every time.
 */
export function turnNow(clock: Clock): number {
  if (clock !== systemClock) return clock.now();
  if (turnTime < 0) {
    turnTime = performance.now();
    setImmediate(endTurn);
  }
  return turnTime;
}

/** Node fires a timer longer than this almost at once (with a warning), so longer ones chain. */
const MAX_TIMER_MS = 2_147_483_647;

class LongTimer {
  private timer: ReturnType<typeof setTimeout>;
  private readonly deadline: number;

  constructor(
    ms: number,
    private readonly fn: () => void,
  ) {
    this.deadline = performance.now() + ms;
    this.timer = setTimeout(this.step, MAX_TIMER_MS);
  }

  private readonly step = (): void => {
    const left = this.deadline - performance.now();
    if (left <= 0) this.fn();
    else this.timer = setTimeout(this.step, Math.min(left, MAX_TIMER_MS));
  };

  cancel(): void {
    clearTimeout(this.timer);
  }
}
