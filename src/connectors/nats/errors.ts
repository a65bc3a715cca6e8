/** The failures of the NATS JetStream connector, as data. */
import { BeamishError } from "../../kernel/errors.js";
import { describeReason } from "../../kernel/exit.js";

declare module "../../kernel/errors.js" {
  interface BeamishErrorCodes {
    ERR_MALFORMED_NATS_MESSAGE: MalformedNatsMessageError;
    ERR_JETSTREAM_SETUP: JetStreamSetupError;
    ERR_JETSTREAM_PULL: JetStreamPullError;
    ERR_NATS_CONNECTION_CLOSED: NatsConnectionClosedError;
  }
}

/**
 * A message whose payload `decode` could not turn into data: its message fails (reason in
 * `message.status`) and is terminated, since another delivery would fail the same way.
 * @example `error.streamSequence // 42`
 */
export class MalformedNatsMessageError extends BeamishError {
  readonly code = "ERR_MALFORMED_NATS_MESSAGE";
  constructor(
    readonly subject: string,
    readonly streamSequence: number,
    override readonly cause: unknown,
  ) {
    super(
      `the message ${streamSequence} of subject ${subject} could not be decoded: ${describeReason(cause)}`,
      { cause },
    );
  }
}

/**
 * The stream or the consumer cannot be used: the stream does not exist and no `streamConfig`
 * says how to create it, the consumer is a push consumer or does not acknowledge explicitly, or
 * the server refused to create them (`cause`).
 * @example `error.stream // "orders"`
 */
export class JetStreamSetupError extends BeamishError {
  readonly code = "ERR_JETSTREAM_SETUP";
  constructor(
    readonly address: string,
    readonly stream: string,
    readonly consumer: string,
    readonly problem: string,
    override readonly cause?: unknown,
  ) {
    super(
      `cannot consume ${stream}/${consumer} at ${address}: ${problem}${cause === undefined ? "" : ` (${describeReason(cause)})`}`,
      cause === undefined ? undefined : { cause },
    );
  }
}

/**
 * Pull requests failed `attempts` times in a row while connected (the consumer was deleted,
 * JetStream is unavailable): the producer stage exits with this reason, and its supervisor
 * restarts it. @example `error.attempts // 10`
 */
export class JetStreamPullError extends BeamishError {
  readonly code = "ERR_JETSTREAM_PULL";
  constructor(
    readonly stream: string,
    readonly consumer: string,
    readonly attempts: number,
    override readonly cause: unknown,
  ) {
    super(
      `${attempts} pull requests on ${stream}/${consumer} failed in a row: ${describeReason(cause)}`,
      { cause },
    );
  }
}

/**
 * The connection closed for good while the producer was consuming (a connection given in the
 * `connection` option that gave up reconnecting): the producer stage exits with this reason.
 * @example `isBeamishError(reason, "ERR_NATS_CONNECTION_CLOSED")`
 */
export class NatsConnectionClosedError extends BeamishError {
  readonly code = "ERR_NATS_CONNECTION_CLOSED";
  constructor(
    readonly address: string,
    override readonly cause: unknown,
  ) {
    super(
      `the NATS connection to ${address} closed${cause === undefined ? "" : `: ${describeReason(cause)}`}`,
      cause === undefined ? undefined : { cause },
    );
  }
}
