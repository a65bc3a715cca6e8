/**
 * A fake RabbitMQ broker behind the connector's client interface, strict where the real one is:
 * prefetch per consumer, delivery tags per channel, an ack or nack of a tag that is not
 * outstanding closes the channel (PRECONDITION_FAILED), a closed channel requeues what it held.
 */
import type {
  AmqpChannel,
  AmqpConnection,
  AmqpDriver,
  Binding,
  Delivery,
  QueueDeclaration,
} from "../../src/connectors/rabbitmq/client.js";

export interface Frame {
  readonly kind: "ack" | "requeue" | "reject";
  readonly tag: number;
  readonly multiple: boolean;
}

interface Stored {
  readonly id: number;
  readonly queue: string;
  readonly content: Buffer;
  readonly headers: Record<string, unknown>;
  readonly messageId: string | undefined;
  redelivered: boolean;
  deliveries: number;
}

interface Consumer {
  readonly tag: string;
  readonly queue: FakeQueue;
  readonly channel: FakeChannel;
  readonly prefetch: number;
  readonly onDelivery: (delivery: Delivery) => void;
  readonly onCancel: () => void;
  unacked: number;
}

/** Messages ready for delivery, in order: requeued ones first. O(1) at both ends. */
class Ready {
  private items: Stored[] = [];
  private head = 0;
  /** Requeued, the next one last. */
  private readonly front: Stored[] = [];

  get length(): number {
    return this.front.length + this.items.length - this.head;
  }

  push(stored: Stored): void {
    this.items.push(stored);
  }

  unshift(stored: Stored): void {
    this.front.push(stored);
  }

  shift(): Stored | undefined {
    if (this.front.length > 0) return this.front.pop();
    if (this.head === this.items.length) return undefined;
    const stored = this.items[this.head++];
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    }
    return stored;
  }
}

class FakeQueue {
  readonly ready = new Ready();
  readonly consumers: Consumer[] = [];
  readonly bindings: Binding[] = [];
  constructor(
    readonly name: string,
    readonly quorum: boolean,
  ) {}
}

/** A channel-level error, as amqplib reports it. */
export class ChannelError extends Error {
  constructor(
    readonly replyCode: number,
    message: string,
  ) {
    super(`Channel closed by server: ${replyCode} with message "${message}"`);
  }
}

export class FakeChannel implements AmqpChannel {
  open = true;
  private nextTag = 1;
  private prefetchCount = 0;
  readonly unacked = new Map<number, { stored: Stored; consumer: Consumer }>();
  private readonly closeListeners: Array<(error: unknown) => void> = [];
  readonly consumers = new Map<string, Consumer>();

  constructor(
    readonly broker: FakeBroker,
    readonly connection: FakeConnection,
  ) {}

  async prepareQueue(queue: string, declaration: QueueDeclaration | undefined): Promise<void> {
    await this.rpc();
    if (declaration === undefined) {
      if (!this.broker.queues.has(queue)) this.fail(404, `NOT_FOUND - no queue '${queue}'`);
      return;
    }
    this.broker.declare(queue, declaration.arguments?.["x-queue-type"] === "quorum");
  }

  async bind(queue: string, binding: Binding): Promise<void> {
    await this.rpc();
    const found = this.broker.queues.get(queue);
    if (found === undefined) this.fail(404, `NOT_FOUND - no queue '${queue}'`);
    else found.bindings.push(binding);
  }

  async prefetch(count: number): Promise<void> {
    await this.rpc();
    this.prefetchCount = count;
  }

  async consume(
    queue: string,
    onDelivery: (delivery: Delivery) => void,
    onCancel: () => void,
  ): Promise<string> {
    await this.rpc();
    const found = this.broker.queues.get(queue);
    if (found === undefined) this.fail(404, `NOT_FOUND - no queue '${queue}'`);
    const consumer: Consumer = {
      tag: `ctag-${this.broker.nextConsumer++}`,
      queue: found as FakeQueue,
      channel: this,
      prefetch: this.prefetchCount,
      onDelivery,
      onCancel,
      unacked: 0,
    };
    this.consumers.set(consumer.tag, consumer);
    consumer.queue.consumers.push(consumer);
    this.broker.prefetches.push(consumer.prefetch);
    this.broker.schedule();
    return consumer.tag;
  }

  async cancel(consumerTag: string): Promise<void> {
    await this.rpc();
    const consumer = this.consumers.get(consumerTag);
    if (consumer === undefined) return;
    this.consumers.delete(consumerTag);
    const at = consumer.queue.consumers.indexOf(consumer);
    if (at >= 0) consumer.queue.consumers.splice(at, 1);
  }

