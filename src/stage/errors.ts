import { BeamishError } from "../kernel/errors.js";

declare module "../kernel/errors.js" {
  interface BeamishErrorCodes {
    ERR_NOT_A_PRODUCER: NotAProducerError;
    ERR_NOT_A_CONSUMER: NotAConsumerError;
    ERR_STAGE_KIND: StageKindError;
  }
}

/**
 * A consumer subscribed to something that is not a producer: a consumer stage, or a process
 * that is no stage at all. `syncSubscribe` rejects with it; a subscription made otherwise is
 * cancelled with it as the reason.
 *
 * @example
 * ```ts
 * try { await GenStage.syncSubscribe(consumer, { to: otherConsumer }); }
 * catch (e) { if (isBeamishError(e, "ERR_NOT_A_PRODUCER")) console.log(String(e.target)); }
 * ```
 */
export class NotAProducerError extends BeamishError {
  readonly code = "ERR_NOT_A_PRODUCER";
  constructor(
    /** The pid or name subscribed to. */
    readonly target: unknown,
    /** What it is instead: `"consumer"` or `"process"` (not a stage). */
    readonly kind: "consumer" | "process",
  ) {
    super(
      `cannot subscribe to ${describeTarget(target)}: it is ${kind === "consumer" ? "a consumer stage" : "not a stage"}, not a producer`,
    );
  }
}

/**
 * `syncSubscribe` or `asyncSubscribe` was asked of a stage that cannot consume: a producer, or
 * a process that is no stage.
 *
 * @example
 * ```ts
 * await GenStage.syncSubscribe(producer, { to: other }); // rejects: ERR_NOT_A_CONSUMER
 * ```
 */
export class NotAConsumerError extends BeamishError {
  readonly code = "ERR_NOT_A_CONSUMER";
  constructor(
    readonly stage: unknown,
    readonly kind: "producer" | "process",
  ) {
    super(
      `${describeTarget(stage)} cannot subscribe to a producer: it is ${kind === "producer" ? "a producer stage" : "not a stage"}, not a consumer`,
    );
  }
}

/**
 * A callback returned something its stage's kind cannot do: events from a consumer, or a
 * producer-only request (`GenStage.demand`) sent to a consumer. The stage exits with it.
 *
 * @example
 * ```ts
 * handleEvents: (events, _from, state) => GenStage.emit(events, state) // in a consumer: exits
 * ```
 */
export class StageKindError extends BeamishError {
  readonly code = "ERR_STAGE_KIND";
  constructor(
    readonly kind: string,
    readonly what: string,
  ) {
    super(`a ${kind} stage cannot ${what}`);
  }
}

function describeTarget(target: unknown): string {
  if (typeof target === "string") return JSON.stringify(target);
  if (typeof target === "object" && target !== null && "via" in target) return "a via-name";
  return String(target);
}
