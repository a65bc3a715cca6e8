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

/** Where the dots of the ack subject being read are: reused from one message to the next. */
const dots = new Int32Array(12);

/**
 * The decimal number of the ack subject `s`'s token `token` (of the `last + 1` tokens its
 * dots in `dots` delimit), without its last `drop` digits; -1 unless it is one.
 */
function decimal(s: string, token: number, last: number, drop = 0): number {
  const from = (dots[token - 1] as number) + 1;
  const to = (token === last ? s.length : (dots[token] as number)) - drop;
  if (to <= from) return -1;
  let n = 0;
  for (let i = from; i < to; i++) {
    const digit = s.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return -1;
    n = n * 10 + digit;
  }
  return n;
}

/**
 * @internal The metadata of `delivery`, a message of the consumer `consumer` of `stream`. The
 * numbers are read from the ack subject in one pass, rather than through the client's `info`,
 * which splits it into a string per token and builds an object of its own for every message.
 */
export function metadataOf(
  delivery: JetStreamDelivery,
  stream: string,
  consumer: string,
): NatsMetadata {
  // `$JS.ACK.<stream>.<consumer>.<count>.<sseq>.<dseq>.<nanos>.<pending>` (9 tokens), or with
  // `<domain>.<account hash>` after `ACK` and maybe a random token at the end (11 or 12).
  const reply = delivery.reply;
  let last = 0;
  for (let at = reply.indexOf("."); at !== -1 && last < 12; at = reply.indexOf(".", at + 1)) {
    dots[last++] = at;
  }
  const count = last === 8 ? 4 : last === 10 || last === 11 ? 6 : -1;
  if (count < 0 || !reply.startsWith("$JS.ACK.")) return metadataFromInfo(delivery);
  const deliveryCount = decimal(reply, count, last);
  const streamSequence = decimal(reply, count + 1, last);
  const deliverySequence = decimal(reply, count + 2, last);
  // A timestamp in ns has too many digits for a double; its ms are all but the last 6.
  const timestamp = decimal(reply, count + 3, last, 6);
  const pending = decimal(reply, count + 4, last);
  if (
    deliveryCount < 0 ||
    streamSequence < 0 ||
    deliverySequence < 0 ||
    timestamp < 0 ||
    pending < 0
  ) {
    return metadataFromInfo(delivery);
  }
  return {
    subject: delivery.subject,
    stream,
    consumer,
    streamSequence,
    deliverySequence,
    deliveryCount,
    redelivered: deliveryCount > 1,
    pending,
    timestamp,
    headers: headersOf(delivery.headers),
  };
}

/** An ack subject of another shape: the client's own parse. */
function metadataFromInfo(delivery: JetStreamDelivery): NatsMetadata {
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
  stream: string,
  consumer: string,
): Message<T> {
  const metadata = metadataOf(delivery, stream, consumer);
  try {
    return new Message(decode(delivery.data, delivery), acknowledger, ackRef, delivery, metadata);
  } catch (error) {
    const reason = new MalformedNatsMessageError(delivery.subject, metadata.streamSequence, error);
    const ackData = new ConfiguredAck(delivery, "term", undefined);
    return new Message(delivery.data as T, acknowledger, ackRef, ackData, metadata).fail(reason);
  }
}
