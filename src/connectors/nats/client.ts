/**
 * @internal The little of NATS JetStream the producer needs, as an interface: the NATS client
 * implements it in `nats-client.ts`, unit tests with a fake server. Shapes follow
 * `@nats-io/jetstream`'s `JsMsg`, so that the real client hands its messages over without
 * copying them.
 */

/** Where a message stands in its stream and consumer (`JsMsg.info`). */
export interface DeliveryInfo {
  readonly stream: string;
  readonly consumer: string;
  /** 1 on the first delivery, then one more each time the server delivers it again. */
  readonly deliveryCount: number;
  readonly streamSequence: number;
  readonly deliverySequence: number;
  /** Messages left for the consumer when this one was delivered. */
  readonly pending: number;
  /** When the message was stored, in ns since the epoch. */
  readonly timestampNanos: number;
}

/** A message's headers (`MsgHdrs`): several values per key are allowed. */
export interface DeliveryHeaders {
  keys(): string[];
  values(key: string): string[];
}

/** One message delivered by a pull request: a `JsMsg`. */
export interface JetStreamDelivery {
  readonly data: Uint8Array;
  readonly subject: string;
  /**
   * The ack subject (`$JS.ACK.<stream>.<consumer>.<deliveryCount>.<streamSequence>...`): `info`
   * is parsed from it.
   */
  readonly reply: string;
  readonly redelivered: boolean;
  readonly info: DeliveryInfo;
  readonly headers: DeliveryHeaders | undefined;
  /** `+ACK`. Throws once the connection is closed. */
  ack(): void;
  /** `-NAK`, delivered again after `millis` (at once without). */
  nak(millis?: number): void;
  /** `+TERM`: never delivered again. */
  term(reason?: string): void;
  /** `+WPI`: still being worked on; restarts the server's `ack_wait` for the message. */
  working(): void;
}

/** What one pull request brings. Called outside any process, in the order things happen. */
export interface PullHandler {
  message(delivery: JetStreamDelivery): void;
  /** The pull is over: every message came, it expired, it was stopped, or it failed (`error`). */
  end(error?: unknown): void;
}

/** A pull request in progress. */
export interface PullRequest {
  /**
   * Ends it now; `end` follows. What the server already sent for it and has not arrived is
   * dropped by the client, and held by the server until `ack_wait` runs out.
   */
  stop(): void;
}

/** The connection went down (the client reconnects by itself), came back, or closed for good. */
export type ConnectionChange = "down" | "up" | "closed";

/** A connection bound to one stream and one durable pull consumer. */
export interface JetStreamClient {
  /** Where it is connected, without credentials. */
  readonly address: string;
  /** The consumer's `max_ack_pending`: more unsettled messages than this are never delivered. */
  readonly maxAckPending: number;
  /** The consumer's `ack_wait` in ms: a message not settled within it is delivered again. */
  readonly ackWait: number;
  /** Asks for at most `batch` messages, waiting up to `expires` ms for them. */
  pull(batch: number, expires: number, handler: PullHandler): PullRequest;
  /**
   * Ends every open pull, sends what was published (acks), then closes the connection unless
   * the user gave it.
   */
  close(): Promise<void>;
}

/**
 * Connects, creates or binds the stream and the consumer, and reports the connection's changes
 * to `onChange` from then on. Rejects with `BrokerConnectError` when the server cannot be
 * reached, or `JetStreamSetupError` when the stream or the consumer cannot be used.
 */
export type JetStreamConnect = (
  onChange: (change: ConnectionChange, error?: unknown) => void,
) => Promise<JetStreamClient>;
