/**
 * @internal From a JetStream delivery to a pipeline message: its data (decoded) and its metadata.
 */
import type { Acknowledger } from "../../pipeline/index.js";
import { Message } from "../../pipeline/index.js";
import type { DeliveryHeaders, JetStreamDelivery } from "./client.js";
import { MalformedNatsMessageError } from "./errors.js";
import type { Decode, OnFailure } from "./options.js";

/**
 * What a NATS message's `metadata` holds.
 *
 * @example
 * ```ts
 * handleMessage: (_processor, message) => {
 *   const { deliveryCount, subject } = message.metadata as NatsMetadata;
 *   if (deliveryCount > 3) console.warn(`${subject}: delivery ${deliveryCount}`);
 *   return message;
 * }
 * ```
 */
export type NatsMetadata = {
  readonly subject: string;
  readonly stream: string;
  readonly consumer: string;
  readonly streamSequence: number;
  readonly deliverySequence: number;
  /** 1 on the first delivery; more when the server delivers it again (nak, `ack_wait` ran out). */
  readonly deliveryCount: number;
  /** `deliveryCount > 1`. */
  readonly redelivered: boolean;
  /** Messages left for the consumer when this one was delivered. */
  readonly pending: number;
  /** When the message was stored, in ms since the epoch. */
  readonly timestamp: number;
  /** The message's headers; a header given several values has them joined with `", "`. */
  readonly headers: Readonly<Record<string, string>>;
};

const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze({});

function headersOf(headers: DeliveryHeaders | undefined): Readonly<Record<string, string>> {
  if (headers === undefined) return NO_HEADERS;
  const out: Record<string, string> = {};
  for (const key of headers.keys()) out[key] = headers.values(key).join(", ");
  return out;
}

/** @internal The metadata of `delivery`. */
export function metadataOf(delivery: JetStreamDelivery): NatsMetadata {
  const info = delivery.info;
  return {
    subject: delivery.subject,
    stream: info.stream,
    consumer: info.consumer,
    streamSequence: info.streamSequence,
    deliverySequence: info.deliverySequence,
    deliveryCount: info.deliveryCount,
    redelivered: info.deliveryCount > 1,
    pending: info.pending,
    timestamp: Math.floor(info.timestampNanos / 1e6),
    headers: headersOf(delivery.headers),
  };
}

const utf8 = new TextDecoder();

/** @internal The function `decode` names. */
export function decoder<T>(decode: "json" | "text" | "raw" | Decode<T>): Decode<T> {
  if (typeof decode === "function") return decode;
  if (decode === "raw") return (data) => data as T;
  if (decode === "text") return (data) => utf8.decode(data) as T;
  return (data) => JSON.parse(utf8.decode(data)) as T;
}

/**
 * @internal A message's `ackData` once `configureAck` changed how it settles; without it,
 * `ackData` is the delivery itself (no object per message on the usual path).
 */
export class ConfiguredAck {
  constructor(
    readonly delivery: JetStreamDelivery,
    readonly onFailure: OnFailure | undefined,
    readonly nakDelay: number | undefined,
  ) {}
}

/** @internal The delivery a message's `ackData` settles. */
export function deliveryOf(ackData: unknown): JetStreamDelivery {
  return ackData instanceof ConfiguredAck ? ackData.delivery : (ackData as JetStreamDelivery);
}

/**
 * @internal `delivery` as a message of the pipeline. A payload that does not decode makes a
 * failed message, terminated when settled: delivering it again cannot fix it.
 */
export function toMessage<T>(
  delivery: JetStreamDelivery,
  decode: Decode<T>,
  acknowledger: Acknowledger,
  ackRef: unknown,
): Message<T> {
  const metadata = metadataOf(delivery);
  try {
    return new Message(decode(delivery.data, delivery), acknowledger, ackRef, delivery, metadata);
  } catch (error) {
    const reason = new MalformedNatsMessageError(delivery.subject, metadata.streamSequence, error);
    const ackData = new ConfiguredAck(delivery, "term", undefined);
    return new Message(delivery.data as T, acknowledger, ackRef, ackData, metadata).fail(reason);
  }
}
