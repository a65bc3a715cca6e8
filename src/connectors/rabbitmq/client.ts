/**
 * @internal The little of AMQP 0-9-1 the producer needs, as an interface: amqplib implements it
 * in `amqplib-client.ts`, unit tests with a fake broker. Shapes follow amqplib's so that the real
 * client hands its deliveries over without copying them.
 */

/**
 * One delivery of `basic.consume`, as amqplib gives it: what a `decode` function gets.
 *
 * @example
 * ```ts
 * rabbitmqProducer({ queue: "logs", decode: (content, delivery) => ({ line: content.toString(), key: delivery.fields.routingKey }) })
 * ```
 */
export interface Delivery {
  readonly content: Buffer;
  readonly fields: {
    readonly deliveryTag: number;
    readonly redelivered: boolean;
    readonly exchange: string;
    readonly routingKey: string;
    readonly consumerTag: string;
  };
  readonly properties: {
    readonly headers?: Readonly<Record<string, unknown>> | undefined;
    readonly messageId?: unknown;
    readonly contentType?: unknown;
  };
}

/** How to declare the queue (`queue.declare`), when the producer declares it. */
export interface QueueDeclaration {
  readonly durable?: boolean | undefined;
  readonly exclusive?: boolean | undefined;
  readonly autoDelete?: boolean | undefined;
  readonly arguments?: Readonly<Record<string, unknown>> | undefined;
}

/** A binding of the queue to an exchange (`queue.bind`). */
export interface Binding {
  readonly exchange: string;
  readonly routingKey: string;
  readonly arguments?: Readonly<Record<string, unknown>> | undefined;
}

/** A channel: where a consumer lives and where its deliveries are acknowledged. */
export interface AmqpChannel {
  /** Declares the queue, or checks that it exists when `declaration` is undefined. */
  prepareQueue(queue: string, declaration: QueueDeclaration | undefined): Promise<void>;
  bind(queue: string, binding: Binding): Promise<void>;
  /** `basic.qos` with `global: false`: the limit of each consumer started after it. */
  prefetch(count: number): Promise<void>;
  /**
   * `basic.consume` without auto-ack; resolves with the consumer tag. `onCancel` runs when the
   * broker cancels the consumer (its queue was deleted, a node went down).
   */
  consume(
    queue: string,
    onDelivery: (delivery: Delivery) => void,
    onCancel: () => void,
  ): Promise<string>;
  cancel(consumerTag: string): Promise<void>;
  /** `basic.ack`; `multiple` acknowledges every unsettled delivery up to `deliveryTag`. */
  ack(deliveryTag: number, multiple: boolean): void;
  /** `basic.nack`: requeued, or dropped (dead-lettered where the queue says so). */
  nack(deliveryTag: number, multiple: boolean, requeue: boolean): void;
  /** Called once when the channel closes, with the error if the broker or the network closed it. */
  onClose(listener: (error: unknown) => void): void;
  close(): Promise<void>;
}

/** A connection to the broker. */
export interface AmqpConnection {
  openChannel(): Promise<AmqpChannel>;
  /** Called once when the connection closes, with the error unless `close()` closed it. */
  onClose(listener: (error: unknown) => void): void;
  /** Stops listening to the connection without closing it (a connection the user owns). */
  release(): void;
  close(): Promise<void>;
}

/** How the producer gets its connections: from a URL, or from the user's own. */
export interface AmqpDriver {
  /** Connects; `name` shows in the broker's connection list (`connection_name`). */
  connect(url: string, name: string): Promise<AmqpConnection>;
  /** Wraps a connection the user opened; the producer never closes it. */
  adopt(connection: unknown): AmqpConnection;
  /** False for failures another attempt cannot fix (wrong credentials, unknown vhost). */
  retryable(error: unknown): boolean;
}
