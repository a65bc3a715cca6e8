/** The ways a broadcast or partition dispatcher refuses a subscription. */
import { BeamishError, formatValue } from "../kernel/errors.js";
import type { Pid } from "../kernel/pid.js";

declare module "../kernel/errors.js" {
  interface BeamishErrorCodes {
    ERR_ALREADY_SUBSCRIBED: AlreadySubscribedError;
    ERR_PARTITION_TAKEN: PartitionTakenError;
  }
}

/**
 * A consumer subscribed a second time to a producer with a `BroadcastDispatcher`: it would get
 * every event twice, so the subscription is refused (as in GenStage). `pid` is the consumer.
 *
 * @example
 * ```ts
 * await GenStage.syncSubscribe(consumer, { to: broadcaster }).catch((e) => {
 *   if (isBeamishError(e, "ERR_ALREADY_SUBSCRIBED")) console.log(String(e.pid));
 * });
 * ```
 */
export class AlreadySubscribedError extends BeamishError {
  readonly code = "ERR_ALREADY_SUBSCRIBED";
  constructor(readonly pid: Pid) {
    super(`${pid} is already subscribed to this broadcast producer`);
  }
}

/**
 * A consumer subscribed to a partition of a `PartitionDispatcher` that another subscriber holds:
 * one partition has one subscriber, which is what keeps its events in order. `partition` is the
 * name asked for, `holder` the consumer holding it.
 *
 * @example
 * ```ts
 * await GenStage.syncSubscribe(second, { to: producer, partition: 0 }).catch((e) => {
 *   if (isBeamishError(e, "ERR_PARTITION_TAKEN")) console.log(e.partition, String(e.holder));
 * });
 * ```
 */
export class PartitionTakenError extends BeamishError {
  readonly code = "ERR_PARTITION_TAKEN";
  constructor(
    readonly partition: string | number,
    readonly holder: Pid,
  ) {
    super(`partition ${formatValue(partition)} is already taken by ${holder}`);
  }
}