  ack(deliveryTag: number, multiple: boolean): void {
    this.settle("ack", deliveryTag, multiple);
  }

  nack(deliveryTag: number, multiple: boolean, requeue: boolean): void {
    this.settle(requeue ? "requeue" : "reject", deliveryTag, multiple);
  }

  onClose(listener: (error: unknown) => void): void {
    this.closeListeners.push(listener);
  }

  async close(): Promise<void> {
    if (!this.open) throw new Error("Channel closed");
    await this.rpc();
    this.closeWith(undefined);
  }

  /** Delivers to `consumer` if it has room; false if not. */
  deliver(consumer: Consumer, stored: Stored): void {
    const tag = this.nextTag++;
    stored.deliveries++;
    consumer.unacked++;
    this.unacked.set(tag, { stored, consumer });
    const headers =
      consumer.queue.quorum && stored.deliveries > 1
        ? { ...stored.headers, "x-delivery-count": stored.deliveries - 1 }
        : stored.headers;
    consumer.onDelivery({
      content: stored.content,
      fields: {
        deliveryTag: tag,
        redelivered: stored.redelivered,
        exchange: "",
        routingKey: consumer.queue.name,
        consumerTag: consumer.tag,
      },
      properties: { headers, messageId: stored.messageId, contentType: "application/json" },
    });
  }

  private settle(kind: Frame["kind"], tag: number, multiple: boolean): void {
    // amqplib throws at once on a closed channel.
    if (!this.open) throw new Error("Channel closed");
    this.broker.frames.push({ kind, tag, multiple });
    if (!this.unacked.has(tag)) {
      this.fail(406, `PRECONDITION_FAILED - unknown delivery tag ${tag}`, false);
      return;
    }
    const tags = multiple ? [...this.unacked.keys()].filter((t) => t <= tag) : [tag];
    for (const t of tags.sort((a, b) => a - b)) {
      const entry = this.unacked.get(t);
      if (entry === undefined) continue;
      this.unacked.delete(t);
      entry.consumer.unacked--;
      if (kind === "ack") this.broker.acked.push(entry.stored.id);
      else if (kind === "reject") this.broker.rejected.push(entry.stored.id);
      else this.broker.requeue(entry.stored);
    }
    this.broker.schedule();
  }

  /** The broker closes the channel with an error (throws, as the RPC that caused it would). */
  fail(code: number, text: string, raise = true): never {
    const error = new ChannelError(code, text);
    this.closeWith(error);
    if (raise) throw error;
    return undefined as never;
  }

  closeWith(error: unknown): void {
    if (!this.open) return;
    this.open = false;
    for (const consumer of this.consumers.values()) {
      const at = consumer.queue.consumers.indexOf(consumer);
      if (at >= 0) consumer.queue.consumers.splice(at, 1);
    }
    this.consumers.clear();
    // Sorted so that requeued messages keep their order.
    const held = [...this.unacked.entries()].sort((a, b) => b[0] - a[0]);
    this.unacked.clear();
    for (const [, { stored }] of held) this.broker.requeue(stored);
    this.connection.channels.delete(this);
    for (const listener of this.closeListeners.splice(0)) listener(error);
    this.broker.schedule();
  }

  private async rpc(): Promise<void> {
    await Promise.resolve();
    if (!this.open) throw new Error("Channel ended, no reply will be forthcoming");
    if (this.broker.hang) await new Promise<void>(() => {});
  }
}

export class FakeConnection implements AmqpConnection {
  open = true;
  released = false;
  readonly channels = new Set<FakeChannel>();
  private readonly closeListeners: Array<(error: unknown) => void> = [];

  constructor(readonly broker: FakeBroker) {}

  async openChannel(): Promise<AmqpChannel> {
    await Promise.resolve();
    if (!this.open) throw new Error("Connection closed");
    const channel = new FakeChannel(this.broker, this);
    this.channels.add(channel);
    return channel;
  }

  onClose(listener: (error: unknown) => void): void {
    this.closeListeners.push(listener);
    this.released = false;
  }

  /** What the `connection` option checks for (an amqplib connection has it). */
  createChannel(): Promise<AmqpChannel> {
    return this.openChannel();
  }

  release(): void {
    this.closeListeners.length = 0;
    this.released = true;
  }

  async close(): Promise<void> {
    if (this.broker.hang) await new Promise<void>(() => {});
    this.kill(undefined);
  }

