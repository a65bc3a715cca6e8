/**
 * @internal What one producer stage holds (its connection, its channel, the deliveries not
 * emitted yet) and the messages the stage sends itself when network work finishes.
 */
import type { TimerRef } from "../../kernel/api.js";
import type { Pid } from "../../kernel/pid.js";
import type { Acknowledger } from "../../pipeline/index.js";
import type { ChannelLink, RabbitmqStats } from "./acknowledger.js";
import type { AmqpConnection, AmqpDriver, Delivery, QueueDeclaration } from "./client.js";
import type { Decode } from "./delivery.js";
import type { ParsedOptions } from "./options.js";

export const CONNECTOR = "rabbitmq";

/** What the stages of one producer share. */
export interface Context<T> {
  readonly options: ParsedOptions;
  readonly driver: AmqpDriver;
  readonly stats: RabbitmqStats;
  readonly acknowledger: Acknowledger<ChannelLink>;
  readonly decode: Decode<T>;
  /** How to declare the queue, or undefined to check that it exists. */
  readonly declaration: QueueDeclaration | undefined;
  /** Where the producer connects, without credentials, for telemetry. */
  readonly address: string;
}

/** A connection and whether it is still open. */
export interface Connection {
  readonly client: AmqpConnection;
  /** Opened by the producer from `url` (else the user's: never closed by the producer). */
  readonly owned: boolean;
  open: boolean;
}

export interface StageState {
  readonly pid: Pid;
  /** The connection's name in the broker's list: `beamish PIPELINE producer INDEX`. */
  readonly name: string;
  connection: Connection | undefined;
  link: ChannelLink | undefined;
  /** Deliveries not emitted yet, from `head` on. */
  buffer: Delivery[];
  head: number;
  /** Demanded and not emitted. */
  pending: number;
  /** A READY is on its way to the stage. */
  signalled: boolean;
  /** Demand came: consume whenever a channel is open. */
  started: boolean;
  draining: boolean;
  stopped: boolean;
  /** The broker cancelled the consumer and `onConsumerCancel` is `"stop"`. */
  cancelled: boolean;
  prefetch: number;
  growing: boolean;
  /** A reconnection is running. */
  restoring: boolean;
  /** Failed attempts since the last success, for the backoff. */
  attempt: number;
  timer: TimerRef | undefined;
}

/** Deliveries wait in the buffer and demand is pending. */
export const READY = Symbol("beamish.rabbitmq.ready");
/** The backoff is over: reconnect, or consume again. */
export const RETRY = Symbol("beamish.rabbitmq.retry");

/** The channel closed (or the connection under it). */
export class ChannelLost {
  constructor(
    readonly link: ChannelLink,
    readonly error: unknown,
  ) {}
}

export class ConnectionClosed {
  constructor(
    readonly connection: Connection,
    readonly error: unknown,
  ) {}
}

/** The broker cancelled every consumer of the channel. */
export class ConsumerCancelled {
  constructor(readonly link: ChannelLink) {}
}

/** A reconnection (or a new consumer after a cancel) succeeded. */
export class Restored {
  constructor(
    readonly connection: Connection,
    readonly link: ChannelLink,
  ) {}
}

export class RestoreFailed {
  constructor(readonly error: unknown) {}
}
