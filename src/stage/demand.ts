/**
 * A consumer's demand on one subscription, as GenStage keeps it: ask `maxDemand` at first, hand
 * the events to `handleEvents` in batches of at most `maxDemand - minDemand`, and once the
 * events still due from the producer fall to `minDemand`, ask for enough to be owed `maxDemand`
 * again. A pure state machine: the consumer process drives it.
 */

/**
 * The demand of one automatic subscription.
 *
 * @example
 * ```ts
 * const demand = new SubscriptionDemand(10, 5);
 * demand.initial(); // 10: ask that at subscription
 * demand.batchSize; // 5: hand events to handleEvents 5 at a time
 * demand.received(5); // 5: after handling them, ask 5 more (5 due <= minDemand)
 * ```
 */
export class SubscriptionDemand {
  /** Events the producer may still send: asked and not yet received. */
  due = 0;
  /** Events received beyond what was asked (a misbehaving producer); they are still handled. */
  excess = 0;

  constructor(
    readonly maxDemand: number,
    readonly minDemand: number,
  ) {}

  /** The largest batch `handleEvents` gets on this subscription. */
  get batchSize(): number {
    return this.maxDemand - this.minDemand;
  }

  /** What to ask when the subscription starts. */
  initial(): number {
    this.due = this.maxDemand;
    return this.maxDemand;
  }

  /**
   * Accounts a batch of `count` events (at most {@link batchSize}) just taken from the producer;
   * returns how many to ask once they are handled (0: none yet).
   */
  received(count: number): number {
    let due = this.due - count;
    if (due < 0) {
      this.excess -= due;
      due = 0;
    }
    if (due <= this.minDemand) {
      this.due = this.maxDemand;
      return this.maxDemand - due;
    }
    this.due = due;
    return 0;
  }
}
