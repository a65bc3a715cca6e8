/**
 * The producers' rate limiter: at most `allowedMessages` per window of `interval` ms, shared by
 * every producer stage of a pipeline. A window opens at the first message taken after the last
 * one closed, so an idle pipeline holds no timer. A pure state machine over a Clock.
 */
import type { Clock, TimerHandle } from "../kernel/clock.js";

/**
 * @example
 * ```ts
 * const limiter = new RateLimiter(100, 1000, systemClock);
 * limiter.take(150, () => console.log("more allowed")); // 100, then the callback after 1 s
 * ```
 */
export class RateLimiter {
  private remaining: number;
  private timer: TimerHandle | undefined;
  private waiters: (() => void)[] = [];

  constructor(
    readonly allowedMessages: number,
    readonly interval: number,
    private readonly clock: Clock,
  ) {
    this.remaining = allowedMessages;
  }

  /** What may still be taken in this window. */
  get available(): number {
    return this.remaining;
  }

  /**
   * Takes up to `wanted` messages from the window and returns how many. When that is less than
   * `wanted`, `onRefill` (if given) runs once when the next window opens.
   */
  take(wanted: number, onRefill?: () => void): number {
    const granted = Math.min(wanted, this.remaining);
    if (granted > 0) {
      this.remaining -= granted;
      this.arm();
    }
    if (granted < wanted && onRefill !== undefined) {
      this.waiters.push(onRefill);
      this.arm();
    }
    return granted;
  }

  /** Cancels the window's timer; waiters are dropped. */
  stop(): void {
    if (this.timer !== undefined) this.clock.clearTimer(this.timer);
    this.timer = undefined;
    this.waiters = [];
  }

  private arm(): void {
    if (this.timer !== undefined) return;
    this.timer = this.clock.setTimer(this.interval, () => this.refill());
  }

  private refill(): void {
    this.timer = undefined;
    this.remaining = this.allowedMessages;
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) waiter();
  }
}
