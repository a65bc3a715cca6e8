/** The errors of pipelines: each with a stable code and its payload. */
import { BeamishError, type InvalidArgumentError } from "../kernel/errors.js";
import { describeReason } from "../kernel/exit.js";

declare module "../kernel/errors.js" {
  interface BeamishErrorCodes {
    ERR_INVALID_OPTIONS: InvalidOptionsError;
    ERR_ACK: AckError;
    ERR_UNKNOWN_BATCHER: UnknownBatcherError;
    ERR_PIPELINE_STOPPING: PipelineStoppingError;
    ERR_PRODUCER_OVERFLOW: ProducerOverflowError;
  }
}

/**
 * Several options are bad at once: `errors` holds one `InvalidArgumentError` per bad option,
 * and the message one line per error, each ``invalid value for `PATH`: expected ..., got ...``.
 *
 * @example
 * ```ts
 * try {
 *   await Pipeline.start(definition);
 * } catch (e) {
 *   if (isBeamishError(e, "ERR_INVALID_OPTIONS")) for (const bad of e.errors) console.log(bad.path);
 * }
 * ```
 */
export class InvalidOptionsError extends BeamishError {
  readonly code = "ERR_INVALID_OPTIONS";
  constructor(
    readonly where: string,
    readonly errors: readonly InvalidArgumentError[],
  ) {
    super(
      `${where}: ${errors.length === 1 ? "an invalid option" : `${errors.length} invalid options`}\n  ${errors.map((e) => e.message).join("\n  ")}`,
    );
  }
}

/** An acknowledger threw or rejected; reported, never thrown into the stage. @example `e.acknowledger // "rabbitmq"` */
export class AckError extends BeamishError {
  readonly code = "ERR_ACK";
  constructor(
    readonly acknowledger: string,
    override readonly cause: unknown,
  ) {
    super(`acknowledger ${acknowledger} failed: ${describeReason(cause)}`, { cause });
  }
}

/**
 * The failure reason of a message routed to a batcher the pipeline does not have.
 *
 * @example
 * ```ts
 * if (isBeamishError(message.status.reason, "ERR_UNKNOWN_BATCHER")) console.log(message.status.reason.batcher);
 * ```
 */
export class UnknownBatcherError extends BeamishError {
  readonly code = "ERR_UNKNOWN_BATCHER";
  constructor(
    readonly batcher: string,
    readonly known: readonly string[],
  ) {
    super(
      `no batcher named ${JSON.stringify(batcher)}: the pipeline has ${known.length === 0 ? "no batchers" : known.map((k) => JSON.stringify(k)).join(", ")}`,
    );
  }
}

/** `push` on a producer of a pipeline that is stopping or stopped. @example `e.code // "ERR_PIPELINE_STOPPING"` */
export class PipelineStoppingError extends BeamishError {
  readonly code = "ERR_PIPELINE_STOPPING";
  constructor(readonly pipeline: string) {
    super(`pipeline ${pipeline} is stopping: it takes no more messages`);
  }
}

/**
 * A producer emitted more messages than were demanded. They are kept and sent as demand comes
 * (nothing is lost), and this error is reported once per producer stage.
 *
 * @example
 * ```ts
 * setLogger({ crash: (r) => { if (isBeamishError(r.error, "ERR_PRODUCER_OVERFLOW")) console.warn(r.error.message); } });
 * ```
 */
export class ProducerOverflowError extends BeamishError {
  readonly code = "ERR_PRODUCER_OVERFLOW";
  constructor(
    readonly producer: string,
    readonly emitted: number,
    readonly demanded: number,
  ) {
    super(
      `producer ${producer} emitted ${emitted} messages with ${demanded} demanded; the surplus waits for demand`,
    );
  }
}
