/**
 * @internal Settling deliveries on their channel: the channel link every message refers to (its
 * `ackRef`), the acknowledger that turns a group of finished messages into the fewest ack and
 * nack frames, and the counters users read with `producer.stats()`.
 */
import type { Acknowledger, Message } from "../../pipeline/index.js";
import { parseOptions } from "../../pipeline/index.js";
import type { AmqpChannel } from "./client.js";
import { ackOptionsSchema, type OnFailure } from "./options.js";
import { type Disposition, type SendFrame, TagWindow } from "./tag-window.js";

/**
 * What a RabbitMQ producer did so far, over all its stages.
 *
 * @example
 * ```ts
 * const { acked, lost, reconnections } = orders.stats();
 * ```
 */
export interface RabbitmqStats {
  /** Deliveries received from the broker. */
  delivered: number;
  /** Messages acknowledged (`basic.ack`). */
  acked: number;
  /** Failed messages requeued (`basic.nack` with requeue). */
  requeued: number;
  /** Failed messages rejected without requeue (dead-lettered where the queue says so). */
  rejected: number;
  /**
   * Messages finished after their channel was gone: they cannot be acknowledged, and the broker
   * delivers them again (a duplicate the handlers see twice).
   */
  lost: number;
  /** Connections or channels lost while consuming. */
  drops: number;
  /** Times a channel was open again after a drop. */
  reconnections: number;
  /** Times the broker cancelled a consumer. */
  consumerCancels: number;
  /** The prefetch of the latest consumer. */
  prefetch: number;
}

export function emptyStats(): RabbitmqStats {
  return {
    delivered: 0,
    acked: 0,
    requeued: 0,
    rejected: 0,
    lost: 0,
    drops: 0,
    reconnections: 0,
    consumerCancels: 0,
    prefetch: 0,
  };
}

/** One open channel and what was delivered and settled on it. */
export class ChannelLink {
  /** False once the channel closed: its deliveries can no longer be settled. */
  open = true;
  /** A consumer is started (or starting) on it. */
  consuming = false;
  delivered = 0;
  readonly window = new TagWindow();
  /** Consumer tags of the live consumers. */
  readonly consumers = new Set<string>();
  private readonly send: SendFrame;

  constructor(
    readonly channel: AmqpChannel,
    private readonly stats: RabbitmqStats,
  ) {
    this.send = (kind, deliveryTag, multiple, count) => {
      if (kind === "ack") channel.ack(deliveryTag, multiple);
      else channel.nack(deliveryTag, multiple, kind === "requeue");
      if (kind === "ack") stats.acked += count;
      else if (kind === "requeue") stats.requeued += count;
      else stats.rejected += count;
    };
  }

  /** Delivered and not settled with the broker yet (what fills the prefetch window). */
  get unsettled(): number {
    return this.delivered - this.window.settled;
  }

  /** The window of the latest consumer: a quarter of it may wait for a gap to close. */
  setPrefetch(prefetch: number): void {
    this.window.maxHeld = Math.floor(prefetch / 4);
  }

  /**
   * Settles the deliveries `codes` (see `TagWindow.encode`); `now` sends every frame at once
   * (what is settled outside the pipeline). Counts them lost when the channel is gone.
   */
  settle(codes: readonly number[], now = false): void {
    if (!this.open) {
      this.stats.lost += codes.length;
      return;
    }
    try {
      this.window.settle(codes, this.send);
      if (now) this.window.flush(this.send);
    } catch {
      // The channel closed under us (its close event is on its way): the broker requeues.
      this.close();
    }
  }

  /** Sends what is held back (the channel is about to close). */
  flush(): void {
    if (!this.open) return;
    try {
      this.window.flush(this.send);
    } catch {
      this.close();
    }
  }

  /**
   * The channel is gone: what the pipeline finished and no frame settled (held back, or whose
   * frame failed) cannot be acknowledged any more; the broker delivers it again.
   */
  close(): void {
    if (!this.open) return;
    this.open = false;
    this.stats.lost += this.window.accepted - this.window.settled;
  }
}

/** A message's `ackData` once `configureAck` set its own failure policy. */
export class ConfiguredAck {
  constructor(
    readonly deliveryTag: number,
    readonly onFailure: OnFailure,
  ) {}
}

/** A message's `ackData`: its delivery tag, or the tag with its own failure policy. */
export type AckData = number | ConfiguredAck;

const tagOf = (data: AckData): number => (typeof data === "number" ? data : data.deliveryTag);

/**
 * The acknowledger of one producer: successful messages are acked, failed ones requeued or
 * rejected per `onFailure` (the producer's, or the message's own from `configureAck`), in as
 * few frames as their delivery tags allow.
 *
 * A class rather than an object of closures: its methods are the same functions for every
 * producer, so that the pipeline's optimized code that inlined them outlives a producer (a
 * closure dying with its producer discards that code at the next full collection).
 */
class RabbitmqAcknowledger implements Acknowledger<ChannelLink> {
  readonly name = "rabbitmq";

  constructor(private readonly onFailure: OnFailure) {}

  ack(link: ChannelLink, successful: readonly Message[], failed: readonly Message[]): void {
    const total = successful.length + failed.length;
    const codes = new Array<number>(total);
    for (let i = 0; i < successful.length; i++) {
      codes[i] = TagWindow.encode(tagOf(successful[i]?.ackData as AckData), "ack");
    }
    for (let i = 0; i < failed.length; i++) {
      const data = failed[i]?.ackData as AckData;
      const kind: Disposition = typeof data === "number" ? this.onFailure : data.onFailure;
      codes[successful.length + i] = TagWindow.encode(tagOf(data), kind);
    }
    link.settle(codes);
  }

  configure(
    _link: ChannelLink,
    ackData: unknown,
    options: Readonly<Record<string, unknown>>,
  ): AckData {
    const parsed = parseOptions("message.configureAck", ackOptionsSchema, options);
    const data = ackData as AckData;
    if (parsed.onFailure === undefined) return data;
    return new ConfiguredAck(tagOf(data), parsed.onFailure);
  }
}

/** The acknowledger of one producer: see {@link RabbitmqAcknowledger}. */
export function rabbitmqAcknowledger(onFailure: OnFailure): Acknowledger<ChannelLink> {
  return new RabbitmqAcknowledger(onFailure);
}
