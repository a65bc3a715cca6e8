/** The errors of the Redis Streams connector. */
import { BeamishError, describeReason } from "../../kernel/index.js";

declare module "../../kernel/errors.js" {
  interface BeamishErrorCodes {
    ERR_MALFORMED_ENTRY: MalformedEntryError;
  }
}

/**
 * A stream entry that `decode` could not turn into data. The message carrying it is failed
 * with this reason (its data is the entry's fields): it skips `handleMessage`, reaches
 * `handleFailed`, and is then dead-lettered if `onFailure` has a dead-letter stream, else
 * acknowledged and dropped (never retried: it would fail the same way). The rest of the stream
 * goes on.
 *
 * @example
 * ```ts
 * if (isBeamishError(message.status.reason, "ERR_MALFORMED_ENTRY")) console.log(reason.id);
 * ```
 */
export class MalformedEntryError extends BeamishError {
  readonly code = "ERR_MALFORMED_ENTRY";
  constructor(
    readonly stream: string,
    readonly id: string,
    override readonly cause: unknown,
  ) {
    super(`${stream} entry ${id} could not be decoded: ${describeReason(cause)}`, { cause });
  }
}