  /** The connection drops (or closes): its channels first, as amqplib reports them. */
  kill(error: unknown = new Error("Socket closed abruptly")): void {
    if (!this.open) return;
    this.open = false;
    for (const channel of [...this.channels]) channel.closeWith(error);
    for (const listener of this.closeListeners.splice(0)) listener(error);
  }
}

/** Thrown by `connect` for wrong credentials. */
export class AccessRefused extends Error {
  constructor() {
    super("Handshake terminated by server: 403 (ACCESS-REFUSED)");
  }
}

export class FakeBroker implements AmqpDriver {
  readonly queues = new Map<string, FakeQueue>();
  readonly connections: FakeConnection[] = [];
  readonly frames: Frame[] = [];
  readonly acked: number[] = [];
  readonly rejected: number[] = [];
  /** The prefetch of every consumer started, in order. */
  readonly prefetches: number[] = [];
  nextConsumer = 1;
  private nextId = 1;
  /** Connection attempts to refuse before accepting again; `Infinity` refuses all. */
  refuse = 0;
  credentials = true;
  /** RPCs never answer (a broker that hangs). */
  hang = false;
  connects = 0;
  private scheduled = false;

  /** The `name` of each connection asked for. */
  readonly names: string[] = [];

  async connect(url: string, name: string): Promise<AmqpConnection> {
    this.connects++;
    this.names.push(name);
    await Promise.resolve();
    if (!this.credentials) throw new AccessRefused();
    if (this.refuse > 0) {
      this.refuse--;
      throw new Error(`connect ECONNREFUSED ${new URL(url).host}`);
    }
    const connection = new FakeConnection(this);
    this.connections.push(connection);
    return connection;
  }

  adopt(connection: unknown): AmqpConnection {
    return connection as FakeConnection;
  }

  retryable(error: unknown): boolean {
    return !(error instanceof AccessRefused);
  }

  /** A connection for the `connection` option. */
  userConnection(): FakeConnection {
    const connection = new FakeConnection(this);
    this.connections.push(connection);
    return connection;
  }

  declare(name: string, quorum = false): FakeQueue {
    let queue = this.queues.get(name);
    if (queue === undefined) {
      queue = new FakeQueue(name, quorum);
      this.queues.set(name, queue);
    }
    return queue;
  }

  /** Publishes `body` (JSON unless a Buffer) to `queue`; returns the message's id. */
  publish(name: string, body: unknown, headers: Record<string, unknown> = {}): number {
    const queue = this.queues.get(name);
    if (queue === undefined) throw new Error(`no queue ${name}`);
    const id = this.nextId++;
    queue.ready.push({
      id,
      queue: name,
      content: Buffer.isBuffer(body) ? body : Buffer.from(JSON.stringify(body)),
      headers,
      messageId: `m-${id}`,
      redelivered: false,
      deliveries: 0,
    });
    this.schedule();
    return id;
  }

  /** Deletes the queue: its consumers are cancelled (what `onCancel` reports). */
  deleteQueue(name: string): void {
    const queue = this.queues.get(name);
    if (queue === undefined) return;
    this.queues.delete(name);
    for (const consumer of queue.consumers.splice(0)) {
      consumer.channel.consumers.delete(consumer.tag);
      consumer.onCancel();
    }
  }

  requeue(stored: Stored): void {
    stored.redelivered = true;
    // A queue deleted meanwhile takes its messages with it.
    this.queues.get(stored.queue)?.ready.unshift(stored);
  }

  /** Messages ready plus delivered and not settled, per queue. */
  pending(name: string): number {
    const queue = this.queues.get(name);
    if (queue === undefined) return 0;
    let unacked = 0;
    for (const connection of this.connections) {
      for (const channel of connection.channels) {
        for (const { consumer } of channel.unacked.values())
          if (consumer.queue === queue) unacked++;
      }
    }
    return queue.ready.length + unacked;
  }

  /** Dispatch runs in a microtask, as deliveries arrive from a socket after the call. */
  schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(() => {
      this.scheduled = false;
      this.dispatch();
    });
  }

  private dispatch(): void {
    for (const queue of this.queues.values()) {
      let progress = true;
      while (progress && queue.ready.length > 0) {
        progress = false;
        for (const consumer of queue.consumers) {
          if (queue.ready.length === 0) break;
          if (consumer.prefetch > 0 && consumer.unacked >= consumer.prefetch) continue;
          if (!consumer.channel.open) continue;
          consumer.channel.deliver(consumer, queue.ready.shift() as Stored);
          progress = true;
        }
      }
    }
  }
}
