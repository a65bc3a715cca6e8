/** The failures of the RabbitMQ connector, as data. */
import { BeamishError } from "../../kernel/errors.js";
import { describeReason } from "../../kernel/exit.js";

declare module "../../kernel/errors.js" {
  interface BeamishErrorCodes {
    ERR_MALFORMED_MESSAGE: MalformedMessageError;
    ERR_CONSUMER_CANCELLED: ConsumerCancelledError;
    ERR_CONNECTION_LOST: ConnectionLostError;
  }
}

/**
 * A delivery whose body `decode` could not turn into data: its message fails (reason in
 * `message.status`) and is rejected without requeue, since another delivery would fail the
 * same way. @example `error.deliveryTag // 7`
 */
export class MalformedMessageError extends BeamishError {
  readonly code = "ERR_MALFORMED_MESSAGE";
  constructor(
    readonly queue: string,
    readonly deliveryTag: number,
    override readonly cause: unknown,
  ) {
    super(`a message of queue ${queue} could not be decoded: ${describeReason(cause)}`, { cause });
  }
}

/**
 * The broker cancelled the producer's consumer (its queue was deleted, or the node holding it
 * went down). Published on `beamish:pipeline:connection` with state `"down"`.
 * @example `error.queue // "orders"`
 */
export class ConsumerCancelledError extends BeamishError {
  readonly code = "ERR_CONSUMER_CANCELLED";
  constructor(readonly queue: string) {
    super(`the broker cancelled the consumer of queue ${queue}`);
  }
}

/**
 * The connection given in the `connection` option closed: the producer cannot reopen a
 * connection it does not own, so its stage exits with this reason.
 * @example `isBeamishError(reason, "ERR_CONNECTION_LOST")`
 */
export class ConnectionLostError extends BeamishError {
  readonly code = "ERR_CONNECTION_LOST";
  constructor(override readonly cause: unknown) {
    super(`the RabbitMQ connection given to the producer closed: ${describeReason(cause)}`, {
      cause,
    });
  }
}
