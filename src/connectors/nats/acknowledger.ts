/**
 * @internal Settling JetStream messages: the acknowledger that acks what succeeded and naks or
 * terminates what failed, and the counters users read with `producer.stats()`.
 */
import type { Acknowledger, Message } from "../../pipeline/index.js";
import { parseOptions } from "../../pipeline/index.js";
import type { JetStreamDelivery } from "./client.js";
import { ConfiguredAck, deliveryOf } from "./delivery.js";
import { ackOptionsSchema, type OnFailure } from "./options.js";

/** What a NATS producer did so far, over all its stages. */
export interface NatsStats {
  /** Messages delivered by pull requests. */
  delivered: number;
  /** Messages acknowledged (`+ACK`). */
  acked: number;
  /** Failed messages nak'ed (`-NAK`): delivered again, after `nakDelay`. */
  naked: number;
  /** Failed messages terminated (`+TERM`): never delivered again. */
  terminated: number;
  /**
   * Messages finished after the connection closed: their acknowledgement could not be sent, and
   * the server delivers them again once `ack_wait` runs out (a duplicate the handlers see twice).
   */
  lost: number;
  /**
   * Messages given back unhandled (nak'ed at once): prefetched and never demanded, delivered
   * while the producer was stopping, or still unsettled when its stage exited.
   */
  returned: number;
  /**
   * Messages given up on: in the pipeline longer than the consumer's `ack_wait` (or, with
   * in-progress signals, than `inProgressLimit`), no longer counted nor signalled; the server
   * delivers them again. A processor that crashed loses what it held this way.
   */
  released: number;
  /** In-progress signals sent (`+WPI`, see `inProgressEvery`). */
  inProgress: number;
  /** Pull requests made. */
  pulls: number;
  /** Pull requests that ended with an error. */
  pullFailures: number;
  /** Times the connection went down while consuming. */
  drops: number;
  /** Times it came back. */
  reconnections: number;
  /** Delivered and not settled yet: emitted and in the pipeline, or waiting for demand. */
  unsettled: number;
}

export function emptyStats(): NatsStats {
  return {
    delivered: 0,
    acked: 0,
    naked: 0,
    terminated: 0,
    lost: 0,
    returned: 0,
    released: 0,
    inProgress: 0,
    pulls: 0,
    pullFailures: 0,
    drops: 0,
    reconnections: 0,
    unsettled: 0,
  };
}

/** What a message's `ackRef` is: the producer stage that emitted it. */
export interface AckRef {
  /** These of its messages were settled (or could not be, the connection being closed). */
  settled(messages: readonly Message[]): void;
}

/** How failed messages settle unless `configureAck` says otherwise. */
export interface FailureDefaults {
  readonly onFailure: OnFailure;
  readonly nakDelay: number;
}

/**
 * The acknowledger of a NATS producer. JetStream acknowledges each message on its own (an ack
 * is one small publish to the message's reply subject, buffered and written with its
 * neighbours); acks are not tied to a connection, so those of messages delivered before a
 * reconnection still count. Only a closed connection loses them.
 *
 * A class rather than an object of closures: its methods are the same functions for every
 * producer, so that the pipeline's optimized code that inlined them outlives a producer (a
 * closure dying with its producer discards that code at the next full collection).
 */
class NatsAcknowledger implements Acknowledger<AckRef> {
  readonly name = "nats";

  constructor(
    private readonly defaults: FailureDefaults,
    private readonly stats: NatsStats,
  ) {}

  ack(ref: AckRef, successful: readonly Message[], failed: readonly Message[]): void {
    const stats = this.stats;
    for (const message of successful) {
      try {
        deliveryOf(message.ackData).ack();
        stats.acked++;
      } catch {
        stats.lost++;
      }
    }
    for (const message of failed) {
      try {
        this.settleFailed(deliveryOf(message.ackData), message.ackData);
      } catch {
        stats.lost++;
      }
    }
    ref.settled(successful);
    ref.settled(failed);
  }

  configure(
    _ref: AckRef,
    ackData: unknown,
    options: Readonly<Record<string, unknown>>,
  ): ConfiguredAck {
    const parsed = parseOptions("message.configureAck", ackOptionsSchema, options);
    const current = ackData instanceof ConfiguredAck ? ackData : undefined;
    return new ConfiguredAck(
      deliveryOf(ackData),
      parsed.onFailure ?? current?.onFailure,
      parsed.nakDelay ?? current?.nakDelay,
    );
  }

  private settleFailed(delivery: JetStreamDelivery, ackData: unknown): void {
    let onFailure = this.defaults.onFailure;
    let nakDelay = this.defaults.nakDelay;
    if (ackData instanceof ConfiguredAck) {
      onFailure = ackData.onFailure ?? onFailure;
      nakDelay = ackData.nakDelay ?? nakDelay;
    }
    if (onFailure === "term") {
      delivery.term();
      this.stats.terminated++;
    } else {
      delivery.nak(nakDelay > 0 ? nakDelay : undefined);
      this.stats.naked++;
    }
  }
}

/** The acknowledger of a NATS producer: see {@link NatsAcknowledger}. */
export function natsAcknowledger(
  defaults: FailureDefaults,
  stats: NatsStats,
): Acknowledger<AckRef> {
  return new NatsAcknowledger(defaults, stats);
}
