/**
 * The acknowledgement contract between a pipeline and the source of its messages. Every message
 * is acknowledged exactly once, as success or failure, in groups of one acknowledger and ref.
 */
import type { Message } from "./message.js";

/**
 * Acknowledges messages to their source: a broker connector acks or rejects deliveries, an
 * in-memory producer resolves promises. `ack` gets the messages of one `ackRef` that are done:
 * `successful` and `failed` (each failed message has its reason in `status`). It must not
 * throw; if it does, the error is reported and the messages count as acknowledged.
 *
 * @example
 * ```ts
 * const logAcks: Acknowledger = {
 *   name: "log",
 *   ack: (_ref, successful, failed) => console.log(successful.length, "ok", failed.length, "failed"),
 * };
 * ```
 */
export interface Acknowledger<Ref = unknown> {
  /** Names the acknowledger in errors and telemetry. */
  readonly name: string;
  ack(
    ref: Ref,
    successful: readonly Message[],
    failed: readonly Message[],
  ): void | PromiseLike<void>;
  /**
   * `Message.configureAck(options)`: returns the message's new `ackData`. Throws for options it
   * does not know.
   */
  configure?(ref: Ref, ackData: unknown, options: Readonly<Record<string, unknown>>): unknown;
}

/**
 * An acknowledger that does nothing, for messages whose source needs no acknowledgement.
 *
 * @example
 * ```ts
 * new Message({ id: 1 }, noopAcknowledger)
 * ```
 */
export const noopAcknowledger: Acknowledger = Object.freeze({
  name: "noop",
  ack(): void {},
});
