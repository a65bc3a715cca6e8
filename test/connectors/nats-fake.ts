/**
 * A fake JetStream server behind the client interface of src/connectors/nats/client.ts: one
 * stream and one pull consumer with explicit acks, `max_ack_pending`, naks (with delay, on a
 * manual schedule), terms, in-progress signals, pulls that wait for messages, and a connection
 * that a test can drop, restore or close. Deliveries reach the producer a turn later, as over a
 * network.
 */
import type {
  ConnectionChange,
  DeliveryHeaders,
  DeliveryInfo,
  JetStreamClient,
  JetStreamConnect,
  JetStreamDelivery,
  PullHandler,
  PullRequest,
} from "../../src/connectors/nats/client.js";

const later = (fn: () => void) => setImmediate(fn);

export class ClosedError extends Error {
  constructor() {
    super("connection closed");
  }
}

class FakeHeaders implements DeliveryHeaders {
  constructor(private readonly entries: Readonly<Record<string, readonly string[]>>) {}
  keys(): string[] {
    return Object.keys(this.entries);
  }
  values(key: string): string[] {
    return [...(this.entries[key] ?? [])];
  }
}

interface Stored {
  readonly seq: number;
  readonly subject: string;
  readonly data: Uint8Array;
  readonly headers: Readonly<Record<string, readonly string[]>> | undefined;
  deliveries: number;
}

export class FakeDelivery implements JetStreamDelivery {
  /** How it was settled: what the producer sent last, in order. */
  readonly signals: string[] = [];
  readonly info: DeliveryInfo;
  readonly headers: DeliveryHeaders | undefined;

  constructor(
    private readonly server: FakeJetStream,
    readonly stored: Stored,
  ) {
    this.info = {
      stream: server.stream,
      consumer: server.consumer,
      deliveryCount: stored.deliveries,
      streamSequence: stored.seq,
      deliverySequence: server.deliverySequence,
      pending: server.queue.length,
      timestampNanos: 1_700_000_000_000 * 1e6 + stored.seq,
    };
    this.headers = stored.headers === undefined ? undefined : new FakeHeaders(stored.headers);
  }

  get data(): Uint8Array {
    return this.stored.data;
  }
  get subject(): string {
    return this.stored.subject;
  }
  /** The ack subject a server of today sends, which `info` mirrors. */
  get reply(): string {
    const { stream, consumer, deliveryCount, streamSequence, deliverySequence, pending } =
      this.info;
    const nanos = 1_700_000_000_000n * 1_000_000n + BigInt(streamSequence);
    return `$JS.ACK.${stream}.${consumer}.${deliveryCount}.${streamSequence}.${deliverySequence}.${nanos}.${pending}`;
  }
  get redelivered(): boolean {
    return this.stored.deliveries > 1;
  }
  get settled(): string | undefined {
    return this.signals.filter((s) => s !== "working").at(-1);
  }

  ack(): void {
    this.server.settle(this, "ack");
  }
  nak(millis?: number): void {
    this.server.settle(this, millis === undefined ? "nak" : `nak ${millis}`);
  }
  term(): void {
    this.server.settle(this, "term");
  }
  working(): void {
    this.server.check();
    this.signals.push("working");
  }
}

interface OpenPull {
  readonly batch: number;
  remaining: number;
  readonly handler: PullHandler;
  done: boolean;
}

/** One stream with one durable pull consumer. */
export class FakeJetStream {
  readonly stream = "ORDERS";
  readonly consumer = "billing";
  readonly queue: Stored[] = [];
  /** Delivered and not settled, by stream sequence. */
  readonly unacked = new Map<number, FakeDelivery>();
  /** Every delivery made, in order. */
  readonly deliveries: FakeDelivery[] = [];
  /** The batch of each pull request, in order. */
  readonly pullSizes: number[] = [];
  readonly acked: number[] = [];
  readonly termed: number[] = [];
  /** Nak'ed with a delay, waiting for `releaseDelayed`. */
  readonly delayed: Stored[] = [];
  deliverySequence = 0;
  maxAckPending: number;
  /** The consumer's `ack_wait` in ms, as the client reports it (the fake does not enforce it). */
  ackWait: number;
  connected = true;
  closed = false;
  closes = 0;
  connects = 0;
  /** The next `connect`s fail with this, then it is cleared. */
  refuse: { error: unknown; times: number } | undefined;
  /** The next pulls end with this error at once. */
  failPulls: { error: unknown; times: number } | undefined;
  private seq = 0;
  private readonly pulls: OpenPull[] = [];
  private onChange: ((change: ConnectionChange, error?: unknown) => void) | undefined;

