/**
 * The demand of a ConsumerSupervisor on one producer, as GenStage's ConsumerSupervisor keeps it:
 * one event is one child, so demand is given back as children exit, not as events are handled.
 * A pure state machine: the supervisor process drives it.
 */

/**
 * One subscription of a ConsumerSupervisor: it asks `maxDemand` at first, counts a child alive
 * per event received, and once `minDemand` of them have exited (or failed to start) asks for that
 * many again. So at most `maxDemand` children started from this producer are alive at once.
 *
 * @example
 * ```ts
 * const demand = new ChildDemand(10, 5);
 * demand.initial(); // 10
 * demand.started(10); // 10 children alive
 * demand.exited(); // 0: wait for 5 exits
 * for (let i = 0; i < 3; i++) demand.exited();
 * demand.exited(); // 5: ask 5 more
 * ```
 */
export class ChildDemand {
  /** Children started from this producer's events and not exited yet (plus failed starts not yet counted back). */
  alive = 0;
  /** Children exited since the last ask: the demand to give back once it reaches `minDemand`. */
  freed = 0;
  /** Events received beyond what was asked (a misbehaving producer): their children still start. */
  excess = 0;

  constructor(
    readonly maxDemand: number,
    readonly minDemand: number,
  ) {}

  /** What to ask when the subscription starts. */
  initial(): number {
    return this.maxDemand;
  }

  /** `count` events arrived: one child each. */
  started(count: number): void {
    const alive = this.alive + count;
    const over = alive + this.freed - this.maxDemand;
    if (over > 0) this.excess += over;
    this.alive = alive;
  }

  /**
   * One child of this producer exited for good (not restarted), or its start failed or was
   * ignored; returns how many events to ask now (0: none yet).
   */
  exited(): number {
    if (this.alive === 0) return 0;
    this.alive--;
    if (this.excess > 0) {
      // A child that came in excess gives back no demand: it was never asked for.
      this.excess--;
      return 0;
    }
    const freed = this.freed + 1;
    // At least 1: with `minDemand` 0, each exit asks for one.
    if (freed >= this.minDemand) {
      this.freed = 0;
      return freed;
    }
    this.freed = freed;
    return 0;
  }
}
