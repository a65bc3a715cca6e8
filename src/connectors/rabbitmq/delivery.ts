/**
 * @internal A delivery as a pipeline message: its body decoded into `data`, what the broker
 * said about it in `metadata`, its channel as `ackRef` and its delivery tag as `ackData`.
 */
import { type Acknowledger, Message } from "../../pipeline/index.js";
import { type ChannelLink, ConfiguredAck } from "./acknowledger.js";
import type { Delivery } from "./client.js";
import { MalformedMessageError } from "./errors.js";
import type { ParsedOptions } from "./options.js";

/**
 * What a RabbitMQ message's `metadata` holds.
 *
 * `deliveryCount` is 1 on a first delivery. Quorum queues count deliveries in the
 * `x-delivery-count` header (the earlier ones, so the count is the header plus one); on other
 * queues the broker only says whether the delivery is a redelivery, so the count is 2 for any
 * redelivery.
 *
 * @example
 * ```ts
 * const { deliveryCount, routingKey } = message.metadata as RabbitmqMetadata;
 * ```
 */
export type RabbitmqMetadata = {
  readonly deliveryTag: number;
  readonly redelivered: boolean;
  readonly deliveryCount: number;
  readonly headers: Readonly<Record<string, unknown>>;
  readonly routingKey: string;
  readonly exchange: string;
  readonly messageId: string | undefined;
  readonly contentType: string | undefined;
};

const NO_HEADERS: Readonly<Record<string, unknown>> = Object.freeze({});

export type Decode<T> = (content: Buffer, delivery: Delivery) => T;

/** The decoder `decode` names, or the user's own. */
export function decoder<T>(decode: ParsedOptions["decode"]): Decode<T> {
  if (typeof decode === "function") return decode as Decode<T>;
  if (decode === "raw") return (content) => content as T;
  if (decode === "text") return (content) => content.toString("utf8") as T;
  return (content) => JSON.parse(content.toString("utf8")) as T;
}

export function deliveryCount(delivery: Delivery): number {
  const counted = delivery.properties.headers?.["x-delivery-count"];
  if (typeof counted === "number") return counted + 1;
  return delivery.fields.redelivered ? 2 : 1;
}

/** Wraps one delivery; a body that does not decode gives a message failed for it, to reject. */
export function toMessage<T>(
  delivery: Delivery,
  link: ChannelLink,
  acknowledger: Acknowledger<ChannelLink>,
  decode: Decode<T>,
  queue: string,
): Message<T> {
  const { fields, properties } = delivery;
  const messageId = properties.messageId;
  const contentType = properties.contentType;
  const metadata: RabbitmqMetadata = {
    deliveryTag: fields.deliveryTag,
    redelivered: fields.redelivered,
    deliveryCount: deliveryCount(delivery),
    headers: properties.headers ?? NO_HEADERS,
    routingKey: fields.routingKey,
    exchange: fields.exchange,
    messageId: typeof messageId === "string" ? messageId : undefined,
    contentType: typeof contentType === "string" ? contentType : undefined,
  };
  let data: T;
  try {
    data = decode(delivery.content, delivery);
  } catch (error) {
    // Another delivery would fail the same way: rejected, whatever `onFailure` says.
    const ackData = new ConfiguredAck(fields.deliveryTag, "reject");
    const message = new Message<T>(undefined as T, acknowledger, link, ackData, metadata);
    return message.fail(new MalformedMessageError(queue, fields.deliveryTag, error));
  }
  return new Message(data, acknowledger, link, fields.deliveryTag, metadata);
}