  constructor(options: { maxAckPending?: number; ackWait?: number } = {}) {
    this.maxAckPending = options.maxAckPending ?? 1000;
    this.ackWait = options.ackWait ?? 30_000;
  }

  publish(
    data: unknown,
    options: { subject?: string; headers?: Record<string, string[]>; raw?: string } = {},
  ): number {
    const seq = ++this.seq;
    const text = options.raw ?? JSON.stringify(data);
    this.queue.push({
      seq,
      subject: options.subject ?? "orders.created",
      data: new TextEncoder().encode(text),
      headers: options.headers,
      deliveries: 0,
    });
    this.pump();
    return seq;
  }

  /** Open pull requests and what they still wait for. */
  get waiting(): number {
    return this.pulls.reduce((n, p) => n + p.remaining, 0);
  }

  get openPulls(): number {
    return this.pulls.length;
  }

  connect: JetStreamConnect = async (onChange) => {
    this.connects++;
    if (this.refuse !== undefined && this.refuse.times > 0) {
      this.refuse.times--;
      throw this.refuse.error;
    }
    this.onChange = onChange;
    this.closed = false;
    this.connected = true;
    const client: JetStreamClient = {
      address: "nats://127.0.0.1:4222",
      maxAckPending: this.maxAckPending,
      ackWait: this.ackWait,
      pull: (batch, _expires, handler) => this.pull(batch, handler),
      close: async () => {
        this.closes++;
        this.closed = true;
        this.endAll(undefined);
      },
    };
    return client;
  };

  /** The network drops: pulls stay open (the client resends them), acks are buffered. */
  drop(): void {
    this.connected = false;
    this.onChange?.("down");
  }

  restore(): void {
    this.connected = true;
    this.onChange?.("up");
    this.pump();
  }

  /** The connection closes for good; what was delivered and not acked goes back to the queue. */
  closeForGood(error: unknown): void {
    this.closed = true;
    this.connected = false;
    this.endAll(new ClosedError());
    this.onChange?.("closed", error);
  }

  /** The open pulls expire (the server's 408), having got what they got. */
  expirePulls(): void {
    this.endAll(undefined);
  }

  /** What was nak'ed with a delay is due again. */
  releaseDelayed(): void {
    this.queue.unshift(...this.delayed.splice(0));
    this.pump();
  }

  /** `ack_wait` ran out for every unsettled delivery: they go back to the queue. */
  expireAll(): void {
    const stored = [...this.unacked.values()].map((d) => d.stored);
    this.unacked.clear();
    this.queue.unshift(...stored.sort((a, b) => a.seq - b.seq));
    this.pump();
  }

  check(): void {
    if (this.closed) throw new ClosedError();
  }

  settle(delivery: FakeDelivery, signal: string): void {
    this.check();
    const stored = delivery.stored;
    delivery.signals.push(signal);
    if (this.unacked.get(stored.seq) !== delivery) return;
    this.unacked.delete(stored.seq);
    if (signal === "ack") this.acked.push(stored.seq);
    else if (signal === "term") this.termed.push(stored.seq);
    else if (signal === "nak") this.queue.unshift(stored);
    else this.delayed.push(stored);
    this.pump();
  }

  private pull(batch: number, handler: PullHandler): PullRequest {
    this.pullSizes.push(batch);
    const pull: OpenPull = { batch, remaining: batch, handler, done: false };
    if (this.failPulls !== undefined && this.failPulls.times > 0) {
      this.failPulls.times--;
      const error = this.failPulls.error;
      later(() => handler.end(error));
      return { stop() {} };
    }
    this.pulls.push(pull);
    this.pump();
    return {
      stop: () => this.end(pull, undefined),
    };
  }

  private end(pull: OpenPull, error: unknown): void {
    if (pull.done) return;
    pull.done = true;
    const at = this.pulls.indexOf(pull);
    if (at >= 0) this.pulls.splice(at, 1);
    later(() => pull.handler.end(error));
  }

  private endAll(error: unknown): void {
    for (const pull of [...this.pulls]) this.end(pull, error);
  }

  /** Delivers queued messages to open pulls, within `max_ack_pending`. */
  private pump(): void {
    if (!this.connected || this.closed) return;
    while (this.queue.length > 0 && this.unacked.size < this.maxAckPending) {
      const pull = this.pulls[0];
      if (pull === undefined) return;
      const stored = this.queue.shift() as Stored;
      stored.deliveries++;
      this.deliverySequence++;
      const delivery = new FakeDelivery(this, stored);
      this.unacked.set(stored.seq, delivery);
      this.deliveries.push(delivery);
      pull.remaining--;
      const handler = pull.handler;
      later(() => handler.message(delivery));
      if (pull.remaining === 0) this.end(pull, undefined);
    }
  }
}
