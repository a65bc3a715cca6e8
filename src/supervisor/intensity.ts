/**
 * Restart intensity, as OTP's: a supervisor may restart at most `maxRestarts` times within any
 * `maxSeconds` window; the restart that goes past makes it give up. A pure state machine: time is
 * passed in (the runtime clock's ms), so it is tested without processes or clocks.
 */

/**
 * Counts restarts within a sliding window. A restart at time `t` counts while
 * `now - t <= maxSeconds * 1000` (the window is closed at both ends, as OTP's, which compares
 * whole seconds). With `maxRestarts: 3, maxSeconds: 5`, restarts at 0, 1000 and 2000 ms are
 * allowed, and a fourth at 5000 ms is one too many; at 5001 ms the first has left the window.
 *
 * @example
 * ```ts
 * const intensity = new RestartIntensity(1, 5);
 * intensity.add(0); // true: the first restart is allowed
 * intensity.add(4000); // false: a second one within 5 s is one too many
 * ```
 */
export class RestartIntensity {
  /** Times of the restarts still in the window, oldest first. */
  private times: number[] = [];

  constructor(
    readonly maxRestarts: number,
    readonly maxSeconds: number,
  ) {}

  /**
   * Records a restart at `now` (ms) and returns whether it is allowed: false when it makes more
   * than `maxRestarts` restarts within the window, and the supervisor must give up.
   */
  add(now: number): boolean {
    const threshold = now - this.maxSeconds * 1000;
    let drop = 0;
    while (drop < this.times.length && (this.times[drop] as number) < threshold) drop++;
    if (drop > 0) this.times.splice(0, drop);
    this.times.push(now);
    // Never more than one past the limit is worth keeping.
    if (this.times.length > this.maxRestarts + 1) this.times.shift();
    return this.times.length <= this.maxRestarts;
  }

  /** How many restarts of the window ending at `now` are recorded. */
  count(now: number): number {
    const threshold = now - this.maxSeconds * 1000;
    return this.times.filter((t) => t >= threshold).length;
  }
}
